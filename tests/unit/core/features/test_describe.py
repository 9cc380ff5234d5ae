"""core.features.describe: every feature of the schema in words (issue 23 item 10)."""

from __future__ import annotations

import math

import pytest

from core.features import FEATURE_SCHEMA
from core.features.describe import describe_feature


@pytest.mark.parametrize("name", FEATURE_SCHEMA.names)
def test_every_feature_has_words_not_its_name(name: str) -> None:
    text = describe_feature(name, 0.5)
    assert name not in text and "_" not in text.split(" = ")[0], text
    assert describe_feature(name, None).endswith(": missing")
    assert describe_feature(f"{name}__missing", None).endswith(": missing")


def test_log10_features_are_shown_as_the_quantity() -> None:
    assert describe_feature("ng_log10_abs_a2", -12.66) == (
        "transverse non-gravitational acceleration |A2| = 2.19e-13 au/d²"
    )
    assert describe_feature("phys_log10_d_km", math.log10(0.35)) == "diameter = 0.35 km"
    assert describe_feature("phys_log10_rot_h", 1.0) == "rotation period = 10 h"


def test_a_name_outside_the_schema_is_kept() -> None:
    assert describe_feature("future_feature", 1.25) == "future_feature = 1.2500"
    assert describe_feature("orb_e", math.nan) == "eccentricity e: missing"
