"""One-Class SVM detector with a scalable path for large training sets.

Exact kernel One-Class SVM (libsvm) costs O(n²)–O(n³) in the number of training rows. Up to
``exact_max_samples`` rows the exact solver runs; above it the detector fits a
:class:`~sklearn.kernel_approximation.Nystroem` feature map (``n_components`` landmarks of
the same kernel) followed by a linear :class:`~sklearn.linear_model.SGDOneClassSVM`, which
approximates the same ν-SVM objective in O(n) and trains 20k+ rows in seconds. Which path
ran is stored in :attr:`OneClassSVMDetector.solver_` and logged.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import structlog
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import SGDOneClassSVM
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.pipeline import Pipeline
from sklearn.svm import OneClassSVM

from core._types import FloatArray
from core.detectors.base import BaseDetector

__all__ = ["OneClassSVMDetector"]

_log = structlog.get_logger(__name__)

Kernel = Literal["rbf", "poly", "sigmoid", "linear"]


class OneClassSVMDetector(BaseDetector):
    """ν One-Class SVM: a boundary around the training data; outside = anomalous.

    Parameters
    ----------
    nu : float, default=0.05
        Upper bound on the fraction of training errors (and lower bound on support vectors).
    gamma : float or {"scale", "auto"}, default="scale"
        Kernel coefficient; ``"scale"`` = ``1 / (d · Var(X))``, ``"auto"`` = ``1 / d``,
        resolved at fit into :attr:`gamma_` so both paths use the same kernel.
    kernel : {"rbf", "poly", "sigmoid", "linear"}, default="rbf"
    degree : int, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=0.0
        Independent term of the poly / sigmoid kernels.
    contamination : float, default=0.05
        Expected anomaly fraction; sets :attr:`threshold_`.
    exact_max_samples : int, default=5000
        Largest training set solved exactly; above it the Nystroem + SGD path runs.
    n_components : int, default=300
        Nystroem landmarks of the scalable path.
    sgd_max_iter : int, default=50
        Epochs of the scalable path's SGD.
    random_state : int or None, default=0
        Seed of the scalable path (the exact path is deterministic).

    Attributes
    ----------
    solver_ : {"exact", "nystroem_sgd"}
        Which path ran.
    gamma_ : float
        The resolved kernel coefficient.
    model_ : OneClassSVM or Pipeline
    """

    def __init__(
        self,
        *,
        nu: float = 0.05,
        gamma: float | Literal["scale", "auto"] = "scale",
        kernel: Kernel = "rbf",
        degree: int = 3,
        coef0: float = 0.0,
        contamination: float = 0.05,
        exact_max_samples: int = 5000,
        n_components: int = 300,
        sgd_max_iter: int = 50,
        random_state: int | None = 0,
    ) -> None:
        self.nu = nu
        self.gamma = gamma
        self.kernel = kernel
        self.degree = degree
        self.coef0 = coef0
        self.contamination = contamination
        self.exact_max_samples = exact_max_samples
        self.n_components = n_components
        self.sgd_max_iter = sgd_max_iter
        self.random_state = random_state

    def _fit(self, X: FloatArray, y: object) -> None:
        n, d = X.shape
        self.gamma_ = _resolve_gamma(self.gamma, X)
        if n <= self.exact_max_samples:
            self.solver_ = "exact"
            self.model_: OneClassSVM | Pipeline = OneClassSVM(
                kernel=self.kernel,
                nu=self.nu,
                gamma=self.gamma_,
                degree=self.degree,
                coef0=self.coef0,
            ).fit(X)
        else:
            self.solver_ = "nystroem_sgd"
            self.model_ = self._fit_scalable(X)
        _log.info("ocsvm_fitted", solver=self.solver_, n_samples=n, n_features=d)

    def _fit_scalable(self, X: FloatArray) -> Pipeline:
        pipe = Pipeline(
            [
                (
                    "nystroem",
                    Nystroem(
                        kernel=self.kernel,
                        gamma=self.gamma_,
                        degree=self.degree,
                        coef0=self.coef0,
                        n_components=min(self.n_components, X.shape[0]),
                        random_state=self.random_state,
                    ),
                ),
                (
                    "sgd",
                    SGDOneClassSVM(
                        nu=self.nu,
                        max_iter=self.sgd_max_iter,
                        tol=1e-4,
                        average=True,
                        random_state=self.random_state,
                    ),
                ),
            ]
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            pipe.fit(X)
        # Averaged SGD is usable before it meets tol; say so instead of failing the fit.
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                _log.warning("ocsvm_sgd_not_converged", max_iter=self.sgd_max_iter)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return pipe

    def _raw_scores(self, X: FloatArray) -> FloatArray:
        # decision_function is positive inside the boundary: negate for higher = anomalous.
        if isinstance(self.model_, Pipeline):
            return -_linear_decision(self.model_, X)
        return np.asarray(-self.model_.decision_function(X), dtype=np.float64)


def _linear_decision(pipe: Pipeline, X: FloatArray) -> FloatArray:
    """``pipe.decision_function(X)`` of the Nystroem + SGD pipeline, with its two linear steps
    folded into one vector.

    The pipeline computes ``(K(X, landmarks) @ N.T) @ w - offset`` with the Nystroem
    normalisation ``N`` (m × m) and the SGD weights ``w`` (m): an n × m × m product per batch,
    most of the scoring cost of this detector. ``K @ (N.T @ w)`` is the same value (up to
    floating-point rounding, ~1e-15 relative) for an m × m × 1 product per batch.
    """
    nystroem: Nystroem = pipe.named_steps["nystroem"]
    sgd: SGDOneClassSVM = pipe.named_steps["sgd"]
    kernel = pairwise_kernels(
        X,
        nystroem.components_,
        metric=nystroem.kernel,
        filter_params=True,
        gamma=nystroem.gamma,
        degree=nystroem.degree,
        coef0=nystroem.coef0,
    )
    folded = nystroem.normalization_.T @ np.ravel(sgd.coef_)
    return np.asarray(kernel @ folded - sgd.offset_[0], dtype=np.float64)


def _resolve_gamma(gamma: float | str, X: FloatArray) -> float:
    if gamma == "scale":
        var = float(X.var())
        return 1.0 / (X.shape[1] * var) if var > 0.0 else 1.0
    if gamma == "auto":
        return 1.0 / float(X.shape[1])
    value: float = float(gamma)
    if value <= 0.0:
        raise ValueError(f"gamma must be positive, got {gamma!r}")
    return value
