"""The least-squares core of the orbit fit: observations, one converged solution, Gauss-Newton
with step shortening, outlier rejection, and the fit's bounds (:class:`_Budget`).

The method and its sources are described in :mod:`core.orbits.fit`, which drives it.
"""

from __future__ import annotations

import math
import time

import msgspec
import numpy as np

from core._types import BoolArray, FloatArray
from core.errors import FitError
from core.orbits.predict import radec_from_states, radec_partials
from core.orbits.propagate import (
    ImpactError,
    NongravParam,
    PropagationError,
    propagate_with_partials,
)
from core.orbits.weights import MIN_OBSERVATIONS

__all__ = ["ARCSEC_RAD", "MAX_FIT_SECONDS", "Solution"]

ARCSEC_RAD = math.pi / (180.0 * 3600.0)
REJECT_CHI2 = 8.0
RECOVER_CHI2 = 7.0
MAX_ITERATIONS = 30
MAX_REJECTION_ROUNDS = 10
_SEED_AU_D2 = 1e-15
"""Start value of a fitted non-grav term: ASSIST skips the non-gravitational force (and its
partials) while A1 = A2 = A3 = 0, so the first iteration needs a negligible non-zero value."""
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
