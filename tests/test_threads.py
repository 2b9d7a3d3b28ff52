"""The NumPy backend's thread tuner: against a simulated machine whose step time at each thread
count is known (so the right choice is known), then on the real BLAS through threadpoolctl."""

from __future__ import annotations

import os

import numpy as np
import pytest

import engine
from engine.backends.numpy import threads as T
from engine.nn import parallel


class FakeBLAS:
    def __init__(self, n=2):
        self.n, self.sets = n, []

    def get_num_threads(self):
        return self.n

    def set_num_threads(self, n):
        self.n = n
        self.sets.append(n)


class Machine:
    """A step's seconds per sample at each thread count, changeable mid-run (the load), and
    the idle time of its CPUs as /proc/stat counts it: the cores neither the run's threads nor
    the ``load`` (another process's busy threads) hold."""

    def __init__(self, blas, cost, cpus=2, load=0):
        self.blas, self.cost, self.now = blas, dict(cost), 0.0
        self.cpus, self.load, self.idle = cpus, load, 0.0
        self.at = []             # the thread count of every step

    def clock(self):
        return self.now

    def idle_seconds(self):
        return self.idle

    def spend(self, seconds):
        self.now += seconds
        self.idle += max(0, self.cpus - self.load - self.blas.n) * seconds

    def step(self, x):
        self.at.append(self.blas.n)
        self.spend(self.cost[self.blas.n] * len(x))
        return 0.0, 0


def run(tuner, machine, seconds, batch=32):
    x = np.zeros((batch, 1))
    start = machine.now
    while machine.now - start < seconds:
        tuner.step(machine.step, x)


def make(cost, cpus=2, load=0, idle=True):
    blas = FakeBLAS(cpus)
    machine = Machine(blas, cost, cpus, load)
    tuner = T.ThreadTuner(cpus=cpus, clock=machine.clock, libraries=[blas],
                          idle=machine.idle_seconds if idle else None)
    return tuner, machine, blas


@pytest.mark.parametrize("idle_known", [False, True])
def test_a_loaded_machine_settles_on_one_thread_and_wastes_little(idle_known):
    # both cores held by another process: two threads 15 times slower (as measured on such a machine)
    tuner, machine, _ = make({1: 1 / 6000, 2: 15 / 6000}, load=2, idle=idle_known)
    run(tuner, machine, 60)
    assert tuner.threads == 1
    slow = machine.at.count(2)
    assert slow / len(machine.at) < 0.005, tuner.record()
    # the time lost to the probes' slow steps, against one thread throughout
    assert slow * 14 * 32 / 6000 < 0.03 * 60
    if idle_known:       # no core was ever free: two threads were never tried
        assert slow == 0, tuner.record()


def test_a_short_loaded_run_loses_nothing_to_probes():
    # a run of a few seconds (the bench's): without the idle time, the probes at 0, 1 and 3 s
    # cost a slow step each, 2 to 10% of such a run
    tuner, machine, _ = make({1: 1 / 4000, 2: 8 / 4000}, load=2)
    run(tuner, machine, 4)
    assert machine.at.count(2) == 0
    blind, machine, _ = make({1: 1 / 4000, 2: 8 / 4000}, load=2, idle=False)
    run(blind, machine, 4)
    assert machine.at.count(2) >= 2


def test_the_idle_time_of_the_process_cpus_is_read_from_the_kernel():
    meter = T.idle_meter()
    if meter is None:
        pytest.skip("no /proc/stat on this system")
    import time
    first = meter()
    time.sleep(0.3)
    # a sleeping process leaves its CPUs idle, unless other processes hold them all
    later = meter()
    assert 0 <= later[0] - first[0] <= 0.3 * len(os.sched_getaffinity(0)) + 0.05
    for a, b in zip(first[1:], later[1:]):     # under a quota: its spare time over the sleep
        assert b - a <= 0.3 * parallel.quota_cgroup()[0] + 0.05


def test_the_idle_meter_is_kept_when_the_ticks_move_between_two_readings(monkeypatch):
    # the kernel's idle counters advance between any two reads on an idle machine: a meter that
    # compared two readings to detect "no /proc/stat" sometimes gave up, and every probe was made
    import io
    ticks = iter(range(1000, 10 ** 6, 7))
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not cpus:
        pytest.skip("no affinity mask here")

    def fake_open(path, *a, **k):
        assert path == "/proc/stat"
        n = next(ticks)
        return io.BytesIO(b"cpu  1 2 3 4 5 6 7\n" + b"".join(f"cpu{i} 10 0 10 {n} 0 0 0\n".encode() for i in cpus))

    monkeypatch.setattr(T, "open", fake_open, raising=False)
    meter = T.idle_meter(quota=None)
    assert meter is not None
    assert meter()[0] < meter()[0]


