"""Astrometry simulated from a known orbit: the round-trip tests and the speed benchmark."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core._types import FloatArray
from core.contract.obs import Observation
from core.contract.obsstream import jd_to_iso
from core.orbits.astrometry import Astrometry
from core.orbits.ephemeris import earth_state_au, utc_to_tdb
from core.orbits.observers import observer_positions_au
from core.orbits.predict import radec_from_states
from core.orbits.propagate import propagate

__all__ = ["as_observations", "nightly_times", "simulate_astrometry"]


def simulate_astrometry(
    state6: FloatArray,
    epoch_jd_tdb: float,
    time_jd_utc: Sequence[float] | FloatArray,
    stations: Sequence[str],
    *,
    a1: float = 0.0,
    a2: float = 0.0,
    noise_arcsec: float = 0.3,
    seed: int = 0,
    designation: str = "SIM",
) -> Astrometry:
    """Astrometric RA/Dec of an orbit seen from MPC stations, with Gaussian noise.

    The noise (independent in RA cos Dec and Dec) is also reported as ``rmsRA``/``rmsDec``.
    """
    times = np.asarray(time_jd_utc, dtype=np.float64)
    states = propagate(state6, epoch_jd_tdb, utc_to_tdb(times), a1=a1, a2=a2)
    ra, dec = radec_from_states(states, observer_positions_au(stations, times))
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, noise_arcsec / 3600.0, size=(2, times.size))
    ra = (ra + noise[0] / np.cos(np.radians(dec))) % 360.0
    dec = dec + noise[1]
    sigma = np.full(times.size, noise_arcsec)
    return Astrometry.from_columns(
        times, ra, dec, stations, rms_ra_arcsec=sigma, rms_dec_arcsec=sigma, designation=designation
    )


def nightly_times(
    state6: FloatArray,
    epoch_jd_tdb: float,
    first_jd_utc: float,
    nights: int,
    stations: Sequence[str],
    *,
    per_night: int = 3,
    spacing_days: float = 20.0 / 1440.0,
    a1: float = 0.0,
    min_altitude_deg: float = 20.0,
) -> tuple[FloatArray, list[str]]:
    """Nightly tracklets (``per_night`` exposures ``spacing_days`` apart) from real stations.

    Each night, each station in turn (one a night, round robin) observes when the Sun is
    below -12 deg and the object above ``min_altitude_deg`` (elevations from the geocentric
    zenith of the station, enough for a cadence), at the first such hour of the night. A night
    where no station sees the object is skipped. Returns (UTC times, station codes).
    """
    hours = np.arange(0.0, 1.0, 1.0 / 48.0)
    times: list[float] = []
    codes: list[str] = []
    for night in range(nights):
        grid = first_jd_utc + night + hours
        for j in range(len(stations)):
            code = stations[(night + j) % len(stations)]
            obs = observer_positions_au([code] * grid.size, grid)
            earth, _ = earth_state_au(utc_to_tdb(grid))
            zen = obs - earth
            zen /= np.linalg.norm(zen, axis=1, keepdims=True)
            obj = propagate(state6, epoch_jd_tdb, utc_to_tdb(grid), a1=a1)[:, :3] - obs
            obj /= np.linalg.norm(obj, axis=1, keepdims=True)
            sun = -obs / np.linalg.norm(obs, axis=1, keepdims=True)
            alt = np.degrees(np.arcsin(np.sum(obj * zen, axis=1)))
            sun_alt = np.degrees(np.arcsin(np.sum(sun * zen, axis=1)))
            ok = np.flatnonzero((alt > min_altitude_deg) & (sun_alt < -12.0))
            if ok.size:
                start = grid[ok[0]]
                times.extend(start + spacing_days * np.arange(per_night))
                codes.extend([code] * per_night)
                break
    return np.array(times), codes


def as_observations(astrometry: Astrometry) -> list[Observation]:
    """Simulated ``astrometry`` as the ``neo.obs.v1`` contract's observations (time, RA, Dec,
    station, ``rmsRA``/``rmsDec``; no id: the caller keys them), in its order."""
    a = astrometry
    return [
        Observation(
            obsTime=jd_to_iso(float(t)),
            time_jd_utc=float(t),
            ra=float(r),
            dec=float(d),
            stn=str(s),
            rmsRA=float(sr),
            rmsDec=float(sd),
        )
        for t, r, d, s, sr, sd in zip(
            a.time_jd_utc,
            a.ra_deg,
            a.dec_deg,
            a.station,
            a.rms_ra_arcsec,
            a.rms_dec_arcsec,
            strict=True,
        )
    ]
