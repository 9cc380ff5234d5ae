"""Gauss's method of initial orbit determination from three lines of sight.

Curtis, *Orbital Mechanics for Engineering Students*, 3rd ed. 2014, Algorithm 5.5 (eqs.
5.112-5.117: the 8th-degree polynomial in the middle distance r2 from the f and g series
truncated after the second term) and Algorithm 5.6 (the refinement with exact Lagrange
coefficients); Milani & Gronchi, *Theory of Orbit Determination*, 2010, chapter 9 (every
positive real root can be a solution: Charlier's multiple solutions). Light time: each
position is the object's at ``t - rho / c``.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from core._types import FloatArray
from core.orbits.constants import SPEED_OF_LIGHT_AU_D
from core.orbits.twobody import lagrange_coefficients, propagate_kepler

__all__ = ["gauss_orbits", "tangent_basis"]

_TRIPLET_MISS_RAD = 1e-5
"""A refined triplet solution is kept when each line of sight is missed by less (2 arcsec)."""


def gauss_orbits(
    t: FloatArray, u: FloatArray, big_r: FloatArray, v_center: FloatArray, mu: float
) -> list[FloatArray]:
    """Every admissible Gauss solution of one triplet, refined exactly, with light time.

    Parameters
    ----------
    t : ndarray, shape (3,)
        Observation times (d), increasing.
    u : ndarray, shape (3, 3)
        Unit lines of sight (ecliptic J2000).
    big_r : ndarray, shape (3, 3)
        Observer positions relative to the central body at the times t (au).
    v_center : ndarray, shape (3, 3)
        The central body's velocity (au/d) relative to the frame in which light travels
        straight (heliocentric): zero for the Sun, the Earth's velocity for the Earth.
    mu : float
        The central body's gravitational parameter (au^3/d^2).

    Returns
    -------
    list of ndarray, shape (6,)
        States (au, au/d) relative to the central body at t[1]; one per admissible root of
        the range polynomial (real, positive, all three ranges positive) whose refinement
        converged. Empty when the lines of sight are coplanar (D0 = 0).
    """
    p = np.stack([np.cross(u[1], u[2]), np.cross(u[0], u[2]), np.cross(u[0], u[1])])
    d0 = float(u[0] @ p[0])
    if abs(d0) < 1e-14:
        return []  # coplanar lines of sight: Gauss's determinant vanishes
    tau1, tau3 = t[0] - t[1], t[2] - t[1]
    tau = tau3 - tau1
    dm = big_r @ p.T  # dm[i, j] = R_i . p_j (Curtis's D_(i+1)(j+1))
    # Curtis eqs. 5.112-5.117: the 8th-degree polynomial in r2.
    a_ = (-dm[0, 1] * tau3 / tau + dm[1, 1] + dm[2, 1] * tau1 / tau) / d0
    b_ = (
        dm[0, 1] * (tau3**2 - tau**2) * tau3 / tau + dm[2, 1] * (tau**2 - tau1**2) * tau1 / tau
    ) / (6.0 * d0)
    e_ = float(big_r[1] @ u[1])
    poly = [1.0, 0.0, -(a_ * a_ + 2.0 * a_ * e_ + big_r[1] @ big_r[1]), 0.0, 0.0]
    poly += [-2.0 * mu * b_ * (a_ + e_), 0.0, 0.0, -((mu * b_) ** 2)]
    roots = np.roots(poly)
    real = roots[(np.abs(roots.imag) <= 1e-9 * np.abs(roots)) & (roots.real > 0.0)].real
    states = []
    for r2 in real:
        x3 = r2**3
        rho = np.array(
            [
                (
                    (
                        6.0 * (dm[2, 0] * tau1 / tau3 + dm[1, 0] * tau / tau3) * x3
                        + mu * dm[2, 0] * (tau**2 - tau1**2) * tau1 / tau3
                    )
                    / (6.0 * x3 + mu * (tau**2 - tau3**2))
                    - dm[0, 0]
                )
                / d0,
                a_ + mu * b_ / x3,
                (
                    (
                        6.0 * (dm[0, 2] * tau3 / tau1 - dm[1, 2] * tau / tau1) * x3
                        + mu * dm[0, 2] * (tau**2 - tau3**2) * tau3 / tau1
                    )
                    / (6.0 * x3 + mu * (tau**2 - tau1**2))
                    - dm[2, 2]
                )
                / d0,
            ]
        )
        if not np.all(rho > 0.0):
            continue  # the root puts the object behind an observer: not admissible
        # Starting orbit: the positions at the three emission times, the velocity from the
        # f and g series to second order (Curtis eqs. 5.99, 5.114).
        pos = big_r + v_center * (rho / SPEED_OF_LIGHT_AU_D)[:, None] + rho[:, None] * u
        f1, f3 = 1.0 - 0.5 * mu / x3 * tau1**2, 1.0 - 0.5 * mu / x3 * tau3**2
        g1, g3 = tau1 - mu / (6.0 * x3) * tau1**3, tau3 - mu / (6.0 * x3) * tau3**3
        v2 = (-f3 * pos[0] + f1 * pos[2]) / (f1 * g3 - f3 * g1)
        state = _gauss_refine(np.concatenate([pos[1], v2]), t, u, big_r, v_center, mu)
        if state is not None:
            states.append(state)
    return states


def tangent_basis(u: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two unit vectors perpendicular to each row of ``u`` (and to each other)."""
    helper = np.where(np.abs(u[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(helper, u)
    e1 /= np.linalg.norm(e1, axis=-1, keepdims=True)
    return e1, np.cross(u, e1)


def _gauss_refine(  # noqa: PLR0917  (the triplet's arrays, as _gauss has them)
    state0: FloatArray,
    t: FloatArray,
    u: FloatArray,
    big_r: FloatArray,
    v_center: FloatArray,
    mu: float,
) -> FloatArray | None:
    """Gauss's solution made exact, with light time: the state at t[1] (None if it fails).

    Curtis Algorithm 5.6 iterates the ranges through the exact universal-variable Lagrange
    coefficients until the orbit passes through the three lines of sight; that plain
    fixed-point iteration diverges on many arcs (its gain exceeds 1 where D0 is small). The
    same conditions are solved here by Newton's method (MINPACK's hybrid Powell method,
    ``scipy.optimize.root``): the unknown is the state at the middle observation's light-time
    epoch, the six equations the two components of each line of sight's miss across it, with
    the universal-variable propagation (:func:`lagrange_coefficients`). With noisy data a
    triplet may have no exact solution nearby; then the least-squares one (Levenberg-
    Marquardt) is kept when every miss is below :data:`_TRIPLET_MISS_RAD` (the scoring on
    all the observations judges it).
    """
    if not np.all(np.isfinite(state0)):
        return None
    e1, e2 = tangent_basis(u)
    # The unknown state is at a fixed epoch: the middle observation's time less the light
    # time of the starting orbit (kept fixed so that the equations stay smooth).
    epoch = t[1] - float(np.linalg.norm(state0[:3] - big_r[1])) / SPEED_OF_LIGHT_AU_D

    def miss(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        r2, v2 = x[:3], x[3:]
        rho = np.full(3, float(np.linalg.norm(r2 - big_r[1])))
        for _ in range(2):  # the light time of each observation, from its range
            lt = rho / SPEED_OF_LIGHT_AU_D
            te = t - lt
            f, g, _, _ = lagrange_coefficients(r2, v2, te - epoch, mu)
            # Relative to the centre at emission: with the Earth as centre, the Earth moved
            # by v_earth * lt while the light travelled (the Sun's own motion is neglected).
            d = f[:, None] * r2 + g[:, None] * v2 - big_r - v_center * lt[:, None]
            rho = np.linalg.norm(d, axis=-1)
        return d / rho[:, None], rho

    def equations(x: FloatArray) -> FloatArray:
        dirs, _ = miss(x)
        out = np.concatenate([np.einsum("ij,ij->i", dirs, e1), np.einsum("ij,ij->i", dirs, e2)])
        return np.where(np.isfinite(out), out, 1.0)  # an impossible orbit: the largest miss

    sol = optimize.root(equations, state0, method="hybr", options={"xtol": 1e-13, "maxfev": 60})
    if np.abs(sol.fun).max() > 1e-12:  # no exact solution nearby (noise): least squares
        sol = optimize.least_squares(
            equations, sol.x, jac="3-point", method="lm", x_scale="jac", max_nfev=60
        )
    x = np.asarray(sol.x, dtype=float)
    dirs, _ = miss(x)
    if not (
        np.all(np.einsum("ij,ij->i", dirs, u) > 0.0) and np.abs(sol.fun).max() < _TRIPLET_MISS_RAD
    ):
        return None  # no orbit through the three lines of sight, or one behind an observer
    # From the state at `epoch` to t[1] (each candidate's epoch is an observation time).
    r_t, v_t = propagate_kepler(x[:3], x[3:], t[1] - epoch, mu)
    state = np.concatenate([r_t, v_t])
    return state if np.all(np.isfinite(state)) else None
