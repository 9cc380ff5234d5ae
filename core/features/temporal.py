"""Temporal features of close approaches: counts, intervals, regularity, distances, speeds.

Intervals are the gaps (days) between consecutive approaches of one record after sorting by
time (all bodies together). ``ca_regularity = 1 / (1 + cv)`` with cv = std/mean of the
intervals (1 = perfectly periodic). ``ca_int_autocorr`` is the lag-1 autocorrelation of the
interval sequence (needs 3 intervals and non-zero spread). ``ca_burstiness`` is
(std - mean) / (std + mean) of the intervals (Goh & Barabási 2008): -1 periodic, 0 Poisson,
towards 1 clustered in time. Standard deviations are population (ddof = 0).
"""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.features._gather import Gathered
from core.features._segments import (
    seg_count,
    seg_max,
    seg_mean,
    seg_min,
    seg_std,
    seg_sum,
)

__all__ = ["EARTH_CLOSE_AU", "NAMES", "temporal_features"]

EARTH_CLOSE_AU = 0.05
"""Approach distance counted by ``ca_n_earth_close`` (the PHA MOID limit)."""

NAMES: tuple[str, ...] = (
    "ca_n",
    "ca_n_earth_close",
    "ca_int_mean_d",
    "ca_int_std_d",
    "ca_int_min_d",
    "ca_int_max_d",
    "ca_regularity",
    "ca_int_autocorr",
    "ca_burstiness",
    "ca_dist_min_au",
    "ca_dist_mean_au",
    "ca_dist_std_au",
    "ca_vrel_min_kms",
    "ca_vrel_mean_kms",
    "ca_vrel_std_kms",
)


def temporal_features(g: Gathered) -> dict[str, FloatArray]:
    """Close-approach feature columns of a batch (NaN for records without approaches)."""
    n, seg = g.n, g.ca_seg
    count = seg_count(seg, n)
    has = count > 0
    order = np.lexsort((g.ca_time_jd, seg))
    s, t = seg[order], g.ca_time_jd[order]
    same = s[1:] == s[:-1]
    iv_seg, iv = s[1:][same], (t[1:] - t[:-1])[same]
    iv_mean = seg_mean(iv_seg, iv, n)
    iv_std = seg_std(iv_seg, iv, n, iv_mean)
    # Lag-1 pairs: consecutive intervals of the same record.
    pair = iv_seg[1:] == iv_seg[:-1]
    p_seg = iv_seg[1:][pair]
    dev = iv - iv_mean[iv_seg]
    lag = (dev[1:] * dev[:-1])[pair]
    num = seg_sum(p_seg, lag, n)
    den = seg_sum(iv_seg, dev * dev, n)
    n_iv = seg_count(iv_seg, n)
    earth_close = (g.ca_is_earth > 0) & (g.ca_dist_au < EARTH_CLOSE_AU)
    with np.errstate(invalid="ignore", divide="ignore"):
        regularity = 1.0 / (1.0 + iv_std / iv_mean)
        autocorr = np.where((n_iv >= 3) & (den > 0), num / den, np.nan)
        burst = (iv_std - iv_mean) / (iv_std + iv_mean)
    dist_mean = seg_mean(seg, g.ca_dist_au, n)
    v_mean = seg_mean(seg, g.ca_v_rel_kms, n)
    return {
        "ca_n": np.where(has, count, np.nan),
        "ca_n_earth_close": np.where(has, seg_count(seg, n, earth_close), np.nan),
        "ca_int_mean_d": iv_mean,
        "ca_int_std_d": iv_std,
        "ca_int_min_d": seg_min(iv_seg, iv, n),
        "ca_int_max_d": seg_max(iv_seg, iv, n),
        "ca_regularity": regularity,
        "ca_int_autocorr": autocorr,
        "ca_burstiness": burst,
        "ca_dist_min_au": seg_min(seg, g.ca_dist_au, n),
        "ca_dist_mean_au": dist_mean,
        "ca_dist_std_au": seg_std(seg, g.ca_dist_au, n, dist_mean),
        "ca_vrel_min_kms": seg_min(seg, g.ca_v_rel_kms, n),
        "ca_vrel_mean_kms": v_mean,
        "ca_vrel_std_kms": seg_std(seg, g.ca_v_rel_kms, n, v_mean),
    }
