"""Backend-free rules of the network: activations, initializers, losses, optimizers, learning-rate
schedules (each a registry of the names the spec accepts), and the two-core split of elementwise work."""
