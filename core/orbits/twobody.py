"""Two-body (Keplerian) motion in universal variables, vectorised with numpy.

One formulation covers elliptic, parabolic and hyperbolic orbits: the universal anomaly chi
and the Stumpff functions C(z), S(z) (Curtis, *Orbital Mechanics for Engineering Students*,
3rd ed. 2014, sections 3.7 and 5.3; Vallado, *Fundamentals of Astrodynamics and
Applications*, 4th ed. 2013, Algorithm 8 and section 7.6). Kepler's equation in chi is solved
with the Laguerre-Conway iteration (Conway 1986, Celest. Mech. 39, 199), which converges from
any starting value for every conic. Lambert's problem uses the universal-variable formulation
of Curtis Algorithm 5.2, its Newton iteration kept inside a bracket of the root (bisection
where a step would leave it), which makes it robust in vectorised form.

Every function broadcasts over leading axes: positions and velocities are ``(..., 3)``,
times ``(...)``; units are whatever ``mu`` is in (au, au/d, d and au^3/d^2 here).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core._types import FloatArray

__all__ = ["lagrange_coefficients", "lambert", "propagate_kepler", "stumpff_c_s"]

_KEPLER_ITERATIONS = 40
_LAMBERT_ITERATIONS = 64
_SCALAR_MAX = 8


# Taylor coefficients of C(z) = sum (-z)^k / (2k+2)! and S(z) = sum (-z)^k / (2k+3)!, k = 0..6,
# highest first for Horner's scheme; truncation error below 1e-17 for |z| < 0.1.
_C_SERIES = [(-1.0) ** k / math.factorial(2 * k + 2) for k in range(6, -1, -1)]
_S_SERIES = [(-1.0) ** k / math.factorial(2 * k + 3) for k in range(6, -1, -1)]
_SERIES_MAX_Z = 0.1


def stumpff_c_s(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Stumpff functions C(z) and S(z) (Curtis eqs. 3.52-3.53), for any real z.

    For |z| < 0.1 their Taylor series (Curtis eqs. 3.51) are used: more precise than the
    closed forms there, and all that short arcs need.
    """
    z = np.asarray(z, dtype=float)
    c_ser = np.full(z.shape, _C_SERIES[0])
    s_ser = np.full(z.shape, _S_SERIES[0])
    for kc, ks in zip(_C_SERIES[1:], _S_SERIES[1:], strict=True):  # Horner's scheme
        c_ser = c_ser * z + kc
        s_ser = s_ser * z + ks
    small = np.abs(z) < _SERIES_MAX_Z
    if small.all():
        return c_ser, s_ser
    zs = np.where(small, 1.0, z)
    sq = np.sqrt(np.abs(zs))
    with np.errstate(over="ignore", invalid="ignore"):
        c = np.where(zs > 0.0, (1.0 - np.cos(sq)) / zs, (np.cosh(sq) - 1.0) / -zs)
        s = np.where(zs > 0.0, (sq - np.sin(sq)) / sq**3, (np.sinh(sq) - sq) / sq**3)
    return np.where(small, c_ser, c), np.where(small, s_ser, s)


def _stumpff_one(z: float) -> tuple[float, float]:
    """:func:`stumpff_c_s` for one float (pure Python: faster than numpy on scalars)."""
    if abs(z) < _SERIES_MAX_Z:
        c = s = 0.0
        for kc, ks in zip(_C_SERIES, _S_SERIES, strict=True):
            c = c * z + kc
            s = s * z + ks
        return c, s
    if z > 0.0:
        sq = math.sqrt(z)
        return (1.0 - math.cos(sq)) / z, (sq - math.sin(sq)) / sq**3
    sq = math.sqrt(-z)
    if sq > 700.0:  # cosh overflows: no such orbit in reach; the caller gets NaN
        return math.nan, math.nan
    return (math.cosh(sq) - 1.0) / -z, (math.sinh(sq) - sq) / sq**3


