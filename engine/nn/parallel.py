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
    """The CPUs this process may use: its affinity mask, capped by the tightest cgroup CPU quota
    over its cgroup and those above it (a container given 1.5 CPUs of a 64-core host gets 2, a
    session in a systemd slice of CPUQuota=200% gets 2), and by $NNTUI_CPUS (the search gives
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


#: where the kernel's cgroup files are, and which cgroups this process is in
CGROUP_ROOT = "/sys/fs/cgroup"
SELF_CGROUP = "/proc/self/cgroup"


def cpu_cgroups(root: str = CGROUP_ROOT, membership: str = SELF_CGROUP) -> list[tuple[str, bool]]:
    """The directories of this process's CPU cgroup and of those above it, innermost first, each
    with whether it is cgroup v2's (a v1 ``cpu`` hierarchy otherwise), read from
    /proc/self/cgroup. A container with its own cgroup namespace sees its cgroup as the root; one
    without it names a path its mount does not have, and the mount's root is its cgroup then."""
    try:
        with open(membership) as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    found: list[tuple[str, bool]] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        controllers, path = parts[1], parts[2]
        if controllers == "":             # v2: at the root, or at root/unified beside v1 (hybrid)
            v2 = True
            bases = [root if os.path.exists(os.path.join(root, "cgroup.controllers")) else os.path.join(root, "unified")]
        elif "cpu" in controllers.split(","):
            v2 = False
            bases = [os.path.join(root, name) for name in (controllers, "cpu", "cpu,cpuacct", "cpuacct,cpu")]
        else:
            continue
        base = next((b for b in bases if os.path.isdir(b)), None)
        if base is None:
            continue
        rel = path.strip("/")
        while True:
            d = os.path.join(base, rel) if rel else base
            if os.path.isdir(d) and (d, v2) not in found:
                found.append((d, v2))
            if not rel:
                break
            rel = os.path.dirname(rel)
    return found


def _quota_of(directory: str, v2: bool) -> float | None:
    """CPUs' worth of time per period one cgroup allows (v2 cpu.max, v1 CFS quota), None if unlimited."""
    try:
        if v2:
            with open(os.path.join(directory, "cpu.max")) as f:
                fields = f.read().split()
        else:
            with open(os.path.join(directory, "cpu.cfs_quota_us")) as f:
                fields = [f.read().strip()]
            with open(os.path.join(directory, "cpu.cfs_period_us")) as f:
                fields.append(f.read().strip())
        if fields[0] in ("max", "-1"):
            return None
        quota = int(fields[0]) / int(fields[1])
    except (OSError, ValueError, IndexError, ZeroDivisionError):
        return None
    return quota if quota > 0 else None


def quota_cgroup(root: str = CGROUP_ROOT, membership: str = SELF_CGROUP) -> tuple[float, str, bool] | None:
    """The tightest CPU quota over this process's cgroup and those above it (a systemd slice's
    CPUQuota binds every session in it), with the cgroup that sets it; None if none is set."""
    limits = [(q, d, v2) for d, v2 in cpu_cgroups(root, membership) if (q := _quota_of(d, v2)) is not None]
    return min(limits, default=None)


def _cgroup_quota() -> float | None:
    """CPUs' worth of time per period this process's cgroups allow, None if unlimited."""
    found = quota_cgroup()
    return found[0] if found else None


def cgroup_usage(directory: str, v2: bool, root: str = CGROUP_ROOT) -> Callable[[], float] | None:
    """A function giving the CPU seconds used so far by every process of one cgroup (v2
    cpu.stat's usage_usec; v1 cpuacct.usage, beside the quota where cpu and cpuacct share a
    mount, else at the same path of the cpuacct mount); None where it cannot be read."""
    if v2:
        path = os.path.join(directory, "cpu.stat")

        def used() -> float:
            with open(path, "rb") as f:
                for line in f:
                    if line.startswith(b"usage_usec "):
                        return int(line.split()[1]) / 1e6
            raise ValueError("no usage_usec")
    else:
        path = os.path.join(directory, "cpuacct.usage")
        if not os.path.exists(path):
            rel = os.path.relpath(directory, os.path.join(root, "cpu"))
            path = os.path.join(root, "cpuacct", rel, "cpuacct.usage")

        def used() -> float:
            with open(path, "rb") as f:
                return int(f.read()) / 1e9
    try:
        used()
    except (OSError, ValueError, IndexError):
        return None
    return used


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
