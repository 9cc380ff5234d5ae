"""Calibration of raw detector scores into a 0–1 anomaly score and a probability.

A detector's raw scores (higher = more anomalous) live on an arbitrary scale: isolation path
lengths, SVM margins, reconstruction errors. :class:`ScoreCalibrator` is fitted once, on the
detector's *training* scores, and stored with the model, so a record's calibrated score never
depends on the other records it is scored with (the sketch's per-batch min-max did).

Anomaly score
    The empirical CDF of the training scores, with the Weibull plotting position
    ``rank / (n + 1)`` so the training minimum maps to ``1/(n+1)`` and the maximum to
    ``n/(n+1)``, leaving room on both sides. Between knots it interpolates linearly. Beyond
    the training range it continues with exponential tails::

        a(s) = 1 - (1 - a_max) * exp(-(s - s_max) / tail_scale)     s > s_max
        a(s) = a_min * exp(-(s_min - s) / tail_scale)               s < s_min

    so an extreme anomaly still ranks above a merely-high one. The map is continuous and
    monotone non-decreasing (strictly increasing outside the training range). To keep the
    stored model small the CDF is kept at ``n_quantiles`` knots.

Probability
    A logistic in raw-score space, ``p(s) = 1 / (1 + exp(-(s - t) / w))``, where ``t`` is the
    training ``1 - contamination`` quantile (so the contamination threshold maps to 0.5) and
    ``w`` is chosen so the training median maps to ``contamination``. It keeps growing with the
    raw score (unlike the CDF it does not saturate at the training maximum). It is a calibrated
    *rank-and-prior* statement, not a posterior: no labels exist to fit one.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator

from core._types import FloatArray
from core.errors import NotFittedError

__all__ = ["ScoreCalibrator"]


class ScoreCalibrator(BaseEstimator):  # type: ignore[misc]
    """Map raw detector scores to a calibrated anomaly score and probability.

    Parameters
    ----------
    contamination : float, default=0.05
        Expected fraction of anomalies in training; sets :attr:`threshold_` (the raw
        ``1 - contamination`` quantile) and the probability's midpoint.
    n_quantiles : int, default=1001
        Number of CDF knots kept (the full sorted scores when there are fewer).

    Attributes
    ----------
    knots_ : ndarray of shape (k,)
        Strictly increasing raw-score knots of the empirical CDF.
    levels_ : ndarray of shape (k,)
        Anomaly score at each knot, in ``(0, 1)``, non-decreasing.
    tail_scale_ : float
        Raw-score scale of the exponential tails.
    threshold_ : float
        Raw score at the training ``1 - contamination`` quantile.
    score_threshold_ : float
        ``transform(threshold_)``: the same threshold on the calibrated scale.
    prob_scale_ : float
        ``w`` of the logistic probability.
    n_samples_fit_ : int
        Number of training scores.
    """

    def __init__(self, contamination: float = 0.05, n_quantiles: int = 1001) -> None:
        self.contamination = contamination
        self.n_quantiles = n_quantiles

    def fit(self, raw: FloatArray, y: object = None) -> Self:
        """Fit on the training raw scores (1-D, finite, at least one)."""
        scores = _as_scores(raw)
        if scores.size == 0:
            raise ValueError("ScoreCalibrator needs at least one training score")
        if not 0.0 < self.contamination < 0.5:
            raise ValueError(f"contamination must be in (0, 0.5), got {self.contamination}")
        if self.n_quantiles < 2:
            raise ValueError(f"n_quantiles must be >= 2, got {self.n_quantiles}")
        n = scores.size
        ordered = np.sort(scores)
        # Fraction of the way through the sorted sample, kept at <= n_quantiles knots.
        q = np.linspace(0.0, 1.0, min(self.n_quantiles, n))
        knots = np.quantile(ordered, q)
        levels = (1.0 + q * (n - 1)) / (n + 1)
        # Ties: keep one knot per raw value, at the highest level (right-continuous CDF), so
        # np.interp sees strictly increasing abscissae.
        uniq, first = np.unique(knots[::-1], return_index=True)
        last = knots.size - 1 - first
        self.knots_ = uniq
        self.levels_ = levels[last]
        self.tail_scale_ = _spread(ordered)
        self.threshold_ = float(np.quantile(ordered, 1.0 - self.contamination))
        median = float(np.median(ordered))
        gap = self.threshold_ - median
        logit_c = float(np.log((1.0 - self.contamination) / self.contamination))
        self.prob_scale_ = gap / logit_c if gap > 0.0 else self.tail_scale_ / logit_c
        self.n_samples_fit_ = n
        self.score_threshold_ = float(self.transform(np.array([self.threshold_]))[0])
        return self

    def transform(self, raw: FloatArray) -> FloatArray:
        """Calibrated anomaly score in ``[0, 1]``, monotone non-decreasing in ``raw``."""
        self._check_fitted()
        s = _as_scores(raw)
        knots, levels = self.knots_, self.levels_
        lo, hi = knots[0], knots[-1]
        out = np.interp(s, knots, levels)
        # np.interp rounds, so just below a knot it can give one ulp more than at the knot:
        # each value is clipped to the levels of the knots either side of it
        right = np.minimum(np.searchsorted(knots, s, side="right"), knots.size - 1)
        out = np.clip(out, levels[np.maximum(right - 1, 0)], levels[right])
        above = s > hi
        below = s < lo
        # A distance of many tail scales overflows to inf (a tiny scale, from training scores
        # that hardly differ): exp(-inf) = 0 is then exactly the limit the tails tend to.
        with np.errstate(over="ignore"):
            if above.any():
                excess = (s[above] - hi) / self.tail_scale_
                tail = 1.0 - (1.0 - levels[-1]) * np.exp(-excess)
                out[above] = np.maximum(tail, levels[-1])  # 1 - (1 - L) may round below L
            if below.any():
                tail = levels[0] * np.exp(-(lo - s[below]) / self.tail_scale_)
                out[below] = np.minimum(tail, levels[0])
        return out

    def probability(self, raw: FloatArray) -> FloatArray:
        """Probability in ``[0, 1]`` that a raw score is anomalous (0.5 at ``threshold_``)."""
        self._check_fitted()
        with np.errstate(over="ignore"):  # +-inf for a tiny scale: clipped just below
            z = (_as_scores(raw) - self.threshold_) / self.prob_scale_
        # exp overflows for |z| > ~709; the logistic is 0/1 there anyway.
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0))), dtype=np.float64)

    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable fitted state (floats round-trip exactly through ``repr``)."""
        self._check_fitted()
        return {
            "contamination": float(self.contamination),
            "n_quantiles": int(self.n_quantiles),
            "knots": self.knots_.tolist(),
            "levels": self.levels_.tolist(),
            "tail_scale": float(self.tail_scale_),
            "threshold": float(self.threshold_),
            "score_threshold": float(self.score_threshold_),
            "prob_scale": float(self.prob_scale_),
            "n_samples_fit": int(self.n_samples_fit_),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ScoreCalibrator:
        """Rebuild a fitted calibrator from :meth:`get_state` output."""
        cal = cls(contamination=state["contamination"], n_quantiles=state["n_quantiles"])
        cal.knots_ = np.asarray(state["knots"], dtype=np.float64)
        cal.levels_ = np.asarray(state["levels"], dtype=np.float64)
        cal.tail_scale_ = float(state["tail_scale"])
        cal.threshold_ = float(state["threshold"])
        cal.score_threshold_ = float(state["score_threshold"])
        cal.prob_scale_ = float(state["prob_scale"])
        cal.n_samples_fit_ = int(state["n_samples_fit"])
        return cal

    def _check_fitted(self) -> None:
        if not hasattr(self, "prob_scale_"):
            raise NotFittedError("ScoreCalibrator is not fitted yet; call fit first")


def _as_scores(raw: FloatArray) -> FloatArray:
    s = np.asarray(raw, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    return s


def _spread(ordered: FloatArray) -> float:
    """A positive raw-score scale for the tails: upper-half spread, then std, then magnitude."""
    for candidate in (
        float(np.quantile(ordered, 0.99) - np.quantile(ordered, 0.5)),
        float(np.std(ordered)),
        abs(float(ordered[-1])) * 1e-3,
    ):
        if candidate > 0.0:
            return candidate
    return 1.0