def _laguerre_step(  # noqa: PLR0917  (the terms of Kepler's equation, floats or arrays)
    chi: Any, r0n: Any, sigma0: Any, alpha: Any, sqmu_dt: Any, c: Any, s: Any
) -> Any:
    """One Laguerre-Conway step (order 5) on the universal Kepler's equation, floats or arrays.

    F(chi) = sigma0 chi^2 C + (1 - alpha r0) chi^3 S + r0 chi - sqrt(mu) dt (Curtis eq. 3.46),
    F' = r (Curtis eq. 3.50 / Vallado eq. 2-40), F'' = dr/dchi.
    """
    z = alpha * chi * chi
    one_m_ar0 = 1.0 - alpha * r0n
    f = sigma0 * chi * chi * c + one_m_ar0 * chi**3 * s + r0n * chi - sqmu_dt
    df = sigma0 * chi * (1.0 - z * s) + one_m_ar0 * chi * chi * c + r0n
    ddf = sigma0 * (1.0 - z * c) + one_m_ar0 * chi * (1.0 - z * s)
    disc = abs(16.0 * df * df - 20.0 * f * ddf) ** 0.5  # (n-1)^2 F'^2 - n(n-1) F F'', n = 5
    denom = df + disc * ((df >= 0.0) * 2.0 - 1.0)
    return 5.0 * f / (denom + (denom == 0.0))


def _chi_start(r0n: Any, r0_dot_v0: Any, alpha: Any, dt: Any, sqmu: float) -> Any:
    """Starting universal anomaly, floats or arrays.

    ``sqrt(mu) dt / r0`` (the first term of its Taylor series) where that makes |z| < 1 (arcs
    short against the orbit); otherwise Vallado's Algorithm 8 guesses: ``sqrt(mu) dt alpha``
    for ellipses, and for hyperbolae ``sign(dt) sqrt(-a) ln(-2 mu alpha dt / (r0.v0 +
    sign(dt) sqrt(-mu a) (1 - r0 alpha)))``, which keeps cosh(sqrt(-z)) from overflowing.
    """
    short = sqmu * dt / r0n
    if isinstance(dt, float):  # the float path of Gauss's method: math, not numpy
        if abs(alpha) * short * short < 1.0:
            return float(short)
        if alpha > 0.0:
            return float(sqmu * dt * alpha)
        a_hyp = 1.0 / alpha
        sgn = math.copysign(1.0, dt)
        den = r0_dot_v0 + sgn * math.sqrt(-(sqmu**2) * a_hyp) * (1.0 - r0n * alpha)
        arg = -2.0 * sqmu**2 * alpha * dt / den if den != 0.0 else -1.0
        return float(sgn * math.sqrt(-a_hyp) * math.log(arg)) if arg > 0.0 else float(short)
    with np.errstate(all="ignore"):
        a_hyp = 1.0 / np.minimum(alpha, -1e-300)
        sgn = np.sign(dt)
        arg = (-2.0 * sqmu**2 * alpha * dt) / (
            r0_dot_v0 + sgn * np.sqrt(-(sqmu**2) * a_hyp) * (1.0 - r0n * alpha)
        )
        hyp = sgn * np.sqrt(-a_hyp) * np.log(np.maximum(arg, 1e-300))
    chi = np.where(
        np.abs(alpha) * short * short < 1.0,
        short,
        np.where(alpha > 0.0, sqmu * dt * alpha, np.where(arg > 0.0, hyp, short)),
    )
    return chi if np.ndim(chi) else float(chi)


def _lagrange_one(r0: list[float], v0: list[float], dt: float, mu: float) -> list[float]:
    """:func:`lagrange_coefficients` for one state and one time, in plain floats (NaN when
    the orbit is out of reach: overflow on a wild hyperbola, a zero radius)."""
    try:
        return _lagrange_one_unsafe(r0, v0, dt, mu)
    except (OverflowError, ZeroDivisionError, ValueError):
        return [math.nan] * 4


def _lagrange_one_unsafe(r0: list[float], v0: list[float], dt: float, mu: float) -> list[float]:
    sqmu = math.sqrt(mu)
    r0n = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
    sigma0 = (r0[0] * v0[0] + r0[1] * v0[1] + r0[2] * v0[2]) / sqmu
    alpha = 2.0 / r0n - (v0[0] ** 2 + v0[1] ** 2 + v0[2] ** 2) / mu
    chi = _chi_start(r0n, sigma0 * sqmu, alpha, dt, sqmu)
    for _ in range(_KEPLER_ITERATIONS):
        c, s = _stumpff_one(alpha * chi * chi)
        step = _laguerre_step(chi, r0n, sigma0, alpha, sqmu * dt, c, s)
        chi -= step
        if not abs(step) > 1e-13 * (1.0 + abs(chi)):  # converged, or NaN
            break
    z = alpha * chi * chi
    c, s = _stumpff_one(z)
    r = sigma0 * chi * (1.0 - z * s) + (1.0 - alpha * r0n) * chi * chi * c + r0n
    return [
        1.0 - chi * chi / r0n * c,
        dt - chi**3 / sqmu * s,
        sqmu / (r * r0n) * (alpha * chi**3 * s - chi),
        1.0 - chi * chi / r * c,
    ]


