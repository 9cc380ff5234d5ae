"""The injected-anomaly generator: valid records, seeded, physically what its docstring says."""

from __future__ import annotations

import re

import numpy as np

from core.records import NeoRecord, record_from_obj, record_to_obj
from core.synthetic import FAMILIES, generate_artificial

_TEMPLATES = [
    record_from_obj(
        {
            "designation": "433",
            "orbit": {
                "a_au": 1.458,
                "e": 0.2227,
                "i_deg": 10.83,
                "node_deg": 304.3,
                "peri_deg": 178.9,
                "M_deg": 110.8,
                "epoch_jd": 2458600.5,
                "moid_au": 0.148,
            },
            "physical": {"H": 10.4, "diameter_km": 16.84, "albedo": 0.25},
            "close_approaches": [
                {
                    "time": "2012-01-31T11:00:00Z",
                    "dist_au": 0.1787,
                    "v_rel_kms": 5.9,
                    "v_inf_kms": 5.9,
                    "body": "Earth",
                }
            ],
            "meta": {"source": "test"},
        }
    ),
    record_from_obj(
        {
            "designation": "2019 AB",
            "orbit": {"a_au": 2.1, "e": 0.55, "i_deg": 3.2},
            "physical": {"H": 22.1},
            "nongrav": {"A2": -2.0e-14},
        }
    ),
]
_DESIGNATION = re.compile(r"^(19|20)\d\d [A-HJ-Y][A-HJ-Z](\d{1,2})?$")


def _generate(seed: int, n: int = 60) -> tuple[tuple[NeoRecord, ...], tuple[tuple[str, ...], ...]]:
    out = generate_artificial(_TEMPLATES, n, np.random.default_rng(seed))
    return out.records, out.families


def test_every_record_is_valid_neo_v1_and_round_trips() -> None:
    records, _ = _generate(1)
    for rec in records:
        assert record_from_obj(record_to_obj(rec)) == rec


def test_same_seed_same_records_other_seed_other_records() -> None:
    assert _generate(5) == _generate(5)
    assert _generate(5)[0] != _generate(6)[0]


def test_families_show_their_signals() -> None:
    records, families = _generate(2, n=200)
    assert {f for fam in families for f in fam} == set(FAMILIES)
    assert any(len(f) == 4 for f in families) and any(len(f) < 4 for f in families)
    for rec, fam in zip(records, families, strict=True):
        assert _DESIGNATION.match(rec.designation), rec.designation
        if "earth_like_orbit" in fam:
            assert rec.orbit is not None and rec.orbit.a_au is not None
            assert 0.95 <= rec.orbit.a_au <= 1.05
            assert rec.orbit.e < 0.1 and rec.orbit.i_deg <= 5.0
        if "tiny_size" in fam:
            assert rec.physical is not None and rec.physical.H is not None
            assert 28.0 <= rec.physical.H <= 32.0
            if rec.physical.diameter_km is not None:
                assert rec.physical.diameter_km < 0.05  # tens of metres at most
        if "radiation_pressure" in fam:
            assert rec.nongrav is not None and rec.nongrav.A2 is not None
            assert abs(rec.nongrav.A2) >= 1e-12
        if "regular_approaches" in fam:
            jd = np.array([ca.time_jd for ca in rec.close_approaches])
            gaps = np.diff(jd)
            assert 4 <= jd.size <= 10
            assert gaps.std() < 2.0 and 340.0 < gaps.mean() < 405.0


def test_no_field_exists_only_on_synthetic_records() -> None:
    """Every field path a synthetic record carries also occurs on some template."""

    def paths(rec: NeoRecord) -> set[str]:
        obj = record_to_obj(rec)
        out = set()
        for key, value in obj.items():
            if isinstance(value, dict):
                out |= {f"{key}.{k}" for k in value}
            elif isinstance(value, list):
                out |= {f"{key}[].{k}" for item in value for k in item}
            else:
                out.add(key)
        return out

    template_paths = set().union(*(paths(t) for t in _TEMPLATES))
    records, _ = _generate(3, n=100)
    for rec in records:
        assert paths(rec) <= template_paths
