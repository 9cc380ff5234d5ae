"""Differential correction: weighted least squares on RA/Dec with the full force model.

The parameters are the heliocentric ecliptic J2000 state at the epoch, plus A1 (and A2) when
asked or significant. Each iteration propagates with the variational equations
(:mod:`core.orbits.propagate`), forms the normalised residuals ``(O - C) / sigma`` of RA cos Dec
and Dec with light time (:mod:`core.orbits.predict`), and solves the linearised problem by
``numpy.linalg.lstsq`` on the column-scaled design matrix (Gauss-Newton; a step that raises
chi-square is shortened by 4x, down to 1/256). Converged when every parameter moves by less than
1 % of its sigma. The covariance is ``(J^T W J)^-1``.

Outliers (Carpino, Milani & Chesley 2003, Icarus 166, 248): after convergence an observation
whose chi-square ``(dRA cos Dec / sigma)^2 + (dDec / sigma)^2`` exceeds 8 is rejected, and a
rejected one comes back below 7. The worst go first (each round rejects only those above
a quarter of the largest chi-square, as a blunder drags its neighbours' residuals), and never
so many that fewer than ``max(5, n / 2)`` observations stay in the fit. After each change the
fit is repeated (at most 10 rounds).

Extra terms (``nongrav="auto"``): A1 is added when ``|A1| / sigma(A1) > 3`` and chi-square over
the same observations falls by more than 9 (the likelihood-ratio test of one added parameter at
the 3-sigma level, p < 0.003); A2 is then tried on top the same way. ``"a1"`` and ``"a1a2"`` fit
them regardless and report their significance.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np

from core._types import BoolArray, FloatArray
from core.errors import FitError
from core.orbits.astrometry import Astrometry
from core.orbits.ephemeris import utc_to_tdb
from core.orbits.observers import observatory, observers_of
from core.orbits.predict import radec_from_states, radec_partials
from core.orbits.propagate import (
    ImpactError,
    NongravParam,
    PropagationError,
    propagate,
    propagate_with_partials,
)
from core.orbits.result import OrbitFit, build_result
from core.orbits.weights import MIN_OBSERVATIONS, count_nights, prepare, sigmas_arcsec

__all__ = ["Nongrav", "fit_orbit"]

Nongrav = Literal["auto", "none", "a1", "a1a2"]

ARCSEC_RAD = math.pi / (180.0 * 3600.0)
REJECT_CHI2 = 8.0
RECOVER_CHI2 = 7.0
SIGNIFICANCE = 3.0
DELTA_CHI2 = 9.0
MAX_ITERATIONS = 30
MAX_REJECTION_ROUNDS = 10
_SEED_AU_D2 = 1e-15
"""Start value of a fitted non-grav term: ASSIST skips the non-gravitational force (and its
partials) while A1 = A2 = A3 = 0, so the first iteration needs a negligible non-zero value."""
MAX_STARTS = 4
"""Initial orbits tried (best first): the differential correction picks the lowest chi-square."""
WINDOW_DAYS = (40.0, 5.0, 2.0)
"""Longer arcs start from a fit to their densest 40 days, else 5 or 2 days (``_initial_orbits``)."""
GROWTH_FACTOR = 2.0
"""Each step of :func:`_grow` doubles the window."""
START_RMS_FACTOR = 10.0
START_RMS_FLOOR_ARCSEC = 10.0
"""A candidate whose two-body RMS exceeds 10x the best one's (and 10 arcsec) is not tried."""
MAX_NORMALISED_RMS = 5.0
"""Beyond this, the observations do not fit one orbit (a mix, or a diverged fit)."""


MAX_FIT_SECONDS = 120.0
"""A fit (all its starts, windows and iterations) that runs longer stops with a reason: every
integration is also bounded in steps (:data:`core.orbits.propagate.MAX_STEPS`)."""


