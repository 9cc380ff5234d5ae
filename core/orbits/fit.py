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
from collections.abc import Sequence
from typing import Literal

import numpy as np

from core._types import FloatArray
from core.errors import FitError
from core.orbits.astrometry import Astrometry
from core.orbits.ephemeris import utc_to_tdb
from core.orbits.lsq import (
    _SEED_AU_D2,
    ARCSEC_RAD,
    Solution,
    _Budget,
    _Observations,
    _with_rejection,
)
from core.orbits.observers import observatory, observers_of
from core.orbits.propagate import NongravParam
from core.orbits.result import OrbitFit, build_result
from core.orbits.starts import _fit_start, _initial_orbits, _Start, _start
from core.orbits.weights import count_nights, prepare, sigmas_arcsec

__all__ = ["Nongrav", "fit_orbit"]

Nongrav = Literal["auto", "none", "a1", "a1a2"]
SIGNIFICANCE = 3.0
DELTA_CHI2 = 9.0


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
