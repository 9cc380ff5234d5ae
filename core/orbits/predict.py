"""The observation model: astrometric RA/Dec of an orbit seen from given observers.

An astrometric position (what the MPC and ADES report, reduced against a star catalogue) is the
direction from the observer at the time of observation t to the object at the time of emission
t - tau, with tau the light time: |r(t - tau) - o(t)| = c tau. Stellar aberration and light
deflection affect the reference stars and the object alike and are not modelled (Seidelmann
1992, *Explanatory Supplement*, 3.42; the same convention as JPL Horizons' "astrometric RA/Dec").

r(t - tau) is taken from the propagated state at t as ``r - tau v + tau^2 a / 2`` with a the
Sun's two-body acceleration: for tau <= 0.01 d (1.7 au) the neglected terms are < 1 m.
"""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.orbits.constants import GM_SUN_AU3_D2, SPEED_OF_LIGHT_AU_D
from core.orbits.elements import ecliptic_to_equatorial

__all__ = ["light_time_positions", "radec_from_states", "radec_partials"]


def light_time_positions(
    states: FloatArray, observer_pos_au: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Topocentric vectors (ecliptic, au) to the object at emission, and the light times (d).

    ``states`` are the object's heliocentric states at the observation times.
    """
    r = states[:, :3]
    v = states[:, 3:]
    acc = -GM_SUN_AU3_D2 * r / np.linalg.norm(r, axis=1, keepdims=True) ** 3
    tau = np.linalg.norm(r - observer_pos_au, axis=1) / SPEED_OF_LIGHT_AU_D
    for _ in range(3):
        emitted = r - tau[:, None] * v + 0.5 * tau[:, None] ** 2 * acc
        tau = np.linalg.norm(emitted - observer_pos_au, axis=1) / SPEED_OF_LIGHT_AU_D
    emitted = r - tau[:, None] * v + 0.5 * tau[:, None] ** 2 * acc
    return emitted - observer_pos_au, tau


def radec_from_states(
    states: FloatArray, observer_pos_au: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Astrometric RA and Dec (degrees, J2000/ICRF) of the object from each observer."""
    rho, _ = light_time_positions(states, observer_pos_au)
    eq = ecliptic_to_equatorial(rho)
    ra = np.degrees(np.arctan2(eq[:, 1], eq[:, 0])) % 360.0
    dec = np.degrees(np.arctan2(eq[:, 2], np.hypot(eq[:, 0], eq[:, 1])))
    return ra, dec


def radec_partials(
    states: FloatArray, partials: FloatArray, observer_pos_au: FloatArray
) -> FloatArray:
    """d(RA cos Dec, Dec)/dp in radians per unit of each parameter, shape (n, 2, m).

    ``partials`` (n, 6, m) are those of the heliocentric states at the observation times
    (:func:`core.orbits.propagate.propagate_with_partials`); the light-time shift enters through
    the velocity columns (the derivative of tau itself is second order and dropped).
    """
    rho, tau = light_time_positions(states, observer_pos_au)
    eq = ecliptic_to_equatorial(rho)
    d_pos = partials[:, :3, :] - tau[:, None, None] * partials[:, 3:, :]
    d_eq = np.einsum("ij,njm->nim", ecliptic_to_equatorial(np.eye(3)).T, d_pos)
    x, y, z = eq[:, 0], eq[:, 1], eq[:, 2]
    rxy2 = x * x + y * y
    rxy = np.sqrt(rxy2)
    r2 = rxy2 + z * z
    d_ra = (-y[:, None] * d_eq[:, 0] + x[:, None] * d_eq[:, 1]) / rxy2[:, None]
    d_dec = (
        -x[:, None] * z[:, None] * d_eq[:, 0]
        - y[:, None] * z[:, None] * d_eq[:, 1]
        + rxy2[:, None] * d_eq[:, 2]
    ) / (r2 * rxy)[:, None]
    cos_dec = (rxy / np.sqrt(r2))[:, None]
    return np.stack([d_ra * cos_dec, d_dec], axis=1)
