"""Astrometry simulated from a known orbit: the round-trip tests and the speed benchmark."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core._types import FloatArray
from core.orbits.astrometry import Astrometry
from core.orbits.ephemeris import utc_to_tdb
from core.orbits.observers import observer_positions_au
from core.orbits.predict import radec_from_states
from core.orbits.propagate import propagate

__all__ = ["simulate_astrometry"]


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
