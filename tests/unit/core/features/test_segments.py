"""Per-segment statistics: distinct codes per segment, whatever the order of the elements."""

from __future__ import annotations

import numpy as np
import pytest

from core.features._segments import seg_nunique


def _expected(seg: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    return np.array([len(set(codes[seg == k].tolist())) for k in range(n)], dtype=np.float64)


@pytest.mark.parametrize("layout", ["grouped and ordered", "grouped", "shuffled"])
def test_distinct_codes_per_segment_in_any_order(layout: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(500):
        n = int(rng.integers(1, 6))
        seg = np.sort(rng.integers(0, n, size=int(rng.integers(1, 30))))
        codes = rng.integers(0, 5, size=len(seg))
        if layout == "grouped and ordered":  # the common case: no sort needed
            order = np.lexsort((codes, seg))
            seg, codes = seg[order], codes[order]
        elif layout == "shuffled":
            order = rng.permutation(len(seg))
            seg, codes = seg[order], codes[order]
        assert np.array_equal(seg_nunique(seg, codes, n), _expected(seg, codes, n))


def test_a_code_repeated_after_another_counts_once() -> None:
    # grouped by segment but not ordered inside: 3, 4, 3 is two distinct codes, not three
    seg = np.array([0, 0, 0, 1, 1])
    codes = np.array([3, 4, 3, 9, 9])
    assert seg_nunique(seg, codes, 3).tolist() == [2.0, 1.0, 0.0]
    assert seg_nunique(np.array([], dtype=np.int64), np.array([], dtype=np.int64), 2).tolist() == [
        0.0,
        0.0,
    ]
