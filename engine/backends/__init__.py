"""Backends behind one protocol, and the choice between them.

``auto`` picks MLX only where MLX has a GPU (Metal on Apple silicon, CUDA with mlx[cuda]): on a
CPU, MLX's Linux wheel multiplies matrices with a reference BLAS, about 40x slower than NumPy
over OpenBLAS, so NumPy is the right default there."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BackendUnavailable
from .mlx.probe import mlx_status


@dataclass(frozen=True)
class BackendChoice:
    name: str       # "numpy" | "mlx"
    device: str     # "cpu" | "gpu"
    reason: str

    def __str__(self) -> str:
        return f"{self.name} on {self.device} ({self.reason})"


def resolve_backend(name: str = "auto") -> BackendChoice:
    """The backend and device a run will use, and why; BackendUnavailable if ``name`` cannot run."""
    if name == "numpy":
        return BackendChoice("numpy", "cpu", "asked for numpy")
    importable, gpu, why = mlx_status()
    if name == "mlx":
        if not importable:
            raise BackendUnavailable(
                f"backend 'mlx' cannot run: {why}. Install it with pip install 'nntui[mlx-cpu]' "
                "(Linux CPU), 'nntui[mlx-cuda]' (Linux with an NVIDIA GPU); on Apple silicon it comes "
                "with nntui. Or use backend = \"numpy\".")
        return BackendChoice("mlx", "gpu" if gpu else "cpu", "mlx on gpu" if gpu else "asked for mlx (cpu)")
    if name != "auto":
        raise BackendUnavailable(f"unknown backend {name!r}; valid: auto, numpy, mlx")
    if gpu:
        return BackendChoice("mlx", "gpu", "mlx on gpu")
    reason = why if not importable else "mlx has no GPU here: numpy is faster on this CPU"
    return BackendChoice("numpy", "cpu", reason)


def model_class(name: str):
    if name == "numpy":
        # imported here: engine.backends.plan, which the builder imports, then loads no backend
        from .numpy.model import NumpyModel

        return NumpyModel
    if name == "mlx":
        try:
            from .mlx.model import MlxModel
        except ImportError as exc:
            raise BackendUnavailable(f"backend 'mlx' is not available: {exc}") from None
        return MlxModel
    raise BackendUnavailable(f"unknown backend {name!r}; valid: numpy, mlx")
