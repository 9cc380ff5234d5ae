"""Physical evidence of an alert: A/M and density with sigma, launch match, or "cannot decide"."""

from __future__ import annotations

import orjson
import pytest

from core.contract.records import record_from_obj
from core.features import extract_features
from core.features.physics_evidence import launch_sentence, physical_evidence
from core.orbits.srp import SRP_AU_D2_PER_M2_KG

ORBIT = {"a_au": 1.008, "e": 0.027, "i_deg": 0.13}  # 2020 SO, JPL elements rounded
STAGE = {
    "designation": "2020 SO",
    "orbit": ORBIT,
    "physical": {"H": 28.3},
    "nongrav": {"A1": 0.006 * SRP_AU_D2_PER_M2_KG},
}
ROCK = {  # 2020 CD3 (Fedorets et al. 2020): A/M 6.9e-4 m^2/kg, H 31.8
    "designation": "2020 CD3",
    "orbit": {"a_au": 1.027, "e": 0.0214, "i_deg": 0.64},
    "physical": {"H": 31.8, "albedo": 0.14},
    "nongrav": {"A1": 6.9e-4 * SRP_AU_D2_PER_M2_KG},
}
ORBIT_ONLY = {"designation": "2018 AV2", "orbit": ORBIT}


def test_stage_rock_and_orbit_only_are_told_apart_in_words() -> None:
    fm = extract_features([record_from_obj(o) for o in (STAGE, ROCK, ORBIT_ONLY)])
    stage, rock, orbit_only = physical_evidence(fm, [0, 1, 2])
    assert stage["area_to_mass_m2_kg"] == pytest.approx(0.006, rel=1e-6)
    lo, hi = stage["density_range_kg_m3"]
    assert lo < stage["density_kg_m3"] < hi < 300.0
    assert "hollow, not a rock" in stage["summary"]
    assert stage["summary"].startswith("A/M 0.006 m^2/kg")
    assert "bulk density 32 kg/m^3" in stage["summary"]
    # H + measured albedo: 0.08 dex on D; 1,400 kg/m^3 with a lower bound above 800
    assert rock["density_kg_m3"] == pytest.approx(1403.0, rel=0.01)
    assert "a rock's density" in rock["summary"]
    assert orbit_only["density_kg_m3"] is None
    assert "the orbit alone cannot tell a rocket stage from a natural body" in orbit_only["summary"]
    assert orbit_only["v_inf_kms"] == pytest.approx(0.78, abs=0.01)
    assert orbit_only["apsis_at_1au"] is True  # q = 0.981 au
    orjson.dumps([stage, rock, orbit_only])


def test_a_launch_match_is_named() -> None:
    fm = extract_features([record_from_obj(ORBIT_ONLY)])
    match = {
        "launch_date": "1966-09-20",
        "launch_tag": "1966-084",
        "name": "Surveyor 2",
        "clone_fraction": 0.62,
        "min_dist_au": 0.004,
        "v_rel_kms": 1.2,
        "days_after_launch": 3.0,
    }
    (entry,) = physical_evidence(fm, [0], [match])
    assert entry["launch_match"] == match
    assert entry["summary"] == launch_sentence(match)
    assert entry["summary"].startswith(
        "passed Earth at 0.004 au, 1.2 km/s, 3 days after the launch of Surveyor 2"
    )
    assert "cannot tell" not in entry["summary"]
