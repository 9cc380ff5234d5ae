"""Initial orbit determination (IOD): two-body orbits for an object that has none.

Two methods, each run about the Sun and about the Earth, every result scored on all the
observations:

- **Gauss's method** (:mod:`core.orbits.gauss`) on well-spaced triplets of observations
  (Curtis, *Orbital Mechanics for Engineering Students*, 3rd ed. 2014, Algorithm 5.5; Milani
  & Gronchi, *Theory of Orbit Determination*, 2010, chapter 9). Every admissible root of the
  8th-degree range polynomial (real, positive, with positive topocentric ranges) is kept, then
  refined until the orbit of universal-variable Lagrange coefficients passes through the three
  lines of sight (Curtis Algorithm 5.6's conditions, solved by Newton's method), with the
  light-time correction of each observation (the object is where it was when the light left
  it, at ``t - rho / c``). On arcs of :data:`RANGING_MAX_ARC_DAYS` or more, the two best
  solutions are then fitted to all the observations (two-body least squares), which makes
  the initial orbit far less sensitive to the noise of three observations.
- **Systematic ranging** for short arcs (one night, a tracklet), after Virtanen, Muinonen &
  Bowell 2001 (Icarus 154, 412): a grid over the topocentric range ``rho`` at the first
  observation and the mean range rate between the first and last observation gives two
  positions, Lambert's problem gives the orbit through them, and the orbit is kept when it is
  bound to its central body (Milani et al. 2004's admissible region, Celest. Mech. 90, 57,
  without its hyperbolic part). :mod:`core.orbits.ranging` describes the grid and its limits.

About the Earth (``center="earth"``): the same methods with the geocentric gravitational
constant and geocentric observer vectors (observer minus the Earth's centre). Such a candidate
is kept when its geocentric two-body energy is negative (``bound=True``: temporarily captured),
or when it lies inside the Earth's Hill sphere (:data:`HILL_RADIUS_AU`) on a geocentric
hyperbola (``bound=False``): a close flyby or an impactor, whose path over hours the Earth's
gravity dominates (2024 BX1 observed in its last 3 hours: RMS 4.8" about the Earth, 1,700"
on the best heliocentric conic; 2008 TC3 over its last 20 hours: 65" against 1,500").

Every candidate's state is returned **heliocentric ecliptic J2000** (au, au/d) at an
observation time, whatever its centre (the Earth's state is added for ``"earth"``). The score
is the RMS of the total angular residual (``sqrt(mean(dRA^2 cos^2 Dec + dDec^2))``) in arcsec
over all the observations (those of the densest :data:`MAX_ARC_DAYS` on longer arcs), from
the two-body motion about the candidate's centre with the light-time correction.
Perturbations (the Sun on an Earth-bound body, the planets) are left to the differential
correction.
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
from core.orbits.gauss import gauss_orbits, tangent_basis
from core.orbits.ranging import RANGING_GRID, ranging_orbits
from core.orbits.twobody import propagate_kepler

__all__ = ["RANGING_GRID", "IodCandidate", "initial_orbits"]

Center = Literal["sun", "earth"]
EarthState = Callable[[FloatArray], tuple[FloatArray, FloatArray]]

_RANGING_SCORE_MAX_OBS = 64
_POLISH_JAC = "2-point"  # enough here (the all-observation problem is better posed)
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

HILL_RADIUS_AU = 0.0098
"""The Earth's Hill radius, a (m_earth / 3 m_sun)^(1/3) = 0.0098 au (1.47 million km)."""

MAX_ARC_DAYS = 120.0
"""Longer inputs are cut to the 120 days that hold the most observations: a two-body conic
cannot follow an NEO over years or through a close approach (measured: Bennu 2011-2018 and
2024 MK, 2014 precoveries and a 0.0019 au approach, have no conic within 1 degree of all their
observations), and the differential correction with the full force model takes it from
there. Candidates' epochs and RMS are then those of the window."""

