"""Isolation Forest detector (scikit-learn's, with PyOD's sign: higher = more anomalous)."""

from __future__ import annotations

import weakref
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
        # scikit-learn's score_samples is the negated isolation score (higher = normal); this
        # is that score, computed as scikit-learn computes it (``_compute_score_samples``) with
        # the per-tree overhead left out: its joblib dispatch and input checks cost twice the
        # tree traversals themselves (figures in docs/performance.md, "Design measurements of
        # the scoring and orbit code").
        # Each tree adds (depth of the leaf + average path length of its samples - 1) to the
        # row's total, in tree order, exactly as scikit-learn adds them.
        forest = self.model_
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        depths = np.zeros(X32.shape[0])
        width = X32.shape[1]
        for tree, features, path in zip(
            forest.estimators_, forest.estimators_features_, _leaf_paths(forest), strict=True
        ):
            rows = X32 if len(features) == width else np.ascontiguousarray(X32[:, features])
            depths += path[tree.tree_.apply(rows)]
        denominator = (
            len(forest.estimators_)
            * _average_path_length(np.array([forest.max_samples_], dtype=np.float64))[0]
        )
        if denominator == 0:  # one training row: scikit-learn's score is 2 ** -1
            return np.full(X32.shape[0], 0.5)
        return np.asarray(2 ** (-(depths / denominator)), dtype=np.float64)


# Per fitted forest: for every tree, each node's depth + average path length - 1, the term a
# row reaching that node as a leaf adds to its total. Computed on first use from the trees'
# public arrays (not saved with the model); weak keys, so a dropped model frees its entry.
_PATHS: weakref.WeakKeyDictionary[IsolationForest, list[FloatArray]] = weakref.WeakKeyDictionary()


def _leaf_paths(forest: IsolationForest) -> list[FloatArray]:
    paths = _PATHS.get(forest)
    if paths is None:
        paths = [
            tree.tree_.compute_node_depths()
            + _average_path_length(tree.tree_.n_node_samples.astype(np.float64))
            - 1.0
            for tree in forest.estimators_
        ]
        _PATHS[forest] = paths
    return paths


def _average_path_length(n: FloatArray) -> FloatArray:
    """Average path length of an unsuccessful search in a binary search tree of ``n`` nodes,
    c(n) of Liu et al. (2008), as scikit-learn computes it: 0 for n <= 1, 1 for n = 2."""
    out = np.zeros(n.shape)
    more = n > 2
    out[n == 2] = 1.0
    out[more] = 2.0 * (np.log(n[more] - 1.0) + np.euler_gamma) - 2.0 * (n[more] - 1.0) / n[more]
    return out
