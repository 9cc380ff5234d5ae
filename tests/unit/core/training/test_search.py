"""Candidate configurations: grid contents, seeded random draws, seeded Bayesian search."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from core.training.search import grid_candidates, random_candidates, run_search


def test_aneos_grid_has_the_design_axes() -> None:
    iforest = grid_candidates("iforest")
    assert len(iforest) == 9
    assert {p["contamination"] for p in iforest} == {0.05, 0.1, 0.15}
    ocsvm = grid_candidates("ocsvm")
    assert len(ocsvm) == 12
    assert {p["gamma"] for p in ocsvm} == {"scale", "auto", 0.1, 1.0}
    ae = grid_candidates("autoencoder")
    assert {(p["latent_dim"], p["learning_rate"]) for p in ae} == {
        (d, lr) for d in (8, 16, 32) for lr in (0.001, 0.01)
    }


def test_random_candidates_are_seeded_and_in_range() -> None:
    a = random_candidates("ocsvm", 5, np.random.default_rng(1))
    b = random_candidates("ocsvm", 5, np.random.default_rng(1))
    assert a == b
    assert all(0.01 <= p["nu"] <= 0.2 for p in a)
    ints = random_candidates("iforest", 20, np.random.default_rng(2))
    assert all(isinstance(p["n_estimators"], int) and 50 <= p["n_estimators"] <= 200 for p in ints)


def _objective(params: Mapping[str, Any]) -> float:
    # a smooth function peaking at nu = 0.05
    return -abs(float(params["nu"]) - 0.05)


def test_bayesian_search_is_seeded_and_improves_on_its_start() -> None:
    first = run_search("ocsvm", _objective, method="bayesian", n_trials=15, seed=3)
    again = run_search("ocsvm", _objective, method="bayesian", n_trials=15, seed=3)
    assert [t.params for t in first] == [t.params for t in again]
    assert len(first) == 15
    assert max(t.value for t in first) > -0.01


def test_grid_search_runs_every_candidate_in_order() -> None:
    trials = run_search("autoencoder", lambda p: float(p["latent_dim"]), method="grid")
    assert [t.value for t in trials] == [8.0, 8.0, 16.0, 16.0, 32.0, 32.0]


def test_unknown_kind_and_method_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown detector kind"):
        grid_candidates("lof")
    with pytest.raises(ValueError, match="unknown search method"):
        run_search("ocsvm", _objective, method="annealing")  # type: ignore[arg-type]
