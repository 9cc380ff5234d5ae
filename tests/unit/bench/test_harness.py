"""bench.harness: the steady-state window CPU and memory are reported over, and where the
machine's cores went."""

from __future__ import annotations

import math
import os
import time

import pytest

from bench.harness import (
    MachineSampler,
    RssSampler,
    core_shares,
    machine_cpu_seconds,
    steady_window,
    us_per_record,
)


def test_window_starts_once_a_tenth_is_done_and_counts_the_records_after() -> None:
    samples = [(0.0, 0), (1.0, 5_000), (2.0, 12_000), (3.0, 60_000), (4.0, 100_000)]
    assert steady_window(samples, 100_000) == (2.0, 4.0, 90_000.0)


def test_window_of_a_run_that_never_got_going() -> None:
    assert steady_window([(0.0, 0), (1.0, 3)], 100_000) == (0.0, 1.0, 3 - 10_000.0)
    assert steady_window([], 100_000) == (0.0, 0.0, 0.0)


# --- where the machine's cores went -----------------------------------------------------------

_STAT = "cpu  1000 50 300 8000 100 20 30 40 0 0\ncpu0 500 25 150 4000 50 10 15 20 0 0\n"


def test_machine_cpu_seconds_reads_busy_idle_and_steal_from_the_cpu_line() -> None:
    hz = os.sysconf("SC_CLK_TCK")
    busy, idle, steal = machine_cpu_seconds(_STAT)
    assert busy == pytest.approx((1000 + 50 + 300 + 20 + 30) / hz)  # user nice system irq softirq
    assert idle == pytest.approx((8000 + 100) / hz)  # idle and iowait
    assert steal == pytest.approx(40 / hz)


def test_machine_cpu_seconds_refuses_another_line() -> None:
    with pytest.raises(ValueError, match="cpu line"):
        machine_cpu_seconds("intr 12345 0 0\n")
    with pytest.raises(ValueError, match="cpu line"):
        machine_cpu_seconds("cpu 1 2 3\n")


def test_core_shares_split_the_whole_machine() -> None:
    machine = {"busy": 1.9, "idle": 0.08, "steal": 0.02, "harness": 0.04}
    shares = core_shares(machine, daemon_cores=1.6, broker_cores=0.2)
    assert shares == pytest.approx(
        {"daemon": 0.8, "broker": 0.1, "harness": 0.02, "other": 0.03, "idle": 0.04, "steal": 0.01}
    )
    assert sum(shares.values()) == pytest.approx(1.0)
    # a broker that was not measured is part of the rest
    unmeasured = core_shares(machine, daemon_cores=1.6, broker_cores=None)
    assert unmeasured["broker"] == 0.0
    assert unmeasured["other"] == pytest.approx(0.13)


def test_cores_between_reads_the_cpu_at_the_windows_ends_between_samples() -> None:
    sampler = RssSampler(os.getpid())  # not started: samples given by hand
    sampler.cpu = [(0.0, 0.0), (1.0, 1.5), (2.0, 3.0), (3.0, 3.2), (4.0, 5.0)]
    sampler.own_cpu = [(0.0, 0.0), (1.0, 0.2), (2.0, 0.4), (3.0, 0.9), (4.0, 1.0)]
    # CPU 0.75 s at t = 0.5 and 4.1 s at t = 3.5: the window's own seconds, not the samples'
    assert sampler.cores_between(0.5, 3.5) == pytest.approx((4.1 - 0.75) / 3.0)
    assert sampler.cores_between(0.5, 3.5, own=True) == pytest.approx((0.95 - 0.1) / 3.0)
    assert sampler.cores_between(1.0, 2.0) == pytest.approx(1.5)  # on samples exactly
    # samples must reach both ends: none extrapolated
    assert math.isnan(sampler.cores_between(-0.5, 3.5))
    assert math.isnan(sampler.cores_between(0.5, 4.5))
    assert math.isnan(sampler.cores_between(2.0, 2.0))


def test_cpu_per_record_is_the_cores_over_the_windows_rate() -> None:
    # 1.6 cores over a window of 4.5 s in which 90,000 records were done (20,000/s): 80 us
    assert us_per_record(1.6, (10.0, 14.5, 90_000.0)) == pytest.approx(80.0)
    assert math.isnan(us_per_record(1.6, (10.0, 14.5, 0.0)))
    assert math.isnan(us_per_record(1.6, (10.0, 10.0, 5.0)))


def test_machine_rates_are_read_linearly_between_the_samples() -> None:
    machine = MachineSampler()
    # (time, busy, idle, steal, harness) in CPU seconds: two cores, one busy and one idle,
    # then both busy while the harness itself used one of them
    machine.samples = [
        (0.0, 0.0, 0.0, 0.0, 0.0),
        (1.0, 1.0, 1.0, 0.0, 0.0),
        (2.0, 3.0, 1.0, 0.0, 1.0),
    ]
    assert machine.rates(0.0, 1.0) == {"busy": 1.0, "idle": 1.0, "steal": 0.0, "harness": 0.0}
    assert machine.rates(1.0, 2.0) == {"busy": 2.0, "idle": 0.0, "steal": 0.0, "harness": 1.0}
    assert machine.rates(0.5, 1.5) == {"busy": 1.5, "idle": 0.5, "steal": 0.0, "harness": 0.5}
    assert machine.rates(1.0, 1.0) is None  # an empty window
    assert machine.rates(-1.0, 1.0) is None  # before the first sample
    assert machine.rates(1.0, 62.0) is None  # past the last sample


def test_machine_sampler_records_the_machine_and_this_process_while_it_works() -> None:
    with MachineSampler(interval_s=0.02) as machine:
        while not machine.samples:  # the first sample, taken when the thread starts
            time.sleep(0.001)
        before = time.process_time()
        while time.process_time() - before < 0.05:  # CPU time of this process, not a share
            sum(range(1000))
    assert len(machine.samples) >= 2  # one when the thread starts, one on leaving the block
    for earlier, later in zip(machine.samples, machine.samples[1:], strict=False):
        assert later[0] > earlier[0]  # monotonic times
        assert all(b >= a for a, b in zip(earlier[1:], later[1:], strict=True))  # counters
    first, last = machine.samples[0], machine.samples[-1]
    assert last[4] - first[4] >= 0.05  # the harness's own CPU seconds include the loop
    assert machine.rates(first[0], last[0]) is not None
