"""The detector contract shared by every anomaly detector and the ensemble.

A detector follows scikit-learn's estimator contract (parameters as keywords, ``__init__``
does no work, ``fit(X) -> self``, fitted state ending in ``_``) and PyOD's score convention:
**higher = more anomalous** everywhere. Subclasses implement two hooks:

``_fit(X, y)``
    train on the preprocessed matrix;
``_raw_scores(X)``
    raw anomaly scores, per row, with no dependence on the other rows.

:meth:`BaseDetector.fit` then fits a :class:`~core.calibration.ScoreCalibrator` on the
training raw scores and sets :attr:`threshold_` on the calibrated scale from
``contamination``. Every scoring method is derived from those two pieces, so every detector
answers the same questions the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

import numpy as np
from sklearn.base import BaseEstimator

from core._types import FloatArray, IntArray
from core.calibration import ScoreCalibrator
from core.errors import NotFittedError

__all__ = ["BaseDetector"]


class BaseDetector(BaseEstimator, ABC):  # type: ignore[misc]
    """Abstract anomaly detector: raw scores, calibrated scores, probabilities, labels.

    Subclasses must accept ``contamination`` as an ``__init__`` keyword.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    calibrator_ : ScoreCalibrator
        Fitted on the training raw scores.
    threshold_ : float
        Calibrated-score threshold above which :meth:`predict` says 1.
    """

    contamination: float

    def fit(self, X: FloatArray, y: object = None) -> Self:
        """Fit the detector on ``X`` (n × d, finite) and calibrate it on its training scores.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Preprocessed training matrix.
        y : ignored by the unsupervised detectors (the ensemble's stacking may use it).

        Returns
        -------
        self
        """
        X = _check_matrix(X)
        if X.shape[0] < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 training rows")
        self._fit(X, y)
        self.n_features_in_ = X.shape[1]
        self.calibrator_ = ScoreCalibrator(contamination=self.contamination).fit(
            round_significant(self._raw_scores(X))
        )
        self.threshold_ = self.calibrator_.score_threshold_
        return self

    def score_samples(self, X: FloatArray) -> FloatArray:
        """Raw anomaly scores, higher = more anomalous (scale depends on the detector)."""
        return round_significant(self._raw_scores(self._validate_for_scoring(X)))

    def anomaly_score(self, X: FloatArray) -> FloatArray:
        """Calibrated anomaly score in ``[0, 1]`` (training-score CDF, see ScoreCalibrator)."""
        raw = self.score_samples(X)  # first: it raises NotFittedError before fit
        return self.calibrator_.transform(raw)

    def anomaly_probability(self, X: FloatArray) -> FloatArray:
        """Calibrated probability of being anomalous, shape ``(n,)``."""
        raw = self.score_samples(X)
        return self.calibrator_.probability(raw)

    def predict_proba(self, X: FloatArray) -> FloatArray:
        """``[P(normal), P(anomaly)]`` per row, shape ``(n, 2)`` (PyOD / scikit-learn layout)."""
        p = self.anomaly_probability(X)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: FloatArray) -> IntArray:
        """1 where the calibrated score exceeds :attr:`threshold_`, else 0."""
        return (self.anomaly_score(X) > self.threshold_).astype(np.int64)

    @abstractmethod
    def _fit(self, X: FloatArray, y: object) -> None:
        """Train on the validated matrix ``X``."""

    @abstractmethod
    def _raw_scores(self, X: FloatArray) -> FloatArray:
        """Raw scores of the validated matrix ``X``, row by row."""

    def _validate_for_scoring(self, X: FloatArray) -> FloatArray:
        """Check fitted, then that ``X`` is a finite matrix with the training width."""
        self._check_fitted()
        X = _check_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{type(self).__name__} expects {self.n_features_in_} features, got {X.shape[1]}"
            )
        return X

    def _check_fitted(self) -> None:
        if not hasattr(self, "calibrator_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit first")

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "calibrator_")


RAW_DIGITS = 12
"""Significant digits kept of a raw score.

Matrix products (the Nystroem map, the autoencoder, the ensemble's weighted sums) are
summed in a different order for one row than for many by BLAS, which changes the last bits
(~1e-16 relative). Rounding raw scores to 12 significant digits removes that noise, so a
record scores identically alone and in any batch; 12 digits are far below any meaningful
score difference."""


def round_significant(x: FloatArray, digits: int = RAW_DIGITS) -> FloatArray:
    """Round every element of ``x`` to ``digits`` significant digits (0 and ±inf unchanged)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(np.abs(x)))
    exponent = np.where(np.isfinite(exponent), exponent, 0.0)
    scale = 10.0 ** (digits - 1 - exponent)
    out: FloatArray = np.where(np.isfinite(x), np.round(x * scale) / scale, x)
    return out


def _check_matrix(X: FloatArray) -> FloatArray:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D matrix, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("detector input must be finite; run the Preprocessor first")
    return arr