class _Budget:
    """The fit's bounds and tallies: its deadline, and the trial orbits that ran into the Earth
    or the Moon (each rejected, the fit goes on with a shorter step or another start)."""

    def __init__(self, seconds: float | None = None, *, allow_a1: bool = True) -> None:
        seconds = MAX_FIT_SECONDS if seconds is None else seconds
        self.allow_a1 = allow_a1
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        self.through_body = 0

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise FitError(f"the fit took more than {self.seconds:.0f} s (stopped)")


_Start = tuple[FloatArray, float, dict[str, float]]
"""A starting orbit: heliocentric state, its epoch, the non-gravitational terms it holds."""


class _Observations(msgspec.Struct, frozen=True):
    tdb: FloatArray
    observer: FloatArray
    ra_deg: FloatArray
    dec_deg: FloatArray
    sigma_ra_rad: FloatArray
    sigma_dec_rad: FloatArray


class Solution(msgspec.Struct, frozen=True):
    """One converged least-squares solution."""

    state6: FloatArray
    epoch_jd_tdb: float
    nongrav: dict[str, float]
    params: tuple[str, ...]
    covariance: FloatArray
    residuals: FloatArray
    """(n, 2): (O - C) / sigma for RA cos Dec and Dec, every observation."""
    used: BoolArray
    iterations: int

    def chi2(self, mask: BoolArray | None = None) -> float:
        m = self.used if mask is None else mask
        return float(np.sum(self.residuals[m] ** 2))


def _residuals(
    state: FloatArray,
    epoch: float,
    obs: _Observations,
    nongrav: dict[str, float],
    fit: tuple[NongravParam, ...],
) -> tuple[FloatArray, FloatArray]:
    states, partials = propagate_with_partials(state, epoch, obs.tdb, fit=fit, **nongrav)
    ra, dec = radec_from_states(states, obs.observer)
    d_ra = np.radians((obs.ra_deg - ra + 180.0) % 360.0 - 180.0) * np.cos(np.radians(obs.dec_deg))
    d_dec = np.radians(obs.dec_deg - dec)
    res = np.stack([d_ra / obs.sigma_ra_rad, d_dec / obs.sigma_dec_rad], axis=1)
    design = radec_partials(states, partials, obs.observer)
    design[:, 0, :] /= obs.sigma_ra_rad[:, None]
    design[:, 1, :] /= obs.sigma_dec_rad[:, None]
    return res, design


def _solve(res: FloatArray, design: FloatArray, used: BoolArray) -> tuple[FloatArray, FloatArray]:
    a = design[used].reshape(-1, design.shape[2])
    b = res[used].reshape(-1)
    scale = np.linalg.norm(a, axis=0)
    if not np.all(np.isfinite(a)) or np.any(scale == 0.0):
        raise FitError("the fit diverged (degenerate partial derivatives)")
    a_s = a / scale
    step, *_ = np.linalg.lstsq(a_s, b, rcond=None)
    cov_s = np.linalg.pinv(a_s.T @ a_s)
    return step / scale, cov_s / np.outer(scale, scale)


