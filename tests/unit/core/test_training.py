"""The training pipeline on the bundled catalog: quality floor, report, invalid lines, model."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from core.features import extract_features
from core.training import TrainingConfig, TrainingResult, load_catalog, train

CATALOG = Path(__file__).parents[3] / "data" / "catalog.jsonl.gz"
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
