"""The MLX backend (the only package that imports mlx): the same model with autodiff and a compiled step."""
