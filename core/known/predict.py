"""Where each known object is seen from the observing stations: topocentric unit vectors.

Earth-orbiting objects: SGP4 for every element set and every observation time in one call of
the ``sgp4`` package's vectorised :class:`~sgp4.api.SatrecArray` (TEME, km, km/s), the light
time solved by two fixed-point steps (``rho = r(t - tau) - o(t)``, ``r(t - tau) ~ r - tau v``: for
a LEO object at 1,000 km, tau = 3.3 ms and the neglected term is ~1 cm), and the comparison done
in TEME: the observed directions are turned into TEME (one rotation per observation) rather than
the predictions into the GCRS (one per element set and observation). Angles do not depend on the
frame they are measured in.

Heliocentric objects: :func:`core.orbits.propagate.propagate` and
:func:`core.orbits.predict.light_time_positions`, in the equatorial J2000 frame of the observed
directions.
"""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.constants import SPEED_OF_LIGHT_M_S
from core.known.heliocentric import HelioObject
from core.orbits.elements import ecliptic_to_equatorial
from core.orbits.ephemeris import utc_to_tdb
from core.orbits.predict import light_time_positions
from core.orbits.propagate import propagate

__all__ = ["predict_heliocentric", "predict_sgp4", "unit_vectors"]

_C_KM_S = SPEED_OF_LIGHT_M_S / 1000.0


def unit_vectors(ra_deg: FloatArray, dec_deg: FloatArray) -> FloatArray:
    """(n, 3) unit vectors of RA/Dec (degrees)."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def predict_sgp4(
    satrecs: object, jd_utc: FloatArray, station_teme_km: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Topocentric TEME unit vectors, ranges (km) and SGP4 error codes of every element set.

    Parameters
    ----------
    satrecs : sgp4.api.SatrecArray
        The element sets (m of them).
    jd_utc : ndarray, shape (n,)
        Observation times (UTC Julian dates).
    station_teme_km : ndarray, shape (n, 3)
        The observers' geocentric positions in TEME at those times.

    Returns
    -------
    units : ndarray, shape (m, n, 3)
    ranges_km : ndarray, shape (m, n)
    errors : ndarray of uint8, shape (m, n)
        SGP4's error code per element set and time (0: fine; 6: decayed; 1-4: the elements
        went out of range, as deep-space resonance terms can drive them).
    """
    times = np.asarray(jd_utc, dtype=np.float64)
    whole = np.floor(times)
    err, r, v = satrecs.sgp4(whole, times - whole)  # type: ignore[attr-defined]
    rho = r - station_teme_km[None, :, :]
    for _ in range(2):
        tau = np.linalg.norm(rho, axis=-1, keepdims=True) / _C_KM_S
        rho = r - tau * v - station_teme_km[None, :, :]
    ranges = np.linalg.norm(rho, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        units = rho / ranges[..., None]
    return units, ranges, np.asarray(err)


def predict_heliocentric(
    obj: HelioObject, jd_utc: FloatArray, observer_helio_au: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Equatorial J2000 topocentric unit vectors (n, 3) and distances (au) of one object.

    Raises
    ------
    core.orbits.propagate.PropagationError
        ASSIST stopped (an impact, a time outside DE440).
    """
    a1, a2, a3 = obj.a123
    states = propagate(obj.state6, obj.epoch_jd_tdb, utc_to_tdb(jd_utc), a1=a1, a2=a2, a3=a3)
    rho, _ = light_time_positions(states, observer_helio_au)
    eq = ecliptic_to_equatorial(rho)
    dist = np.linalg.norm(eq, axis=1)
    return eq / dist[:, None], dist
