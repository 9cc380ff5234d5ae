"""Matching one object's observations against the known-object catalogue, as Find_Orb's sat_id.

Bill Gray's ``sat_id`` (github.com/Bill-Gray/sat_code) compares a pair of observations with
every TLE propagated to their times: the predicted position from the observing station must lie
near the observed one, and the predicted apparent motion (rate and direction) must agree. Here:

1. every observation's observed direction, with the station's geocentric position at its time
   (:mod:`core.known.frames`);
2. for every element set at once (:func:`core.known.predict.predict_sgp4`), the topocentric
   direction with light time; element sets older than ``max_age_days``, or which SGP4 cannot
   propagate to these times (decayed, resonance terms out of range), are skipped and listed;
3. the largest separation over the observations against the tolerance
   (:class:`~core.known.tolerances.Tolerances`), which grows with the element set's age and
   shrinks with the object's range, then the motion from the first to the last observation;
4. the heliocentric objects the same way with ASSIST, and, when the observations' own fitted
   orbit is given, its Southworth-Hawkins D to theirs (:mod:`core.known.similarity`).

Confidence: ``exp(-(s/tol)^2 / 2) * exp(-(dm/mtol)^2 / 2) * 1 / (1 + |age| / age_scale)``: 1 for
an exact prediction from a fresh element set, lower as the fit worsens or the elements age.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sgp4.api import SatrecArray

from core._types import FloatArray
from core.contract.obsstream import jd_to_iso
from core.known.catalogue import KnownCatalogue
from core.known.frames import gcrs_to_teme, observer_geometry
from core.known.predict import predict_heliocentric, predict_sgp4, unit_vectors
from core.known.result import KnownMatch, MatchReport
from core.known.similarity import d_sh
from core.known.tolerances import Tolerances
from core.orbits.astrometry import Astrometry
from core.orbits.ephemeris import tdb_to_utc
from core.orbits.propagate import PropagationError

__all__ = ["match_astrometry"]

_ARCSEC = 180.0 / math.pi * 3600.0
_MIN_PER_DAY = 1440.0
_COARSE_FACTOR = 4.0
_COARSE_FLOOR_ARCSEC = 1800.0
"""The first pass keeps the element sets within 4x their tolerance (at least 0.5 deg) at the
first observation: the tolerance is the largest separation allowed over all observations, so
only a range that shrinks more than 4x within the tracklet could lose a match here."""


def _angles(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angles (arcsec) between unit vectors along the last axis (chord formula: exact)."""
    chord = np.linalg.norm(a - b, axis=-1)
    out: FloatArray = 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)) * _ARCSEC
    return out


def _iso(jd_utc: float | None) -> str | None:
    return None if jd_utc is None else jd_to_iso(jd_utc)


def _motion(
    pred: FloatArray, obs: FloatArray, first: int, last: int, dt_days: float
) -> tuple[FloatArray, FloatArray, float]:
    """(motion difference arcsec/min, direction difference deg) per object, observed rate."""
    w_obs = (obs[last] - obs[first]) / dt_days
    w_pred = (pred[..., last, :] - pred[..., first, :]) / dt_days
    diff = np.linalg.norm(w_pred - w_obs, axis=-1) * _ARCSEC / _MIN_PER_DAY
    norms = np.linalg.norm(w_pred, axis=-1) * np.linalg.norm(w_obs)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosang = np.einsum("...k,k->...", w_pred, w_obs) / norms
    direction = np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))
    rate = float(np.linalg.norm(w_obs) * _ARCSEC / _MIN_PER_DAY)
    return diff, direction, rate


def _confidence(  # noqa: PLR0917  (the terms of one formula)
    sep: FloatArray,
    tol: FloatArray,
    dm: FloatArray,
    mtol: FloatArray,
    age: FloatArray,
    scale: float,
) -> FloatArray:
    out: FloatArray = (
        np.exp(-0.5 * (sep / tol) ** 2)
        * np.exp(-0.5 * (dm / mtol) ** 2)
        / (1.0 + np.abs(age) / scale)
    )
    return out


