"""Observation weights and the screening of an object's astrometry before a fit.

Weights: an ADES ``rmsRA``/``rmsDec`` when given (floored at 0.1 arcsec: no fit should trust a
single position to better than the catalogue's zonal errors); otherwise a default by observation
type and era, the rule below. It follows the size of the errors measured by Vereš et al. (2017,
Icarus 296, 139, "Statistical analysis of astrometric errors for the most productive asteroid
surveys") and the era split of the error models of Chesley, Baer & Monet (2010, Icarus 210, 158)
and Farnocchia et al. (2015, Icarus 245, 94), rounded to one rule an operator can remember:

========================================  ===========  ============  ==========
observation type (obs80 column 15)         before 2000  2000 - 2009   from 2010
========================================  ===========  ============  ==========
CCD and like (C, c, n, K, B, E, H, O)       1.0"         0.8"          0.5"
space-based (S), roving (V)                 1.5"         1.5"          1.0"
photographic and older (P, A, blank, N,    3.0" before 1950, 1.5" from 1950 (any type
T, M, e, x ...)                            before 1990 that is not CCD/space/roving)
========================================  ===========  ============  ==========

The same sigma is used for RA cos Dec and for Dec, uncorrelated.
"""

from __future__ import annotations

import numpy as np

from core._types import BoolArray, FloatArray
from core.errors import FitError
from core.orbits.astrometry import Astrometry

__all__ = [
    "MIN_ARC_DAYS",
    "MIN_OBSERVATIONS",
    "count_nights",
    "default_sigma_arcsec",
    "prepare",
    "sigmas_arcsec",
]

MIN_OBSERVATIONS = 5
"""Fewest observations a differential correction is attempted on (6 parameters, 10 numbers)."""

MIN_ARC_DAYS = 0.5
"""A shorter arc is one night's tracklet: initial orbit only, no differential correction."""

NIGHT_GAP_DAYS = 0.3
"""Observations more than 7.2 h apart belong to different nights."""

RMS_FLOOR_ARCSEC = 0.1
CONFLICT_ARCSEC = 10.0
"""Two observations at the same time from the same station further apart than this are not one
object."""

_CCD = frozenset("CcnKBEHO")
_SPACE_ROVING = frozenset("SV")
_JD_1950 = 2433282.5
_JD_1990 = 2447892.5
_JD_2000 = 2451544.5
_JD_2010 = 2455197.5


def default_sigma_arcsec(time_jd_utc: FloatArray, obs_type: tuple[str, ...]) -> FloatArray:
    """The default sigma (arcsec) of each observation by type and era (module table)."""
    t = np.asarray(time_jd_utc, dtype=np.float64)
    kinds = np.array([k if k else " " for k in obs_type])
    ccd = np.isin(kinds, list(_CCD)) | ((kinds == " ") & (t >= _JD_1990))
    space = np.isin(kinds, list(_SPACE_ROVING))
    ccd_sigma = np.where(t < _JD_2000, 1.0, np.where(t < _JD_2010, 0.8, 0.5))
    space_sigma = np.where(t < _JD_2010, 1.5, 1.0)
    old_sigma = np.where(t < _JD_1950, 3.0, np.where(t < _JD_1990, 1.5, 1.0))
    return np.where(ccd, ccd_sigma, np.where(space, space_sigma, old_sigma))


def sigmas_arcsec(astrometry: Astrometry) -> tuple[FloatArray, FloatArray]:
    """Sigma of RA cos Dec and of Dec for every observation (reported, else the default)."""
    default = default_sigma_arcsec(astrometry.time_jd_utc, astrometry.obs_type)
    ra = np.where(np.isfinite(astrometry.rms_ra_arcsec), astrometry.rms_ra_arcsec, default)
    dec = np.where(np.isfinite(astrometry.rms_dec_arcsec), astrometry.rms_dec_arcsec, default)
    return np.maximum(ra, RMS_FLOOR_ARCSEC), np.maximum(dec, RMS_FLOOR_ARCSEC)


def count_nights(time_jd: FloatArray) -> int:
    """Number of groups of observations separated by more than :data:`NIGHT_GAP_DAYS`."""
    t = np.sort(np.asarray(time_jd, dtype=np.float64))
    return 0 if t.size == 0 else 1 + int(np.count_nonzero(np.diff(t) > NIGHT_GAP_DAYS))


def _separation_arcsec(
    ra1: FloatArray, dec1: FloatArray, ra2: FloatArray, dec2: FloatArray
) -> FloatArray:
    dra = ((ra1 - ra2 + 180.0) % 360.0 - 180.0) * np.cos(np.radians(dec2))
    return np.asarray(np.hypot(dra, dec1 - dec2) * 3600.0)


def prepare(astrometry: Astrometry) -> tuple[Astrometry, int]:
    """Sort by time, drop exact duplicates, and refuse what cannot be fitted.

    Returns
    -------
    astrometry : Astrometry
        In time order, each (time, station) once.
    n_duplicates : int
        How many repeated observations were dropped.

    Raises
    ------
    FitError
        Too few observations, a single night, non-finite values, or two observations at one
        time from one station that disagree by more than 10 arcsec (two objects mixed).
    """
    a = astrometry.sorted_by_time()
    n = len(a)
    finite = np.isfinite(a.time_jd_utc) & np.isfinite(a.ra_deg) & np.isfinite(a.dec_deg)
    if not np.all(finite):
        raise FitError(
            f"{int(np.count_nonzero(~finite))} observations with a missing time or position"
        )
    same_time = np.flatnonzero(np.abs(np.diff(a.time_jd_utc)) < 1e-7)
    keep: BoolArray = np.ones(n, dtype=bool)
    for k in same_time:
        if a.station[k] != a.station[k + 1]:
            continue
        sep = float(
            _separation_arcsec(
                a.ra_deg[k : k + 1],
                a.dec_deg[k : k + 1],
                a.ra_deg[k + 1 : k + 2],
                a.dec_deg[k + 1 : k + 2],
            )[0]
        )
        if sep > CONFLICT_ARCSEC:
            raise FitError(
                f"two observations from station {a.station[k]} at the same time "
                f"(JD {a.time_jd_utc[k]:.6f}) are {sep:.0f} arcsec apart: two objects mixed "
                "under one designation?"
            )
        keep[k + 1] = False
    duplicates = int(np.count_nonzero(~keep))
    if duplicates:
        a = a.select(keep)
    n = len(a)
    if n < MIN_OBSERVATIONS:
        raise FitError(f"too few observations: {n} (at least {MIN_OBSERVATIONS} needed)")
    arc = float(a.time_jd_utc[-1] - a.time_jd_utc[0])
    if arc < MIN_ARC_DAYS:
        raise FitError(
            f"a single night: the arc is {arc * 24:.1f} h (at least {MIN_ARC_DAYS * 24:.0f} h "
            "needed for a differential correction)"
        )
    return a, duplicates
