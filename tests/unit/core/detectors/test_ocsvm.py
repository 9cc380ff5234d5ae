"""One-Class SVM: the exact/scalable path switch and the resolved kernel."""

from __future__ import annotations

import numpy as np
from detector_data import make_blobs
from sklearn.metrics import roc_auc_score

from core.detectors import OneClassSVMDetector


def test_exact_path_up_to_the_limit_and_scalable_above() -> None:
    data = make_blobs(n_train=101)
    at_limit = OneClassSVMDetector(exact_max_samples=101).fit(data.train)
    above = OneClassSVMDetector(exact_max_samples=100, n_components=50).fit(data.train)
    assert at_limit.solver_ == "exact"
    assert above.solver_ == "nystroem_sgd"
    assert roc_auc_score(data.labels, above.score_samples(data.test)) >= 0.9


def test_scalable_path_trains_on_a_full_catalog_sized_matrix() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20_000, 40))
    det = OneClassSVMDetector(exact_max_samples=5000).fit(X)
    assert det.solver_ == "nystroem_sgd"
    far = rng.normal(size=(20, 40)) + 6.0
    assert det.anomaly_score(far).min() > det.threshold_


def test_gamma_scale_and_auto_resolve_like_scikit_learn() -> None:
    X = make_blobs(n_train=200, d=5).train * 3.0
    assert OneClassSVMDetector(gamma="scale").fit(X).gamma_ == 1.0 / (5 * X.var())
    assert OneClassSVMDetector(gamma="auto").fit(X).gamma_ == 1.0 / 5
    assert OneClassSVMDetector(gamma=0.25).fit(X).gamma_ == 0.25


def test_scalable_path_scores_as_the_pipeline_it_folds() -> None:
    # the Nystroem normalisation and the SGD weights are folded into one vector for scoring:
    # the scores must be the pipeline's own decision function, for every kernel, up to
    # rounding (largest for the linear kernel, whose rank-deficient landmark matrix gives a
    # normalisation with large entries: ~1e-10 on scores of ~0.4)
    data = make_blobs(n_train=400, d=6)
    for kernel in ("rbf", "poly", "sigmoid", "linear"):
        det = OneClassSVMDetector(
            kernel=kernel, exact_max_samples=100, n_components=60, coef0=0.5
        ).fit(data.train)
        assert det.solver_ == "nystroem_sgd"
        expected = -det.model_.decision_function(data.test)
        scale = float(np.abs(expected).max())
        np.testing.assert_allclose(det._raw_scores(data.test), expected, rtol=0, atol=1e-8 * scale)
