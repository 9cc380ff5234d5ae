"""Feature contributions: the deviating, influential feature is named first."""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.serving.explain import ContributionModel, occlusion_sensitivity

_NAMES = ["a", "b", "c", "c__missing"]


def _fitted(sensitivity: list[float]) -> ContributionModel:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    X[:, 3] = (rng.random(500) < 0.1).astype(float)
    return ContributionModel.fit(X, _NAMES, np.array([0, 1, 2, 2]), np.array(sensitivity))


def test_occlusion_sensitivity_finds_the_column_the_score_uses() -> None:
    def score(M: FloatArray) -> FloatArray:
        return np.asarray(np.abs(M[:, 1]), dtype=np.float64)

    X = np.random.default_rng(1).normal(size=(50, 3)) + np.array([0.0, 5.0, 0.0])
    s = occlusion_sensitivity(score, X, np.zeros(3))
    assert s[1] > 4.0
    assert s[0] < 1e-6 and s[2] < 1e-6


def test_top_contribution_is_the_deviating_sensitive_feature() -> None:
    model = _fitted([1.0, 1.0, 0.01, 0.5])
    X = np.array([[0.1, 6.0, 9.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    raw = np.array([[10.0, 60.0, np.nan, 7.0], [1.0, 2.0, 3.0, 4.0]])
    out = model.explain(X, raw, np.array([0.9, 0.2]), top=3)
    first = out[0][0]
    assert first["feature"] == "b" and first["value"] == 60.0
    # c deviates more but the ensemble barely reacts to it: ranked below b
    assert [c["feature"] for c in out[0]] == ["b", "c"]
    assert out[0][1]["value"] is None  # raw value missing
    assert sum(c["contribution"] for c in out[0]) <= 0.9 + 1e-12
    assert out[1] == []  # a typical record has nothing pushing it up


def test_missing_indicator_reports_whether_the_value_was_missing() -> None:
    model = _fitted([0.0, 0.0, 0.0, 1.0])
    X = np.array([[0.0, 0.0, 0.0, 1.0]])
    raw = np.array([[0.0, 0.0, np.nan, 0.0]])
    (row,) = model.explain(X, raw, np.array([0.5]), top=5)
    assert row == [{"feature": "c__missing", "value": 1.0, "contribution": 0.5}]


def test_json_round_trip_keeps_every_statistic() -> None:
    model = _fitted([1.0, 2.0, 3.0, 4.0])
    back = ContributionModel.from_json(model.to_json())
    assert back.names == model.names
    np.testing.assert_array_equal(back.center, model.center)
    np.testing.assert_array_equal(back.scale, model.scale)
    np.testing.assert_array_equal(back.sensitivity, model.sensitivity)
    np.testing.assert_array_equal(back.is_indicator, [False, False, False, True])