def test_a_quiet_machine_keeps_the_faster_many_threads():
    tuner, machine, _ = make({1: 1 / 30000, 2: 1 / 50000})
    run(tuner, machine, 30)
    assert tuner.threads == 2
    assert machine.at.count(1) / len(machine.at) < 0.01


def test_the_choice_follows_the_load_when_it_changes():
    tuner, machine, _ = make({1: 1 / 30000, 2: 1 / 50000})
    run(tuner, machine, 60)                 # long quiet: probes far apart by now
    assert tuner.threads == 2
    machine.cost[2] = 12 / 6000             # another process takes the cores
    machine.cost[1] = 1 / 6000
    machine.load = 2
    run(tuner, machine, 2)
    assert tuner.threads == 1, "the step's drift should start a probe at once"
    machine.cost = {1: 1 / 30000, 2: 1 / 50000}   # and leaves
    machine.load = 0
    run(tuner, machine, 5)
    assert tuner.threads == 2


def test_many_cores_are_tried_in_steps_and_the_best_kept():
    assert T.candidates(16) == [1, 4, 8, 16]
    assert T.candidates(2) == [1, 2] and T.candidates(1) == [1]
    tuner, machine, _ = make({1: 8e-5, 4: 3e-5, 8: 2e-5, 16: 6e-5}, cpus=16)
    run(tuner, machine, 20)
    assert tuner.threads == 8


def test_a_fixed_count_is_held_and_everything_restored_after():
    blas = FakeBLAS(2)
    was = parallel.ENABLED
    tuner = T.ThreadTuner(cpus=2, fixed=1, libraries=[blas])
    assert blas.n == 1 and parallel.ENABLED is False
    machine = Machine(blas, {1: 1e-4, 2: 1e-6})
    tuner.clock = machine.clock
    run(tuner, machine, 5)
    assert set(machine.at) == {1}
    tuner.close()
    assert blas.n == 2 and parallel.ENABLED is was


def test_the_short_last_batch_is_not_timed():
    # per sample, a short batch looks slow; it must not decide anything
    tuner, machine, _ = make({1: 1 / 30000, 2: 1 / 50000})
    full, short = np.zeros((64, 1)), np.zeros((3, 1))

    def slow_short_step(x):         # one second for three samples, at either count
        machine.spend(1.0)
        return 0.0, 0

    for _ in range(2000):
        tuner.step(machine.step, full)
        tuner.step(slow_short_step, short)
    assert tuner.threads == 2


def test_the_environment_and_the_experiment_decide_who_chooses(monkeypatch):
    for name in ("NNTUI_THREADS", *T.ENV_FIXED):
        monkeypatch.delenv(name, raising=False)
    auto = T.ThreadTuner.for_run(None)
    assert auto is not None and auto.options == T.candidates(parallel.available_cpus())
    auto.close()
    held = T.ThreadTuner.for_run(1)
    assert held.options == [1]
    held.close()
    monkeypatch.setenv("NNTUI_THREADS", "1")
    assert T.ThreadTuner.for_run(None).options == [1]
    monkeypatch.delenv("NNTUI_THREADS")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")      # the user's own choice: left alone
    assert T.ThreadTuner.for_run(None) is None


def test_available_cpus_follows_the_cgroup_quota_and_the_share(monkeypatch):
    monkeypatch.delenv("NNTUI_CPUS", raising=False)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(parallel, "_cgroup_quota", lambda: None)
    assert parallel.available_cpus() == 8
    monkeypatch.setattr(parallel, "_cgroup_quota", lambda: 1.5)
    assert parallel.available_cpus() == 2
    monkeypatch.setenv("NNTUI_CPUS", "1")
    assert parallel.available_cpus() == 1


def tree(root, files: dict[str, str], links: dict[str, str] = {}):
    """A cgroup file system as the kernel lays it out, under ``root``; /proc/self/cgroup in "self"."""
    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    for name, target in links.items():
        (root / name).symlink_to(target)
    return str(root), str(root / "self")


