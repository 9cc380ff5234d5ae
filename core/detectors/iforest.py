"""Isolation Forest detector (scikit-learn's, with PyOD's sign: higher = more anomalous)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.ensemble import IsolationForest

from core._types import FloatArray
from core.detectors.base import BaseDetector

__all__ = ["IsolationForestDetector"]


class IsolationForestDetector(BaseDetector):
    """Anomalies are isolated by fewer random splits than inliers.

    Parameters
    ----------
    n_estimators : int, default=200
        Number of trees.
    max_samples : int, float or "auto", default="auto"
        Rows drawn per tree (``"auto"``: ``min(256, n)``).
    contamination : float, default=0.05
        Expected anomaly fraction; sets :attr:`threshold_` (it does not change the forest).
    max_features : int or float, default=1.0
        Features drawn per tree.
    random_state : int or None, default=0
        Seed of the forest.
    n_jobs : int or None, default=1
        Threads for fit and scoring; 1 leaves the cores to the executor workers.

    Attributes
    ----------
    model_ : sklearn.ensemble.IsolationForest
    """

    def __init__(
        self,
        *,
        n_estimators: int = 200,
        max_samples: int | float | Literal["auto"] = "auto",
        contamination: float = 0.05,
        max_features: int | float = 1.0,
        random_state: int | None = 0,
        n_jobs: int | None = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.max_features = max_features
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit(self, X: FloatArray, y: object) -> None:
        self.model_ = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=self.max_samples,
            max_features=self.max_features,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        ).fit(X)

    def _raw_scores(self, X: FloatArray) -> FloatArray:
        # scikit-learn's score_samples is the negated isolation score (higher = normal).
        return np.asarray(-self.model_.score_samples(X), dtype=np.float64)
