"""Evaluation metrics on inputs whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from core.training.evaluation import (
    average_precision,
    bootstrap_interval,
    evaluate_scores,
    false_alert_rate,
    roc_auc,
    threshold_at_false_alert_rate,
)


def test_perfect_separation_gives_auc_and_ap_of_one() -> None:
    labels = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    assert roc_auc(labels, scores) == 1.0
    assert average_precision(labels, scores) == 1.0


def test_reversed_scores_give_auc_zero_and_hand_computed_value() -> None:
    labels = np.array([0, 1, 0, 1])
    assert roc_auc(labels, np.array([0.9, 0.1, 0.8, 0.2])) == 0.0
    # one of four (pos, neg) pairs ordered correctly: pos 0.5 > neg 0.4
    assert roc_auc(labels, np.array([0.4, 0.5, 0.9, 0.1])) == 0.25


def test_bootstrap_interval_contains_point_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(3)
    labels = np.r_[np.zeros(300, np.int64), np.ones(60, np.int64)]
    scores = np.r_[rng.normal(0, 1, 300), rng.normal(1.5, 1, 60)]
    a = bootstrap_interval(labels, scores, roc_auc, n_boot=100, seed=7)
    b = bootstrap_interval(labels, scores, roc_auc, n_boot=100, seed=7)
    assert a == b
    assert a.low <= a.value <= a.high
    assert a.low < a.value < a.high  # a noisy set has a non-degenerate interval
    assert 0.75 < a.value < 0.95


def test_bootstrap_of_perfect_separation_is_degenerate_at_one() -> None:
    labels = np.r_[np.zeros(50, np.int64), np.ones(10, np.int64)]
    scores = np.r_[np.linspace(0, 0.4, 50), np.linspace(0.6, 1, 10)]
    iv = bootstrap_interval(labels, scores, roc_auc, n_boot=50, seed=0)
    assert (iv.value, iv.low, iv.high) == (1.0, 1.0, 1.0)


def test_bootstrap_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both classes"):
        bootstrap_interval(np.zeros(5, np.int64), np.arange(5.0), roc_auc)


def test_threshold_gives_at_most_the_target_false_alert_rate() -> None:
    naturals = np.arange(1000, dtype=np.float64)  # 0..999
    thr = threshold_at_false_alert_rate(naturals, 0.01)
    assert false_alert_rate(naturals, thr) == 0.01  # exactly 990..999 alert
    assert 989.0 < thr <= 990.0
    # ties at the boundary never push the rate above the target
    tied = np.r_[np.zeros(95), np.ones(5)]
    thr = threshold_at_false_alert_rate(tied, 0.02)
    assert false_alert_rate(tied, thr) == 0.0


def test_evaluate_scores_reports_rates_at_threshold() -> None:
    labels = np.array([0, 0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.6, 0.9])
    ev = evaluate_scores("x", labels, scores, threshold=0.5, n_boot=20, seed=1)
    assert ev.false_alert_rate == 0.25
    assert ev.detection_rate == 1.0
    assert (ev.n_natural, ev.n_anomalous) == (4, 2)
    assert ev.roc_auc.value == pytest.approx(7 / 8)
    assert ev.to_dict()["roc_auc"]["value"] == pytest.approx(7 / 8)
