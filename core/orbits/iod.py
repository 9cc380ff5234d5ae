"""Initial orbit determination (IOD): two-body orbits for an object that has none.

Two methods, each run about the Sun and about the Earth, every result scored on all the
observations:

- **Gauss's method** on well-spaced triplets of observations (Curtis, *Orbital Mechanics for
  Engineering Students*, 3rd ed. 2014, Algorithm 5.5; Milani & Gronchi, *Theory of Orbit
  Determination*, 2010, chapter 9). Every admissible root of the 8th-degree range polynomial
  (real, positive, with positive topocentric ranges) is kept, then refined by iterating the
  exact universal-variable Lagrange coefficients (Curtis Algorithm 5.6) with the light-time
  correction of each observation (the object is where it was when the light left it, at
  ``t - rho / c``). On arcs of :data:`RANGING_MAX_ARC_DAYS` or more, the three best
  solutions are then fitted to all the observations (two-body least squares), which makes
  the initial orbit far less sensitive to the noise of three observations.
- **Systematic ranging** for short arcs (one night, a tracklet), after Virtanen, Muinonen &
  Bowell 2001 (Icarus 154, 412): a grid over the topocentric range ``rho`` at the first
  observation and the mean range rate between the first and last observation gives two
  positions, Lambert's problem gives the orbit through them, and the orbit is kept when it is
  bound to its central body (Milani et al. 2004's admissible region, Celest. Mech. 90, 57,
  without its hyperbolic part). See :data:`RANGING_GRID` for the grid and its limits.

About the Earth (``center="earth"``): the same methods with the geocentric gravitational
constant and geocentric observer vectors (observer minus the Earth's centre). Such a candidate
is kept only when its geocentric two-body energy is negative (bound to the Earth); a body
passing the Earth on a geocentric hyperbola is better described by a heliocentric conic.

Every candidate's state is returned **heliocentric ecliptic J2000** (au, au/d) at an
observation time, whatever its centre (the Earth's state is added for ``"earth"``). The score
is the RMS of the total angular residual (``sqrt(mean(dRA^2 cos^2 Dec + dDec^2))``) in arcsec
over all the observations, from the two-body motion about the candidate's centre with the
light-time correction. Perturbations (the Sun on an Earth-bound body, the planets) are left to
the differential correction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from scipy import optimize

from core._types import FloatArray, IntArray
from core.errors import FitError
from core.orbits.constants import GM_EARTH_AU3_D2, GM_SUN_AU3_D2, SPEED_OF_LIGHT_AU_D
from core.orbits.elements import equatorial_to_ecliptic
from core.orbits.twobody import lagrange_coefficients, lambert, propagate_kepler

__all__ = ["RANGING_GRID", "IodCandidate", "initial_orbits"]

Center = Literal["sun", "earth"]
EarthState = Callable[[FloatArray], tuple[FloatArray, FloatArray]]

_ARCSEC_PER_RAD = 180.0 / np.pi * 3600.0
_MU: dict[Center, float] = {"sun": GM_SUN_AU3_D2, "earth": GM_EARTH_AU3_D2}

RANGING_MAX_ARC_DAYS = 3.0
"""Ranging runs on arcs shorter than this (or when Gauss finds no orbit below
:data:`GOOD_RMS_ARCSEC`)."""

GOOD_RMS_ARCSEC = 5.0
"""A Gauss candidate with an RMS below this makes the ranging fallback unnecessary on long arcs."""

EARTH_GAUSS_MAX_AU = 0.02
"""Gauss's method is also run about the Earth when a solar solution lies within this distance
of the Earth's centre (twice the Hill radius, 0.01 au), or when there is no solar solution."""

MAX_RMS_ARCSEC = 3600.0
"""Candidates worse than one degree are dropped: no two-body orbit fits such observations."""

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

_TRIPLET_MISS_RAD = 1e-5  # 2 arcsec
_OBSERVER_SPEED_AU_D: dict[Center, float] = {"sun": 0.0175, "earth": 3.0e-4}


