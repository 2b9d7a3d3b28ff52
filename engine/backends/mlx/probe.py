"""Whether MLX can run here and on what, asked without failing where it is absent or broken
(plain `mlx` on Linux does not import; it needs mlx[cpu] or mlx[cuda])."""

from __future__ import annotations

import importlib.util


def mlx_status() -> tuple[bool, bool, str]:
    """(importable, has_gpu, why not) for MLX, without failing where it is absent or broken."""
    if importlib.util.find_spec("mlx") is None:
        return False, False, "mlx not installed"
    try:
        import mlx.core as mx
    except Exception as exc:  # e.g. plain `mlx` on Linux, which needs mlx[cpu] or mlx[cuda]
        return False, False, f"mlx does not import ({exc.__class__.__name__}: {exc})"
    try:
        gpu = bool(mx.is_available(mx.gpu))
    except Exception:
        gpu = False
    return True, gpu, "" if gpu else "mlx has no GPU here"