MAX_RMS_ARCSEC = 3600.0
"""Candidates worse than one degree are dropped: no two-body orbit fits such observations."""


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
        RMS of the total angular residual over all the observations (those of the densest
        :data:`MAX_ARC_DAYS` on longer arcs), two-body about ``center`` with light time.
    center : {"sun", "earth"}
        The body the two-body orbit is about (the Earth only within its Hill sphere).
    bound : bool
        Whether the two-body energy about ``center`` is negative: with ``center="earth"``,
        a temporarily captured object; ``center="earth", bound=False`` is a close flyby.
    """

    state6: FloatArray
    epoch_jd_tdb: float
    method: Literal["gauss", "ranging"]
    rms_arcsec: float
    center: Center
    bound: bool = True


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
    order = order[_densest_window(t[order])]
    t, ra, dec, pos = t[order], ra[order], dec[order], pos[order]
    if np.unique(t).size < 3:
        raise FitError(
            f"no {MAX_ARC_DAYS:.0f}-day window holds observations at 3 distinct times "
            "(a two-body initial orbit needs them within one apparition)"
        )
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
    # Separation from the first direction: at least half the largest pairwise one, O(n).
    sep_rad = np.arccos(np.clip(u @ u[0], -1.0, 1.0)).max()
    if sep_rad * _ARCSEC_PER_RAD < 0.005:
        raise FitError("no motion: all observations within 0.01 arcsec of each other")
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
    """Two-body least squares of one state on the given observations (Levenberg-Marquardt).

    The residuals are the two components of each miss across the observed line of sight. A
    2-point Jacobian is enough here (on the 34 Eros observations it gives the 3-point
    result at half the cost), unlike the three-observation problem of :mod:`core.orbits.gauss`.
    """
    e1, e2 = tangent_basis(obs.u)
    at_arr = np.array([at])

    def residuals(x: FloatArray) -> FloatArray:
        u = _directions(x[None, :], at_arr, center, obs)[0]
        out = np.concatenate([np.einsum("ij,ij->i", u, e1), np.einsum("ij,ij->i", u, e2)])
        return np.where(np.isfinite(out), out, 1.0)

    sol = optimize.least_squares(
        residuals, state, jac=_POLISH_JAC, method="lm", x_scale="jac", xtol=1e-10, max_nfev=200
    )
    return np.asarray(sol.x, dtype=float)


def _triplets(t: FloatArray) -> list[tuple[int, int, int]]:
    """Well-spaced triplets: the whole arc, its inner part, and 60-day sub-arcs of long arcs.

    The middle observation is the one nearest the middle time; a triplet needs three distinct
    times. Gauss's f and g series start well when the arc is a small part of the orbit
    (Milani & Gronchi 2010, section 9.2), hence the 30-day sub-arcs of arcs over 60 days.
    """
    spans = [(t[0], t[-1]), (t[0] + 0.2 * (t[-1] - t[0]), t[-1] - 0.2 * (t[-1] - t[0]))]
    if t[-1] - t[0] > 60.0:
        mid = 0.5 * (t[0] + t[-1])
        spans += [(t[0], t[0] + 30.0), (mid - 15.0, mid + 15.0), (t[-1] - 30.0, t[-1])]
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
    """Gauss's method on one triplet about ``center``: states at ``t[idx[1]]``."""
    ii = list(idx)
    big_r = obs.pos[ii] - (obs.earth_pos[ii] if center == "earth" else 0.0)
    v_center = obs.earth_vel[ii] if center == "earth" else np.zeros((3, 3))
    return gauss_orbits(obs.t[ii], obs.u[ii], big_r, v_center, _MU[center])


def _ranging(obs: _Obs, center: Center) -> _Group:
    """Systematic ranging between the first and last observation, about ``center``."""
    ends = [0, obs.t.size - 1]
    off = obs.earth_pos[ends] if center == "earth" else np.zeros((2, 3))
    v_center = obs.earth_vel[ends] if center == "earth" else np.zeros((2, 3))
    states = ranging_orbits(
        obs.t[ends], obs.u[ends], obs.pos[ends] - off, v_center, _MU[center], center
    )
    return _Group(states, np.zeros(len(states), dtype=np.int64), center, "ranging")


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
    groups = _gauss_groups(obs, short_arc)
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
                # Long inputs: the grid is scored on a sample of the observations (the first,
                # where the grid's states are, among them), the best again on all of them.
                rms = _rms_arcsec(g, _thinned(obs, _RANGING_SCORE_MAX_OBS))
                best = np.argsort(rms, kind="stable")[: 4 * max_candidates]
                g = g._replace(states=g.states[best], at=g.at[best])
                scored.append((g, _rms_arcsec(g, obs)))
    return _select(scored, obs, max_candidates)


