"""The verdict and its evidence class (issue 33): an A/M counted without a size, undetermined
Earth-like orbits, bad non-gravitational input, failed fits. Each number's source is named."""

from __future__ import annotations

import math
from typing import Any

import pytest

from core.contract.records import record_from_obj
from core.features import extract_features
from core.orbits.launches import area_to_mass_m2_kg, load_deep_space
from core.orbits.srp import SRP_AU_D2_PER_M2_KG
from core.serving.verdict import (
    CATEGORIES,
    UNDETERMINED,
    Verdict,
    amr_likelihood_ratio,
    decide,
    failed_fit_verdict,
    stage_log10_amr,
)

# Tesla Roadster + Falcon Heavy upper stage (2018-017A) on its heliocentric orbit: JPL SBDB
# -143205 elements (rounded), and the radiation pressure issue 33 quotes from its fit:
# A1 = 3.06e-9 +- 1.0e-10 au/d^2 (30 sigma, A/M 0.0135 m^2/kg), no physical block.
ROADSTER = {
    "designation": "2018-017A",
    "orbit": {"a_au": 1.325, "e": 0.2559, "i_deg": 1.077},
    "nongrav": {"A1": 3.06e-9, "A1_sigma": 1.0e-10},
}
# 2009 BD, natural: A/M = (2.97 +- 0.33)e-4 m^2/kg (Micheli, Tholen & Elliott 2012, New
# Astronomy 17, 446), H = 28.43 (Mommert et al. 2014, ApJ 786, 148); orbit JPL, rounded.
BD_2009 = {
    "designation": "2009 BD",
    "orbit": {"a_au": 1.0088, "e": 0.0517, "i_deg": 0.38},
    "physical": {"H": 28.43},
    "nongrav": {"A1": 2.97e-4 * SRP_AU_D2_PER_M2_KG, "A1_sigma": 0.33e-4 * SRP_AU_D2_PER_M2_KG},
}
# 2020 CD3, natural minimoon: A/M = (6.9 +- 2.4)e-4 m^2/kg (Fedorets et al. 2020, AJ 160,
# 277), here without its H: 2.9 sigma, not a detection, but its 3-sigma upper bound 1.4e-3
# is far below every rocket stage's A/M: that rules out a stage.
CD3_NO_SIZE = {
    "designation": "2020 CD3",
    "orbit": {"a_au": 1.027, "e": 0.0214, "i_deg": 0.64},
    "nongrav": {"A1": 6.9e-4 * SRP_AU_D2_PER_M2_KG, "A1_sigma": 2.4e-4 * SRP_AU_D2_PER_M2_KG},
}
# 2024 PT5, natural (lunar ejecta, Kareta et al. 2025): JPL orbit, H 27.4; no published A/M
# was available here, so no A1: an Earth-like orbit without physics cannot be decided.
PT5 = {
    "designation": "2024 PT5",
    "orbit": {"a_au": 1.0123, "e": 0.02148, "i_deg": 1.5205},
    "physical": {"H": 27.4},
}
# (4179) Toutatis, 5.4 km (JPL): an A1 of a stage's size on a km body stays uncounted.
TOUTATIS_BIG_A1 = {
    "designation": "4179",
    "orbit": {"a_au": 2.5438928, "e": 0.6256447, "i_deg": 0.4477},
    "physical": {"H": 15.3, "diameter_km": 5.4, "albedo": 0.405},
    "nongrav": {"A1": 3.0e-9, "A1_sigma": 1.0e-10},
}


def verdicts(*objs: dict[str, Any], category: str = "natural") -> list[Verdict]:
    records = [record_from_obj(o) for o in objs]
    fm = extract_features(records)
    return decide(fm.column, records, [category] * len(records), [0.5] * len(records))


def features(obj: dict[str, Any]) -> dict[str, float]:
    fm = extract_features([record_from_obj(obj)])
    return {n: float(fm.values[0, j]) for j, n in enumerate(fm.schema.names)}


def test_significant_a1_without_a_size_is_counted_and_decides_hollow() -> None:
    f = features(ROADSTER)
    assert 10.0 ** f["srp_log10_amr_m2_kg"] == pytest.approx(3.06e-9 / SRP_AU_D2_PER_M2_KG)
    assert 10.0 ** f["srp_log10_amr_m2_kg"] == pytest.approx(0.0135, rel=0.01)
    assert math.isnan(f["srp_log10_density_kg_m3"])  # no size, no density
    assert f["ind_raw_high_area_to_mass"] == 1.0
    (v,) = verdicts(ROADSTER)
    assert v.evidence == "physics" and v.category == "highly_suspicious"  # raised from natural
    assert v.probability is not None and v.probability > 0.99
    assert v.interval is not None and v.interval[0] <= v.probability <= v.interval[1]


