"""Feature contributions: which features pushed a record's anomaly score up, and by how much.

The attribution is a *sensitivity-weighted deviation* in the preprocessed space the
detectors see, cheap enough to compute for every record of every batch:

1. At training, :meth:`ContributionModel.fit` stores, per preprocessed column ``j``, the
   training median ``c_j`` and a robust scale ``s_j`` (IQR / 1.349, floored), and the
   ensemble's *sensitivity* ``w_j`` to that column: the mean drop of the ensemble score of
   validation anomalies when column ``j`` alone is reset to its training median (occlusion,
   done once per column over a sample of rows, at training time only). Columns the ensemble
   ignores get (almost) no weight whatever their deviation.
2. At scoring, a record's deviation is ``z_j = (x_j - c_j) / s_j`` and its evidence
   ``e_j = w_j * z_j^2``. The record's anomaly score is split among the columns in
   proportion to ``e_j``: ``contribution_j = score * e_j / sum_k e_k``. Only columns with a
   deviation beyond one robust sigma (``|z_j| > 1``) are reported: a typical value does not
   push anything up.

The result names the feature (``"<feature>"`` or ``"<feature>__missing"`` for a missingness
flag), its raw value before preprocessing (``None`` when missing), and the contribution. It
is vectorised over the batch and depends on nothing but the record itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core._types import FloatArray, IntArray

__all__ = ["ContributionModel", "occlusion_sensitivity"]

_MIN_SCALE = 1e-6


@dataclass(frozen=True, slots=True)
class ContributionModel:
    """Fitted statistics behind the contributions (stored with the model as JSON).

    Attributes
    ----------
    names : tuple of str
        Preprocessed column names (``Preprocessor.get_feature_names_out``).
    source_index : ndarray of int
        Raw feature column of each preprocessed column.
    is_indicator : ndarray of bool
        True for missing-indicator columns.
    center, scale, sensitivity : ndarray of float
        Training median, robust scale and ensemble sensitivity per column.
    """

    names: tuple[str, ...]
    source_index: IntArray
    is_indicator: Any
    center: FloatArray
    scale: FloatArray
    sensitivity: FloatArray

    @classmethod
    def fit(
        cls,
        X_train: FloatArray,
        names: Sequence[str],
        source_index: IntArray,
        sensitivity: FloatArray,
    ) -> ContributionModel:
        """Training statistics of the preprocessed matrix plus precomputed sensitivities."""
        center = np.median(X_train, axis=0)
        q75, q25 = np.percentile(X_train, [75.0, 25.0], axis=0)
        robust = (q75 - q25) / 1.349
        # Binary and heavily tied columns have IQR 0: fall back to the standard deviation.
        scale = np.where(robust > _MIN_SCALE, robust, np.std(X_train, axis=0))
        return cls(
            names=tuple(names),
            source_index=np.asarray(source_index, dtype=np.int64),
            is_indicator=np.array([n.endswith("__missing") for n in names], dtype=bool),
            center=center,
            scale=np.maximum(scale, _MIN_SCALE),
            sensitivity=np.clip(np.asarray(sensitivity, dtype=np.float64), 0.0, None),
        )

    def explain(
        self, X: FloatArray, raw: FloatArray, scores: FloatArray, top: int
    ) -> list[list[dict[str, Any]]]:
        """Top ``top`` contributions of each row of the preprocessed batch ``X``.

        Parameters
        ----------
        X : ndarray (n, d')
            Preprocessed batch.
        raw : ndarray (n, d)
            The same batch before preprocessing (for the reported values).
        scores : ndarray (n,)
            Ensemble anomaly scores of the batch.
        top : int
            Maximum number of contributions per row.
        """
        n, d = X.shape
        if n == 0 or top <= 0 or d == 0:
            return [[] for _ in range(n)]
        z = (X - self.center) / self.scale
        evidence = self.sensitivity * z * z
        # Column by column: numpy's row sum takes another summation path for one row than
        # for many (last-bit differences); a fixed order keeps batch == alone bit for bit.
        total = np.zeros((n, 1))
        for j in range(d):
            total[:, 0] += evidence[:, j]
        share = np.divide(evidence, total, out=np.zeros_like(evidence), where=total > 0)
        contrib = share * scores[:, None]
        contrib[np.abs(z) <= 1.0] = 0.0
        k = min(top, d)
        idx = np.argpartition(-contrib, k - 1, axis=1)[:, :k]
        picked = np.take_along_axis(contrib, idx, axis=1)
        order = np.argsort(-picked, axis=1, kind="stable")
        idx = np.take_along_axis(idx, order, axis=1)
        picked = np.take_along_axis(picked, order, axis=1)
        values = raw[np.arange(n)[:, None], self.source_index[idx]]
        flags = self.is_indicator[idx]
        # An indicator column reports whether its feature was missing, not the raw value.
        values = np.where(flags, np.isnan(values).astype(np.float64), values)
        # Python lists from here: per-element numpy scalar access is the slow part.
        names = self.names
        out: list[list[dict[str, Any]]] = []
        for amounts, cols, vals in zip(picked.tolist(), idx.tolist(), values.tolist(), strict=True):
            row = []
            for amount, col, value in zip(amounts, cols, vals, strict=True):
                if amount <= 0.0:
                    break
                row.append(
                    {
                        "feature": names[col],
                        "value": None if math.isnan(value) else value,
                        "contribution": amount,
                    }
                )
            out.append(row)
        return out

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (lists of floats), for the model directory."""
        return {
            "names": list(self.names),
            "source_index": self.source_index.tolist(),
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
            "sensitivity": self.sensitivity.tolist(),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ContributionModel:
        """Inverse of :meth:`to_json`."""
        names = [str(n) for n in obj["names"]]
        return cls(
            names=tuple(names),
            source_index=np.asarray(obj["source_index"], dtype=np.int64),
            is_indicator=np.array([n.endswith("__missing") for n in names], dtype=bool),
            center=np.asarray(obj["center"], dtype=np.float64),
            scale=np.asarray(obj["scale"], dtype=np.float64),
            sensitivity=np.asarray(obj["sensitivity"], dtype=np.float64),
        )


def occlusion_sensitivity(
    score: Callable[[FloatArray], FloatArray], X: FloatArray, center: FloatArray
) -> FloatArray:
    """Mean score drop when each column of ``X`` alone is reset to ``center``.

    ``score`` maps a preprocessed matrix to ensemble scores. One call scores all ``d``
    occluded copies stacked together (``d * n`` rows), so keep ``X`` to a few hundred rows.
    Negative mean drops (resetting raised the score) count as zero sensitivity.
    """
    n, d = X.shape
    base = score(X)
    stacked = np.repeat(X[None, :, :], d, axis=0)
    stacked[np.arange(d), :, np.arange(d)] = center[:, None]
    occluded = score(stacked.reshape(d * n, d)).reshape(d, n)
    drop = (base[None, :] - occluded).mean(axis=1)
    out: FloatArray = np.clip(drop, 0.0, None) + 1e-9
    return out
