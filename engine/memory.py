"""What fits: the memory this machine can still give, checked before anything large is allocated
so that it is refused with figures instead of a MemoryError or the kernel's out-of-memory killer
(a model's own need is counted from its layer plan: engine/backends/plan.py)."""

from __future__ import annotations

from .errors import DataError


def available_memory() -> int:
    """Bytes this machine can still give (psutil); a huge figure where it cannot tell."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001  psutil missing or unsupported here: do not refuse
        return 1 << 62


def gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:,.1f} GiB"


def check_fits(nbytes: int, what: str) -> None:
    """DataError when ``nbytes`` is more than the memory available, saying both."""
    free = available_memory()
    if nbytes > free:
        raise DataError(f"{what} needs {gib(nbytes)} of memory; this machine has {gib(free)} available")
