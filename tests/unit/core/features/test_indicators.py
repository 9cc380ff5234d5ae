"""Rule-based indicators: firing on a 2020 SO-like object, silence on Eros, combination rules."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pytest

from core.contract.records import record_from_obj
from core.features import extract_features
from core.features.indicators import (
    CATEGORIES,
    FIRING_RAW,
    INDICATORS,
    REQUIRED_INPUTS,
    IndicatorResults,
    evaluate_indicators,
)

# 2020 SO (Surveyor 2 Centaur upper stage): JPL elements rounded, H = 28.3; a radial A1 of
# an area-to-mass ratio 0.006 m^2/kg (the lower end of stages, 0.006-0.025) and an A2 of
# ~1e-11 au/d^2, far above the Yarkovsky drift of a ~8 m rock.
SO_A1_AU_D2 = 0.006 * 2.265e-7
SO_2020 = {
    "designation": "2020 SO",
    "orbit": {"a_au": 1.008, "e": 0.027, "i_deg": 0.13},
    "physical": {"H": 28.3},
    "nongrav": {"A1": SO_A1_AU_D2, "A2": 1.0e-11},
}
EROS = {
    "designation": "433",
    "orbit": {"a_au": 1.4581823, "e": 0.2227385, "i_deg": 10.82858},
    "physical": {"H": 11.16, "diameter_km": 16.84, "albedo": 0.25, "rot_per_h": 5.27},
}
T0 = datetime(2001, 1, 1)


def results(*objs: dict[str, Any]) -> IndicatorResults:
    return extract_features([record_from_obj(o) for o in objs]).indicators


def col(res: IndicatorResults, name: str) -> int:
    return res.names.index(name)


def test_specs_are_documented() -> None:
    assert len({s.name for s in INDICATORS}) == len(INDICATORS)
    for s in INDICATORS:
        assert s.category in CATEGORIES
        assert 0 < s.weight < 1
        assert len(s.rationale) > 80
        assert {"lo", "hi"} <= set(s.thresholds)
        assert "{value" in s.reason
    assert {s.category for s in INDICATORS} == set(CATEGORIES)


def test_2020_so_like_object_fires() -> None:
    res = results(SO_2020)
    raw = dict(zip(res.names, res.raw[0], strict=True))
    conf = dict(zip(res.names, res.confidence[0], strict=True))
    assert raw["earth_like_orbit"] == 1.0
    # Öpik U = 0.78 km/s (Earth-crossing orbit: confidence 0.8)
    assert raw["low_encounter_speed"] == 1.0
    assert conf["low_encounter_speed"] == 0.8
    assert raw["tiny_earth_like"] == pytest.approx((28.3 - 26.0) / 2.5)
    # D from H with p = 0.14: 7.77 m; A2_natural = 1.2e-14/0.00777 -> ratio 6.48
    assert raw["a2_excess"] == pytest.approx(math.log10(6.4756) - math.log10(2.0), abs=1e-3)
    assert conf["a2_excess"] == 0.7
    assert res.overall[0] > 0.8
    d = res.as_dict(0)
    assert res.as_dicts() == [d]  # the engine's batch path gives the same dicts
    orjson.dumps(d)  # JSON-ready
    assert d["overall"] == pytest.approx(float(res.overall[0]))
    assert set(d["categories"]) == set(CATEGORIES)
    items = {it["name"]: it for it in d["items"]}
    assert items["a2_excess"]["reason"].startswith("A2/A2_natural = 6.48")
    assert "km/s" in items["low_encounter_speed"]["reason"]
    # only indicators with a raw score above zero are listed, strongest first
    assert "diameter_mismatch" not in items
    assert set(items) == {n for n, r in raw.items() if r > 0}
    weighted = [it["weighted_score"] for it in d["items"]]
    assert weighted == sorted(weighted, reverse=True)
    assert res.firing(0)[0] == "earth_like_orbit"
    assert {"low_encounter_speed", "high_area_to_mass"} <= set(res.firing(0)[1:3])
    # A/M 0.006 m^2/kg is 6x the largest natural A/M measured (issue 33)
    assert raw["high_area_to_mass"] == 1.0 and conf["high_area_to_mass"] == 1.0
    # rho = 3 / (2 * 7.77 m * 0.006 m^2/kg) = 32 kg/m^3; its 1-sigma bound (0.25 dex) 57
    assert raw["low_density"] == 1.0
    assert items["low_density"]["reason"].startswith("implied bulk density <= 57 kg/m^3")
    assert raw["launch_compatible_orbit"] == 1.0


def test_eros_stays_silent() -> None:
    res = results(EROS)
    assert res.overall[0] == 0.0
    assert res.firing(0) == []
    assert np.all(res.raw[0] == 0.0)
    # Measured orbit and physical inputs: those rules are confident, the others have no input.
    assert res.confidence[0, col(res, "earth_like_orbit")] == 1.0
    assert res.confidence[0, col(res, "spin_barrier")] == 1.0
    assert res.confidence[0, col(res, "regular_approaches")] == 0.0
    d = res.as_dict(0)
    assert d["items"] == []
    assert d["overall"] == 0.0
    assert d["categories"] == dict.fromkeys(CATEGORIES, 0.0)


def test_batch_dicts_match_single_dicts() -> None:
    res = results(EROS, SO_2020, {"designation": "nothing"}, SO_2020)
    dicts = res.as_dicts()
    assert dicts == [res.as_dict(i) for i in range(4)]
    assert [len(d["items"]) for d in dicts] == [
        0,
        len(dicts[1]["items"]),
        0,
        len(dicts[1]["items"]),
    ]
    assert dicts[1] == dicts[3]
    assert {it["name"] for it in dicts[1]["items"]} >= {"earth_like_orbit", "a2_excess"}


def test_missing_inputs_give_zero_raw_and_zero_confidence() -> None:
    res = results({"designation": "nothing"})
    assert np.all(res.raw == 0.0) and np.all(res.confidence == 0.0)
    assert res.overall[0] == 0.0 and np.all(res.category_scores == 0.0)


def test_combination_is_weighted_noisy_or() -> None:
    res = results(SO_2020, EROS)
    weights = np.array([s.weight for s in INDICATORS])
    np.testing.assert_allclose(res.weighted, res.raw * res.confidence * weights)
    for i in range(2):
        assert res.overall[i] == pytest.approx(1 - np.prod(1 - res.weighted[i]))
        for c, cat in enumerate(CATEGORIES):
            cols = [j for j, s in enumerate(INDICATORS) if s.category == cat]
            assert res.category_scores[i, c] == pytest.approx(
                1 - np.prod(1 - res.weighted[i, cols])
            )
    assert np.all((res.raw >= 0) & (res.raw <= 1))
    assert np.all((res.overall >= 0) & (res.overall <= 1))


def test_measured_speed_overrides_opik_estimate() -> None:
    obj = {**EROS, "close_approaches": [{"time": "2012-01-31T11:00:00", "dist_au": 0.178,
                                         "v_rel_kms": 1.0}]}  # fmt: skip
    res = results(obj)
    j = col(res, "low_encounter_speed")
    assert (res.raw[0, j], res.confidence[0, j], res.values[0, j]) == (1.0, 1.0, 1.0)


def test_temporal_and_geographic_rules() -> None:
    cas = [
        {"time": (T0 + timedelta(days=365.25 * k)).isoformat(), "dist_au": 0.01,
         "subpoint": [35.0, 139.5 + 0.1 * k]}
        for k in range(6)
    ]  # fmt: skip
    res = results({"designation": "geo", "close_approaches": cas})
    for name in ("regular_approaches", "subpoint_clustering"):
        j = col(res, name)
        assert (res.raw[0, j], res.confidence[0, j]) == (1.0, 1.0), name
    few = results({"designation": "few", "close_approaches": cas[:3]})
    assert few.confidence[0, col(few, "regular_approaches")] == pytest.approx(1 / 3)


def test_physical_and_radial_rules() -> None:
    big_fast = {"designation": "f", "physical": {"diameter_km": 1.0, "rot_per_h": 1.0}}
    mismatch = {"designation": "m", "physical": {"H": 20.0, "albedo": 0.25, "diameter_km": 2.66}}
    sail = {"designation": "s", "physical": {"diameter_km": 0.01}, "nongrav": {"A1": 1e-9}}
    res = results(big_fast, mismatch, sail)
    assert res.raw[0, col(res, "spin_barrier")] == 1.0
    assert res.raw[1, col(res, "diameter_mismatch")] == 1.0  # factor 10 (implied 0.266 km)
    assert res.values[1, col(res, "diameter_mismatch")] == pytest.approx(10.0, rel=1e-3)
    assert res.raw[2, col(res, "a1_excess")] == 1.0
    assert res.confidence[2, col(res, "a1_excess")] == 1.0  # measured diameter


def test_order_independent() -> None:
    objs = [SO_2020, EROS, {"designation": "x"}] * 3
    perm = [4, 0, 8, 2, 6, 1, 3, 7, 5]
    a, b = results(*objs), results(*[objs[p] for p in perm])
    np.testing.assert_array_equal(a.overall[perm], b.overall)
    np.testing.assert_array_equal(a.raw[perm], b.raw)
    assert results(EROS).overall[0] == a.overall[1]


def test_evaluate_indicators_reads_only_required_inputs() -> None:
    base = {name: np.array([np.nan]) for name in REQUIRED_INPUTS}
    base["orb_earth_dist"] = np.array([0.05])
    res = evaluate_indicators(base)
    j = col(res, "earth_like_orbit")
    assert res.raw[0, j] == pytest.approx((0.15 - 0.05) / (0.15 - 0.03))
    assert res.raw[0, j] >= FIRING_RAW
    assert res.firing(0) == ["earth_like_orbit"]
