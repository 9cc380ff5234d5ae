"""Gather the fields of a batch of records into flat numpy arrays (the only per-record loop).

Scalar fields become length-n arrays with NaN for missing values. Variable-length parts
(close approaches, observations) become flat arrays plus a segment id per element (the index
of the record it belongs to), so that every statistic is computed for the whole batch at once
with :mod:`core.features._segments`. The designation and ``meta`` are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core._types import FloatArray, IntArray
from core.contract.records import NeoRecord

__all__ = ["Gathered", "gather"]

_NAN = float("nan")


def _f(value: float | None) -> float:
    return _NAN if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Gathered:
    """Raw inputs of a batch as arrays (NaN = missing); ``*_seg`` map elements to records."""

    n: int
    has_orbit: FloatArray
    e: FloatArray
    i_deg: FloatArray
    a_au: FloatArray
    q_au: FloatArray
    node_deg: FloatArray
    peri_deg: FloatArray
    M_deg: FloatArray
    moid_au: FloatArray
    has_physical: FloatArray
    H: FloatArray
    diameter_km: FloatArray
    albedo: FloatArray
    rot_per_h: FloatArray
    spectral_type: tuple[str | None, ...]
    has_nongrav: FloatArray
    A1: FloatArray
    A2: FloatArray
    A3: FloatArray
    A1_sigma: FloatArray
    bound_to_earth: FloatArray  # orbit.fit.bound_to_earth as 1/0, NaN without a fit
    ca_seg: IntArray
    ca_time_jd: FloatArray
    ca_dist_au: FloatArray
    ca_v_rel_kms: FloatArray
    ca_is_earth: FloatArray
    ca_lat_deg: FloatArray
    ca_lon_deg: FloatArray
    obs_seg: IntArray
    obs_time_jd: FloatArray
    obs_mag: FloatArray
    obs_stations: FloatArray  # distinct station codes per record (0 without observations)
    obs_rms_ra: FloatArray
    obs_rms_dec: FloatArray
    trail_length_arcsec: FloatArray  # NaN without a trail block or without a length
    trail_streak: FloatArray  # 1/0, NaN without a trail block
    trail_glint: FloatArray


def gather(records: Sequence[NeoRecord]) -> Gathered:
    """Collect the numeric inputs of ``records`` into arrays.

    Parameters
    ----------
    records : sequence of NeoRecord
        Validated records.

    Returns
    -------
    Gathered
        One array per input field; element order within a record is the record's own order.
    """
    n = len(records)
    orb = np.full((n, 9), np.nan)
    phys = np.full((n, 5), np.nan)
    ng = np.full((n, 5), np.nan)
    bound = np.full(n, np.nan)
    spectral: list[str | None] = []
    ca_rows: list[tuple[int, float, float, float, float, float, float]] = []
    obs_lens: list[int] = []
    obs_parts: list[tuple[FloatArray, ...]] = []
    stations: list[int] = []
    trail = np.full((n, 3), np.nan)
    for k, rec in enumerate(records):
        o = rec.orbit
        if o is not None:
            orb[k] = (
                1.0,
                o.e,
                o.i_deg,
                _f(o.a_au),
                _f(o.q_au),
                _f(o.node_deg),
                _f(o.peri_deg),
                _f(o.M_deg),
                _f(o.moid_au),
            )
            captured = None if o.fit is None else o.fit.bound_to_earth
            if captured is not None:
                bound[k] = 1.0 if captured else 0.0
        p = rec.physical
        spectral.append(None if p is None else p.spectral_type)
        if p is not None:
            phys[k] = (1.0, _f(p.H), _f(p.diameter_km), _f(p.albedo), _f(p.rot_per_h))
        g = rec.nongrav
        if g is not None:
            ng[k] = (1.0, _f(g.A1), _f(g.A2), _f(g.A3), _f(g.A1_sigma))
        for c in rec.close_approaches:
            lat, lon = (_NAN, _NAN) if c.subpoint is None else c.subpoint
            ca_rows.append(
                (
                    k,
                    c.time_jd,
                    c.dist_au,
                    _f(c.v_rel_kms),
                    1.0 if c.body == "Earth" else 0.0,
                    lat,
                    lon,
                )
            )
        t = rec.trail
        if t is not None:
            trail[k] = (_f(t.length_arcsec), float(t.streak), float(t.glint))
        obs = rec.observations
        if obs is not None and len(obs.time_jd) > 0:
            obs_lens.append(len(obs.time_jd))
            obs_parts.append((obs.time_jd, obs.mag, obs.rms_ra_arcsec, obs.rms_dec_arcsec))
            stations.append(len(set(obs.station)))
        else:
            obs_lens.append(0)
            stations.append(0)
    ca = np.array(ca_rows, dtype=np.float64).reshape(-1, 7)
    if obs_parts:
        obs_cols = [np.concatenate([part[j] for part in obs_parts]) for j in range(4)]
    else:
        obs_cols = [np.empty(0) for _ in range(4)]
    # Transposed copies: every column is contiguous, so a column of a batch and the same
    # column of a single record go through the same (SIMD) ufunc loops: batch == single.
    orb = np.ascontiguousarray(orb.T)
    phys = np.ascontiguousarray(phys.T)
    ng = np.ascontiguousarray(ng.T)
    ca = np.ascontiguousarray(ca.T)
    trail = np.ascontiguousarray(trail.T)
    absent = np.zeros(n)
    return Gathered(
        n=n,
        has_orbit=np.where(np.isnan(orb[0]), absent, 1.0),
        e=orb[1],
        i_deg=orb[2],
        a_au=orb[3],
        q_au=orb[4],
        node_deg=orb[5],
        peri_deg=orb[6],
        M_deg=orb[7],
        moid_au=orb[8],
        has_physical=np.where(np.isnan(phys[0]), absent, 1.0),
        H=phys[1],
        diameter_km=phys[2],
        albedo=phys[3],
        rot_per_h=phys[4],
        spectral_type=tuple(spectral),
        has_nongrav=np.where(np.isnan(ng[0]), absent, 1.0),
        A1=ng[1],
        A2=ng[2],
        A3=ng[3],
        A1_sigma=ng[4],
        bound_to_earth=bound,
        ca_seg=ca[0].astype(np.int64),
        ca_time_jd=ca[1],
        ca_dist_au=ca[2],
        ca_v_rel_kms=ca[3],
        ca_is_earth=ca[4],
        ca_lat_deg=ca[5],
        ca_lon_deg=ca[6],
        obs_seg=np.repeat(np.arange(n, dtype=np.int64), np.asarray(obs_lens, dtype=np.int64)),
        obs_time_jd=np.asarray(obs_cols[0], dtype=np.float64),
        obs_mag=np.asarray(obs_cols[1], dtype=np.float64),
        obs_stations=np.array(stations, dtype=np.float64),
        obs_rms_ra=np.asarray(obs_cols[2], dtype=np.float64),
        obs_rms_dec=np.asarray(obs_cols[3], dtype=np.float64),
        trail_length_arcsec=trail[0],
        trail_streak=trail[1],
        trail_glint=trail[2],
    )