def lagrange_coefficients(
    r0: FloatArray, v0: FloatArray, dt: FloatArray, mu: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Lagrange coefficients f, g, f', g' of the two-body motion ``dt`` after ``(r0, v0)``.

    ``r(t0 + dt) = f r0 + g v0`` and ``v(t0 + dt) = f' r0 + g' v0`` (Curtis eqs. 3.69a-d), from
    the universal anomaly chi that solves the universal Kepler's equation (Curtis eq. 3.46).

    Parameters
    ----------
    r0, v0 : ndarray, shape (..., 3)
        Position and velocity relative to the central body (au, au/d).
    dt : ndarray, shape (...)
        Time from the state, days (negative: backwards); broadcast against ``r0[..., 0]``.
    mu : float
        Gravitational parameter of the central body, au^3/d^2.

    Returns
    -------
    f, g, fdot, gdot : ndarray, shape (...)
        ``g`` in days, ``fdot`` in 1/d.
    """
    r0 = np.asarray(r0, dtype=float)
    v0 = np.asarray(v0, dtype=float)
    dt = np.asarray(dt, dtype=float)
    if r0.ndim == 1 and v0.ndim == 1 and dt.size <= _SCALAR_MAX:
        # One state at a few times (Gauss's method): plain floats are faster
        # (docs/performance.md, "Design measurements of the scoring and orbit code").
        r0l, v0l = r0.tolist(), v0.tolist()
        out = np.array([_lagrange_one(r0l, v0l, d, mu) for d in dt.ravel().tolist()])
        return tuple(out[:, k].reshape(dt.shape) for k in range(4))  # type: ignore[return-value]
    sqmu = np.sqrt(mu)
    r0n = np.sqrt(np.einsum("...i,...i->...", r0, r0))
    sigma0 = np.einsum("...i,...i->...", r0, v0) / sqmu  # r0 . v0 / sqrt(mu)
    alpha = 2.0 / r0n - np.einsum("...i,...i->...", v0, v0) / mu  # 1/a (Curtis eq. 3.48)
    r0n, sigma0, alpha, dt = np.broadcast_arrays(r0n, sigma0, alpha, dt)
    chi = _chi_start(r0n, sigma0 * sqmu, alpha, dt, sqmu)
    sqmu_dt = sqmu * dt
    for _ in range(_KEPLER_ITERATIONS):
        c, s = stumpff_c_s(alpha * chi * chi)
        step = _laguerre_step(chi, r0n, sigma0, alpha, sqmu_dt, c, s)
        chi = chi - step
        if np.all(np.abs(step) <= 1e-13 * (1.0 + np.abs(chi))):
            break
    z = alpha * chi * chi
    c, s = stumpff_c_s(z)
    r = sigma0 * chi * (1.0 - z * s) + (1.0 - alpha * r0n) * chi * chi * c + r0n
    lf = 1.0 - chi * chi / r0n * c
    lg = dt - chi**3 / sqmu * s
    lfd = sqmu / (r * r0n) * (alpha * chi**3 * s - chi)
    lgd = 1.0 - chi * chi / r * c
    return lf, lg, lfd, lgd


def propagate_kepler(
    r0: FloatArray, v0: FloatArray, dt: FloatArray, mu: float
) -> tuple[FloatArray, FloatArray]:
    """Two-body position and velocity ``dt`` after (or before, dt < 0) the state ``(r0, v0)``.

    Parameters
    ----------
    r0, v0 : ndarray, shape (..., 3)
        Position and velocity relative to the central body (au, au/d).
    dt : ndarray, shape (...)
        Time from the state, days; broadcast against the leading axes of ``r0``.
    mu : float
        Gravitational parameter of the central body, au^3/d^2.

    Returns
    -------
    r, v : ndarray, shape (..., 3)
        The propagated state (:func:`lagrange_coefficients`).
    """
    r0 = np.asarray(r0, dtype=float)
    v0 = np.asarray(v0, dtype=float)
    lf, lg, lfd, lgd = lagrange_coefficients(r0, v0, dt, mu)
    r_out = lf[..., None] * r0 + lg[..., None] * v0
    v_out = lfd[..., None] * r0 + lgd[..., None] * v0
    return r_out, v_out


def lambert(
    r1: FloatArray, r2: FloatArray, dt: FloatArray, mu: float
) -> tuple[FloatArray, FloatArray]:
    """Velocities at both ends of the short-way (< 180 deg) two-body arc from r1 to r2 in dt.

    Universal-variable Lambert solution of Curtis Algorithm 5.2 (eqs. 5.35-5.46), single
    revolution, transfer angle below 180 deg (the object's motion between two observations
    of one arc). The root of F(z) = (y/C)^(3/2) S + A sqrt(y) - sqrt(mu) dt is bracketed in
    z in (-60, 4 pi^2) and found by Newton's method safeguarded by bisection (F increases
    with z; where y(z) <= 0, F is taken as negative). z = -60 bounds hyperbolic arcs to a
    change of hyperbolic anomaly of ~7.7 rad, far beyond any arc this module solves.

    Parameters
    ----------
    r1, r2 : ndarray, shape (..., 3)
        Positions relative to the central body, au.
    dt : ndarray, shape (...)
        Time of flight, days, > 0.
    mu : float
        Gravitational parameter, au^3/d^2.

    Returns
    -------
    v1, v2 : ndarray, shape (..., 3)
        Velocities at r1 and r2, au/d; NaN where no solution was bracketed (r1 parallel to r2).
    """
    r1 = np.asarray(r1, dtype=float)
    r2 = np.asarray(r2, dtype=float)
    r1n = np.linalg.norm(r1, axis=-1)
    r2n = np.linalg.norm(r2, axis=-1)
    cos_dth = np.clip(np.einsum("...i,...i->...", r1, r2) / (r1n * r2n), -1.0, 1.0)
    # Short way: sin(dtheta) >= 0 (Curtis eq. 5.26 with the orbit plane taken from r1 x r2).
    a_coef = np.sqrt(r1n * r2n * (1.0 + cos_dth))  # = sin(dth) sqrt(r1 r2 / (1 - cos(dth)))
    sqmu_dt = np.sqrt(mu) * np.asarray(dt, dtype=float)
    a_coef, sqmu_dt, r_sum = np.broadcast_arrays(a_coef, sqmu_dt, r1n + r2n)
    lo = np.full(a_coef.shape, -60.0)
    hi = np.full(a_coef.shape, 4.0 * np.pi**2 - 1e-9)
    z = np.zeros(a_coef.shape)
    for _ in range(_LAMBERT_ITERATIONS):
        c, s = stumpff_c_s(z)
        y = r_sum + a_coef * (z * s - 1.0) / np.sqrt(c)  # Curtis eq. 5.38
        ypos = np.maximum(y, 1e-300)
        yc15 = (ypos / c) ** 1.5
        f = yc15 * s + a_coef * np.sqrt(ypos) - sqmu_dt  # Curtis eq. 5.40
        too_low = (y <= 0.0) | (f < 0.0)
        lo = np.where(too_low, z, lo)
        hi = np.where(too_low, hi, z)
        # dF/dz (Curtis eq. 5.43; its z -> 0 limit, eq. 5.44, where |z| is tiny).
        zs = np.where(np.abs(z) < 1e-8, 1.0, z)
        bracket = np.where(
            np.abs(z) < 1e-8,
            1.0 / 80.0 * (2.0**1.5),
            ((c - 1.5 * s / c) / (2.0 * zs) + 0.75 * s * s / c),
        )
        dfdz = np.where(np.abs(z) < 1e-8, ypos**1.5, yc15) * bracket + a_coef / 8.0 * (
            3.0 * s / c * np.sqrt(ypos) + a_coef * np.sqrt(c / ypos)
        )
        newton = z - f / dfdz
        # Safeguard: a Newton step leaving the bracket (or from y <= 0) is replaced by bisection.
        ok = (y > 0.0) & np.isfinite(newton) & (newton > lo) & (newton < hi)
        z_new = np.where(ok, newton, 0.5 * (lo + hi))
        if np.all(np.abs(z_new - z) <= 1e-13 * (1.0 + np.abs(z))):
            z = z_new
            break
        z = z_new
    c, s = stumpff_c_s(z)
    y = r_sum + a_coef * (z * s - 1.0) / np.sqrt(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Lagrange coefficients of the arc (Curtis eqs. 5.46).
        lf = 1.0 - y / r1n
        lg = a_coef * np.sqrt(y / mu)
        lgd = 1.0 - y / r2n
        bad = (y <= 0.0) | (a_coef <= 0.0)
        lg = np.where(bad, np.nan, lg)
        v1 = (r2 - lf[..., None] * r1) / lg[..., None]
        v2 = (lgd[..., None] * r2 - r1) / lg[..., None]
    return v1, v2