@dataclass(frozen=True, slots=True)
class IodCandidate:
    """One initial orbit.

    Attributes
    ----------
    state6 : ndarray, shape (6,)
        Heliocentric ecliptic J2000 position (au) and velocity (au/d) at ``epoch_jd_tdb``,
        also for ``center="earth"`` (the Earth's state added).
    epoch_jd_tdb : float
        Epoch of the state: the time of one of the observations, TDB.
    method : {"gauss", "ranging"}
        The method that found it.
    rms_arcsec : float
        RMS of the total angular residual over all the observations, two-body about ``center``
        with light time.
    center : {"sun", "earth"}
        The body the two-body orbit is about; ``"earth"`` only when bound to the Earth.
    """

    state6: FloatArray
    epoch_jd_tdb: float
    method: Literal["gauss", "ranging"]
    rms_arcsec: float
    center: Center


class _Obs(NamedTuple):
    """The observations, sorted by time: times, ecliptic unit vectors, observer and Earth."""

    t: FloatArray
    u: FloatArray
    pos: FloatArray
    earth_pos: FloatArray
    earth_vel: FloatArray


class _Group(NamedTuple):
    """Candidate states relative to ``center`` at the times of observations ``at``."""

    states: FloatArray
    at: IntArray
    center: Center
    method: Literal["gauss", "ranging"]


def _prepare(
    time_jd_tdb: FloatArray,
    ra_deg: FloatArray,
    dec_deg: FloatArray,
    observer_pos_au: FloatArray,
    earth_state: EarthState | None,
) -> _Obs:
    t = np.asarray(time_jd_tdb, dtype=float).ravel()
    ra = np.radians(np.asarray(ra_deg, dtype=float).ravel())
    dec = np.radians(np.asarray(dec_deg, dtype=float).ravel())
    pos = np.asarray(observer_pos_au, dtype=float)
    n = t.size
    if ra.size != n or dec.size != n or pos.shape != (n, 3):
        raise FitError(
            f"inconsistent inputs: {n} times, {ra.size} RA, {dec.size} Dec, observer positions "
            f"of shape {pos.shape} (expected ({n}, 3))"
        )
    if n < 3:
        raise FitError(f"initial orbit needs at least 3 observations, got {n}")
    if not (np.isfinite(t).all() and np.isfinite(ra).all() and np.isfinite(dec).all()):
        raise FitError("non-finite time, RA or Dec")
    if not np.isfinite(pos).all():
        raise FitError("non-finite observer position")
    if np.unique(t).size < 3:
        raise FitError(
            f"initial orbit needs observations at 3 distinct times, got {np.unique(t).size}"
        )
    order = np.argsort(t, kind="stable")
    t, ra, dec, pos = t[order], ra[order], dec[order], pos[order]
    u_eq = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)
    u = equatorial_to_ecliptic(u_eq)
    _check_geometry(u, pos)
    if earth_state is None:
        from core.orbits.ephemeris import earth_state_au

        earth_state = earth_state_au
    earth_pos, earth_vel = earth_state(t)
    return _Obs(t, u, pos, np.asarray(earth_pos, float), np.asarray(earth_vel, float))


def _check_geometry(u: FloatArray, pos: FloatArray) -> None:
    """Refuse observations from which no range can be told (FitError with the reason)."""
    sep_rad = np.arccos(np.clip(u @ u.T, -1.0, 1.0)).max()
    if sep_rad * _ARCSEC_PER_RAD < 0.01:
        raise FitError("no motion: all observations within 0.01 arcsec of one direction")
    # Lines of sight and observer positions all in one plane: the object then moves in that
    # plane along a line or a family of orbits, and the range is not determined.
    normal = np.linalg.svd(u)[2][-1]
    if np.abs(u @ normal).max() < 1e-10 and np.abs((pos - pos[0]) @ normal).max() < 1e-10:
        raise FitError(
            "degenerate geometry: lines of sight and observer positions lie in one plane "
            "(collinear on the sky from a fixed line), so no range can be determined"
        )


