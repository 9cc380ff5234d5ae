"""bench.compare: the summary of alternated A/B pairs."""

from __future__ import annotations

import pytest

from bench.compare import summarize


def test_summary_takes_medians_and_counts_pairs_won() -> None:
    pairs = [
        ({"rps": 10_000.0, "cpu_us": 120.0}, {"rps": 12_000.0, "cpu_us": 100.0}),
        ({"rps": 14_000.0, "cpu_us": 100.0}, {"rps": 13_000.0, "cpu_us": 105.0}),
        ({"rps": 8_000.0, "cpu_us": 150.0}, {"rps": 10_000.0, "cpu_us": 120.0}),
    ]
    s = summarize(pairs)
    assert s["pairs"] == 3
    assert s["base"] == {"rps": 10_000.0, "cpu_us": 120.0}
    assert s["head"] == {"rps": 12_000.0, "cpu_us": 105.0}
    # per-pair ratios 1.2, 0.929, 1.25 and 0.833, 1.05, 0.8: the medians of those, not the
    # ratio of the medians (the pairs share a machine phase, the medians do not)
    assert s["rps_ratio"] == pytest.approx(1.2)
    assert s["cpu_ratio"] == pytest.approx(100.0 / 120.0)
    assert (s["head_faster"], s["head_cheaper"]) == (2, 2)
    assert s["raw"][1] == {"base": pairs[1][0], "head": pairs[1][1]}


def test_daemon_cases_sweep_around_the_shipped_worker_count() -> None:
    from bench.bench_daemon import Case, default_cases, shipped_workers
    from streamer.config import ProcessingConfig

    assert shipped_workers() == ProcessingConfig().worker_count()
    cases = default_cases([1, 2, 3, 4], [64, 256, 1024], default_workers=6)
    names = [c.name for c in cases]
    assert names[:5] == [f"alo-w{w}-b1024" for w in (1, 2, 3, 4, 6)]  # the shipped 6 added
    assert {"alo-w6-b64", "alo-w6-b256", "eos-w6-b1024"} <= set(names)  # at the shipped count
    assert len(names) == len(set(names))
    # scale-out as users do it: one scoring process per replica, workers automatic (3 each)
    assert Case(3, 1024, replicas=2, processes=1) in cases
