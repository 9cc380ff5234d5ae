"""Vectorised feature extraction with a fixed, named, versioned schema.

Public API: :data:`FEATURE_SCHEMA`, :class:`FeatureSchema`, :class:`FeatureMatrix` and
:func:`extract_features`. Blocks (one module each): orbital, physical and non-gravitational,
temporal (close approaches), spatial (subpoints), observational; then indicator scores and
statistical summaries (presence flags, missing blocks).

Beside them: :mod:`core.features.indicators`, the rule-based scientific indicators the matrix
carries, and :mod:`core.features.physics_evidence`, the physical evidence behind an alert in
words, read from a :class:`FeatureMatrix`.
"""

from core.features.extract import FeatureMatrix, extract_features
from core.features.schema import FEATURE_SCHEMA, FeatureSchema

__all__ = ["FEATURE_SCHEMA", "FeatureMatrix", "FeatureSchema", "extract_features"]
