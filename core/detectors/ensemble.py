"""The ensemble detector: several detectors' calibrated scores combined into one.

:class:`EnsembleDetector` is itself a :class:`~core.detectors.base.BaseDetector`, so the
inference engine handles one type. Members are combined on their *calibrated* scores
``s_j`` in ``[0, 1]`` (comparable across detectors) by one of four methods; the combination
is the ensemble's raw score, which it then calibrates on its own training scores like any
detector:

``weighted_average``
    ``Σ w_j s_j`` with the (normalised) member weights.
``voting``
    ``0.5 · Σ w_j [s_j > t_j] + 0.5 · Σ w_j s_j``: the weighted share of members that flag
    the record (``t_j`` = member threshold), blended with the mean score so records with the
    same vote still rank.
``stacking``
    A meta-combiner fitted without labels: a logistic regression on the members' logit
    scores, trained on pseudo-labels from the weighted-average consensus (top
    ``contamination`` share = 1, below the median = 0, the rest left out); with ``y`` given to
    :meth:`fit` it trains on ``y`` instead. Its non-negative coefficients become the member
    weights (a negative coefficient — collinearity — is set to 0, since a higher member
    score must not lower the ensemble score), applied as ``sigmoid(Σ w_j logit s_j)``.
``dynamic``
    Per-record confidence weighting: ``w_j(x) ∝ w_j · (0.1 + c_j(x))`` with
    ``c_j = (s_j - t_j) / (1 - t_j)`` above the member's threshold and
    ``(t_j - s_j) / t_j`` below it — a member far from its threshold is confident.

A member that raises while scoring is skipped for that call, the remaining weights are
renormalised and its name is reported (:meth:`EnsembleDetector.score_details`). A member
that fails to fit is left out, with the reason in ``failed_members_``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import structlog
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from core._types import FloatArray
from core.calibration import ScoreCalibrator
from core.detectors.base import BaseDetector, round_significant
from core.errors import ModelError

__all__ = ["EnsembleDetector", "ScoreDetails"]

_log = structlog.get_logger(__name__)

Method = Literal["weighted_average", "voting", "stacking", "dynamic"]
_METHODS = ("weighted_average", "voting", "stacking", "dynamic")
_EPS = 1e-12
_CONFIDENCE_FLOOR = 0.1


@dataclass(frozen=True)
class ScoreDetails:
    """Per-record ensemble scores with each member's part.

    Unpacks as ``scores, member_scores, member_weights, failed``.

    Attributes
    ----------
    scores : ndarray of shape (n,)
        The ensemble's calibrated anomaly score in ``[0, 1]``.
    member_scores : ndarray of shape (n, m)
        Each member's calibrated score (NaN for a member that failed in this call).
    member_weights : ndarray of shape (n, m)
        Each member's effective weight per record (rows sum to 1; 0 for a failed member).
    failed : list of str
        Members that raised in this call.
    member_names : list of str
        Column order of the two matrices.
    raw : ndarray of shape (n,)
        The combined (uncalibrated) score.
    probabilities : ndarray of shape (n,)
        The ensemble's calibrated probability.
    """

    scores: FloatArray
    member_scores: FloatArray
    member_weights: FloatArray
    failed: list[str]
    member_names: list[str]
    raw: FloatArray
    probabilities: FloatArray

    def __iter__(self) -> Iterator[Any]:
        return iter((self.scores, self.member_scores, self.member_weights, self.failed))


class EnsembleDetector(BaseDetector):
    """Combine detectors' calibrated scores; itself a detector.

    Parameters
    ----------
    members : list of (str, BaseDetector)
        Named member detectors (names unique).
    weights : sequence of float or None, default=None
        Non-negative member weights (normalised); ``None`` = equal.
    method : {"weighted_average", "voting", "stacking", "dynamic"}, default="weighted_average"
    contamination : float, default=0.05
        Sets the ensemble's own threshold and the stacking pseudo-labels.
    prefit : bool, default=False
        Members are already fitted: :meth:`fit` fits only the combiner and calibration
        (members are used as given, not cloned).

    Attributes
    ----------
    members_ : list of (str, BaseDetector)
        Fitted members that are in use (clones of ``members`` unless ``prefit``).
    failed_members_ : dict of str to str
        Members that failed to fit, with the reason.
    weights_ : ndarray of shape (len(members_),)
        Normalised base weights (for stacking, the learned ones).
    """

    def __init__(
        self,
        members: list[tuple[str, BaseDetector]],
        *,
        weights: Sequence[float] | None = None,
        method: Method = "weighted_average",
        contamination: float = 0.05,
        prefit: bool = False,
    ) -> None:
        self.members = members
        self.weights = weights
        self.method = method
        self.contamination = contamination
        self.prefit = prefit

    def _fit(self, X: FloatArray, y: object) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}, got {self.method!r}")
        names = [name for name, _ in self.members]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"member names must be unique and non-empty, got {names}")
        base = np.ones(len(names)) if self.weights is None else np.asarray(self.weights, float)
        if base.shape != (len(names),) or (base < 0).any() or base.sum() <= 0:
            raise ValueError("weights must be one non-negative number per member, not all 0")
        self.members_: list[tuple[str, BaseDetector]] = []
        self.failed_members_: dict[str, str] = {}
        kept: list[float] = []
        for (name, det), w in zip(self.members, base, strict=True):
            try:
                fitted = det if self.prefit else clone(det).fit(X)
                if self.prefit:
                    fitted._check_fitted()
            except Exception as exc:  # a failed member must not sink the ensemble
                self.failed_members_[name] = f"{type(exc).__name__}: {exc}"
                _log.warning("ensemble_member_fit_failed", member=name, error=str(exc))
                continue
            self.members_.append((name, fitted))
            kept.append(w)
        if not self.members_:
            raise ModelError(f"every ensemble member failed to fit: {self.failed_members_}")
        self.weights_: FloatArray = np.asarray(kept, dtype=np.float64) / np.sum(kept)
        self.member_thresholds_ = np.array([det.threshold_ for _, det in self.members_])
        if self.method == "stacking":
            scores, _ = self._member_scores(X)
            self.weights_ = self._fit_stacking(scores, y)

    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable fitted state of the combiner, without the members.

        The members are stored by their own formats; :meth:`from_state` takes them back.
        """
        self._check_fitted()
        state: dict[str, Any] = {
            "member_names": [name for name, _ in self.members_],
            "method": self.method,
            "contamination": float(self.contamination),
            "base_weights": None if self.weights is None else [float(w) for w in self.weights],
            "weights": self.weights_.tolist(),
            "member_thresholds": self.member_thresholds_.tolist(),
            "failed_members": dict(self.failed_members_),
            "n_features_in": int(self.n_features_in_),
            "calibrator": self.calibrator_.get_state(),
        }
        if hasattr(self, "stacking_coef_"):
            state["stacking_coef"] = self.stacking_coef_.tolist()
        return state

    @classmethod
    def from_state(
        cls, state: dict[str, Any], members: list[tuple[str, BaseDetector]]
    ) -> EnsembleDetector:
        """Rebuild a fitted ensemble from :meth:`get_state` output and its fitted members.

        Raises
        ------
        ModelError
            ``members`` are not the ones the state was saved with (names and order).
        """
        names = [name for name, _ in members]
        if names != list(state["member_names"]):
            raise ModelError(
                f"ensemble members {names} differ from the saved {state['member_names']}"
            )
        ens = cls(
            list(members),
            weights=state["base_weights"],
            method=state["method"],
            contamination=state["contamination"],
            prefit=True,
        )
        ens.members_ = list(members)
        ens.failed_members_ = dict(state["failed_members"])
        ens.weights_ = np.asarray(state["weights"], dtype=np.float64)
        ens.member_thresholds_ = np.asarray(state["member_thresholds"], dtype=np.float64)
        ens.n_features_in_ = int(state["n_features_in"])
        ens.calibrator_ = ScoreCalibrator.from_state(state["calibrator"])
        ens.threshold_ = ens.calibrator_.score_threshold_
        if "stacking_coef" in state:
            ens.stacking_coef_ = np.asarray(state["stacking_coef"], dtype=np.float64)
        return ens

    def _fit_stacking(self, scores: FloatArray, y: object) -> FloatArray:
        feats = _logit(scores)
        if y is not None:
            labels = np.asarray(y).astype(int).ravel()
            rows = np.arange(scores.shape[0])
        else:
            consensus = scores @ self.weights_
            hi = np.quantile(consensus, 1.0 - self.contamination)
            lo = np.median(consensus)
            rows = np.flatnonzero((consensus >= hi) | (consensus < lo))
            labels = (consensus[rows] >= hi).astype(int)
        if np.unique(labels).size < 2:
            _log.warning("stacking_single_class", fallback="base weights")
            return self.weights_
        meta = LogisticRegression(C=1.0).fit(feats[rows], labels)
        coef = np.clip(meta.coef_.ravel(), 0.0, None)
        if coef.sum() <= 0:
            _log.warning("stacking_no_positive_weight", fallback="base weights")
            return self.weights_
        self.stacking_coef_ = meta.coef_.ravel().copy()
        return np.asarray(coef / coef.sum(), dtype=np.float64)

    def _member_scores(self, X: FloatArray) -> tuple[FloatArray, list[str]]:
        """Calibrated member scores (n × m); a member that raises gets a NaN column."""
        out = np.full((X.shape[0], len(self.members_)), np.nan)
        failed: list[str] = []
        for j, (name, det) in enumerate(self.members_):
            try:
                out[:, j] = det.anomaly_score(X)
            except Exception as exc:  # skip and report the member, keep the others
                failed.append(name)
                _log.warning("ensemble_member_score_failed", member=name, error=str(exc))
        if len(failed) == len(self.members_):
            raise ModelError(f"every ensemble member failed to score: {failed}")
        return out, failed

    def _combine(self, scores: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Combined raw score and per-record effective weights from member scores."""
        ok = ~np.isnan(scores).any(axis=0)
        base = np.where(ok, self.weights_, 0.0)
        if base.sum() <= 0:  # only zero-weight members left: share equally among them
            base = ok.astype(float)
        base = base / base.sum()
        s = np.where(ok, scores, 0.0)
        weights = np.broadcast_to(base, s.shape)
        if self.method == "weighted_average":
            combined = s @ base
        elif self.method == "voting":
            votes = (s > self.member_thresholds_).astype(float)
            combined = 0.5 * (votes @ base) + 0.5 * (s @ base)
        elif self.method == "stacking":
            combined = _sigmoid(_logit(s) @ base)
        else:
            t = self.member_thresholds_
            conf = np.where(s >= t, (s - t) / (1.0 - t), (t - s) / t)
            raw_w = base * (_CONFIDENCE_FLOOR + np.clip(conf, 0.0, 1.0))
            weights = raw_w / raw_w.sum(axis=1, keepdims=True)
            combined = np.sum(weights * s, axis=1)
        return np.asarray(combined, dtype=np.float64), np.array(weights, dtype=np.float64)

    def _raw_scores(self, X: FloatArray) -> FloatArray:
        scores, _ = self._member_scores(X)
        return self._combine(scores)[0]

    def score_details(self, X: FloatArray) -> ScoreDetails:
        """Ensemble scores with every member's calibrated score and effective weight."""
        X = self._validate_for_scoring(X)
        scores, failed = self._member_scores(X)
        raw, weights = self._combine(scores)
        raw = round_significant(raw)  # as score_samples does: batch == alone, bit for bit
        return ScoreDetails(
            scores=self.calibrator_.transform(raw),
            member_scores=scores,
            member_weights=weights,
            failed=failed,
            member_names=[name for name, _ in self.members_],
            raw=raw,
            probabilities=self.calibrator_.probability(raw),
        )


def _logit(s: FloatArray) -> FloatArray:
    c = np.clip(s, _EPS, 1.0 - _EPS)
    return np.asarray(np.log(c) - np.log1p(-c), dtype=np.float64)


def _sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)
