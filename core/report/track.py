"""What an object page draws from a fitted orbit: predictions, residuals, distances, orbits.

:func:`compute_track` takes the ``"fit"`` object of a streaming result (the summary of
:class:`core.orbits.result.OrbitFit`: ``state6``, ``epoch_jd`` in TDB, ``a1_au_d2``,
``a2_au_d2``, ``rejected_jd_utc``) and the object's astrometry, and propagates the fitted
state with ASSIST/DE440 (:func:`core.orbits.propagate.propagate`, the fit's own force model):

- the predicted astrometric RA/Dec at every observation from its station
  (:func:`core.orbits.predict.radec_from_states`) and the residuals observed - predicted in
  RA cos Dec and Dec (arcsec); an observation is marked rejected when its time is within
  1e-7 d of one of the fit's ``rejected_jd_utc``;
- a geocentric RA/Dec curve and the distance from the Earth's centre on a grid over the arc;
- the osculating orbit at the epoch and the Earth's in the ecliptic plane
  (:mod:`core.report.conics`).

Pure and synchronous; ASSIST is imported on the first call (the daemon renders pages in its
scoring processes, :mod:`streamer.ops.pages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import numpy as np

from core._types import FloatArray
from core.orbits.astrometry import Astrometry
from core.orbits.elements import ecliptic_to_equatorial
from core.report.conics import Conics, conics_of_state

__all__ = ["Track", "compute_track"]

GRID_POINTS = 400
"""Samples of the geocentric curve and distance over the arc."""
REJECTED_MATCH_DAYS = 1e-7
_ARCSEC_PER_DEG = 3600.0


class Track(msgspec.Struct, frozen=True, kw_only=True):
    """Arrays (plain lists, JSON-ready) for the page's plots."""

    obs_jd_utc: list[float]
    obs_ra_deg: list[float]
    obs_dec_deg: list[float]
    pred_ra_deg: list[float]
    pred_dec_deg: list[float]
    res_ra_arcsec: list[float]
    """Observed - predicted, RA cos Dec."""
    res_dec_arcsec: list[float]
    rejected: list[bool]
    grid_jd_tdb: list[float]
    geo_ra_deg: list[float]
    geo_dec_deg: list[float]
    geo_dist_au: list[float]
    geo_xyz_au: list[list[float]]
    """Geocentric ecliptic positions over the arc (the orbit about the Earth)."""
    conics: Conics


def _float(fit: Mapping[str, Any], key: str) -> float:
    value = fit.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _radec(vectors: FloatArray) -> tuple[FloatArray, FloatArray]:
    eq = ecliptic_to_equatorial(vectors)
    ra = np.degrees(np.arctan2(eq[:, 1], eq[:, 0])) % 360.0
    dec = np.degrees(np.arctan2(eq[:, 2], np.hypot(eq[:, 0], eq[:, 1])))
    return ra, dec


def compute_track(fit: Mapping[str, Any], astrometry: Astrometry | None) -> Track:
    """The page's arrays for a fitted orbit (``fit``: a result's ``"fit"`` object).

    Raises
    ------
    ValueError
        ``fit`` has no usable ``state6``/``epoch_jd``.
    core.orbits.propagate.PropagationError, core.errors.FitError
        The orbit cannot be followed, or a station is unknown.
    """
    from core.orbits.ephemeris import earth_state_au, utc_to_tdb
    from core.orbits.observers import observer_positions_au
    from core.orbits.predict import radec_from_states
    from core.orbits.propagate import propagate

    state = np.asarray(fit.get("state6") or [], dtype=np.float64)
    epoch = fit.get("epoch_jd")
    if state.shape != (6,) or not np.all(np.isfinite(state)) or not isinstance(epoch, float):
        raise ValueError("the fit has no state vector and epoch")
    nongrav = {"a1": _float(fit, "a1_au_d2"), "a2": _float(fit, "a2_au_d2")}
    if astrometry is not None and len(astrometry):
        a = astrometry.sorted_by_time()
        t_utc = a.time_jd_utc
        tdb = np.asarray(utc_to_tdb(t_utc), dtype=np.float64)
        observer = (
            a.observer_pos_au
            if a.observer_pos_au is not None
            else observer_positions_au(a.station, t_utc, a.space_pos_au, a.roving_geodetic)
        )
        pred_ra, pred_dec = radec_from_states(propagate(state, epoch, tdb, **nongrav), observer)
        d_ra = (a.ra_deg - pred_ra + 180.0) % 360.0 - 180.0
        res_ra = d_ra * np.cos(np.radians(a.dec_deg)) * _ARCSEC_PER_DEG
        res_dec = (a.dec_deg - pred_dec) * _ARCSEC_PER_DEG
        rejected_times = np.asarray(fit.get("rejected_jd_utc") or [], dtype=np.float64)
        rejected = (
            np.min(np.abs(t_utc[:, None] - rejected_times[None, :]), axis=1) < REJECTED_MATCH_DAYS
            if rejected_times.size
            else np.zeros(t_utc.size, dtype=bool)
        )
        span = (float(tdb[0]), float(tdb[-1]))
    else:
        t_utc = tdb = pred_ra = pred_dec = res_ra = res_dec = np.empty(0)
        rejected = np.zeros(0, dtype=bool)
        arc = _float(fit, "arc_days")
        span = (epoch - 0.5 * arc, epoch + 0.5 * arc)
    if span[1] - span[0] < 1e-3:
        span = (span[0] - 0.5, span[1] + 0.5)
    grid = np.linspace(span[0], span[1], GRID_POINTS)
    helio = propagate(state, epoch, grid, **nongrav)
    earth_pos, _ = earth_state_au(grid)
    geo = helio[:, :3] - earth_pos
    geo_ra, geo_dec = _radec(geo)
    return Track(
        obs_jd_utc=t_utc.tolist(),
        obs_ra_deg=(a.ra_deg.tolist() if t_utc.size else []),
        obs_dec_deg=(a.dec_deg.tolist() if t_utc.size else []),
        pred_ra_deg=np.asarray(pred_ra).tolist(),
        pred_dec_deg=np.asarray(pred_dec).tolist(),
        res_ra_arcsec=np.asarray(res_ra).tolist(),
        res_dec_arcsec=np.asarray(res_dec).tolist(),
        rejected=rejected.tolist(),
        grid_jd_tdb=grid.tolist(),
        geo_ra_deg=geo_ra.tolist(),
        geo_dec_deg=geo_dec.tolist(),
        geo_dist_au=np.linalg.norm(geo, axis=1).tolist(),
        geo_xyz_au=geo.tolist(),
        conics=conics_of_state(state, epoch),
    )
