"""The contract every detector keeps: clone, not-fitted errors, sign, calibration, batches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from detector_data import Blobs
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.metrics import roc_auc_score

from core.detectors import (
    AutoencoderDetector,
    BaseDetector,
    IsolationForestDetector,
    OneClassSVMDetector,
)
from core.errors import NotFittedError

FACTORIES: dict[str, Callable[[], BaseDetector]] = {
    "iforest": lambda: IsolationForestDetector(n_estimators=100, contamination=0.05),
    "ocsvm_exact": lambda: OneClassSVMDetector(nu=0.05, contamination=0.05),
    "ocsvm_scalable": lambda: OneClassSVMDetector(
        nu=0.05, exact_max_samples=100, n_components=100, contamination=0.05
    ),
    "autoencoder": lambda: AutoencoderDetector(
        hidden_layers=(16,), latent_dim=4, max_epochs=15, batch_size=64, contamination=0.05
    ),
}
# Exact: the autoencoder scores in float64 rounded to 10 significant digits (batch == alone).
RTOL: dict[str, float] = {}


@pytest.fixture(scope="module", params=list(FACTORIES))
def fitted(request: pytest.FixtureRequest, blobs: Blobs) -> tuple[str, BaseDetector]:
    name: str = request.param
    return name, FACTORIES[name]().fit(blobs.train)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_clone_copies_params_and_not_fitted_state(name: str, blobs: Blobs) -> None:
    det = FACTORIES[name]()
    det.set_params(contamination=0.1)
    copy = clone(det)
    assert copy.get_params() == det.get_params()
    with pytest.raises(NotFittedError):
        copy.score_samples(blobs.test)


@pytest.mark.parametrize("name", list(FACTORIES))
@pytest.mark.parametrize(
    "method", ["score_samples", "anomaly_score", "anomaly_probability", "predict_proba", "predict"]
)
def test_use_before_fit_raises_not_fitted(name: str, method: str, blobs: Blobs) -> None:
    det = FACTORIES[name]()
    with pytest.raises(NotFittedError) as err:
        getattr(det, method)(blobs.test)
    assert isinstance(err.value, SklearnNotFittedError)


def test_fit_returns_self(blobs: Blobs) -> None:
    det = IsolationForestDetector(n_estimators=10)
    assert det.fit(blobs.train) is det


def test_outliers_score_higher_than_inliers(fitted: tuple[str, BaseDetector], blobs: Blobs) -> None:
    _, det = fitted
    raw = det.score_samples(blobs.test)
    inlier, outlier = raw[blobs.labels == 0], raw[blobs.labels == 1]
    assert outlier.min() > np.median(inlier)
    assert roc_auc_score(blobs.labels, raw) >= 0.9
    assert roc_auc_score(blobs.labels, det.anomaly_score(blobs.test)) >= 0.9


def test_calibrated_outputs_are_bounded_and_consistent(
    fitted: tuple[str, BaseDetector], blobs: Blobs
) -> None:
    _, det = fitted
    score = det.anomaly_score(blobs.test)
    proba = det.predict_proba(blobs.test)
    assert ((score >= 0) & (score <= 1)).all()
    assert proba.shape == (len(blobs.test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba[:, 1], det.anomaly_probability(blobs.test))
    np.testing.assert_array_equal(det.predict(blobs.test), (score > det.threshold_).astype(int))
    # every far outlier is flagged and the training alert rate is the contamination
    assert det.predict(blobs.test)[blobs.labels == 1].all()
    assert abs(det.predict(blobs.train).mean() - det.contamination) <= 0.01


def test_record_scores_the_same_alone_and_in_any_batch(
    fitted: tuple[str, BaseDetector], blobs: Blobs
) -> None:
    name, det = fitted
    rtol = RTOL.get(name, 0.0)
    batch = det.score_samples(blobs.test)
    alone = np.array([det.score_samples(blobs.test[i : i + 1])[0] for i in range(len(blobs.test))])
    np.testing.assert_allclose(alone, batch, rtol=rtol)
    order = np.random.default_rng(1).permutation(len(blobs.test))
    np.testing.assert_allclose(det.score_samples(blobs.test[order]), batch[order], rtol=rtol)
    mixed = np.vstack([blobs.test[:3], blobs.train[:500]])
    np.testing.assert_allclose(
        det.anomaly_score(mixed)[:3], det.anomaly_score(blobs.test[:3]), rtol=rtol
    )


def test_bad_input_is_rejected(fitted: tuple[str, BaseDetector], blobs: Blobs) -> None:
    _, det = fitted
    with pytest.raises(ValueError, match="features"):
        det.score_samples(blobs.test[:, :3])
    bad = blobs.test.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        det.score_samples(bad)
