"""bench.harness: the steady-state window CPU and memory are reported over."""

from __future__ import annotations

from bench.harness import steady_window


def test_window_starts_once_a_tenth_is_done_and_counts_the_records_after() -> None:
    samples = [(0.0, 0), (1.0, 5_000), (2.0, 12_000), (3.0, 60_000), (4.0, 100_000)]
    assert steady_window(samples, 100_000) == (2.0, 4.0, 90_000.0)


def test_window_of_a_run_that_never_got_going() -> None:
    assert steady_window([(0.0, 0), (1.0, 3)], 100_000) == (0.0, 1.0, 3 - 10_000.0)
    assert steady_window([], 100_000) == (0.0, 0.0, 0.0)
