"""Observational features from a record's astrometry (obs80 lines or ADES rows).

Nights are distinct integer Julian dates: a JD day runs from noon to noon UT, so a night
observed from Europe, Africa or the Americas falls in one JD day (from the Pacific it may
straddle two). ``obs_rms_arcsec`` is sqrt(mean((rmsRA^2 + rmsDec^2) / 2)) over observations
that give both (ADES only; NaN for obs80). ``obs_rate_per_d`` is n / (arc + 1 d), so that a
single-night discovery does not divide by a near-zero arc.

Trail cues (the record's ``trail`` block; Rubin alerts carry them): ``obs_trail_length_arcsec``
is the fitted trail length of the detection, ``obs_trail_cue`` one number on a 0-3 scale, the
strongest of: 3 for a glint trail (periodic specular flashes, what rotating satellites and
rocket bodies show; Rubin's ``glint_trail``), 2 for a streak in the footprint (Rubin's
``pixelFlags_streak``: an object moving degrees per hour, i.e. within a few lunar distances, or
a satellite crossing), and length / 30" up to 1 (a 30" trail in a 30 s exposure is ~1 deg/d).
NaN without a trail block.
"""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.features._gather import Gathered
from core.features._segments import seg_count, seg_max, seg_mean, seg_min, seg_nunique, seg_std

__all__ = ["NAMES", "observational_features"]

NAMES: tuple[str, ...] = (
    "obs_n",
    "obs_arc_d",
    "obs_nights",
    "obs_stations",
    "obs_mag_std",
    "obs_mag_amp",
    "obs_rms_arcsec",
    "obs_rate_per_d",
    "obs_trail_length_arcsec",
    "obs_trail_cue",
)

_TRAIL_LENGTH_UNIT_ARCSEC = 30.0  # the trail length that counts 1 on the cue scale


def observational_features(g: Gathered) -> dict[str, FloatArray]:
    """Observational feature columns of a batch (NaN for records without observations)."""
    n, seg = g.n, g.obs_seg
    count = seg_count(seg, n)
    has = count > 0
    arc = seg_max(seg, g.obs_time_jd, n) - seg_min(seg, g.obs_time_jd, n)
    nights = seg_nunique(seg, np.floor(g.obs_time_jd).astype(np.int64), n)
    # distinct station codes, counted per record while gathering (a set of a record's codes
    # costs a fraction of sorting the whole batch's codes as strings)
    stations = g.obs_stations
    mag_n = seg_count(seg, n, np.isfinite(g.obs_mag))
    mag_std = np.where(mag_n >= 2, seg_std(seg, g.obs_mag, n), np.nan)
    mag_amp = np.where(mag_n >= 2, seg_max(seg, g.obs_mag, n) - seg_min(seg, g.obs_mag, n), np.nan)
    msq = 0.5 * (g.obs_rms_ra * g.obs_rms_ra + g.obs_rms_dec * g.obs_rms_dec)
    return {
        "obs_n": np.where(has, count, np.nan),
        "obs_arc_d": arc,
        "obs_nights": np.where(has, nights, np.nan),
        "obs_stations": np.where(has, stations, np.nan),
        "obs_mag_std": mag_std,
        "obs_mag_amp": mag_amp,
        "obs_rms_arcsec": np.sqrt(seg_mean(seg, msq, n)),
        "obs_rate_per_d": np.where(has, count / (arc + 1.0), np.nan),
        "obs_trail_length_arcsec": g.trail_length_arcsec,
        "obs_trail_cue": _trail_cue(g),
    }


def _trail_cue(g: Gathered) -> FloatArray:
    length = np.minimum(np.nan_to_num(g.trail_length_arcsec) / _TRAIL_LENGTH_UNIT_ARCSEC, 1.0)
    cue = np.maximum.reduce([3.0 * g.trail_glint, 2.0 * g.trail_streak, length])
    return np.where(np.isnan(g.trail_streak), np.nan, cue)
