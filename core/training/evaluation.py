"""Honest evaluation of unsupervised detectors: held-out naturals versus injected anomalies.

Labels are ``1`` for an injected (synthetic artificial) object and ``0`` for a real natural
object that the detector never saw in training. Reported per detector and for the ensemble:

* ROC-AUC and average precision (AP), each with a percentile bootstrap confidence interval.
  The bootstrap resamples naturals and anomalies *separately* (stratified), so every
  replicate has both classes and the class balance of the evaluation set is kept.
* the alert threshold, chosen on validation naturals as the score quantile that gives a
  target false-alert rate (:func:`threshold_at_false_alert_rate`), and, on the evaluated set,
  the false-alert rate on real naturals and the detection rate on injected objects at that
  threshold.

Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from core._types import FloatArray, IntArray

__all__ = [
    "DetectorEvaluation",
    "Interval",
    "average_precision",
    "bootstrap_interval",
    "evaluate_scores",
    "false_alert_rate",
    "roc_auc",
    "threshold_at_false_alert_rate",
]

Metric = Callable[[IntArray, FloatArray], float]


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with its bootstrap confidence interval ``[low, high]``."""

    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class DetectorEvaluation:
    """Evaluation of one detector (or the ensemble) on one labelled set.

    Attributes
    ----------
    name : str
        Detector name (``"ensemble"`` for the combination).
    roc_auc, average_precision : Interval
        Point estimates with bootstrap confidence intervals.
    threshold : float
        Alert threshold on the detector's score (``score >= threshold`` alerts).
    false_alert_rate : float
        Fraction of real naturals in the set at or above ``threshold``.
    detection_rate : float
        Fraction of injected anomalies at or above ``threshold``.
    n_natural, n_anomalous : int
        Class sizes of the set.
    """

    name: str
    roc_auc: Interval
    average_precision: Interval
    threshold: float
    false_alert_rate: float
    detection_rate: float
    n_natural: int
    n_anomalous: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (used by ``report.json`` and the model manifest)."""
        return asdict(self)


def roc_auc(labels: IntArray, scores: FloatArray) -> float:
    """ROC-AUC of ``scores`` (higher = more anomalous) against ``labels`` (1 = anomaly)."""
    return float(roc_auc_score(labels, scores))


def average_precision(labels: IntArray, scores: FloatArray) -> float:
    """Average precision of ``scores`` with anomalies (label 1) as the positive class."""
    return float(average_precision_score(labels, scores))


def bootstrap_interval(
    labels: IntArray,
    scores: FloatArray,
    metric: Metric,
    *,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Point estimate of ``metric`` and its stratified percentile bootstrap interval.

    Parameters
    ----------
    labels, scores : array
        Binary labels (both classes present) and detector scores.
    metric : callable
        ``metric(labels, scores) -> float``, e.g. :func:`roc_auc`.
    n_boot : int
        Number of bootstrap replicates; 0 gives a degenerate interval at the estimate.
    confidence : float
        Two-sided coverage of the interval.
    seed : int
        Seed of the resampling generator.

    Returns
    -------
    Interval
        ``low <= value <= high`` is not guaranteed in general for percentile intervals, so the
        bounds are widened to include the point estimate (it is always reported inside).
    """
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    pos = np.flatnonzero(labels == 1)
    neg = np.flatnonzero(labels == 0)
    if pos.size == 0 or neg.size == 0:
        raise ValueError("bootstrap_interval needs both classes")
    value = metric(labels, scores)
    if n_boot <= 0:
        return Interval(value, value, value)
    rng = np.random.default_rng(seed)
    # Resampled labels keep the same layout every replicate: positives first, then negatives.
    boot_labels = np.concatenate([np.ones(pos.size, np.int64), np.zeros(neg.size, np.int64)])
    stats = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.concatenate(
            [rng.choice(pos, size=pos.size, replace=True), rng.choice(neg, size=neg.size)]
        )
        stats[b] = metric(boot_labels, scores[idx])
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [tail, 1.0 - tail])
    return Interval(value, float(min(low, value)), float(max(high, value)))


def threshold_at_false_alert_rate(natural_scores: FloatArray, target: float = 0.01) -> float:
    """The lowest threshold whose false-alert rate on ``natural_scores`` is at most ``target``.

    Alerts fire at ``score >= threshold``. The threshold is placed just above the
    ``ceil(n * target)``-th highest natural score, so ties cannot push the rate over ``target``.
    """
    s = np.sort(np.asarray(natural_scores, dtype=np.float64))[::-1]
    if s.size == 0:
        raise ValueError("no natural scores to set a threshold on")
    allowed = min(int(np.floor(s.size * target)), s.size - 1)
    # Everything strictly above s[allowed] may alert; nextafter makes s[allowed] itself quiet.
    return float(np.nextafter(s[allowed], np.inf))


def false_alert_rate(natural_scores: FloatArray, threshold: float) -> float:
    """Fraction of natural scores at or above ``threshold``."""
    s = np.asarray(natural_scores, dtype=np.float64)
    return float(np.mean(s >= threshold)) if s.size else 0.0


def evaluate_scores(
    name: str,
    labels: IntArray,
    scores: FloatArray,
    threshold: float,
    *,
    n_boot: int = 200,
    seed: int = 0,
) -> DetectorEvaluation:
    """Evaluate one detector's scores on a labelled set.

    Parameters
    ----------
    name : str
        Detector name reported in the result.
    labels : array of int
        1 for injected anomalies, 0 for real naturals.
    scores : array of float
        Detector scores, higher = more anomalous.
    threshold : float
        Alert threshold chosen beforehand (on validation naturals, never on this set).
    n_boot, seed : int
        Bootstrap replicates and seed (see :func:`bootstrap_interval`).
    """
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    return DetectorEvaluation(
        name=name,
        roc_auc=bootstrap_interval(labels, scores, roc_auc, n_boot=n_boot, seed=seed),
        average_precision=bootstrap_interval(
            labels, scores, average_precision, n_boot=n_boot, seed=seed
        ),
        threshold=float(threshold),
        false_alert_rate=false_alert_rate(scores[labels == 0], threshold),
        detection_rate=float(np.mean(scores[labels == 1] >= threshold)),
        n_natural=int(np.sum(labels == 0)),
        n_anomalous=int(np.sum(labels == 1)),
    )
