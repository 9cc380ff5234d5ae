"""Systematic ranging: orbits through two observations of a short arc, over a grid of ranges.

After Virtanen, Muinonen & Bowell 2001 (Icarus 154, 412): each point of a grid over the
topocentric range at the first observation and the mean range rate to the second gives two
positions (each at its light-time-corrected epoch), Lambert's problem (universal variables,
:func:`core.orbits.twobody.lambert`) the two-body orbit through them. Only orbits bound to the
central body are kept (the admissible region of Milani et al. 2004, Celest. Mech. 90, 57,
without its hyperbolic part). The caller scores them on all the observations.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from core._types import FloatArray
from core.orbits.constants import SPEED_OF_LIGHT_AU_D
from core.orbits.twobody import lambert, propagate_kepler

__all__ = ["RANGING_GRID", "ranging_orbits"]

RANGING_GRID: dict[str, tuple[float, float, int]] = {
    "sun_rho_au": (1e-3, 8.0, 30),
    "earth_rho_au": (5e-5, 0.0098, 16),
    "range_rate": (-1.0, 1.0, 21),
}
"""The ranging grid: ``(low, high, points)``.

``rho`` is log-spaced: 1e-3 to 8 au about the Sun (150,000 km to beyond Jupiter), 5e-5 au
(7,500 km, just above low Earth orbit) to 0.0098 au (the Earth's Hill radius) about the Earth.
The mean range rate is linear in ``(-1, 1) x`` a bound on the range rate of a bound orbit at
that range: the escape speed at the object's distance from the centre, plus the observer's
speed about that centre (0.0175 au/d about the Sun: the Earth's orbital speed; 3e-4 au/d
about the Earth: the rotation at the equator). Limits: unbound (hyperbolic) orbits and
objects nearer than the lower range come only from Gauss's method; with one short tracklet
every grid orbit with small residuals is an equally good answer, and the candidates returned
are only the best few of a wide, poorly constrained family.
"""

_OBSERVER_SPEED_AU_D = {"sun": 0.0175, "earth": 3.0e-4}


def ranging_orbits(  # noqa: PLR0917  (the pair's arrays, as gauss_orbits takes a triplet's)
    t: FloatArray,
    u: FloatArray,
    big_r: FloatArray,
    v_center: FloatArray,
    mu: float,
    center: Literal["sun", "earth"],
) -> FloatArray:
    """Bound two-body orbits through two lines of sight, one per grid point.

    Parameters
    ----------
    t : ndarray, shape (2,)
        The two observation times (d), t[1] > t[0].
    u : ndarray, shape (2, 3)
        Unit lines of sight (ecliptic J2000).
    big_r : ndarray, shape (2, 3)
        Observer positions relative to the central body (au).
    v_center : ndarray, shape (2, 3)
        The central body's heliocentric velocity (au/d) for the light time: zero for the Sun.
    mu : float
        The central body's gravitational parameter (au^3/d^2).
    center : {"sun", "earth"}
        Which range grid of :data:`RANGING_GRID` to use.

    Returns
    -------
    ndarray, shape (m, 6)
        States relative to the central body at t[0], one per admissible grid point.
    """
    lo, hi, n_rho = RANGING_GRID[f"{center}_rho_au"]
    q_lo, q_hi, n_rate = RANGING_GRID["range_rate"]
    dt = t[1] - t[0]
    rho_a = np.geomspace(lo, hi, n_rho)[:, None]
    r_dist = np.linalg.norm(big_r[0] + rho_a * u[0], axis=-1, keepdims=True)
    rate_max = np.sqrt(2.0 * mu / r_dist) + _OBSERVER_SPEED_AU_D[center]
    rho_b = rho_a + np.linspace(q_lo, q_hi, n_rate)[None, :] * rate_max * dt
    rho_a, rho_b = np.broadcast_arrays(rho_a, rho_b)
    keep = rho_b > 0.0
    rho_a, rho_b = rho_a[keep], rho_b[keep]
    lt_a, lt_b = rho_a / SPEED_OF_LIGHT_AU_D, rho_b / SPEED_OF_LIGHT_AU_D
    r_a = big_r[0] + v_center[0] * lt_a[:, None] + rho_a[:, None] * u[0]
    r_b = big_r[1] + v_center[1] * lt_b[:, None] + rho_b[:, None] * u[1]
    v_a, _ = lambert(r_a, r_b, dt - (lt_b - lt_a), mu)
    energy = 0.5 * np.einsum("ij,ij->i", v_a, v_a) - mu / np.linalg.norm(r_a, axis=-1)
    ok = np.isfinite(energy) & (energy < 0.0)
    r_t, v_t = propagate_kepler(r_a[ok], v_a[ok], lt_a[ok], mu)  # emission time -> t[0]
    return np.asarray(np.concatenate([r_t, v_t], axis=-1), dtype=float)
