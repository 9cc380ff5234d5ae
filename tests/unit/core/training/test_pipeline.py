"""The training pipeline on the bundled catalog: quality floor, report, invalid lines, model."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import orjson
import pytest

from core.contract.records import NeoRecord, Orbit, record_from_obj
from core.features import extract_features
from core.training.pipeline import (
    NEVER_EVIDENCE_FEATURES,
    PRESENCE_FEATURES,
    TrainingConfig,
    TrainingResult,
    load_catalog,
    train,
)

CATALOG = Path(__file__).parents[4] / "data" / "catalog.jsonl.gz"
SAMPLE = Path(__file__).parents[4] / "data" / "sample_stream.jsonl.gz"
# Honest floor: the quick ensemble measured ROC-AUC ~0.98 on this split; 0.85 leaves room for
# seeds and catalog updates while still failing a detector that ranks at random (0.5).
AUC_FLOOR = 0.85


@pytest.fixture(scope="module")
def result() -> TrainingResult:
    return train(TrainingConfig.quick_config(CATALOG, seed=0, max_records=3000, progress=False))


def test_quick_ensemble_separates_held_out_naturals_from_injected_objects(
    result: TrainingResult,
) -> None:
    test = result.report["metrics"]["test"]
    assert set(test) == {"iforest", "ocsvm", "autoencoder", "ensemble"}
    ens = test["ensemble"]
    assert ens["roc_auc"]["value"] >= AUC_FLOOR
    assert ens["roc_auc"]["low"] <= ens["roc_auc"]["value"] <= ens["roc_auc"]["high"]
    prevalence = ens["n_anomalous"] / (ens["n_anomalous"] + ens["n_natural"])
    assert ens["average_precision"]["value"] > 3 * prevalence
    # the threshold was fixed at 1 % on validation naturals: the test rate stays near it
    assert ens["false_alert_rate"] <= 0.03
    assert result.report["metrics"]["detection_by_family"]["all_families"] >= 0.9


def test_report_records_split_search_and_timings(result: TrainingResult) -> None:
    report = result.report
    assert report["split"] == {"train": 1800, "validation": 600, "test": 600}
    assert report["injected"] == {"validation": 60, "test": 60}
    assert len(report["trials"]["ocsvm"]) == 2  # the quick grid
    assert report["params"]["ensemble"]["method"] in {
        "weighted_average",
        "voting",
        "stacking",
        "dynamic",
    }
    assert set(report["timings_s"]) >= {"features", "search autoencoder", "final evaluation"}
    assert len(result.training_data_sha256) == 64


def test_trained_model_scores_consistently(result: TrainingResult) -> None:
    model = result.model
    records, _, _ = load_catalog(CATALOG)
    fm = extract_features(records[:50])
    out = model.score_matrix(fm.values)
    assert out.scores.shape == out.confidence.shape == (50,)
    assert out.member_scores.shape == (50, 3)
    assert np.all((out.confidence >= 0) & (out.confidence <= 1))
    np.testing.assert_allclose(out.member_weights.sum(axis=1), 1.0)
    assert model.cuts.suspicious == model.threshold
    assert model.threshold <= model.cuts.highly_suspicious <= model.cuts.artificial_candidate
    assert model.score_matrix(fm.values[:0]).scores.shape == (0,)


def test_invalid_catalog_lines_are_reported_not_fatal(tmp_path: Path) -> None:
    lines = gzip.decompress(CATALOG.read_bytes()).splitlines()[:5]
    lines.insert(2, b'{"designation": "x", "orbit": {"e": -1, "i_deg": 1, "a_au": 1}}')
    lines.insert(4, b"not json")
    path = tmp_path / "cat.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    records, invalid, digest = load_catalog(path)
    assert len(records) == 5
    assert [(bad.line, bad.field) for bad in invalid] == [(3, "orbit.e"), (5, "$")]
    assert len(digest) == 64


def test_too_small_catalog_is_refused(tmp_path: Path) -> None:
    from core.errors import ModelError

    path = tmp_path / "tiny.jsonl"
    path.write_bytes(b"\n".join(gzip.decompress(CATALOG.read_bytes()).splitlines()[:10]))
    with pytest.raises(ModelError, match="need at least 50"):
        train(TrainingConfig.quick_config(path, progress=False))


def _sample_records(source: str) -> list[NeoRecord]:
    lines = gzip.decompress(SAMPLE.read_bytes()).splitlines()
    objs = (orjson.loads(line) for line in lines)
    return [record_from_obj(o) for o in objs if o["meta"]["source"] == source]


def _flag_rate(result: TrainingResult, records: list[NeoRecord]) -> float:
    out = result.model.score_matrix(extract_features(records).values)
    return float(np.mean(out.scores >= result.model.threshold))


def test_partial_real_naturals_are_not_flagged_for_being_partial(result: TrainingResult) -> None:
    # The threshold is designed for a 1 % false-alert rate on naturals. Real orbit-only
    # records (the SBDB 2024 export has no H; never in the catalog) and catalog objects
    # reduced to their bare elements must stay near it: absence of data is no evidence.
    sbdb_2024 = _sample_records("sbdb_neo_2024")
    assert len(sbdb_2024) == 2000
    assert sum(r.physical is None or r.physical.H is None for r in sbdb_2024) > 1900
    assert _flag_rate(result, sbdb_2024) <= 0.03
    catalog, _, _ = load_catalog(CATALOG)
    bare = [
        NeoRecord(
            r.designation,
            orbit=Orbit(e=r.orbit.e, i_deg=r.orbit.i_deg, a_au=r.orbit.a_au, q_au=r.orbit.q_au),
        )
        for r in catalog[::20]
        if r.orbit is not None
    ]
    assert _flag_rate(result, bare) <= 0.03
    cad_only = _sample_records("cneos_cad")
    assert _flag_rate(result, cad_only) <= 0.03


def test_presence_flags_reach_no_detector(result: TrainingResult) -> None:
    pre = result.model.preprocessor
    used = {result.model.feature_names[j] for j in pre.source_index_}
    assert not used & set(PRESENCE_FEATURES)
    assert not any(name.endswith("__missing") for name in pre.get_feature_names_out())
    by_pattern = result.report["metrics"]["false_alert_by_pattern"]
    assert {"complete", "orbit_only", "no_H", "no_orbit"} <= set(by_pattern)
    # the test naturals are the split's catalogue records plus its own synthetic minimoons
    n_moons = result.report["hard_negatives"]["minimoons"]["test"]
    assert by_pattern["minimoon"]["n"] == n_moons
    assert sum(v["n"] for v in by_pattern.values()) == result.report["split"]["test"] + n_moons


def test_a_dead_member_is_warned_about_and_left_out(tmp_path: Path) -> None:
    # issue 23 item 7: a search ended with a One-Class SVM at 0 % detection and 0 % false
    # alerts, kept in the ensemble without a word. gamma = 1e6 makes every OCSVM candidate
    # dead: its RBF kernel is 0 away from the training points, so every validation record
    # gets the same score.
    from structlog.testing import capture_logs

    config = TrainingConfig.quick_config(
        CATALOG,
        seed=1,
        max_records=1000,
        progress=False,
        detector_overrides={"ocsvm": {"gamma": 1e6}},
    )
    with capture_logs() as logs:
        result = train(config)
    params = result.report["params"]
    assert set(params["excluded_members"]) == {"ocsvm"}
    assert "detects no injected object" in params["excluded_members"]["ocsvm"]["reason"]
    assert set(params["members"]) == {"iforest", "autoencoder"}
    assert set(result.report["metrics"]["test"]) == {"iforest", "autoencoder", "ensemble"}
    assert all(t["degenerate"] for t in result.report["trials"]["ocsvm"])
    assert [m["kind"] for m in logs if m["event"] == "member excluded"] == ["ocsvm"]
    assert [name for name, _ in result.model.ensemble.members_] == ["iforest", "autoencoder"]
    # the two-member model is saved, loaded and scores like any other
    from core.serving.inference import InferenceEngine
    from core.serving.registry import load_model, save_model

    save_model(result.model, tmp_path, training_data_sha256=result.training_data_sha256)
    records, _, _ = load_catalog(CATALOG)
    scored = InferenceEngine(load_model(tmp_path)).predict_batch(records[:5])
    assert [r["designation"] for r in scored] == [r.designation for r in records[:5]]
    assert all(0.0 <= r["anomaly_score"] <= 1.0 for r in scored)


def test_dead_detector_criterion() -> None:
    from core.training.pipeline import _detects_nothing

    config = TrainingConfig.quick_config(CATALOG)
    labels = np.r_[np.zeros(200, np.int64), np.ones(20, np.int64)]
    constant = np.full(220, 0.7)
    assert _detects_nothing(constant, labels, config)
    # 5 % of the naturals and every injected object tied at the top score
    tied_at_top = np.r_[np.linspace(0, 0.5, 190), np.ones(10), np.ones(20)]
    assert _detects_nothing(tied_at_top, labels, config)
    separating = np.r_[np.linspace(0, 1, 200), np.full(20, 2.0)]
    assert not _detects_nothing(separating, labels, config)


def test_never_evidence_features_reach_no_detector(result: TrainingResult) -> None:
    pre = result.model.preprocessor
    used = {result.model.feature_names[j] for j in pre.source_index_}
    assert not used & set(NEVER_EVIDENCE_FEATURES)
    # log10(A1 / A1_max(D)) = const - log10(rho): feature selection keeps it and drops the
    # density column as perfectly correlated, so the detectors see the density through it.
    assert {"phys_H_faint", "ng_log10_a1_ratio"} <= used


def test_hard_question_is_answered_on_test_records(result: TrainingResult) -> None:
    report = result.report
    hard = report["metrics"]["hard_question"]
    assert set(hard) == {"all", "a1_known", "orbit_only", "orbit_only_earth_like"}
    # every hard negative is a test natural: the split's real Earth-like objects and the
    # minimoons generated on test templates after the split (train has its own)
    assert hard["all"]["n_natural_earth_like"] == report["hard_negatives"]["earth_like_test"]
    assert hard["all"]["n_minimoons"] == report["hard_negatives"]["minimoons"]["test"]
    assert hard["all"]["n_artificial"] == report["injected"]["test"]
    # With a measured A/M the density separates stages from rocks (quick model: 1.0 on 22
    # artificial vs 7 minimoons); 0.9 fails a model that ignores density.
    a1 = hard["a1_known"]
    assert a1["roc_auc"]["value"] >= 0.9
    assert a1["roc_auc"]["low"] <= a1["roc_auc"]["value"] <= a1["roc_auc"]["high"]


def test_no_km_size_catalogue_object_in_the_top_percent(result: TrainingResult) -> None:
    km = result.report["metrics"]["km_size_ranks"]
    assert km["n_catalogue"] == 3000
    assert km["n_km_size"] > 50
    assert km["km_size_in_top_1pct"] == 0
    assert km["km_size_with_nongrav_in_top_1pct"] == 0
    assert all(e["rank"] > km["top_1pct_rank"] for e in km["km_size_with_nongrav_best"])


def test_verdict_calibration_is_reported_on_the_test_split(result: TrainingResult) -> None:
    # issue 33: Brier score, reliability diagram and the natural Earth-like alert share
    v = result.report["metrics"]["verdict"]
    assert v["n"] > 0
    assert 0.0 <= v["brier"] <= 1.0 and 0.0 <= v["brier_model_probability"] <= 1.0
    assert len(v["reliability"]) == 10 and sum(b["n"] for b in v["reliability"]) == v["n"]
    el = v["earth_like_natural"]
    assert el["n"] == result.report["hard_negatives"]["earth_like_test"]
    if el["n"]:
        assert 0.0 <= el["alert_share"] <= 1.0 and 0.0 <= el["undetermined_share"] <= 1.0
