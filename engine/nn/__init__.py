"""Backend-free rules of the network: activations, initializers, losses, optimizers, learning-rate
schedules (each a registry of the names the spec accepts), and the two-core split of elementwise work."""


def __getattr__(name: str):
    """engine.nn.schedules and its siblings load on first use (the spec reads engine.names)."""
    import importlib

    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = module
    return module
