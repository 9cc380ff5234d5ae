"""Batch feature extraction: records -> an n x d float64 matrix in :data:`FEATURE_SCHEMA` order.

Every block is computed for the whole batch with numpy; a record's row never depends on the
other records of the batch (batch == single, tested bit for bit). Missing inputs are NaN and
each input block has a presence flag, so no 0 ever stands for "unknown".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core._types import FloatArray
from core.contract.records import NeoRecord
from core.features._gather import gather
from core.features.indicators import CATEGORIES, FIRING_RAW, IndicatorResults, evaluate_indicators
from core.features.observational import observational_features
from core.features.orbital import orbital_features
from core.features.physical import nongrav_features, physical_features
from core.features.schema import FEATURE_SCHEMA, FeatureSchema
from core.features.spatial import spatial_features
from core.features.temporal import temporal_features

__all__ = ["FeatureMatrix", "extract_features"]

_BASE_CATEGORIES = (
    "orbital",
    "physical",
    "nongravitational",
    "temporal",
    "spatial",
    "observational",
)


@dataclass(frozen=True)
class FeatureMatrix:
    """Features of a batch.

    Attributes
    ----------
    values : FloatArray
        n x d, columns in ``schema.names`` order, NaN = missing.
    schema : FeatureSchema
    indicators : IndicatorResults
        The rule-based indicators of the same records.
    """

    values: FloatArray
    schema: FeatureSchema
    indicators: IndicatorResults

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str) -> FloatArray:
        """The column of feature ``name`` (a view)."""
        return self.values[:, self.schema.index(name)]


def extract_features(records: Sequence[NeoRecord]) -> FeatureMatrix:
    """Extract the features and indicators of a batch of validated records.

    Parameters
    ----------
    records : sequence of NeoRecord
        The batch; may be empty.

    Returns
    -------
    FeatureMatrix
        One row per record, in input order.
    """
    g = gather(records)
    n = g.n
    cols: dict[str, FloatArray] = {}
    cols.update(orbital_features(g))
    cols.update(physical_features(g))
    cols.update(nongrav_features(g))
    cols.update(temporal_features(g))
    cols.update(spatial_features(g))
    cols.update(observational_features(g))

    ind = evaluate_indicators(cols)
    cols["ind_overall"] = ind.overall
    for c, name in enumerate(CATEGORIES):
        cols[f"ind_cat_{name}"] = ind.category_scores[:, c].copy()
    for j, name in enumerate(ind.names):
        cols[f"ind_raw_{name}"] = ind.raw[:, j].copy()
    firing = (ind.raw >= FIRING_RAW) & (ind.confidence > 0)
    cols["ind_n_firing"] = firing.sum(axis=1).astype(np.float64)
    # Column by column: a fixed summation order, whatever the batch shape (batch == single).
    conf_sum = np.zeros(n)
    for j in range(ind.confidence.shape[1]):
        conf_sum = conf_sum + ind.confidence[:, j]
    cols["ind_mean_confidence"] = conf_sum / ind.confidence.shape[1]

    presence = {
        "has_orbit": g.has_orbit,
        "has_physical": g.has_physical,
        "has_nongrav": g.has_nongrav,
        "has_close_approaches": np.isfinite(cols["ca_n"]).astype(np.float64),
        "has_observations": np.isfinite(cols["obs_n"]).astype(np.float64),
        "has_subpoints": np.isfinite(cols["sp_n"]).astype(np.float64),
    }
    cols.update(presence)
    cols["n_missing_blocks"] = len(presence) - sum(presence.values(), np.zeros(n))
    base_names = [name for cat in _BASE_CATEGORIES for name in FEATURE_SCHEMA.categories[cat]]
    base = np.column_stack([cols[name] for name in base_names]) if n else np.zeros((0, 1))
    cols["frac_missing_base"] = np.isnan(base).mean(axis=1) if n else np.zeros(0)

    values = np.empty((n, len(FEATURE_SCHEMA)), dtype=np.float64)
    for j, name in enumerate(FEATURE_SCHEMA.names):
        values[:, j] = cols[name]
    return FeatureMatrix(values=values, schema=FEATURE_SCHEMA, indicators=ind)