def _converge(
    state: FloatArray,
    epoch: float,
    obs: _Observations,
    *,
    params: tuple[NongravParam, ...],
    nongrav: dict[str, float],
    used: BoolArray,
    budget: _Budget,
) -> Solution:
    values = np.concatenate([state, [nongrav.get(p, 0.0) for p in params]])

    def unpack(v: FloatArray) -> tuple[FloatArray, dict[str, float]]:
        ng = dict(nongrav)
        ng.update({p: float(x) for p, x in zip(params, v[6:], strict=True)})
        return v[:6], ng

    def evaluate(v: FloatArray) -> tuple[FloatArray, FloatArray]:
        budget.check()
        s, ng = unpack(v)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                res, design = _residuals(s, epoch, obs, ng, params)
        except ImpactError as exc:
            budget.through_body += 1
            raise FitError(f"the fit diverged: {exc}") from None
        except (PropagationError, ValueError) as exc:
            raise FitError(f"the fit diverged: {exc}") from None
        if not (np.all(np.isfinite(res)) and np.all(np.isfinite(design))):
            raise FitError("the fit diverged (non-finite residuals)")
        return res, design

    res, design = evaluate(values)
    for iteration in range(1, MAX_ITERATIONS + 1):
        step, cov = _solve(res, design, used)
        chi2 = float(np.sum(res[used] ** 2))
        shrink = 1.0
        while True:
            trial = values + shrink * step
            try:
                t_res, t_design = evaluate(trial)
                t_chi2 = float(np.sum(t_res[used] ** 2))
            except FitError:
                t_chi2 = math.inf
            if t_chi2 <= chi2 * (1.0 + 1e-9) or shrink < 1.0 / 256:
                break
            shrink /= 4.0
        if not math.isfinite(t_chi2):
            raise FitError("the fit diverged (the orbit could not be propagated)")
        values, res, design = trial, t_res, t_design
        sigma = np.sqrt(np.maximum(np.diag(cov), 1e-300))
        if np.max(np.abs(shrink * step) / sigma) < 1e-2:
            _, cov = _solve(res, design, used)
            s, ng = unpack(values)
            return Solution(s, epoch, ng, tuple(params), cov, res, used.copy(), iteration)
    raise FitError(f"no convergence in {MAX_ITERATIONS} iterations")


def _with_rejection(
    state: FloatArray,
    epoch: float,
    obs: _Observations,
    params: tuple[NongravParam, ...],
    nongrav: dict[str, float],
    *,
    budget: _Budget,
) -> Solution:
    n = obs.tdb.size
    used: BoolArray = np.ones(n, dtype=bool)
    floor = max(MIN_OBSERVATIONS, math.ceil(n / 2))
    sol = _converge(state, epoch, obs, params=params, nongrav=nongrav, used=used, budget=budget)
    for _ in range(MAX_REJECTION_ROUNDS):
        chi2_each = np.sum(sol.residuals**2, axis=1)
        # worst first: a blunder pulls the fit, so its neighbours are judged after it is gone
        threshold = max(REJECT_CHI2, 0.25 * float(np.max(np.where(used, chi2_each, 0.0))))
        new_used = (used & (chi2_each <= threshold)) | (~used & (chi2_each < RECOVER_CHI2))
        if np.count_nonzero(new_used) < floor:  # reject the worst only, down to the floor
            worst = np.flatnonzero(used & (chi2_each > threshold))
            worst = worst[np.argsort(-chi2_each[worst])]
            new_used = used | (chi2_each < RECOVER_CHI2)
            new_used[worst[: max(0, int(np.count_nonzero(used)) - floor)]] = False
        if np.array_equal(new_used, used):
            break
        used = new_used
        sol = _converge(
            sol.state6, epoch, obs, params=params, nongrav=sol.nongrav, used=used, budget=budget
        )
    dof = max(1, 2 * int(np.count_nonzero(sol.used)) - len(sol.state6) - len(params))
    rms = math.sqrt(sol.chi2() / dof)
    if rms > MAX_NORMALISED_RMS:
        raise FitError(
            f"the residuals stay {rms:.1f} times their sigmas after {sol.iterations} iterations: "
            "the observations do not fit one orbit (two objects mixed, or a wrong start)"
        )
    return sol


def _required_a1(
    base: Solution, obs: _Observations, mode: Nongrav, budget: _Budget
) -> tuple[Solution, dict[str, bool]]:
    """A1 came in because no gravity-only orbit fits (:func:`_fit_start`): it is significant
    when |A1| / sigma > 3 (there is no gravity-only chi-square to compare with); A2 on top as
    for any other fit."""
    k = base.params.index("a1")
    sigma = math.sqrt(max(base.covariance[6 + k, 6 + k], 0.0))
    flags = {"a1": sigma > 0.0 and abs(base.nongrav["a1"]) / sigma > SIGNIFICANCE}
    if mode == "a1":
        return base, flags
    try:
        sol2 = _with_rejection(
            base.state6,
            base.epoch_jd_tdb,
            obs,
            ("a1", "a2"),
            {"a2": _SEED_AU_D2, **base.nongrav},
            budget=budget,
        )
    except FitError:
        if mode == "a1a2":
            raise
        return base, flags
    if mode == "a1a2" or _significant(sol2, base, "a2"):
        return sol2, {"a1": flags["a1"], "a2": _significant(sol2, base, "a2")}
    return base, flags


