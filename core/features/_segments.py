"""Per-record statistics of flat arrays grouped by segment id, for a whole batch at once.

``seg[j]`` is the record index of element ``j``. Sums use :func:`numpy.bincount`, which adds
the elements of each bin sequentially in input order, so a record's statistics are bitwise
identical whether it is computed alone or inside a batch (batch == single). Statistics of an
empty segment are NaN.
"""

from __future__ import annotations

import numpy as np

from core._types import BoolArray, FloatArray, IntArray

__all__ = [
    "seg_count",
    "seg_max",
    "seg_mean",
    "seg_min",
    "seg_nunique",
    "seg_std",
    "seg_sum",
]


def seg_count(seg: IntArray, n: int, mask: BoolArray | None = None) -> FloatArray:
    """Number of (masked-in) elements per segment, as float."""
    s = seg if mask is None else seg[mask]
    return np.bincount(s, minlength=n).astype(np.float64)


def seg_sum(seg: IntArray, x: FloatArray, n: int) -> FloatArray:
    """Sum per segment; elements must be finite (mask NaNs out before)."""
    return np.bincount(seg, weights=x, minlength=n).astype(np.float64)


def seg_mean(seg: IntArray, x: FloatArray, n: int) -> FloatArray:
    """Mean of the finite elements per segment; NaN where a segment has none."""
    ok = np.isfinite(x)
    cnt = seg_count(seg, n, ok)
    total = seg_sum(seg[ok], x[ok], n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, total / cnt, np.nan)


def seg_std(seg: IntArray, x: FloatArray, n: int, mean: FloatArray | None = None) -> FloatArray:
    """Population standard deviation (ddof=0) of the finite elements, two-pass."""
    ok = np.isfinite(x)
    s, v = seg[ok], x[ok]
    m = seg_mean(seg, x, n) if mean is None else mean
    cnt = seg_count(s, n)
    dev = v - m[s]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, np.sqrt(seg_sum(s, dev * dev, n) / cnt), np.nan)


def _seg_extreme(seg: IntArray, x: FloatArray, n: int, fill: float, ufunc: np.ufunc) -> FloatArray:
    ok = np.isfinite(x)
    out = np.full(n, fill)
    ufunc.at(out, seg[ok], x[ok])
    return np.where(seg_count(seg, n, ok) > 0, out, np.nan)


def seg_min(seg: IntArray, x: FloatArray, n: int) -> FloatArray:
    """Minimum of the finite elements per segment."""
    return _seg_extreme(seg, x, n, np.inf, np.minimum)


def seg_max(seg: IntArray, x: FloatArray, n: int) -> FloatArray:
    """Maximum of the finite elements per segment."""
    return _seg_extreme(seg, x, n, -np.inf, np.maximum)


def seg_nunique(seg: IntArray, codes: IntArray, n: int) -> FloatArray:
    """Number of distinct integer ``codes`` per segment."""
    if len(seg) == 0:
        return np.zeros(n)
    s, c = seg, codes
    # Already grouped by segment with the codes in order inside each (observations come in
    # time order, so their nights do): count the changes without sorting (the sort's cost:
    # docs/performance.md, "Design measurements of the scoring and orbit code").
    grouped = (s[1:] > s[:-1]) | ((s[1:] == s[:-1]) & (c[1:] >= c[:-1]))
    if not grouped.all():
        order = np.lexsort((codes, seg))
        s, c = seg[order], codes[order]
    new = np.ones(len(s), dtype=np.float64)
    new[1:] = ((s[1:] != s[:-1]) | (c[1:] != c[:-1])).astype(np.float64)
    return seg_sum(s, new, n)