def _directions(states: FloatArray, at: IntArray, center: Center, obs: _Obs) -> FloatArray:
    """Predicted unit lines of sight, shape ``(m, n, 3)``, of m states at the times ``t[at]``."""
    dt = obs.t[None, :] - obs.t[at][:, None]
    r, v = propagate_kepler(states[:, None, :3], states[:, None, 3:], dt, _MU[center])
    if center == "earth":
        r = r + obs.earth_pos
        v = v + obs.earth_vel
    # Light time to first order: the object is seen where it was at t - |r - observer| / c;
    # two passes (the curvature of the path over the light time is below 1e-3 arcsec here).
    d = r - obs.pos
    for _ in range(2):
        lt = np.sqrt(np.einsum("...i,...i->...", d, d)) / SPEED_OF_LIGHT_AU_D
        d = r - v * lt[..., None] - obs.pos
    return np.asarray(d / np.linalg.norm(d, axis=-1, keepdims=True), dtype=float)


def _residuals_arcsec(states: FloatArray, at: IntArray, center: Center, obs: _Obs) -> FloatArray:
    """Total angular residual (arcsec), shape ``(m, n)``, of m states at the times ``t[at]``."""
    chord = np.linalg.norm(_directions(states, at, center, obs) - obs.u, axis=-1)
    with np.errstate(invalid="ignore"):
        sep_rad = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))
    return np.asarray(sep_rad * _ARCSEC_PER_RAD, dtype=float)


def _polish(state: FloatArray, at: int, center: Center, obs: _Obs) -> FloatArray:
    """Two-body least squares of one state on all the observations (Levenberg-Marquardt).

    The residuals are the two components of each miss across the observed line of sight;
    a 3-point Jacobian, because the 2-point one is too coarse for these ill-conditioned
    problems (measured: Levenberg-Marquardt then stalls after 150 evaluations).
    """
    e1, e2 = _tangent_basis(obs.u)
    at_arr = np.array([at])

    def residuals(x: FloatArray) -> FloatArray:
        u = _directions(x[None, :], at_arr, center, obs)[0]
        out = np.concatenate([np.einsum("ij,ij->i", u, e1), np.einsum("ij,ij->i", u, e2)])
        return np.where(np.isfinite(out), out, 1.0)

    sol = optimize.least_squares(
        residuals, state, jac="3-point", method="lm", x_scale="jac", xtol=1e-12, max_nfev=200
    )
    return np.asarray(sol.x, dtype=float)


def _triplets(t: FloatArray) -> list[tuple[int, int, int]]:
    """Well-spaced triplets: the whole arc, its inner part, and 60-day sub-arcs of long arcs.

    The middle observation is the one nearest the middle time; a triplet needs three distinct
    times. Gauss's f and g series start well when the arc is a small part of the orbit
    (Milani & Gronchi 2010, section 9.2), hence the sub-arcs of arcs over 100 days.
    """
    spans = [(t[0], t[-1]), (t[0] + 0.2 * (t[-1] - t[0]), t[-1] - 0.2 * (t[-1] - t[0]))]
    if t[-1] - t[0] > 100.0:
        mid = 0.5 * (t[0] + t[-1])
        spans += [(t[0], t[0] + 60.0), (mid - 30.0, mid + 30.0), (t[-1] - 60.0, t[-1])]
    out: list[tuple[int, int, int]] = []
    for lo, hi in spans:
        i1 = int(np.searchsorted(t, lo))
        i3 = int(np.searchsorted(t, hi, side="right")) - 1
        if i3 - i1 < 2 or t[i3] <= t[i1]:
            continue
        i2 = i1 + 1 + int(np.argmin(np.abs(t[i1 + 1 : i3] - 0.5 * (t[i1] + t[i3]))))
        if t[i1] < t[i2] < t[i3] and (i1, i2, i3) not in out:
            out.append((i1, i2, i3))
    return out


def _gauss(obs: _Obs, idx: tuple[int, int, int], center: Center) -> list[FloatArray]:
    """Gauss's method on one triplet (Curtis Algorithms 5.5 and 5.6): states at ``t[idx[1]]``."""
    mu = _MU[center]
    ii = list(idx)
    t, u = obs.t[ii], obs.u[ii]
    big_r = obs.pos[ii] - (obs.earth_pos[ii] if center == "earth" else 0.0)
    v_center = obs.earth_vel[ii] if center == "earth" else np.zeros((3, 3))
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