def _significant(sol: Solution, base: Solution, param: str) -> bool:
    k = sol.params.index(param)
    sigma = math.sqrt(max(sol.covariance[6 + k, 6 + k], 0.0))
    value = sol.nongrav[param]
    gain = base.chi2(sol.used) - sol.chi2()
    return sigma > 0.0 and abs(value) / sigma > SIGNIFICANCE and gain > DELTA_CHI2


def _reduced_chi2(sol: Solution) -> float:
    return sol.chi2() / max(1, int(np.count_nonzero(sol.used)))


def _start(state6: FloatArray, epoch0: float, epoch: float, a1: float = 0.0) -> FloatArray:
    if epoch0 == epoch:
        return np.asarray(state6, dtype=np.float64)
    try:
        start: FloatArray = propagate(state6, epoch0, np.array([epoch]), a1=a1)[0]
    except PropagationError as exc:
        raise FitError(f"the initial orbit cannot be carried to the epoch: {exc}") from None
    return start


def _iod(obs: _Observations, idx: np.ndarray) -> list[tuple[FloatArray, float]]:
    from core.orbits.iod import initial_orbits

    candidates = initial_orbits(
        obs.tdb[idx],
        obs.ra_deg[idx],
        obs.dec_deg[idx],
        obs.observer[idx],
        max_candidates=MAX_STARTS,
    )
    worst = max(START_RMS_FACTOR * candidates[0].rms_arcsec, START_RMS_FLOOR_ARCSEC)
    return [
        (np.asarray(c.state6, dtype=np.float64), float(c.epoch_jd_tdb))
        for c in candidates
        if c.rms_arcsec <= worst
    ]


def _densest_window(tdb: FloatArray, days: float) -> np.ndarray:
    """Indices of the observations in the ``days``-long window that holds the most of them."""
    ends = np.searchsorted(tdb, tdb + days, side="right")
    first = int(np.argmax(ends - np.arange(tdb.size)))
    return np.arange(first, int(ends[first]))


def _subset(obs: _Observations, idx: np.ndarray) -> _Observations:
    return _Observations(*(getattr(obs, f)[idx] for f in _Observations.__struct_fields__))


def _grow(obs: _Observations, sol: Solution, idx: np.ndarray, budget: _Budget) -> Solution:
    """Refit on windows twice as long each time (centred on the seed window) up to the whole
    arc, each started from the last: the well-conditioned short arc carries the orbit to the
    long one without a two-body conic having to span it (near the Earth, a conic does not
    follow an orbit for more than a fraction of a revolution)."""
    lo, hi = float(obs.tdb[idx[0]]), float(obs.tdb[idx[-1]])
    half = max(hi - lo, 1.0)
    while lo > obs.tdb[0] or hi < obs.tdb[-1]:
        budget.check()
        half *= GROWTH_FACTOR
        mid = 0.5 * (lo + hi)
        lo, hi = max(float(obs.tdb[0]), mid - half), min(float(obs.tdb[-1]), mid + half)
        sel = np.flatnonzero((obs.tdb >= lo) & (obs.tdb <= hi))
        sol = _fit_start(sol.state6, sol.epoch_jd_tdb, _subset(obs, sel), sol.nongrav, budget)
    return sol


