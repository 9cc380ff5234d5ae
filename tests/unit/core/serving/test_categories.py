"""The result categories are declared once (issue 27): everything that names them agrees with
:mod:`core.serving.categories`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.report.facts import _VERDICT_WORDS, VERDICT_ORDER
from core.serving import model, verdict
from core.serving.categories import (
    ALERT_CATEGORIES,
    CATEGORIES,
    CATEGORY_RANK,
    CUT_LEVELS,
    EVIDENCE,
    RESULT_CATEGORIES,
    UNDETERMINED,
)
from core.training.calibration import DEFAULT_ALERT_CATEGORIES

_SCHEMA = Path(__file__).parents[4] / "docs" / "schemas" / "neo.anomaly.v1.schema.json"


def test_the_rank_is_the_order_and_cut_levels_skip_undetermined() -> None:
    assert [CATEGORY_RANK[c] for c in CATEGORIES] == list(range(len(CATEGORIES)))
    assert CATEGORY_RANK["natural"] < CATEGORY_RANK[UNDETERMINED] < CATEGORY_RANK["suspicious"]
    assert UNDETERMINED not in CUT_LEVELS
    assert [c for c in CATEGORIES if c in CUT_LEVELS] == list(CUT_LEVELS)
    assert ALERT_CATEGORIES == ("highly_suspicious", "artificial_candidate")


def test_the_result_schema_enums_are_the_declaration() -> None:
    props = json.loads(_SCHEMA.read_text())["properties"]
    assert tuple(props["category"]["enum"]) == RESULT_CATEGORIES
    assert tuple(props["evidence"]["enum"]) == EVIDENCE


def test_verdict_model_calibration_and_report_derive_from_it() -> None:
    assert verdict.CATEGORIES is CATEGORIES
    assert verdict.EVIDENCE is EVIDENCE
    assert model.CATEGORIES == CUT_LEVELS
    assert frozenset(ALERT_CATEGORIES) == DEFAULT_ALERT_CATEGORIES
    assert sorted(VERDICT_ORDER, key=VERDICT_ORDER.__getitem__) == list(reversed(CATEGORIES))
    assert set(_VERDICT_WORDS) == set(CATEGORIES)


def test_the_cuts_give_each_level_in_order() -> None:
    cuts = model.CategoryCuts(suspicious=0.5, highly_suspicious=0.8, artificial_candidate=0.9)
    got = cuts.categorize(np.array([0.1, 0.6, 0.85, 0.95]), np.array([1.0, 1.0, 1.0, 1.0]))
    assert got == list(CUT_LEVELS)