def _gauss_groups(obs: _Obs, short_arc: bool) -> list[_Group]:
    """Gauss's solutions of every triplet, about the Sun and, near the Earth, about it.

    Short arcs stop at the first triplet with a solution within :data:`GOOD_RMS_ARCSEC`
    (speed: one-night tracklets); the inner triplet helps where the whole arc's is too
    long for the f and g series (a close flyby sweeping 80 deg of true anomaly in 6 hours).
    """
    groups: list[_Group] = []
    for idx in _triplets(obs.t):
        new = []
        sun = _gauss(obs, idx, "sun")
        if sun:
            new.append(_Group(np.array(sun), np.full(len(sun), idx[1]), "sun", "gauss"))
        geo = np.linalg.norm(np.array(sun)[:, :3] - obs.earth_pos[idx[1]], axis=-1) if sun else []
        if not sun or (np.asarray(geo) < EARTH_GAUSS_MAX_AU).any():
            earth = _gauss(obs, idx, "earth")
            if earth:
                at = np.full(len(earth), idx[1])
                new.append(_Group(np.array(earth), at, "earth", "gauss"))
        groups += new
        if short_arc and any((_rms_arcsec(g, obs) <= GOOD_RMS_ARCSEC).any() for g in new):
            break
    return groups


def _polished(groups: list[_Group], obs: _Obs, n_best: int = 2) -> list[_Group]:
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


def _thinned(obs: _Obs, n_max: int) -> _Obs:
    """At most ``n_max`` observations spread evenly over the input, the first and last kept."""
    if obs.t.size <= n_max:
        return obs
    idx = np.unique(np.linspace(0, obs.t.size - 1, n_max).round().astype(np.int64))
    return _Obs(*(a[idx] for a in obs))


def _rms_arcsec(g: _Group, obs: _Obs) -> FloatArray:
    res = _residuals_arcsec(g.states, g.at, g.center, obs)
    return np.asarray(np.sqrt(np.mean(res * res, axis=1)), dtype=float)


def _densest_window(t_sorted: FloatArray) -> slice:
    """The :data:`MAX_ARC_DAYS` window of sorted times that holds the most of them."""
    if t_sorted[-1] - t_sorted[0] <= MAX_ARC_DAYS:
        return slice(None)
    ends = np.searchsorted(t_sorted, t_sorted + MAX_ARC_DAYS, side="right")
    first = int(np.argmax(ends - np.arange(t_sorted.size)))  # the earliest of the densest
    return slice(first, int(ends[first]))


def _select(
    scored: list[tuple[_Group, FloatArray]], obs: _Obs, max_candidates: int
) -> list[IodCandidate]:
    """Finite, within MAX_RMS_ARCSEC, inside the Hill sphere if about the Earth; distinct."""
    rows: list[tuple[float, _Group, int, bool]] = []
    for g, rms in scored:
        ok = np.isfinite(rms) & (rms <= MAX_RMS_ARCSEC)
        dist = np.linalg.norm(g.states[:, :3], axis=-1)
        bound = 0.5 * np.einsum("ij,ij->i", g.states[:, 3:], g.states[:, 3:]) < _MU[g.center] / dist
        if g.center == "earth":
            ok &= bound | (dist < HILL_RADIUS_AU)
        keep = np.flatnonzero(ok)
        keep = keep[np.argsort(rms[keep], kind="stable")][: 4 * max_candidates]
        rows += [(float(rms[k]), g, int(k), bool(bound[k])) for k in keep]
    if not rows:
        raise FitError(
            f"no initial orbit: no admissible two-body orbit within {MAX_RMS_ARCSEC:.0f} arcsec "
            f"of the {obs.t.size} observations"
        )
    rows.sort(key=lambda row: row[0])
    out: list[IodCandidate] = []
    for rms_k, g, k, bound_k in rows:
        i = int(g.at[k])
        state = g.states[k].copy()
        if g.center == "earth":
            state += np.concatenate([obs.earth_pos[i], obs.earth_vel[i]])
        scale = 1e-6 * np.abs(state)
        if any(g.center == o.center and (np.abs(state - o.state6) <= scale).all() for o in out):
            continue  # the same orbit found twice (two triplets, or Gauss and its polish)
        out.append(IodCandidate(state, float(obs.t[i]), g.method, rms_k, g.center, bound_k))
        if len(out) == max_candidates:
            break
    return out