def _fit_start(
    state: FloatArray,
    epoch: float,
    obs: _Observations,
    nongrav: dict[str, float],
    budget: _Budget,
) -> Solution:
    """The 6-parameter fit from ``state``; when it fails, or when ``nongrav`` already holds an
    A1, the fit with A1 (radiation pressure on a stage bends a geocentric orbit by thousands of
    km in weeks: no gravity-only orbit fits such an arc, so A1 is needed to get any fit)."""
    if "a1" not in nongrav:
        try:
            return _with_rejection(state, epoch, obs, (), {}, budget=budget)
        except FitError as exc:
            if not budget.allow_a1 or "do not fit one orbit" not in exc.reason:
                raise
    a1 = nongrav.get("a1", _SEED_AU_D2)
    return _with_rejection(state, epoch, obs, ("a1",), {"a1": a1}, budget=budget)


def _initial_orbits(obs: _Observations, budget: _Budget) -> list[_Start]:
    """Starting orbits (heliocentric states), best first; FitError when there is none.

    An arc up to 40 days long starts from :func:`core.orbits.iod.initial_orbits` on all its
    observations (candidates about the Sun and about the Earth, scored on all of them). When
    none of them converges, or on a longer arc, the fit grows from the densest 40 days, else
    5 or 2 days (a close approach bends a two-body orbit within weeks, an orbit about the
    Earth within days): the initial orbits of that window are fitted (6 parameters, full force
    model) to it, then the fit is extended to the whole arc (:func:`_grow`). The candidates
    are returned for the whole-arc fit to compare on all the observations.
    """
    errors = []
    if obs.tdb[-1] - obs.tdb[0] <= WINDOW_DAYS[0]:
        try:
            return [(st, ep, {}) for st, ep in _iod(obs, np.arange(obs.tdb.size))]
        except FitError as exc:
            errors.append(f"whole arc: {exc.reason}")
    found: list[_Start] = []
    for days in WINDOW_DAYS:
        idx = _densest_window(obs.tdb, days)
        if idx.size < MIN_OBSERVATIONS or obs.tdb[idx[-1]] - obs.tdb[idx[0]] < 0.5:
            continue
        if idx.size == obs.tdb.size and errors:
            continue
        sub = _subset(obs, idx)
        epoch = float(round(0.5 * (sub.tdb[0] + sub.tdb[-1]) - 0.5) + 0.5)
        try:
            starts = _iod(sub, np.arange(idx.size))
        except FitError as exc:
            errors.append(f"{days:.0f} d: {exc.reason}")
            continue
        for state0, epoch0 in starts:
            budget.check()
            try:
                sol = _fit_start(_start(state0, epoch0, epoch), epoch, sub, {}, budget)
                sol = _grow(obs, sol, idx, budget)
            except FitError as exc:
                errors.append(f"{days:.0f} d: {exc.reason}")
                continue
            found.append((sol.state6, epoch, dict(sol.nongrav)))
            if len(found) >= 2:
                return found
        if found:
            return found
    raise FitError(f"no orbit fits the densest part of the arc ({'; '.join(errors)})")


def _drop_unplaced(a: Astrometry) -> tuple[Astrometry, int]:
    """Leave out the observations of space-based/roving stations that came without the
    observer's position (they cannot be placed); an unknown station code still refuses the
    object (:func:`core.orbits.observers.observatory`)."""
    space = a.space_pos_au if a.space_pos_au is not None else np.full((len(a), 3), np.nan)
    roving = a.roving_geodetic if a.roving_geodetic is not None else np.full((len(a), 3), np.nan)
    given = np.all(np.isfinite(space), axis=1) | np.all(np.isfinite(roving), axis=1)
    sites = {code: observatory(code) for code in set(a.station)}
    keep = np.array([given[k] or sites[code] is not None for k, code in enumerate(a.station)])
    if np.all(keep) or a.observer_pos_au is not None:
        return a, 0
    return a.select(keep), int(np.count_nonzero(~keep))


