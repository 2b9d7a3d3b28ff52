"""The NumPy backend: explicit forward and backward per layer (layers return gradients, the model applies them)."""
