"""Split large elementwise work (the optimizer update) over two cores.

NumPy releases the GIL inside its array loops, so two threads working on the two halves of a
flat vector run truly in parallel. One persistent helper thread takes the upper half while the
caller does the lower; a lock handoff costs tens of microseconds, so only vectors of at least
``MIN_SPLIT`` elements are split. If the helper is busy (another model training in another
thread), the caller simply does all the work itself."""

from __future__ import annotations

import os
import threading
from typing import Callable

MIN_SPLIT = 1 << 17


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class _Helper:
    def __init__(self):
        self._go = threading.Lock()
        self._go.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self.busy = threading.Lock()
        self._job: tuple = ()
        self._error: BaseException | None = None
        threading.Thread(target=self._loop, name="nntui-split", daemon=True).start()

    def _loop(self):
        while True:
            self._go.acquire()
            fn, lo, hi = self._job
            try:
                fn(lo, hi)
            except BaseException as exc:  # handed back to the caller
                self._error = exc
            self._done.release()

    def run(self, fn: Callable[[int, int], None], n: int) -> None:
        half = n // 2
        self._job = (fn, half, n)
        self._error = None
        self._go.release()
        try:
            fn(0, half)
        finally:
            self._done.acquire()
        if self._error is not None:
            raise self._error


_helper: _Helper | None = None
_helper_lock = threading.Lock()
ENABLED = _cores() >= 2 and os.environ.get("NNTUI_THREADS", "") != "1"


def split_run(fn: Callable[[int, int], None], n: int) -> None:
    """Run ``fn(lo, hi)`` over [0, n): on two threads for large n, else inline."""
    global _helper
    if not ENABLED or n < MIN_SPLIT:
        fn(0, n)
        return
    if _helper is None:
        with _helper_lock:
            if _helper is None:
                _helper = _Helper()
    if not _helper.busy.acquire(blocking=False):
        fn(0, n)
        return
    try:
        _helper.run(fn, n)
    finally:
        _helper.busy.release()
