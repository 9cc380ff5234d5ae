"""The demo's data (issue 33 item 4): synthetic objects named so they cannot pass for real
ones, and the simulated stage whose streamed refits end in a physics-backed verdict."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson

from core.contract.records import record_from_obj
from core.orbits.astrometry import read_astrometry
from core.orbits.fit import fit_orbit
from core.serving.inference import InferenceEngine
from core.serving.registry import load_model
from streamer.commands.tail import format_result

ROOT = Path(__file__).resolve().parents[2]


def test_synthetic_sample_records_have_designations_no_real_object_has() -> None:
    with gzip.open(ROOT / "data" / "sample_stream.jsonl.gz") as fh:
        records = [orjson.loads(line) for line in fh]
    synthetic = [r for r in records if r.get("meta", {}).get("source") == "synthetic"]
    assert synthetic and all(r["designation"].startswith("SIM-") for r in synthetic)
    assert not any(r["designation"].startswith("SIM-") for r in records if r not in synthetic)
    # new-style physics: every one has an H, those with an A1 its sigma
    assert all(r["physical"]["H"] is not None for r in synthetic)
    with_a1 = [r for r in synthetic if "A1" in (r.get("nongrav") or {})]
    assert with_a1 and all(r["nongrav"]["A1_sigma"] > 0 for r in with_a1)


def test_the_simulated_stage_of_the_demo_is_fitted_and_judged_hollow() -> None:
    # simulated (scripts/build_demo_obs.py: ASSIST truth, A1 2.878e-9 au/d^2 from GCAT's
    # Centaur AC-6, F51/G96, 0.3" noise): the whole 10-night arc gives A1 at > 3 sigma
    (astrometry,) = read_astrometry(ROOT / "data" / "demo_stage_obs.psv", None).values()
    assert not isinstance(astrometry, Exception)
    fit = fit_orbit(astrometry)
    obj = fit.to_neo_obj("SIM-STAGE1")
    a1, sigma = obj["nongrav"]["A1"], obj["nongrav"]["A1_sigma"]
    assert a1 / sigma > 3.0 and abs(a1 - 2.878e-9) < 3.0 * sigma
    engine = InferenceEngine(load_model(ROOT / "models"), cache_size=0)
    (result,) = engine.predict_batch([record_from_obj(obj)])
    assert result["evidence"] == "physics"
    assert result["category"] in ("highly_suspicious", "artificial_candidate")
    text = format_result(result)
    assert "rests on: physics" in text and "hollow, not a rock" in text


def test_tail_prints_what_an_undetermined_verdict_needs() -> None:
    text = format_result(
        {
            "designation": "SIM-STAGE1",
            "anomaly_score": 0.2,
            "category": "undetermined",
            "evidence": "none",
            "needs": ["astrometry over 4 more nights"],
            "contributions": [],
        }
    )
    assert text.splitlines()[-1] == "  undetermined: needs astrometry over 4 more nights"
