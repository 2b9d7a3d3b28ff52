"""How many threads the NumPy backend's step uses, chosen from what the step achieves.

On a quiet machine OpenBLAS's threads (and the optimizer's split over two cores) make the big
products faster; on a loaded one they wait on cores another process holds, and one thread is
several times faster (a 2-core machine with both cores busy: 350 to 850 samples/s with two
threads against 5,400 to 6,300 with one). No rule decided in advance is right on both, so the
tuner times real training steps (no extra work) at each candidate count, keeps the fastest,
and looks again: soon after the start, then at doubling intervals while the choice holds, and
at once when the step's time drifts away from what was measured (the load changed). More
threads than the current count are probed only where the CPUs the process may use were idle
for at least half a core per extra thread over the last tenths of a second (Linux's
/proc/stat; under a cgroup CPU quota, also the quota's time its cgroup left unused): on a
loaded machine each such probe costs a step several times slower than the chosen one, and
extra threads cannot win where no core is free. Where the idle time cannot be read, every
probe is made.

The BLAS's thread count is process-wide (threadpoolctl sets it); the run restores it at the
end. Results at different thread counts differ in float32 rounding (OpenBLAS splits its
products differently), so a run that must repeat bit for bit fixes the count: ``[train]
threads = N``, ``nntui train --threads N`` or $NNTUI_THREADS; an exported OPENBLAS_NUM_THREADS
(or OMP_/MKL_NUM_THREADS) is left as it is too."""

from __future__ import annotations

import math
import os
import time
from collections import Counter, deque
from typing import Callable

from ...nn import parallel

#: a probe times each candidate for at least PROBE_STEPS steps and PROBE_SECONDS of steps (a
#: loaded machine's steps scatter two to five times from one to the next as the scheduler hands
#: the cores around: a rate over tens of milliseconds is steady where one step is not); a
#: candidate slower than ABANDON times the best one so far, for the samples it has done, is
#: dropped after two steps, and one more than ABANDON_AT_ONCE times slower after its first (on
#: a loaded machine: one slow step, not a whole probe of them; the first step after a switch
#: wakes the threads up, and alone it would make a quiet machine keep a single thread)
PROBE_STEPS = 3
PROBE_SECONDS = 0.05
ABANDON = 1.5
ABANDON_AT_ONCE = 3.0
#: seconds of training before the first probe, between probes (doubling while the choice holds)
FIRST_PROBE = 0.0
FIRST_INTERVAL = 1.0
MAX_INTERVAL = 30.0
#: the rate of the last WINDOW_SECONDS of steps against the probe's figure: DRIFT_UP times
#: slower starts a new probe at once (load arrived: many threads wait on held cores, 5 to 15
#: times slower); DRIFT_DOWN times faster (it left: more threads may pay again) starts one once
#: a quarter of the interval has passed (a loaded machine's rate itself swings by 2x as the
#: scheduler hands the cores around, and every probe costs a slow step there)
WINDOW_SECONDS = 0.5
DRIFT_UP = 2.5
DRIFT_DOWN = 1.5
ENV_FIXED = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: the idle time of the process's CPUs is sampled every IDLE_EVERY seconds and judged over the
#: last IDLE_SPAN to 3 IDLE_SPAN of them (the kernel counts it in ticks of 10 ms per CPU, so a
#: tenth of a second measures it to a tenth of a core); more threads than the current count
#: are probed only with IDLE_PER_THREAD idle cores for each extra one; a probe put off for want
#: of them is looked at again after FIRST_INTERVAL (costs nothing: no step runs at another count)
IDLE_EVERY = 0.1
IDLE_SPAN = 0.1
IDLE_PER_THREAD = 0.5


