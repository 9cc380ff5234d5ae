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
