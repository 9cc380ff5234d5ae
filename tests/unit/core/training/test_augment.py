"""Missingness augmentation: valid partial records, the requested share, seeded."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from core.contract.records import NeoRecord, record_from_obj, record_to_obj
from core.training.augment import COMPLETE, PATTERNS, drop_parts
from core.training.pipeline import load_catalog

CATALOG = Path(__file__).parents[4] / "data" / "catalog.jsonl.gz"


@pytest.fixture(scope="module")
def records() -> list[NeoRecord]:
    catalog, _, _ = load_catalog(CATALOG)
    # Enriched records (physical, non-grav, approaches) first: every pattern has work to do.
    rich = [r for r in catalog if r.close_approaches and r.physical and r.orbit]
    return rich[:2000]


def test_patterns_remove_only_what_they_name(records: list[NeoRecord]) -> None:
    out = drop_parts(records, 1.0, np.random.default_rng(1))
    assert len(out.records) == len(out.patterns) == len(records)
    assert COMPLETE not in out.patterns
    for before, after, pattern in zip(records, out.records, out.patterns, strict=True):
        assert record_from_obj(record_to_obj(after)) == after  # still a valid neo.v1 record
        assert after.designation == before.designation and after.meta == before.meta
        if pattern == "orbit_only":
            assert after.orbit == before.orbit
            assert (after.physical, after.nongrav, after.close_approaches) == (None, None, ())
        elif pattern == "no_H":
            assert after.physical is None or after.physical.H is None
            assert after.orbit is not None and after.orbit.moid_au is None
            assert after.close_approaches == before.close_approaches
        elif pattern == "elements_only":
            assert after.orbit is not None and after.orbit.node_deg is None
            assert after.orbit.epoch_jd is None and after.orbit.e == before.orbit.e  # type: ignore[union-attr]
            assert (after.physical, after.close_approaches) == (None, ())
        elif pattern == "no_orbit":
            assert after.orbit is None and after.physical == before.physical
            assert after.close_approaches == before.close_approaches
        elif pattern == "no_physical":
            assert after.physical is None and after.orbit == before.orbit
        else:
            assert pattern == "no_close_approaches" and after.close_approaches == ()
    counts = Counter(out.patterns)
    for name, weight in PATTERNS.items():
        assert abs(counts[name] / len(records) - weight) < 0.04


def test_fraction_and_seed(records: list[NeoRecord]) -> None:
    a = drop_parts(records, 0.3, np.random.default_rng(7))
    b = drop_parts(records, 0.3, np.random.default_rng(7))
    assert a == b
    kept = [r for r, p in zip(records, a.records, strict=True) if r is p]
    assert abs(len(kept) / len(records) - 0.7) < 0.04
    assert drop_parts(records, 0.0, np.random.default_rng(7)).records == tuple(records)
    with pytest.raises(ValueError, match="fraction"):
        drop_parts(records, 1.5, np.random.default_rng(7))
