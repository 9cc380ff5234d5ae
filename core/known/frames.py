"""SGP4's TEME frame to the GCRS of the station positions, and geocentric station vectors.

SGP4 gives positions in TEME, the "true equator, mean equinox" frame of date (Vallado et al.
2006, AIAA 2006-6753, "Revisiting Spacetrack Report #3", section on TEME): the true equator of
date with its x axis at the mean equinox projected on it. Its rotation to the true-of-date frame
is the equation of the equinoxes, ``r_TOD = R3(-EqE) r_TEME``, and the true-of-date frame goes to
the GCRS through the bias-precession-nutation matrix: ``r_GCRS = NPB^T r_TOD``. Both from ERFA
with the IAU 2006/2000A model (``pnm06a``, ``ee06a``; IERS Conventions 2010 ch. 5), evaluated
in TT. Vallado et al.'s worked example is reproduced to 0.1 m
(``tests/unit/core/known/test_known_frames.py``; their IAU-76/FK5 reduction with the IERS
nutation corrections and IAU 2006/2000A agree to a fraction of a milliarcsecond).

The stations are those of the orbit code (:func:`core.orbits.observers.observer_positions_au`:
MPC parallax constants, ERFA ``c2t00b``, roving and space-based observers), made geocentric by
subtracting DE440's Earth.
"""

from __future__ import annotations

from collections.abc import Sequence

import erfa
import numpy as np

from core._types import FloatArray
from core.constants import AU_KM
from core.orbits.elements import ecliptic_to_equatorial
from core.orbits.ephemeris import earth_state_au, utc_to_tdb
from core.orbits.observers import observer_positions_au

__all__ = ["gcrs_to_teme", "observer_geometry", "utc_to_tt"]


def utc_to_tt(jd_utc: FloatArray) -> tuple[FloatArray, FloatArray]:
    """TT of UTC Julian dates as ERFA's two-part dates (whole, fraction)."""
    jd = np.asarray(jd_utc, dtype=np.float64).ravel()
    whole = np.floor(jd - 0.5) + 0.5
    tai1, tai2 = erfa.utctai(whole, jd - whole)
    tt1, tt2 = erfa.taitt(tai1, tai2)
    return np.asarray(tt1, dtype=np.float64), np.asarray(tt2, dtype=np.float64)


def gcrs_to_teme(jd_utc: FloatArray) -> FloatArray:
    """(n, 3, 3) matrices M with ``v_TEME = M @ v_GCRS`` at each UTC time."""
    tt1, tt2 = utc_to_tt(jd_utc)
    npb = erfa.pnm06a(tt1, tt2)  # GCRS -> true of date
    eqe = erfa.ee06a(tt1, tt2)
    rot = erfa.rz(-eqe, np.broadcast_to(np.eye(3), (tt1.size, 3, 3)))  # R3(-EqE): TEME -> TOD
    # TOD -> TEME is the transpose of R3(-EqE); GCRS -> TEME = (TEME <- TOD) (TOD <- GCRS)
    out: FloatArray = np.einsum("nji,njk->nik", rot, npb)
    return out


def observer_geometry(
    stations: Sequence[str],
    jd_utc: FloatArray,
    space_pos_au: FloatArray | None = None,
    roving_geodetic: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """The observers' heliocentric ecliptic J2000 positions (au) and their geocentric GCRS
    (equatorial J2000) positions (km), one row per time."""
    times = np.asarray(jd_utc, dtype=np.float64).ravel()
    helio = observer_positions_au(stations, times, space_pos_au, roving_geodetic)
    earth, _ = earth_state_au(utc_to_tdb(times))
    geo: FloatArray = ecliptic_to_equatorial(helio - earth) * AU_KM
    return helio, geo