def test_cgroup_files_are_read_as_the_kernel_writes_them(tmp_path):
    # a container with its own cgroup namespace (cgroup v2): its cgroup is the root
    root, me = tree(tmp_path / "a", {"cgroup.controllers": "cpuset cpu io memory pids\n", "cpu.max": "150000 100000\n",
                                     "self": "0::/\n"})
    assert parallel.quota_cgroup(root, me) == (1.5, root, True)
    # a lab server's systemd (v2): the user's slice holds the quota, the session's scope is unlimited
    files = {"cgroup.controllers": "cpuset cpu io memory pids\n",
             "user.slice/cpu.max": "max 100000\n", "user.slice/user-1000.slice/cpu.max": "200000 100000\n",
             "user.slice/user-1000.slice/session-3.scope/cpu.max": "max 100000\n",
             "self": "0::/user.slice/user-1000.slice/session-3.scope\n"}
    root, me = tree(tmp_path / "b", files)
    assert parallel.quota_cgroup(root, me) == (2.0, f"{root}/user.slice/user-1000.slice", True)
    # the tightest of them binds wherever it is
    (tmp_path / "b/user.slice/user-1000.slice/session-3.scope/cpu.max").write_text("50000 100000\n")
    assert parallel.quota_cgroup(root, me)[0] == 0.5
    # cgroup v1, cpu and cpuacct on one mount (cpu a link to it), in a container without its own
    # namespace: it names the host's path for it, which its mount does not have
    root, me = tree(tmp_path / "c", {"cpu,cpuacct/cpu.cfs_quota_us": "300000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
                                     "memory/memory.limit_in_bytes": "9223372036854771712\n",
                                     "self": "12:memory:/docker/ab12\n4:cpu,cpuacct:/docker/ab12\n1:name=systemd:/docker/ab12\n"},
                    links={"cpu": "cpu,cpuacct", "cpuacct": "cpu,cpuacct"})
    assert parallel.quota_cgroup(root, me) == (3.0, f"{root}/cpu,cpuacct", False)
    # nothing limited: no quota
    root, me = tree(tmp_path / "d", {"cgroup.controllers": "cpu\n", "cpu.max": "max 100000\n", "self": "0::/\n"})
    assert parallel.quota_cgroup(root, me) is None
    # no cgroup files at all (macOS, a bare chroot)
    assert parallel.quota_cgroup(str(tmp_path / "none"), str(tmp_path / "none/self")) is None


def test_a_cgroups_cpu_use_is_read_from_its_own_files(tmp_path):
    root, _ = tree(tmp_path / "v2", {"user.slice/cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"
                                                            "nr_periods 10\nnr_throttled 2\nthrottled_usec 1000\n"})
    assert parallel.cgroup_usage(f"{root}/user.slice", True)() == 2.5
    # v1 on one mount: cpuacct.usage (nanoseconds) beside the quota
    root, _ = tree(tmp_path / "v1", {"cpu,cpuacct/user.slice/cpuacct.usage": "1250000000\n"})
    assert parallel.cgroup_usage(f"{root}/cpu,cpuacct/user.slice", False, root)() == 1.25
    # v1 on two mounts: the same path under cpuacct
    root, _ = tree(tmp_path / "split", {"cpu/user.slice/cpu.cfs_quota_us": "100000\n",
                                        "cpuacct/user.slice/cpuacct.usage": "750000000\n"})
    assert parallel.cgroup_usage(f"{root}/cpu/user.slice", False, root)() == 0.75
    assert parallel.cgroup_usage(f"{root}/cpu/nowhere", False, root) is None


def test_under_a_quota_the_free_cores_are_the_quotas_time_less_what_its_cgroup_used(tmp_path, monkeypatch):
    root, _ = tree(tmp_path, {"slice/cpu.stat": "usage_usec 0\n"})
    clock = [100.0]
    monkeypatch.setattr(T.time, "monotonic", lambda: clock[0])
    meter = T.idle_meter(quota=(2.0, f"{root}/slice", True))
    if meter is None:
        pytest.skip("no /proc/stat on this system")
    first = meter()
    assert len(first) == 2
    clock[0] += 1.0                       # a second in which the slice's processes used 1.5 CPUs
    (tmp_path / "slice/cpu.stat").write_text("usage_usec 1500000\n")
    later = meter()
    assert later[1] - first[1] == pytest.approx(0.5)
    # the host's idle ticks say more cores are free than the quota leaves: the quota binds
    assert T._free_cores((10.0, later[1]), (8.5, first[1]), 1.0) == pytest.approx(0.5)
    assert T._free_cores((10.0, float("nan")), (8.5, first[1]), 1.0) == 1.5      # its files went away
    assert T.idle_meter(quota=None) is not None and len(T.idle_meter(quota=None)()) == 1


