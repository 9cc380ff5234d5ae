"""ScoreCalibrator: monotone, bounded, fitted on training scores only, stored exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.calibration import ScoreCalibrator
from core.errors import NotFittedError

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    train=arrays(np.float64, st.integers(1, 300), elements=finite),
    queries=arrays(np.float64, st.integers(1, 200), elements=st.floats(-1e9, 1e9)),
)
def test_transform_and_probability_are_monotone_and_bounded(
    train: np.ndarray, queries: np.ndarray
) -> None:
    cal = ScoreCalibrator(contamination=0.1).fit(train)
    q = np.sort(queries)
    a, p = cal.transform(q), cal.probability(q)
    assert ((a >= 0) & (a <= 1)).all() and ((p >= 0) & (p <= 1)).all()
    assert (np.diff(a) >= 0).all() and (np.diff(p) >= 0).all()


def test_monotone_at_a_knot_where_linear_interpolation_rounds_up() -> None:
    # found by the property above: np.interp gives one ulp more just below the knot at 0
    # (slope * 53 + level rounds up) than at the knot itself
    train = np.array([-53.0] * 4 + [1.0] * 3 + [0.0] * 147)
    cal = ScoreCalibrator(contamination=0.1).fit(train)
    q = np.array([-53.0, -1.17549435e-38, 0.0, 1e-300, 1.0, 1.0 + 1e-12])
    assert np.interp(q[1], cal.knots_, cal.levels_) > np.interp(q[2], cal.knots_, cal.levels_)
    a = cal.transform(q)
    assert (np.diff(a) >= 0).all()
    assert a[2] == cal.levels_[1]  # at a knot, exactly its level


def test_levels_are_plotting_positions_and_tails_keep_ranking() -> None:
    train = np.arange(1.0, 100.0)  # 99 scores
    cal = ScoreCalibrator().fit(train)
    assert cal.transform(np.array([1.0]))[0] == pytest.approx(1 / 100)
    assert cal.transform(np.array([99.0]))[0] == pytest.approx(99 / 100)
    assert cal.transform(np.array([50.0]))[0] == pytest.approx(50 / 100)
    beyond = cal.transform(np.array([99.0, 100.0, 150.0, 1e4]))
    assert (np.diff(beyond) > 0).all() and beyond[-1] <= 1.0
    below = cal.transform(np.array([-1e4, -5.0, 0.0, 1.0]))
    assert (np.diff(below) > 0).all() and below[0] >= 0.0


def test_threshold_and_probability_follow_the_contamination() -> None:
    train = np.random.default_rng(0).gamma(2.0, size=5000)
    cal = ScoreCalibrator(contamination=0.05).fit(train)
    assert cal.threshold_ == pytest.approx(np.quantile(train, 0.95))
    assert np.mean(cal.transform(train) > cal.score_threshold_) == pytest.approx(0.05, abs=0.002)
    assert cal.probability(np.array([cal.threshold_]))[0] == pytest.approx(0.5)
    assert cal.probability(np.array([np.median(train)]))[0] == pytest.approx(0.05)


def test_ties_and_constant_scores() -> None:
    cal = ScoreCalibrator().fit(np.array([0.0, 0.0, 0.0, 1.0]))
    # all three zeros share the highest level of the tie (right-continuous CDF)
    assert cal.transform(np.array([0.0]))[0] == pytest.approx(3 / 5)
    flat = ScoreCalibrator().fit(np.full(10, 2.0))
    out = flat.transform(np.array([1.0, 2.0, 3.0]))
    assert out[0] < out[1] < out[2]
    assert ((out >= 0) & (out <= 1)).all()


def test_n_quantiles_compresses_without_breaking_order() -> None:
    train = np.random.default_rng(1).normal(size=20_000)
    cal = ScoreCalibrator(n_quantiles=101).fit(train)
    assert cal.knots_.size == 101
    assert np.abs(cal.transform(train) - (np.argsort(np.argsort(train)) + 1) / 20_001).max() < 0.01


def test_state_round_trips_exactly_through_json() -> None:
    train = np.random.default_rng(2).lognormal(size=500)
    cal = ScoreCalibrator(contamination=0.02).fit(train)
    back = ScoreCalibrator.from_state(json.loads(json.dumps(cal.get_state())))
    q = np.linspace(-1, 50, 300)
    np.testing.assert_array_equal(back.transform(q), cal.transform(q))
    np.testing.assert_array_equal(back.probability(q), cal.probability(q))


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        ScoreCalibrator().transform(np.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        ScoreCalibrator().fit(np.zeros(0))
    with pytest.raises(ValueError, match="finite"):
        ScoreCalibrator().fit(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="contamination"):
        ScoreCalibrator(contamination=0.7).fit(np.zeros(3))


def test_a_tiny_tail_scale_saturates_without_overflow_warnings() -> None:
    # found by the property test above: one training score of 1e-308 gives a tail scale of
    # ~1e-311, and a distance of one raw unit is then ~1e311 scales
    cal = ScoreCalibrator(contamination=0.1).fit(np.array([1.11253693e-308]))
    queries = np.array([-1.0, 0.0, 1.11253693e-308, 1.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # numpy's warnings
        out, prob = cal.transform(queries), cal.probability(queries)
    assert out[0] == 0.0 and out[-1] == 1.0 and prob[0] < 1e-200 and prob[-1] == 1.0
    assert (np.diff(out) >= 0).all() and (np.diff(prob) >= 0).all()