def candidates(cpus: int) -> list[int]:
    """1, the CPUs the process may use, and a quarter and a half of them on bigger machines."""
    return sorted({1, max(1, cpus // 4), max(1, cpus // 2), cpus})


def idle_meter(quota: tuple[float, str, bool] | None | str = "cgroup") -> Callable[[], tuple[float, ...]] | None:
    """A function giving, as seconds so far, how much CPU time the process could have had and
    nobody used, by each measure that binds it: the idle and iowait ticks of each CPU in its
    affinity mask (Linux's /proc/stat, which a container reads as the host's), and under a cgroup
    CPU quota (``quota``: the tightest one, engine.nn.parallel.quota_cgroup) the quota's time less
    what the cgroup's processes used (a systemd slice of a lab server shares one quota among all a
    user's processes, while the host's other cores sit idle). The free cores over a span are the
    least of the measures' rates. None where the idle ticks cannot be read (macOS, Windows)."""
    try:
        names = {f"cpu{i}".encode() for i in os.sched_getaffinity(0)}
        tick = os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, ValueError):
        return None
    if quota == "cgroup":
        quota = parallel.quota_cgroup()
    used = parallel.cgroup_usage(quota[1], quota[2]) if quota is not None else None

    def idle_seconds() -> float:
        ticks = 0
        try:
            with open("/proc/stat", "rb") as f:
                for line in f:
                    if line.startswith(b"cpu"):
                        fields = line.split()
                        if fields[0] in names:
                            ticks += int(fields[4]) + int(fields[5])
        except (OSError, ValueError, IndexError):
            return float("nan")
        return ticks / tick

    if math.isnan(idle_seconds()):     # no /proc/stat here
        return None
    if used is None:
        return lambda: (idle_seconds(),)
    limit = quota[0]

    def free_seconds() -> tuple[float, float]:
        try:
            spare = limit * time.monotonic() - used()
        except (OSError, ValueError, IndexError):
            spare = float("nan")
        return idle_seconds(), spare

    return free_seconds


def _free_cores(now: float | tuple, then: float | tuple, seconds: float) -> float:
    """The free cores over ``seconds`` between two readings of an idle meter: the least rate of
    the measures that could be read (nan if none could)."""
    if not isinstance(now, tuple):
        now, then = (now,), (then,)
    rates = [r for a, b in zip(now, then) if (r := (a - b) / seconds) == r]
    return min(rates, default=float("nan"))


def _blas():
    """threadpoolctl's controllers of the BLAS libraries loaded (NumPy's OpenBLAS; MKL beside it)."""
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController().select(user_api="blas").lib_controllers


class ThreadTuner:
    """Wraps each training step: ``tuner.step(model.train_step, x, y, lr)``. ``fixed`` is a
    thread count to hold for the run; ``None`` tunes among ``candidates(cpus)``."""

    def __init__(self, cpus: int | None = None, fixed: int | None = None, clock: Callable[[], float] = time.perf_counter,
                 libraries=None, idle: Callable[[], float] | None | str = "proc"):
        self.clock = clock
        self.idle = (idle_meter() if fixed is None else None) if idle == "proc" else idle
        self.idle_marks: deque[tuple[float, float]] = deque()   # (clock, idle seconds) IDLE_EVERY apart
        self.libraries = _blas() if libraries is None else libraries
        self.original = [lib.get_num_threads() for lib in self.libraries]
        self.original_split = parallel.ENABLED
        cpus = parallel.available_cpus() if cpus is None else cpus
        self.options = [fixed] if fixed is not None else candidates(cpus)
        self.threads = 0
        self.batch = 0                           # the largest batch seen (the one timed)
        self.steps: Counter[int] = Counter()     # steps run at each count, for the run's record
        self.trained = 0.0                       # seconds of timed steps so far
        self.next_probe = FIRST_PROBE
        self.interval = FIRST_INTERVAL
        self.reference = None                    # seconds per sample at the choice, when it was made
        self.recent: deque[tuple[float, int]] = deque()  # the last steps since the probe: (seconds, samples)
        self.window = _Tally()                   # their sums
        self.queue: list[int] = []               # the probe's candidates still to time
        self.chosen: int | None = None           # the last probe's choice
        self.probed_at = 0.0
        self.timings: dict[int, _Tally] = {}     # the probe's figures by count
        self._set(self.options[0])      # one thread until the first probe: cheap whatever the load

    @classmethod
    def for_run(cls, threads: int | None) -> "ThreadTuner | None":
        """The tuner a NumPy run uses: ``threads`` from the experiment; else $NNTUI_THREADS;
        else none at all where the environment fixes the BLAS's threads; else tuning."""
        if threads is None:
            env = os.environ.get("NNTUI_THREADS", "")
            if env.isdigit() and int(env) >= 1:
                threads = int(env)
            elif any(os.environ.get(name) for name in ENV_FIXED):
                return None
        try:
            return cls(fixed=threads)
        except Exception:        # threadpoolctl cannot see a BLAS here: train as NumPy is set up
            return None

    def _set(self, n: int) -> None:
        if n != self.threads:
            for lib in self.libraries:
                lib.set_num_threads(n)
            parallel.set_enabled(n >= 2 and self.original_split)
            self.threads = n

    def step(self, fn: Callable, x, *args):
        """Run one training step on the batch ``x`` at the thread count the tuner chooses."""
        n = len(x)
        if len(self.options) == 1 or n < self.batch:     # an epoch's short last batch is not timed
            self.steps[self.threads] += 1
            return fn(x, *args)
        self.batch = n
        t0 = self.clock()
        if self.idle is not None and (not self.idle_marks or t0 - self.idle_marks[-1][0] >= IDLE_EVERY):
            self._mark_idle(t0)
        if not self.queue and self.trained >= self.next_probe and self.steps:   # the very first step warms up
            self._start_probe(t0)
        if self.queue:
            self._set(self.queue[0])
            t0 = self.clock()
        out = fn(x, *args)
        dt = self.clock() - t0
        self.trained += dt
        self.steps[self.threads] += 1
        if self.queue:
            self._probed(dt, n)
        else:
            self._watch(dt, n)
        return out

    def _mark_idle(self, now: float) -> None:
        self.idle_marks.append((now, self.idle()))
        while len(self.idle_marks) > 2 and now - self.idle_marks[1][0] >= 2 * IDLE_SPAN:
            self.idle_marks.popleft()

    def idle_cores(self, now: float) -> float | None:
        """Cores idle on average over the last IDLE_SPAN or so; None when unknown or not yet
        measured over IDLE_SPAN."""
        if self.idle is None or not self.idle_marks:
            return None
        then, idle_then = self.idle_marks[0]
        if now - then < IDLE_SPAN:
            return None
        idle = _free_cores(self.idle(), idle_then, now - then)
        return idle if idle == idle else None        # nan: /proc/stat or the cgroup's files went away

    def _start_probe(self, now: float) -> None:
        """Time the current count first (no switch), then the others: more threads only where
        cores are idle for them."""
        others = [n for n in self.options if n != self.threads]
        if self.idle is not None and any(n > self.threads for n in others):
            idle = self.idle_cores(now)
            if idle is None and self.trained < IDLE_SPAN:      # the run's start: measure first
                return
            if idle is not None:
                others = [n for n in others if n < self.threads or idle >= IDLE_PER_THREAD * (n - self.threads)]
                if not others:                                 # no core free: look again soon
                    self.next_probe = self.trained + FIRST_INTERVAL
                    return
        self.queue = [self.threads] + others
        self.timings = {}

    def _probed(self, dt: float, n: int) -> None:
        threads = self.queue[0]
        t = self.timings.setdefault(threads, _Tally())
        t.add(dt, n)
        best = min((o.per_sample for m, o in self.timings.items() if m != threads), default=None)
        limit = ABANDON_AT_ONCE if t.steps == 1 else ABANDON
        if (t.steps >= PROBE_STEPS and t.seconds >= PROBE_SECONDS) or (
                best is not None and t.seconds > limit * best * t.samples):
            self.queue.pop(0)
        if self.queue:
            return
        choice = min(self.timings, key=lambda m: self.timings[m].per_sample)
        self.interval = FIRST_INTERVAL if choice != self.chosen else min(MAX_INTERVAL, 2 * self.interval)
        self.chosen = choice
        self.reference = self.timings[choice].per_sample
        self.recent.clear()
        self.window = _Tally()
        self.probed_at = self.trained
        self.next_probe = self.trained + self.interval
        self._set(choice)

    def _watch(self, dt: float, n: int) -> None:
        """A new probe at once when the step's rate drifts from the probe's figure."""
        if self.reference is None:
            return
        self.recent.append((dt, n))
        self.window.add(dt, n)
        if self.window.seconds < WINDOW_SECONDS:
            return
        now = self.window.per_sample
        self.window.remove(*self.recent.popleft())
        if now > self.reference * DRIFT_UP or (
                now < self.reference / DRIFT_DOWN and self.trained - self.probed_at >= self.interval / 4):
            self.next_probe = self.trained

    def record(self) -> dict[str, int]:
        """Steps run at each thread count, e.g. {"1": 1180, "2": 20}."""
        return {str(n): c for n, c in sorted(self.steps.items())}

    def close(self) -> None:
        """Give the BLAS and the optimizer's split back as they were before the run."""
        for lib, n in zip(self.libraries, self.original):
            lib.set_num_threads(n)
        parallel.set_enabled(self.original_split)


class _Tally:
    """Seconds, samples and steps of some timed steps."""
    __slots__ = ("seconds", "samples", "steps")

    def __init__(self):
        self.seconds, self.samples, self.steps = 0.0, 0, 0

    def add(self, seconds: float, samples: int) -> None:
        self.seconds += seconds
        self.samples += samples
        self.steps += 1

    def remove(self, seconds: float, samples: int) -> None:
        self.seconds -= seconds
        self.samples -= samples
        self.steps -= 1

    @property
    def per_sample(self) -> float:
        return self.seconds / self.samples