def match_astrometry(
    catalogue: KnownCatalogue,
    astrometry: Astrometry,
    tolerances: Tolerances | None = None,
    fitted_elements: Mapping[str, float | None] | None = None,
) -> MatchReport:
    """Every known object consistent with ``astrometry`` (one object's observations).

    Parameters
    ----------
    catalogue : KnownCatalogue
    astrometry : Astrometry
        One object's observations (any number; two or more give the motion check).
    tolerances : Tolerances, optional
    fitted_elements : mapping, optional
        The observations' fitted heliocentric ecliptic elements (``q_au`` or ``a_au``, ``e``,
        ``i_deg``, ``node_deg``, ``peri_deg``): the heliocentric matches then carry
        ``orbit_d_sh``.
    """
    tol = tolerances or Tolerances()
    order = np.argsort(astrometry.time_jd_utc, kind="stable")
    times = astrometry.time_jd_utc[order]
    obs_gcrs = unit_vectors(astrometry.ra_deg[order], astrometry.dec_deg[order])
    stations = [astrometry.station[k] for k in order]
    space = None if astrometry.space_pos_au is None else astrometry.space_pos_au[order]
    roving = None if astrometry.roving_geodetic is None else astrometry.roving_geodetic[order]
    rms = np.sqrt(
        np.nan_to_num(astrometry.rms_ra_arcsec[order], nan=tol.default_rms_arcsec) ** 2
        + np.nan_to_num(astrometry.rms_dec_arcsec[order], nan=tol.default_rms_arcsec) ** 2
    )
    noise = 3.0 * float(rms.max())
    n = times.size
    first, last = 0, n - 1
    dt = float(times[last] - times[first])
    mid = float(times.mean())
    observer, station_km = observer_geometry(stations, times, space, roving)
    matches: list[KnownMatch] = []
    skipped: list[str] = []
    nearest: tuple[float, str] | None = None

    if catalogue.satrecs is not None:
        rot = gcrs_to_teme(times)
        geometry = _Geometry(
            times=times,
            obs_teme=np.einsum("nij,nj->ni", rot, obs_gcrs),
            station_teme=np.einsum("nij,nj->ni", rot, station_km),
            noise=noise,
            mid=mid,
        )
        matches, skipped, nearest = _match_sgp4(catalogue, geometry, tol)

    if catalogue.heliocentric:
        for obj in catalogue.heliocentric:
            try:
                units_h, _dist = predict_heliocentric(obj, times, observer)
            except (PropagationError, ValueError) as exc:
                skipped.append(f"{obj.name}: {exc}")
                continue
            sep = float(_angles(units_h, obs_gcrs).max())
            age = mid - float(tdb_to_utc(obj.epoch_jd_tdb))
            allowed_h = (
                tol.helio_tolerance_arcsec + tol.helio_growth_arcsec_per_year * abs(age) / 365.25
            )
            allowed_h = max(allowed_h, noise)
            if nearest is None or sep < nearest[0]:
                nearest = (sep, obj.name)
            dm_h: float | None = None
            ddir_h: float | None = None
            mtol_h = 1.0
            if n >= 2 and dt > 0:
                dm_a, ddir_a, rate = _motion(units_h, obs_gcrs, first, last, dt)
                dm_h, ddir_h = float(dm_a), float(ddir_a)
                mtol_h = tol.motion_fraction * rate + tol.min_motion_arcsec_per_min
                mtol_h += 2.0 * noise / (dt * _MIN_PER_DAY)
            if sep > allowed_h or (dm_h is not None and dm_h > mtol_h):
                continue
            conf_h = float(
                _confidence(
                    np.array(sep), np.array(allowed_h), np.array(dm_h or 0.0),
                    np.array(mtol_h), np.array(age), tol.helio_age_scale_days,
                )
            )  # fmt: skip
            similarity = None
            if fitted_elements is not None and obj.elements is not None:
                try:
                    similarity = round(d_sh(fitted_elements, obj.elements), 5)
                except ValueError:
                    similarity = None
            matches.append(
                KnownMatch(
                    name=obj.name,
                    norad_id=obj.norad_id,
                    cospar_id=obj.cospar_id,
                    designation=obj.designation,
                    status=obj.status,
                    propagator="assist",
                    separation_arcsec=round(sep, 3),
                    tolerance_arcsec=round(allowed_h, 3),
                    motion_diff_arcsec_per_min=None if dm_h is None else round(dm_h, 4),
                    direction_diff_deg=None if ddir_h is None else round(ddir_h, 3),
                    element_age_days=round(age, 5),
                    confidence=round(conf_h, 4),
                    orbit_d_sh=similarity,
                    source=obj.source,
                )
            )

    matches.sort(key=lambda m: (-m.confidence, m.separation_arcsec))
    return MatchReport(
        matches=tuple(matches),
        catalogue_size=catalogue.size,
        catalogue_date=_iso(catalogue.date_jd_utc),
        nearest_name=None if nearest is None else nearest[1],
        nearest_separation_arcsec=None if nearest is None else round(nearest[0], 3),
        skipped=tuple(skipped),
    )


@dataclass(frozen=True, slots=True)
class _Geometry:
    """One tracklet in SGP4's frame: times (UTC), observed unit vectors and stations (TEME)."""

    times: FloatArray
    obs_teme: FloatArray
    station_teme: FloatArray
    noise: float
    mid: float


