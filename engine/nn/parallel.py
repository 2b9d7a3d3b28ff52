"""Split large elementwise work (the optimizer update) over two cores.

NumPy releases the GIL inside its array loops, so two threads working on the two halves of a
flat vector run truly in parallel. One persistent helper thread takes the upper half while the
caller does the lower; a lock handoff costs tens of microseconds, so only vectors of at least
``MIN_SPLIT`` elements are split. If the helper is busy (another model training in another
thread), the caller simply does all the work itself."""

from __future__ import annotations

import math
import os
import threading
from typing import Callable

MIN_SPLIT = 1 << 17


def available_cpus() -> int:
    """The CPUs this process may use: its affinity mask, capped by a cgroup CPU quota (a
    container given 1.5 CPUs of a 64-core host gets 2), and by $NNTUI_CPUS (the search gives
    each worker process its share this way)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        n = min(n, max(1, math.ceil(quota)))
    share = os.environ.get("NNTUI_CPUS", "")
    if share.isdigit() and int(share) >= 1:
        n = min(n, int(share))
    return max(1, n)


def _cgroup_quota() -> float | None:
    """CPUs' worth of time per period the cgroup allows (v2 cpu.max, v1 cfs quota), None if unlimited."""
    for path, period_path in (("/sys/fs/cgroup/cpu.max", None),
                              ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")):
        try:
            with open(path) as f:
                fields = f.read().split()
            if period_path is not None:
                with open(period_path) as f:
                    fields.append(f.read().strip())
        except OSError:
            continue
        try:
            if fields[0] in ("max", "-1"):
                return None
            return int(fields[0]) / int(fields[1])
        except (ValueError, IndexError, ZeroDivisionError):
            return None
    return None


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
ENABLED = available_cpus() >= 2 and os.environ.get("NNTUI_THREADS", "") != "1"


def set_enabled(on: bool) -> None:
    """Split or not from now on (the thread tuner turns it off with one BLAS thread: on a loaded
    machine the helper waits for a core as OpenBLAS's threads do)."""
    global ENABLED
    ENABLED = bool(on)


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
