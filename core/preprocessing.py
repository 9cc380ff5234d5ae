"""The fitted preprocessing between feature extraction and the detectors.

:class:`Preprocessor` turns the feature matrix (NaN = missing) into the finite, scaled matrix
the detectors see. Every step is fitted on the training matrix and stored with the model, and
every step acts column by column on one row at a time, so a record transforms identically
alone and inside any batch:

1. imputation of NaN with the training median (or mean); a column with no training values
   at all is filled with 0 (it is then constant and removed by feature selection);
2. a missing-indicator column (1.0 where the value was NaN) for every feature that had
   missing values in training, so missingness itself stays visible to the detectors;
3. clipping at training quantiles (``clip_quantiles``), which keeps a few extreme training
   values from dominating the scaling; a column that clipping would collapse to a constant
   (a rare flag) is left unclipped instead. ``±inf`` at transform time is mapped to the
   column's bounds (the clip bounds, or the training min/max when clipping is off);
4. scaling (standard, min-max, robust, or none) with training statistics;
5. feature selection: constant columns (and columns with training variance at most
   ``variance_threshold``) are dropped, then of any pair with ``|correlation|`` above
   ``correlation_threshold`` the later column is dropped; columns listed in
   ``exclude_features`` (and their missing indicators) never reach the output: they stay in
   the feature schema, for the indicators and explanations, but the detectors do not see
   them (used for block-presence flags: absence of data is not evidence of anything).

:meth:`Preprocessor.get_feature_names_out` names the output columns (``name`` or
``name__missing``) and :attr:`Preprocessor.source_index_` maps each back to its input column,
so contributions can be explained by feature name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Self

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from core._types import BoolArray, FloatArray, IntArray
from core.errors import NotFittedError

__all__ = ["Preprocessor"]

Scaler = Literal["standard", "minmax", "robust", "none"]


class Preprocessor(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Impute, flag missingness, clip, scale and select features (scikit-learn contract).

    Parameters
    ----------
    imputation : {"median", "mean"}, default="median"
        Training statistic that replaces NaN.
    add_missing_indicator : bool, default=True
        Append a 0/1 column for each feature that had missing values in training.
    clip_quantiles : tuple of float or None, default=(0.001, 0.999)
        Lower and upper training quantiles to clip at; ``None`` disables clipping.
    scaler : {"standard", "minmax", "robust", "none"}, default="standard"
        Standard (mean/std), min-max (to [0, 1] on training), robust (median/IQR) or none.
    feature_selection : bool, default=True
        Drop constant and near-duplicate columns (decided on training data).
    variance_threshold : float, default=0.0
        Columns whose training variance (after clipping, before scaling) is at most this are
        dropped; constant columns are always dropped.
    correlation_threshold : float, default=0.98
        Of two columns with ``|Pearson r|`` above this, the later one is dropped.
    exclude_features : tuple of int, default=()
        Input columns left out of the output (no value column, no missing indicator).

    Attributes
    ----------
    n_features_in_ : int
    statistics_ : ndarray of shape (n_features_in_,)
        Imputation values.
    indicator_features_ : ndarray of int
        Input columns that get a missing indicator.
    lower_, upper_ : ndarray of shape (n_features_in_,)
        Clip bounds; with clipping off, the training min/max (used only to replace ``±inf``).
    center_, scale_ : ndarray of shape (n_expanded,)
        Scaling statistics of the expanded (features + indicators) matrix.
    support_ : ndarray of int
        Expanded columns kept by feature selection, in order.
    source_index_ : ndarray of int
        For each output column, the input column it derives from.
    """

    def __init__(
        self,
        *,
        imputation: Literal["median", "mean"] = "median",
        add_missing_indicator: bool = True,
        clip_quantiles: tuple[float, float] | None = (0.001, 0.999),
        scaler: Scaler = "standard",
        feature_selection: bool = True,
        variance_threshold: float = 0.0,
        correlation_threshold: float = 0.98,
        exclude_features: tuple[int, ...] = (),
    ) -> None:
        self.imputation = imputation
        self.add_missing_indicator = add_missing_indicator
        self.clip_quantiles = clip_quantiles
        self.scaler = scaler
        self.feature_selection = feature_selection
        self.variance_threshold = variance_threshold
        self.correlation_threshold = correlation_threshold
        self.exclude_features = exclude_features

    def fit(self, X: FloatArray, y: object = None) -> Self:
        """Fit every step on the training matrix ``X`` (n × d, NaN = missing, no ``±inf``)."""
        X = _as_matrix(X)
        if X.shape[0] == 0:
            raise ValueError("Preprocessor needs at least one training row")
        if np.isinf(X).any():
            raise ValueError("training features must be finite or NaN, found ±inf")
        self._check_params()
        d = X.shape[1]
        missing = np.isnan(X)
        has_values = ~missing.all(axis=0)
        stats = np.zeros(d)
        if has_values.any():
            cols = X[:, has_values]
            stat = np.nanmedian if self.imputation == "median" else np.nanmean
            stats[has_values] = stat(cols, axis=0)
        self.statistics_ = stats
        self.n_features_in_ = d
        excluded = np.zeros(d, dtype=bool)
        excluded[list(self.exclude_features)] = True
        self.indicator_features_ = (
            np.flatnonzero(missing.any(axis=0) & ~excluded).astype(np.int64)
            if self.add_missing_indicator
            else np.zeros(0, dtype=np.int64)
        )
        filled = np.where(missing, stats, X)
        self.lower_, self.upper_ = self._fit_bounds(filled)
        if self.clip_quantiles is not None:
            filled = np.clip(filled, self.lower_, self.upper_)
        expanded = self._expand(filled, missing)
        self.center_, self.scale_ = _fit_scaler(expanded, self.scaler)
        sources = np.concatenate([np.arange(d, dtype=np.int64), self.indicator_features_])
        usable = ~excluded[sources]
        if self.feature_selection:
            support = _select(expanded, self.variance_threshold, self.correlation_threshold, usable)
        else:
            support = np.flatnonzero(usable).astype(np.int64)
        self.support_ = support
        self.source_index_ = sources[support]
        self.n_features_out_ = int(support.size)
        return self

    def transform(self, X: FloatArray) -> FloatArray:
        """Apply the fitted steps; the output is finite, float64, ``n × n_features_out_``."""
        self._check_fitted()
        X = _as_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features, got {X.shape[1]}")
        missing = np.isnan(X)
        filled = np.where(missing, self.statistics_, X)
        if self.clip_quantiles is None:
            filled = np.where(np.isposinf(filled), self.upper_, filled)
            filled = np.where(np.isneginf(filled), self.lower_, filled)
        else:
            filled = np.clip(filled, self.lower_, self.upper_)
        expanded = self._expand(filled, missing)[:, self.support_]
        out: FloatArray = (expanded - self.center_[self.support_]) / self.scale_[self.support_]
        return out

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> list[str]:
        """Names of the output columns: the input name, or ``"<name>__missing"``."""
        self._check_fitted()
        if input_features is None:
            names = [f"x{i}" for i in range(self.n_features_in_)]
        else:
            names = list(input_features)
            if len(names) != self.n_features_in_:
                raise ValueError(f"expected {self.n_features_in_} input names, got {len(names)}")
        expanded = names + [f"{names[i]}__missing" for i in self.indicator_features_]
        return [expanded[i] for i in self.support_]

    def _fit_bounds(self, filled: FloatArray) -> tuple[FloatArray, FloatArray]:
        lo_all, hi_all = filled.min(axis=0), filled.max(axis=0)
        if self.clip_quantiles is None:
            return lo_all, hi_all
        q_lo, q_hi = self.clip_quantiles
        lo, hi = np.quantile(filled, [q_lo, q_hi], axis=0)
        # Clipping must not erase a column's only signal (a rare flag): keep it unclipped.
        collapse = (lo == hi) & (lo_all < hi_all)
        return np.where(collapse, lo_all, lo), np.where(collapse, hi_all, hi)

    def _expand(self, filled: FloatArray, missing: BoolArray) -> FloatArray:
        indicators = missing[:, self.indicator_features_].astype(np.float64)
        return np.concatenate([filled, indicators], axis=1)

    def _check_params(self) -> None:
        if self.imputation not in ("median", "mean"):
            raise ValueError(f"imputation must be 'median' or 'mean', got {self.imputation!r}")
        if self.scaler not in ("standard", "minmax", "robust", "none"):
            raise ValueError(f"unknown scaler {self.scaler!r}")
        if self.clip_quantiles is not None:
            q_lo, q_hi = self.clip_quantiles
            if not 0.0 <= q_lo < q_hi <= 1.0:
                raise ValueError(
                    f"clip_quantiles must satisfy 0 <= lo < hi <= 1, got {(q_lo, q_hi)}"
                )
        if not 0.0 < self.correlation_threshold <= 1.0:
            raise ValueError("correlation_threshold must be in (0, 1]")

    def _check_fitted(self) -> None:
        if not hasattr(self, "support_"):
            raise NotFittedError("Preprocessor is not fitted yet; call fit first")