def test_a_quota_used_up_by_other_processes_keeps_one_thread_though_the_host_is_idle():
    # a lab server: its other cores idle (the host's ticks say two are free), the user's slice
    # allows two CPUs and another of the user's processes uses one and a half of them
    tuner, machine, _ = make({1: 1 / 6000, 2: 15 / 6000}, load=0)
    quota, others = 2.0, 1.5
    tuner.idle = lambda: (2 * machine.now, quota * machine.now - others * machine.now - machine.blas.n * machine.now)
    run(tuner, machine, 30)
    assert tuner.threads == 1
    assert machine.at.count(2) == 0, tuner.record()
    # the same host without the quota's measure probes two threads (and pays for it)
    blind, machine, _ = make({1: 1 / 6000, 2: 15 / 6000}, load=0)
    blind.idle = lambda: (2 * machine.now,)
    run(blind, machine, 30)
    assert machine.at.count(2) >= 1


def test_a_real_run_records_its_threads_and_gives_the_blas_back(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    for name in ("NNTUI_THREADS", *T.ENV_FIXED):
        monkeypatch.delenv(name, raising=False)
    controller = threadpoolctl.ThreadpoolController().select(user_api="blas")
    if not controller.lib_controllers:
        pytest.skip("threadpoolctl sees no BLAS in this NumPy")
    before = [lib.get_num_threads() for lib in controller.lib_controllers]
    exp = engine.Experiment.from_dict({
        "data": {"name": "digits"}, "model": {"layers": [{"units": 256}, {"units": 10, "activation": "softmax"}]},
        "train": {"epochs": 2, "batch_size": 32}})
    result = engine.train(exp, backend="numpy")
    steps = sum(result.metrics["threads"].values())
    assert steps == 2 * int(np.ceil(len(result.data.x_train) / 32))
    assert set(map(int, result.metrics["threads"])) <= set(T.candidates(parallel.available_cpus()))
    assert [lib.get_num_threads() for lib in controller.lib_controllers] == before
    held = engine.train(exp.replace(train=engine.TrainSpec(epochs=1, batch_size=32, threads=1)), backend="numpy")
    assert list(held.metrics["threads"]) == ["1"]
    assert [lib.get_num_threads() for lib in controller.lib_controllers] == before


def test_search_workers_share_the_cpus_and_each_follows_the_rule(monkeypatch):
    from engine.search import worker_environment
    for name in ("NNTUI_THREADS", "NNTUI_CPUS", *T.ENV_FIXED):
        monkeypatch.delenv(name, raising=False)
    real = parallel.available_cpus
    monkeypatch.setattr(parallel, "available_cpus", lambda: 8)
    assert "NNTUI_CPUS" not in worker_environment(1)
    env = worker_environment(3)
    assert env["NNTUI_CPUS"] == "2" and not any(name in env for name in T.ENV_FIXED)
    assert worker_environment(8)["NNTUI_CPUS"] == worker_environment(20)["NNTUI_CPUS"] == "1"
    monkeypatch.setattr(parallel, "available_cpus", real)
    monkeypatch.setenv("NNTUI_CPUS", "1")       # in a worker of as many as there are CPUs: one thread, no probes
    tuner = T.ThreadTuner.for_run(None)
    assert tuner.options == [1]
    tuner.close()


def test_the_report_says_which_threads_ran(tmp_path):
    from nntui.cli import main
    exp = engine.Experiment.from_dict({
        "name": "held", "data": {"name": "digits"},
        "model": {"layers": [{"units": 32}, {"units": 10, "activation": "softmax"}]},
        "train": {"epochs": 1, "batch_size": 64, "threads": 1}})
    exp.to_toml(tmp_path / "held.toml")
    assert main(["train", str(tmp_path / "held.toml"), "--quiet", "--report", str(tmp_path / "run")]) == 0
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| backend | numpy on cpu, 1 thread (held) |" in report
    import json
    steps = int(np.ceil(len(engine.load_data(exp.data).x_train) / 64))
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["threads"] == {"1": steps}
