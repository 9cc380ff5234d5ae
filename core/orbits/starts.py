"""Starting orbits of the fit: initial orbits, and the fit grown from a well-conditioned window.

Described in :mod:`core.orbits.fit` and docs/orbits.md ("The Earth's neighbourhood").
"""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.errors import FitError
from core.orbits.lsq import _SEED_AU_D2, Solution, _Budget, _Observations, _with_rejection
from core.orbits.propagate import PropagationError, propagate
from core.orbits.weights import MIN_OBSERVATIONS

__all__ = ["MAX_STARTS", "WINDOW_DAYS"]

MAX_STARTS = 4
"""Initial orbits tried (best first): the differential correction picks the lowest chi-square."""
WINDOW_DAYS = (40.0, 5.0, 2.0)
"""Longer arcs start from a fit to their densest 40 days, else 5 or 2 days (``_initial_orbits``)."""
GROWTH_FACTOR = 2.0
"""Each step of :func:`_grow` doubles the window."""
START_RMS_FACTOR = 10.0
START_RMS_FLOOR_ARCSEC = 10.0
"""A candidate whose two-body RMS exceeds 10x the best one's (and 10 arcsec) is not tried."""

_Start = tuple[FloatArray, float, dict[str, float]]
"""A starting orbit: heliocentric state, its epoch, the non-gravitational terms it holds."""


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