def _tangent_basis(u: FloatArray) -> tuple[FloatArray, FloatArray]:
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
    e1, e2 = _tangent_basis(u)
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

    sol = optimize.root(equations, state0, method="hybr", options={"xtol": 1e-13})
    if np.abs(sol.fun).max() > 1e-12:  # no exact solution nearby (noise): least squares
        sol = optimize.least_squares(
            equations, sol.x, jac="3-point", method="lm", x_scale="jac", max_nfev=100
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


def _ranging(obs: _Obs, center: Center) -> _Group:
    """Systematic ranging between the first and last observation (see :data:`RANGING_GRID`)."""
    mu = _MU[center]
    lo, hi, n_rho = RANGING_GRID[f"{center}_rho_au"]
    q_lo, q_hi, n_rate = RANGING_GRID["range_rate"]
    ia, ib = 0, obs.t.size - 1
    off = obs.earth_pos[[ia, ib]] if center == "earth" else np.zeros((2, 3))
    v_c = obs.earth_vel[[ia, ib]] if center == "earth" else np.zeros((2, 3))
    big_a, big_b = obs.pos[ia] - off[0], obs.pos[ib] - off[1]
    dt = obs.t[ib] - obs.t[ia]
    rho_a = np.geomspace(lo, hi, n_rho)[:, None]
    r_dist = np.linalg.norm(big_a + rho_a * obs.u[ia], axis=-1, keepdims=True)
    rate_max = np.sqrt(2.0 * mu / r_dist) + _OBSERVER_SPEED_AU_D[center]
    rho_b = rho_a + np.linspace(q_lo, q_hi, n_rate)[None, :] * rate_max * dt
    rho_a, rho_b = np.broadcast_arrays(rho_a, rho_b)
    keep = rho_b > 0.0
    rho_a, rho_b = rho_a[keep], rho_b[keep]
    lt_a, lt_b = rho_a / SPEED_OF_LIGHT_AU_D, rho_b / SPEED_OF_LIGHT_AU_D
    r_a = big_a + v_c[0] * lt_a[:, None] + rho_a[:, None] * obs.u[ia]
    r_b = big_b + v_c[1] * lt_b[:, None] + rho_b[:, None] * obs.u[ib]
    v_a, _ = lambert(r_a, r_b, dt - (lt_b - lt_a), mu)
    energy = 0.5 * np.einsum("ij,ij->i", v_a, v_a) - mu / np.linalg.norm(r_a, axis=-1)
    ok = np.isfinite(energy) & (energy < 0.0)
    r_t, v_t = propagate_kepler(r_a[ok], v_a[ok], lt_a[ok], mu)  # emission time -> t[ia]
    states = np.concatenate([r_t, v_t], axis=-1)
    return _Group(states, np.full(len(states), ia), center, "ranging")


def initial_orbits(
    time_jd_tdb: FloatArray,
    ra_deg: FloatArray,
    dec_deg: FloatArray,
    observer_pos_au: FloatArray,
    *,
    earth_state: EarthState | None = None,
    max_candidates: int = 8,
) -> list[IodCandidate]:
    """Initial orbits of one object from its astrometry, best (lowest RMS) first.

    Parameters
    ----------
    time_jd_tdb : ndarray, shape (n,)
        Observation times, JD TDB (any order; n >= 3, at least 3 distinct times).
    ra_deg, dec_deg : ndarray, shape (n,)
        Astrometric RA and Dec (ICRF/J2000), degrees.
    observer_pos_au : ndarray, shape (n, 3)
        Heliocentric ecliptic J2000 observer positions, au (as ``observers.py`` gives).
    earth_state : callable, optional
        ``jd_tdb (n,) -> (pos (n,3), vel (n,3))``, the heliocentric ecliptic J2000 state of the
        Earth's centre; default :func:`core.orbits.ephemeris.earth_state_au` (DE440).
    max_candidates : int
        How many candidates to return at most.

    Returns
    -------
    list of IodCandidate
        Never empty.

    Raises
    ------
    FitError
        Too few observations or distinct times, inconsistent or non-finite input, no motion,
        degenerate geometry, or no two-body orbit within :data:`MAX_RMS_ARCSEC`.
    """
    obs = _prepare(time_jd_tdb, ra_deg, dec_deg, observer_pos_au, earth_state)
    short_arc = obs.t[-1] - obs.t[0] < RANGING_MAX_ARC_DAYS
    groups: list[_Group] = []
    for idx in _triplets(obs.t)[: 1 if short_arc else None]:
        near_earth = False
        for center in ("sun", "earth"):
            if center == "earth" and groups and not near_earth:
                continue  # about the Earth only when a solar solution comes near it
            found = _gauss(obs, idx, center)
            if found:
                at = np.full(len(found), idx[1])
                groups.append(_Group(np.array(found), at, center, "gauss"))
                geo = np.array(found)[:, :3] - obs.earth_pos[idx[1]]
                near_earth = bool((np.linalg.norm(geo, axis=-1) < EARTH_GAUSS_MAX_AU).any())
    if not short_arc:
        groups = _polished(groups, obs)
    scored = [(g, _rms_arcsec(g, obs)) for g in groups]
    best_gauss = min(
        (float(np.nanmin(r)) for _, r in scored if np.isfinite(r).any()), default=np.inf
    )
    if short_arc or best_gauss > GOOD_RMS_ARCSEC:
        centers: tuple[Center, ...] = ("sun", "earth")
        for center in centers:
            g = _ranging(obs, center)
            if len(g.states):
                scored.append((g, _rms_arcsec(g, obs)))
    return _select(scored, obs, max_candidates)


def _polished(groups: list[_Group], obs: _Obs, n_best: int = 3) -> list[_Group]:
    """The groups with their ``n_best`` best states refined on all the observations."""
    rms = [_rms_arcsec(g, obs) for g in groups]
    ranked = sorted(
        (float(r[k]), j, k) for j, r in enumerate(rms) for k in range(len(r)) if np.isfinite(r[k])
    )
    out = [g._replace(states=g.states.copy()) for g in groups]
    for _, j, k in ranked[:n_best]:
        g = out[j]
        g.states[k] = _polish(g.states[k], int(g.at[k]), g.center, obs)
    return out


def _rms_arcsec(g: _Group, obs: _Obs) -> FloatArray:
    res = _residuals_arcsec(g.states, g.at, g.center, obs)
    return np.asarray(np.sqrt(np.mean(res * res, axis=1)), dtype=float)


def _select(
    scored: list[tuple[_Group, FloatArray]], obs: _Obs, max_candidates: int
) -> list[IodCandidate]:
    """Finite, within MAX_RMS_ARCSEC, bound to the Earth if about it; distinct; best first."""
    rows: list[tuple[float, _Group, int]] = []
    for g, rms in scored:
        ok = np.isfinite(rms) & (rms <= MAX_RMS_ARCSEC)
        if g.center == "earth":
            v2 = np.einsum("ij,ij->i", g.states[:, 3:], g.states[:, 3:])
            ok &= 0.5 * v2 < GM_EARTH_AU3_D2 / np.linalg.norm(g.states[:, :3], axis=-1)
        keep = np.flatnonzero(ok)
        keep = keep[np.argsort(rms[keep], kind="stable")][: 4 * max_candidates]
        rows += [(float(rms[k]), g, int(k)) for k in keep]
    if not rows:
        raise FitError(
            f"no initial orbit: no admissible two-body orbit within {MAX_RMS_ARCSEC:.0f} arcsec "
            f"of the {obs.t.size} observations"
        )
    rows.sort(key=lambda row: row[0])
    out: list[IodCandidate] = []
    for rms_k, g, k in rows:
        i = int(g.at[k])
        state = g.states[k].copy()
        if g.center == "earth":
            state += np.concatenate([obs.earth_pos[i], obs.earth_vel[i]])
        if any(
            g.center == o.center and np.allclose(state, o.state6, rtol=1e-6, atol=1e-12)
            for o in out
        ):
            continue
        out.append(IodCandidate(state, float(obs.t[i]), g.method, rms_k, g.center))
        if len(out) == max_candidates:
            break
    return out