def _allowed(tol: Tolerances, ages: FloatArray, ranges_km: FloatArray, noise: float) -> FloatArray:
    """The position tolerance (arcsec) of each element set: its error at its age, at its range."""
    sigma_km = tol.position_error_km + tol.error_growth_km_per_day * np.abs(ages)
    with np.errstate(invalid="ignore", divide="ignore"):
        allowed = np.maximum(tol.min_tolerance_arcsec, noise + sigma_km / ranges_km * _ARCSEC)
    out: FloatArray = np.where(np.isfinite(allowed), allowed, tol.min_tolerance_arcsec)
    return out


def _match_sgp4(
    catalogue: KnownCatalogue, g: _Geometry, tol: Tolerances
) -> tuple[list[KnownMatch], list[str], tuple[float, str] | None]:
    """The element sets that match, those skipped, and the nearest at the first observation.

    Two passes: every element set at the first observation only (SGP4's cost is per element
    set and time, so this is the whole catalogue's cost once), then the candidates, within
    ``_COARSE_FACTOR`` times their tolerance (and at least ``_COARSE_FLOOR_ARCSEC``) there, at
    every observation, where the separation, tolerance and motion are decided.
    """
    assert catalogue.satrecs is not None
    sets = catalogue.element_sets
    epochs = np.array([e.epoch_jd_utc for e in sets])
    ages = g.mid - epochs
    units0, ranges0, errors0 = predict_sgp4(catalogue.satrecs, g.times[:1], g.station_teme[:1])
    skipped: list[str] = []
    failed0 = (errors0[:, 0] != 0) | ~np.isfinite(ranges0[:, 0])
    for k in np.flatnonzero(failed0):
        code = int(errors0[k, 0])
        skipped.append(
            f"{sets[k].name} (NORAD {sets[k].norad_id}): SGP4 error {code} at these times"
        )
    usable = ~failed0 & (np.abs(ages) <= tol.max_age_days)
    sep0 = _angles(units0[:, 0, :], g.obs_teme[0])
    nearest: tuple[float, str] | None = None
    if np.any(usable):
        best = int(np.flatnonzero(usable)[np.argmin(sep0[usable])])
        nearest = (float(sep0[best]), sets[best].name)
    coarse = np.maximum(_COARSE_FACTOR * _allowed(tol, ages, ranges0[:, 0], g.noise),
                        _COARSE_FLOOR_ARCSEC)  # fmt: skip
    candidates = np.flatnonzero(usable & (sep0 <= coarse))
    if candidates.size == 0:
        return [], skipped, nearest
    n = g.times.size
    if n == 1:
        units, ranges, errors = units0[candidates], ranges0[candidates], errors0[candidates]
    else:
        sub = SatrecArray([sets[k].satrec for k in candidates])
        units, ranges, errors = predict_sgp4(sub, g.times, g.station_teme)
    failed = np.any(errors != 0, axis=1) | ~np.all(np.isfinite(ranges), axis=1)
    for j in np.flatnonzero(failed):
        es = sets[candidates[j]]
        code = int(errors[j][errors[j] != 0][0]) if np.any(errors[j]) else 0
        skipped.append(f"{es.name} (NORAD {es.norad_id}): SGP4 error {code} at these times")
    cand_ages = ages[candidates]
    seps = _angles(units, g.obs_teme[None, :, :]).max(axis=1)
    allowed = _allowed(tol, cand_ages, ranges.min(axis=1), g.noise)
    dt = float(g.times[-1] - g.times[0])
    dm: FloatArray | None = None
    ddir: FloatArray | None = None
    mtol_arr = np.ones(seps.shape)
    if n >= 2 and dt > 0:
        dm, ddir, rate = _motion(units, g.obs_teme, 0, n - 1, dt)
        mtol = tol.motion_fraction * rate + tol.min_motion_arcsec_per_min
        mtol_arr = np.full(dm.shape, mtol + 2.0 * g.noise / (dt * _MIN_PER_DAY))
    ok = ~failed & (seps <= allowed)
    if dm is not None:
        ok &= dm <= mtol_arr
    dm0 = np.zeros(seps.shape) if dm is None else dm
    conf = _confidence(seps, allowed, dm0, mtol_arr, cand_ages, tol.age_scale_days)
    matches = []
    for j in np.flatnonzero(ok):
        es = sets[candidates[j]]
        matches.append(
            KnownMatch(
                name=es.name,
                norad_id=es.norad_id,
                cospar_id=es.cospar_id,
                designation=None,
                status="artificial",
                propagator="sgp4",
                separation_arcsec=round(float(seps[j]), 3),
                tolerance_arcsec=round(float(allowed[j]), 3),
                motion_diff_arcsec_per_min=None if dm is None else round(float(dm[j]), 4),
                direction_diff_deg=None if ddir is None else round(float(ddir[j]), 3),
                element_age_days=round(float(cand_ages[j]), 5),
                confidence=round(float(conf[j]), 4),
                orbit_d_sh=None,
                source=es.source,
            )
        )
    return matches, skipped, nearest
