"""Astrometry of an Earth-orbiting object simulated from its element set: tests and the bench.

Deliberately a second route through the physics, so that the matcher is checked against
something it does not share: the station from the MPC parallax constants rotated by ERFA's
``c2t00b`` (as :mod:`core.orbits.observers`), SGP4 one time at a time (not the vectorised
array), TEME to the GCRS through the Earth's rotation (``r_PEF = R3(GMST82) r_TEME``, then the
celestial-to-terrestrial matrix transposed) instead of precession-nutation and the equation of
the equinoxes, and the light time solved exactly by re-running SGP4 at ``t - tau`` instead of
extrapolating with the velocity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import erfa
import numpy as np

from core._types import FloatArray
from core.constants import SPEED_OF_LIGHT_M_S
from core.known.elementset import ElementSet
from core.known.frames import utc_to_tt
from core.orbits.astrometry import Astrometry
from core.orbits.constants import EARTH_EQUATORIAL_RADIUS_KM
from core.orbits.observers import observatory

__all__ = ["elevation_deg", "simulate_sgp4_astrometry"]

_C_KM_S = SPEED_OF_LIGHT_M_S / 1000.0


def _station_itrs_km(code: str) -> FloatArray:
    site = observatory(code)
    if site is None:
        raise ValueError(f"station {code} has no fixed site")
    lon = math.radians(site[0])
    return np.array(
        [
            EARTH_EQUATORIAL_RADIUS_KM * site[1] * math.cos(lon),
            EARTH_EQUATORIAL_RADIUS_KM * site[1] * math.sin(lon),
            EARTH_EQUATORIAL_RADIUS_KM * site[2],
        ]
    )


def _c2t(jd_utc: float) -> FloatArray:
    tt1, tt2 = utc_to_tt(np.array([jd_utc]))
    whole = math.floor(jd_utc - 0.5) + 0.5
    return np.asarray(erfa.c2t00b(tt1[0], tt2[0], whole, jd_utc - whole, 0.0, 0.0))


def _sat_gcrs_km(es: ElementSet, jd_utc: float) -> FloatArray:
    c2t = _c2t(jd_utc)  # the Earth's orientation at the time SGP4 is evaluated
    whole = math.floor(jd_utc)
    err, r, _v = es.satrec.sgp4(whole, jd_utc - whole)
    if err:
        raise ValueError(f"SGP4 error {err} for {es.name}")
    gmst = erfa.gmst82(whole, jd_utc - whole)
    pef = erfa.rxp(erfa.rz(gmst, np.eye(3)), np.asarray(r))
    return np.asarray(c2t.T @ pef)


def elevation_deg(es: ElementSet, station: str, jd_utc: float) -> float:
    """The object's geometric elevation above the station's horizon (geocentric normal)."""
    c2t = _c2t(jd_utc)
    site = _station_itrs_km(station)
    topo = c2t @ _sat_gcrs_km(es, jd_utc) - site
    up = site / np.linalg.norm(site)
    return math.degrees(math.asin(float(topo @ up) / float(np.linalg.norm(topo))))


def simulate_sgp4_astrometry(
    es: ElementSet,
    time_jd_utc: Sequence[float],
    stations: Sequence[str],
    *,
    noise_arcsec: float = 0.5,
    seed: int = 0,
    designation: str = "SIM",
) -> Astrometry:
    """Astrometric RA/Dec of ``es`` from MPC stations (ground sites) with Gaussian noise."""
    rng = np.random.default_rng(seed)
    ra_out, dec_out = [], []
    for t, code in zip(time_jd_utc, stations, strict=True):
        c2t = _c2t(t)
        station = c2t.T @ _station_itrs_km(code)
        tau = 0.0
        for _ in range(4):
            rho = _sat_gcrs_km(es, t - tau / 86400.0) - station
            tau = float(np.linalg.norm(rho)) / _C_KM_S
        ra = math.degrees(math.atan2(rho[1], rho[0])) % 360.0
        dec = math.degrees(math.atan2(rho[2], math.hypot(rho[0], rho[1])))
        dn = rng.normal(0.0, noise_arcsec / 3600.0, 2)
        ra_out.append((ra + dn[0] / math.cos(math.radians(dec))) % 360.0)
        dec_out.append(dec + dn[1])
    sigma = np.full(len(ra_out), noise_arcsec)
    return Astrometry.from_columns(
        list(time_jd_utc),
        ra_out,
        dec_out,
        list(stations),
        rms_ra_arcsec=sigma,
        rms_dec_arcsec=sigma,
        designation=designation,
    )