def test_natural_area_to_mass_decides_natural_with_or_without_size() -> None:
    bd, cd3 = verdicts(BD_2009, CD3_NO_SIZE, category="highly_suspicious")
    for v in (bd, cd3):
        assert v.evidence == "physics" and v.category == "natural"
    assert bd.probability is not None and bd.probability < 0.01
    assert math.isnan(features(CD3_NO_SIZE)["srp_log10_amr_m2_kg"])  # 2.9 sigma: uncounted
    assert "A/M < 0.0014 m^2/kg at 3 sigma" in cd3.cautions[0]
    assert features(BD_2009)["ind_raw_high_area_to_mass"] == 0.0
    # 2009 BD at the assumed albedo: rho = 3 / (2 D A/M) ~ 690 kg/m^3, no low density
    assert features(BD_2009)["ind_raw_low_density"] == 0.0


def test_gcat_stage_dimensions_give_a_hollow_verdict_without_size() -> None:
    # Centaur AC-6 (GCAT 1965-064): 1,873 kg dry, 8.6 m x 3.0 m (J. McDowell, CC-BY 4.0)
    centaur = next(p for p in load_deep_space() if p.launch_tag == "1965-064")
    amr = area_to_mass_m2_kg(centaur)
    assert amr == pytest.approx((math.pi * 3.0 * 8.6 + math.pi * 9.0 / 2) / 4 / 1873.0)
    a1 = amr * SRP_AU_D2_PER_M2_KG
    stage = {"designation": "sim-centaur", "orbit": {"a_au": 1.0, "e": 0.05, "i_deg": 0.5}}
    (v,) = verdicts({**stage, "nongrav": {"A1": a1, "A1_sigma": a1 / 10.0}})
    assert v.evidence == "physics" and v.category == "highly_suspicious"
    mu, sd = stage_log10_amr()
    assert 0.004 < 10.0**mu < 0.03 and 0.0 < sd < 0.5  # GCAT stages: 0.006-0.025 m^2/kg
    assert amr_likelihood_ratio(math.log10(amr), 0.04) > 1e3
    assert amr_likelihood_ratio(math.log10(3e-4), 0.05) < 1e-3


def test_km_size_guard_keeps_a_big_bodys_a1_uncounted() -> None:
    f = features(TOUTATIS_BIG_A1)
    assert math.isnan(f["srp_log10_amr_m2_kg"]) and f["ind_raw_high_area_to_mass"] == 0.0
    (v,) = verdicts(TOUTATIS_BIG_A1, category="suspicious")
    assert v.evidence == "orbit" and v.category == "suspicious"


def test_earth_like_orbit_without_physics_is_undetermined_with_what_decides() -> None:
    (v,) = verdicts(PT5, category="highly_suspicious")
    assert v.category == UNDETERMINED and v.evidence == "none"
    assert len(v.needs) == 1 and v.needs[0].startswith("astrometry over ")
    # without a sigma: the 90-day arc of issue 28's simulated stage (sigma 2.5e-10) scaled to
    # sigma = A1(0.006 m^2/kg) / 3 = 4.5e-10: sqrt(2.5 / 4.5) x 90 = 67 days, one a night
    assert "67 more nights" in v.needs[0]
    assert UNDETERMINED in CATEGORIES


def test_no_orbit_one_night_needs_a_second_night() -> None:
    obj = {
        "designation": "T0001",
        "observations": {
            "ades": [
                {
                    "provID": "T0001",
                    "obsTime": f"2024-01-01T0{h}:00:00Z",
                    "ra": 10.0 + h * 0.01,
                    "dec": 5.0,
                    "stn": "F51",
                }
                for h in range(3)
            ]
        },
    }
    (v,) = verdicts(obj)
    assert v.category == UNDETERMINED and v.needs == ("a second night",)
    (bare,) = verdicts({"designation": "T0002", "physical": {"H": 25.0}})
    assert bare.category == UNDETERMINED and bare.needs[0].startswith("an orbit (the record")


@pytest.mark.parametrize(
    ("nongrav", "physical", "caution"),
    [
        ({"A1": 3.0e-9}, None, "without its sigma"),
        ({"A1": 3.0e-9, "A1_sigma": 0.0}, None, "sigma of 0"),
        ({"A1": -3.0e-9, "A1_sigma": 1e-10}, None, "is negative"),
        ({"A1": 3.0e-9, "A1_sigma": 1e-10}, {"H": 30.0, "diameter_km": 1.0}, "contradicts H"),
    ],
)
def test_bad_nongrav_input_gets_a_reason_never_a_silent_natural(
    nongrav: dict[str, float], physical: dict[str, float] | None, caution: str
) -> None:
    obj: dict[str, Any] = {**PT5, "physical": physical, "nongrav": nongrav}
    if physical is None:
        del obj["physical"]
    (v,) = verdicts(obj)
    assert any(caution in c for c in v.cautions), v.cautions
    assert v.category != "natural" or v.evidence == "physics"
    if caution in ("sigma of 0", "is negative"):  # no A/M: nothing decides
        assert v.category == UNDETERMINED


def test_failed_fit_is_undetermined_with_its_cause() -> None:
    v = failed_fit_verdict("the fit diverged: more than 20000 steps")
    assert v.category == UNDETERMINED and v.evidence == "none"
    assert "the fit diverged" in v.needs[0] and "the fit diverged" in v.cautions[0]
    assert "fit failed: fit failed" not in failed_fit_verdict("fit failed: x").cautions[0]
