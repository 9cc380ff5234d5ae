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
