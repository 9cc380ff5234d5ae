"""Isolation Forest: its scores are scikit-learn's own, computed without the per-tree overhead."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from detector_data import make_blobs

from core.detectors import IsolationForestDetector
from core.detectors import iforest as iforest_module


@pytest.mark.parametrize(
    ("max_features", "max_samples", "n_train"),
    [
        (1.0, "auto", 800),  # every feature, unpermuted: the shipped settings
        (0.5, "auto", 800),  # a feature subset per tree, in its own order
        (1.0, 2, 800),  # two rows per tree: c(2) = 1
        (1.0, 1.0, 3),  # leaves of one, two and three rows
        (1.0, 1, 50),  # one row per tree: every depth 0, scikit-learn says 2 ** -1
    ],
)
def test_raw_scores_are_scikit_learns_bit_for_bit(
    max_features: float, max_samples: int | float | str, n_train: int
) -> None:
    data = make_blobs(n_train=n_train, d=6)
    det = IsolationForestDetector(
        n_estimators=40, max_features=max_features, max_samples=max_samples, random_state=3
    ).fit(data.train)
    expected = -det.model_.score_samples(data.test)
    assert np.array_equal(det._raw_scores(data.test), expected)
    rows = np.ascontiguousarray(data.test[::-1][:7])
    assert np.array_equal(det._raw_scores(rows), expected[::-1][:7])  # any batch, any order


def test_outliers_score_higher_than_inliers() -> None:
    data = make_blobs()
    det = IsolationForestDetector(n_estimators=50).fit(data.train)
    scores = det.anomaly_score(data.test)
    assert scores[data.labels == 1].min() > np.median(scores[data.labels == 0])


def test_the_per_tree_terms_are_not_kept_with_a_dropped_model() -> None:
    data = make_blobs(n_train=100, d=3)
    det = IsolationForestDetector(n_estimators=5).fit(data.train)
    det.score_samples(data.test)
    assert det.model_ in iforest_module._PATHS
    before = len(iforest_module._PATHS)
    del det
    gc.collect()
    assert len(iforest_module._PATHS) == before - 1
