"""The feature schema: fixed names in a fixed order, grouped by category, versioned and hashed.

A model stores the schema it was trained on; the hash (sha256 of the version and the names in
order) is compared on load, so any change of names or order must bump :data:`VERSION`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from core.features import observational, orbital, physical, spatial, temporal
from core.features.indicators import CATEGORIES, INDICATORS

__all__ = [
    "FEATURE_SCHEMA",
    "INDICATOR_NAMES",
    "PRESENCE_NAMES",
    "STATISTICAL_NAMES",
    "VERSION",
    "FeatureSchema",
]

VERSION = "neo-features/3"

PRESENCE_NAMES: tuple[str, ...] = (
    "has_orbit",
    "has_physical",
    "has_nongrav",
    "has_close_approaches",
    "has_observations",
    "has_subpoints",
)

INDICATOR_NAMES: tuple[str, ...] = (
    "ind_overall",
    *(f"ind_cat_{c}" for c in CATEGORIES),
    *(f"ind_raw_{s.name}" for s in INDICATORS),
    "ind_n_firing",
    "ind_mean_confidence",
)

STATISTICAL_NAMES: tuple[str, ...] = (*PRESENCE_NAMES, "n_missing_blocks", "frac_missing_base")


@dataclass(frozen=True)
class FeatureSchema:
    """Names, order, categories, version and hash of the feature vector.

    Parameters
    ----------
    version : str
        Bumped whenever names or order change.
    categories : mapping of str to tuple of str
        Category -> its feature names; ``names`` is their concatenation in mapping order.
    """

    version: str
    categories: Mapping[str, tuple[str, ...]]
    names: tuple[str, ...] = field(init=False)
    hash: str = field(init=False)
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = tuple(n for group in self.categories.values() for n in group)
        if len(set(names)) != len(names):
            raise ValueError("feature names must be unique")
        digest = hashlib.sha256("\n".join((self.version, *names)).encode()).hexdigest()
        object.__setattr__(self, "categories", MappingProxyType(dict(self.categories)))
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "hash", digest)
        object.__setattr__(self, "_index", MappingProxyType({n: i for i, n in enumerate(names)}))

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Column of feature ``name``; raises KeyError for an unknown name."""
        return self._index[name]


FEATURE_SCHEMA = FeatureSchema(
    version=VERSION,
    categories={
        "orbital": orbital.NAMES,
        "physical": physical.NAMES,
        "nongravitational": physical.NONGRAV_NAMES,
        "temporal": temporal.NAMES,
        "spatial": spatial.NAMES,
        "observational": observational.NAMES,
        "indicators": INDICATOR_NAMES,
        "statistical": STATISTICAL_NAMES,
    },
)
"""The running feature schema."""