def _as_matrix(X: FloatArray) -> FloatArray:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D feature matrix, got shape {arr.shape}")
    return arr


def _fit_scaler(expanded: FloatArray, scaler: Scaler) -> tuple[FloatArray, FloatArray]:
    d = expanded.shape[1]
    if scaler == "standard":
        center, scale = expanded.mean(axis=0), expanded.std(axis=0)
    elif scaler == "minmax":
        center = expanded.min(axis=0)
        scale = expanded.max(axis=0) - center
    elif scaler == "robust":
        q25, center, q75 = np.quantile(expanded, [0.25, 0.5, 0.75], axis=0)
        scale = q75 - q25
        # A column with a zero IQR but some spread (mostly one value): fall back to its std.
        scale = np.where(scale > 0.0, scale, expanded.std(axis=0))
    else:
        center, scale = np.zeros(d), np.ones(d)
    return center, np.where(scale > 0.0, scale, 1.0)


def _select(
    expanded: FloatArray, variance_threshold: float, corr_threshold: float, usable: BoolArray
) -> IntArray:
    constant = expanded.max(axis=0) == expanded.min(axis=0)
    keep = usable & ~constant & (expanded.var(axis=0) > variance_threshold)
    candidates = np.flatnonzero(keep)
    if candidates.size <= 1 or corr_threshold >= 1.0:
        return candidates.astype(np.int64)
    corr = np.abs(np.corrcoef(expanded[:, candidates], rowvar=False))
    kept: list[int] = []
    for j in range(candidates.size):
        if not kept or corr[j, kept].max() <= corr_threshold:
            kept.append(j)
    return candidates[kept].astype(np.int64)