def fit_orbit(
    astrometry: Astrometry,
    *,
    nongrav: Nongrav = "auto",
    epoch_jd: float | None = None,
    initial: Sequence[tuple[FloatArray, float]] | None = None,
) -> OrbitFit:
    """Fit an orbit to one object's astrometry.

    Parameters
    ----------
    astrometry : Astrometry
        The object's observations (any order).
    nongrav : {"auto", "none", "a1", "a1a2"}
        Which non-gravitational terms to fit (module docstring).
    epoch_jd : float, optional
        Epoch of the elements (TDB JD); by default 0h TDB nearest the middle of the arc.
    initial : sequence of (state6, epoch_jd_tdb), optional
        Starting orbits (heliocentric ecliptic J2000); by default from
        :func:`core.orbits.iod.initial_orbits`. The one with the lowest chi-square wins.

    Raises
    ------
    FitError
        With the reason: too few observations, a single night, an unknown station, two objects
        mixed, no convergence.
    """
    astrometry, unplaced = _drop_unplaced(astrometry)
    a, duplicates = prepare(astrometry)
    observer = observers_of(a)
    sig_ra, sig_dec = sigmas_arcsec(a)
    tdb = np.asarray(utc_to_tdb(a.time_jd_utc))
    obs = _Observations(
        tdb, observer, a.ra_deg, a.dec_deg, sig_ra * ARCSEC_RAD, sig_dec * ARCSEC_RAD
    )
    mid = 0.5 * (tdb[0] + tdb[-1])
    epoch = float(epoch_jd) if epoch_jd is not None else round(mid - 0.5) + 0.5
    budget = _Budget(allow_a1=nongrav != "none")
    if initial is not None:
        starts: list[_Start] = [(st, ep, {}) for st, ep in initial]
    else:
        starts = _initial_orbits(obs, budget)
    best: Solution | None = None
    errors: list[str] = []
    for state0, epoch0, ng0 in starts:
        try:
            start = _start(state0, epoch0, epoch, ng0.get("a1", 0.0))
            sol = _fit_start(start, epoch, obs, ng0, budget)
        except FitError as exc:
            errors.append(exc.reason)
            continue
        if best is None or _reduced_chi2(sol) < _reduced_chi2(best):
            best = sol
    if best is None:
        raise FitError(
            errors[0]
            if len(errors) == 1
            else f"no start converged ({'; '.join(sorted(set(errors)))})"
        )
    final, significant = _nongrav(best, obs, nongrav, budget)
    return build_result(
        final,
        a,
        observer=obs.observer,
        tdb=tdb,
        sigmas=(sig_ra, sig_dec),
        significant=significant,
        duplicates=duplicates,
        nights=count_nights(a.time_jd_utc),
        unplaced=unplaced,
        through_body=budget.through_body,
    )


def _nongrav(
    base: Solution, obs: _Observations, mode: Nongrav, budget: _Budget
) -> tuple[Solution, dict[str, bool]]:
    if mode == "none":
        return base, {}
    if "a1" in base.params:  # the gravity-only fit failed: A1 is in any case
        return _required_a1(base, obs, mode, budget)
    wanted: tuple[NongravParam, ...] = ("a1",) if mode in ("a1", "auto") else ("a1", "a2")
    seed: dict[str, float] = {p: _SEED_AU_D2 for p in wanted}
    try:
        sol = _with_rejection(base.state6, base.epoch_jd_tdb, obs, wanted, seed, budget=budget)
    except FitError:
        if mode == "auto":
            return base, {}
        raise
    flags: dict[str, bool] = {p: _significant(sol, base, p) for p in wanted}
    if mode != "auto":
        return sol, flags
    if not flags["a1"]:
        return base, {}
    try:
        sol2 = _with_rejection(
            sol.state6,
            sol.epoch_jd_tdb,
            obs,
            ("a1", "a2"),
            {"a2": _SEED_AU_D2, **sol.nongrav},
            budget=budget,
        )
    except FitError:
        return sol, {"a1": True}
    if _significant(sol2, sol, "a2"):
        return sol2, {"a1": _significant(sol2, base, "a1"), "a2": True}
    return sol, {"a1": True}
