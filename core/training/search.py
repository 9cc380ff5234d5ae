"""Candidate detector configurations: the aNEOS grid, random search and Bayesian search.

A search proposes parameter dicts for one detector kind (``"iforest"``, ``"ocsvm"``,
``"autoencoder"``) and asks an *objective* to fit and score each one; the objective returns
the validation metric to maximise (the training pipeline uses average precision on held-out
naturals plus injected anomalies). Three strategies:

``grid``
    The aNEOS design's grid: Isolation Forest contamination x n_estimators, One-Class SVM
    nu x gamma, autoencoder latent size x learning rate. ``n_estimators`` is 50/100/200
    rather than the design's 100/200/300: scores of larger forests barely change while the
    model file and the scoring time grow linearly (the throughput target is per core).
``random``
    ``n_trials`` independent draws from the continuous search space, seeded.
``bayesian``
    optuna's TPE sampler (seeded) over the same space, ``n_trials`` trials. optuna's own
    logging is routed to the level of our ``core.training.search`` logger, so it does not print
    a line per trial unless debug logging is on.

Every strategy returns :class:`Trial` objects in the order they ran.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "DETECTOR_KINDS",
    "SearchMethod",
    "Trial",
    "grid_candidates",
    "random_candidates",
    "run_search",
]

SearchMethod = Literal["grid", "random", "bayesian"]
DETECTOR_KINDS: tuple[str, ...] = ("iforest", "ocsvm", "autoencoder")

_log = logging.getLogger(__name__)

# The aNEOS grid (see the module docstring for the n_estimators change).
_GRID: dict[str, dict[str, tuple[Any, ...]]] = {
    "iforest": {"contamination": (0.05, 0.1, 0.15), "n_estimators": (50, 100, 200)},
    "ocsvm": {"nu": (0.05, 0.1, 0.15), "gamma": ("scale", "auto", 0.1, 1.0)},
    "autoencoder": {"latent_dim": (8, 16, 32), "learning_rate": (0.001, 0.01)},
}

# A small grid for --quick runs and tests: one or two cheap configurations per kind.
_QUICK_GRID: dict[str, dict[str, tuple[Any, ...]]] = {
    "iforest": {"contamination": (0.1,), "n_estimators": (50,)},
    "ocsvm": {"nu": (0.05, 0.1), "gamma": ("scale",)},
    "autoencoder": {"latent_dim": (8,), "learning_rate": (0.01,)},
}

# Continuous space for random and Bayesian search: (type, low, high[, log]) or choices.
_SPACE: dict[str, dict[str, tuple[Any, ...]]] = {
    "iforest": {
        "n_estimators": ("int", 50, 200, False),
        "contamination": ("float", 0.01, 0.2, False),
        "max_features": ("float", 0.5, 1.0, False),
    },
    "ocsvm": {
        "nu": ("float", 0.01, 0.2, True),
        "gamma": ("choice", "scale", "auto", 0.01, 0.1, 1.0),
    },
    "autoencoder": {
        "latent_dim": ("int", 4, 32, True),
        "learning_rate": ("float", 1e-4, 1e-2, True),
        "dropout": ("float", 0.0, 0.3, False),
    },
}


@dataclass(frozen=True, slots=True)
class Trial:
    """One evaluated configuration: its parameters and the objective's value (maximised)."""

    kind: str
    params: Mapping[str, Any]
    value: float


Objective = Callable[[Mapping[str, Any]], float]


def grid_candidates(kind: str, *, quick: bool = False) -> list[dict[str, Any]]:
    """The aNEOS grid (or the quick grid) for one detector kind, in a fixed order."""
    grid = (_QUICK_GRID if quick else _GRID)[_check_kind(kind)]
    names = list(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())]


def random_candidates(kind: str, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """``n`` independent draws from the search space of ``kind``."""
    space = _SPACE[_check_kind(kind)]
    out = []
    for _ in range(n):
        params: dict[str, Any] = {}
        for name, spec in space.items():
            params[name] = _draw(spec, rng)
        out.append(params)
    return out


def run_search(
    kind: str,
    objective: Objective,
    *,
    method: SearchMethod = "grid",
    n_trials: int = 12,
    seed: int = 0,
    quick: bool = False,
) -> list[Trial]:
    """Run one search strategy for one detector kind.

    Parameters
    ----------
    kind : str
        ``"iforest"``, ``"ocsvm"`` or ``"autoencoder"``.
    objective : callable
        ``objective(params) -> float``, the validation value to maximise.
    method : {"grid", "random", "bayesian"}
        Search strategy (see the module docstring).
    n_trials : int
        Number of trials for random and Bayesian search (the grid has its own size).
    seed : int
        Seed of the random draws or of the TPE sampler.
    quick : bool
        Use the quick grid (only for ``method="grid"``).

    Returns
    -------
    list of Trial
        In the order they ran.
    """
    _check_kind(kind)
    if method == "grid":
        return [Trial(kind, p, float(objective(p))) for p in grid_candidates(kind, quick=quick)]
    if method == "random":
        rng = np.random.default_rng(seed)
        return [Trial(kind, p, float(objective(p))) for p in random_candidates(kind, n_trials, rng)]
    if method == "bayesian":
        return _bayesian(kind, objective, n_trials, seed)
    raise ValueError(f"unknown search method {method!r}; expected grid, random or bayesian")


def _bayesian(kind: str, objective: Objective, n_trials: int, seed: int) -> list[Trial]:
    import optuna

    # optuna logs every trial at INFO through its own handler; follow our logger's level.
    optuna.logging.set_verbosity(max(_log.getEffectiveLevel(), logging.WARNING))
    space = _SPACE[kind]
    trials: list[Trial] = []

    def _optuna_objective(trial: optuna.Trial) -> float:
        params = {name: _suggest(trial, name, spec) for name, spec in space.items()}
        value = float(objective(params))
        trials.append(Trial(kind, params, value))
        return value

    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_optuna_objective, n_trials=n_trials)
    return trials


def _check_kind(kind: str) -> str:
    if kind not in DETECTOR_KINDS:
        raise ValueError(f"unknown detector kind {kind!r}; expected one of {DETECTOR_KINDS}")
    return kind


def _draw(spec: tuple[Any, ...], rng: np.random.Generator) -> Any:
    if spec[0] == "choice":
        return spec[1 + int(rng.integers(len(spec) - 1))]
    _, low, high, log = spec
    if log:
        value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    else:
        value = float(rng.uniform(low, high))
    return round(value) if spec[0] == "int" else value


def _suggest(trial: Any, name: str, spec: tuple[Any, ...]) -> Any:
    if spec[0] == "choice":
        return trial.suggest_categorical(name, list(spec[1:]))
    if spec[0] == "int":
        return trial.suggest_int(name, spec[1], spec[2], log=spec[3])
    return trial.suggest_float(name, spec[1], spec[2], log=spec[3])
