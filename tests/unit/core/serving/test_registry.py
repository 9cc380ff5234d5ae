"""The model registry: round trip, tamper detection, schema check, allow-list, CURRENT."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
import pytest

from core.contract.records import NeoRecord
from core.errors import IntegrityError, ModelError, SchemaMismatchError
from core.features import extract_features
from core.serving.model import TrainedModel
from core.serving.registry import (
    activate,
    convert_torch_members,
    current_version,
    list_versions,
    load_model,
    resolve_model_dir,
    save_model,
    sha256_file,
)
from core.training.pipeline import TrainingConfig, load_catalog, train

CATALOG = Path(__file__).parents[4] / "data" / "catalog.jsonl.gz"


@pytest.fixture(scope="module")
def trained() -> tuple[TrainedModel, list[NeoRecord]]:
    config = TrainingConfig.quick_config(CATALOG, seed=1, max_records=1200, progress=False)
    records, _, _ = load_catalog(CATALOG)
    return train(config).model, records[:300]


@pytest.fixture
def registry(tmp_path: Path, trained: tuple[TrainedModel, list[NeoRecord]]) -> Path:
    save_model(trained[0], tmp_path, training_data_sha256="0" * 64)
    return tmp_path


def _rewrite_manifest(version_dir: Path, change: dict[str, object]) -> None:
    path = version_dir / "manifest.json"
    manifest = orjson.loads(path.read_bytes())
    for dotted, value in change.items():
        node = manifest
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = value
    path.write_bytes(orjson.dumps(manifest))


def test_saved_then_loaded_model_gives_identical_scores(
    registry: Path, trained: tuple[TrainedModel, list[NeoRecord]]
) -> None:
    model, records = trained
    X = extract_features(records).values
    before = model.score_matrix(X)
    loaded = load_model(registry)
    after = loaded.score_matrix(X)
    np.testing.assert_array_equal(before.scores, after.scores)
    np.testing.assert_array_equal(before.member_scores, after.member_scores)
    np.testing.assert_array_equal(before.probabilities, after.probabilities)
    assert loaded.threshold == model.threshold
    assert loaded.version == model.version == current_version(registry)
    assert loaded.metrics == orjson.loads(orjson.dumps(model.metrics))


def test_manifest_describes_the_model(registry: Path) -> None:
    version_dir = resolve_model_dir(registry)
    manifest = orjson.loads((version_dir / "manifest.json").read_bytes())
    assert manifest["model_id"] == "neo-ensemble"
    assert manifest["created"].endswith("Z")
    assert {d["name"] for d in manifest["detectors"]} == {"iforest", "ocsvm", "autoencoder"}
    assert set(manifest["libraries"]) == {"python", "numpy", "scikit-learn", "torch", "skops"}
    assert manifest["training_data_sha256"] == "0" * 64
    for name, digest in manifest["artifacts"].items():
        assert sha256_file(version_dir / name) == digest
    assert "member-autoencoder.npz" in manifest["artifacts"]
    assert not any(name.endswith((".pkl", ".pickle", ".pt")) for name in os.listdir(version_dir))


def test_flipped_byte_in_an_artifact_raises_integrity_error(registry: Path) -> None:
    target = resolve_model_dir(registry) / "member-iforest.skops"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"member-iforest\.skops"):
        load_model(registry)


def test_missing_artifact_raises_integrity_error(registry: Path) -> None:
    (resolve_model_dir(registry) / "member-autoencoder.npz").unlink()
    with pytest.raises(IntegrityError, match="missing"):
        load_model(registry)


def test_other_feature_schema_raises_schema_mismatch(registry: Path) -> None:
    _rewrite_manifest(resolve_model_dir(registry), {"feature_schema.hash": "f" * 64})
    with pytest.raises(SchemaMismatchError, match="retrain"):
        load_model(registry)


class _Payload:
    """Not on the allow-list: loading an artifact that holds it must be refused."""

    def __init__(self) -> None:
        self.x = 1


def test_type_outside_the_allow_list_is_refused_even_with_matching_hash(registry: Path) -> None:
    import skops.io as sio

    version_dir = resolve_model_dir(registry)
    target = version_dir / "preprocessor.skops"
    sio.dump(_Payload(), target)
    manifest = orjson.loads((version_dir / "manifest.json").read_bytes())
    manifest["artifacts"]["preprocessor.skops"] = sha256_file(target)
    (version_dir / "manifest.json").write_bytes(orjson.dumps(manifest))
    with pytest.raises(ModelError, match="allow-list"):
        load_model(version_dir)


def test_activate_switches_current_and_load_follows(
    tmp_path: Path, trained: tuple[TrainedModel, list[NeoRecord]]
) -> None:
    model = trained[0]
    first = save_model(model, tmp_path, training_data_sha256="a" * 64).name
    second = save_model(model, tmp_path, training_data_sha256="b" * 64).name
    assert list_versions(tmp_path) == sorted([first, second])
    assert first != second
    assert current_version(tmp_path) == second
    activate(tmp_path, first)
    assert (tmp_path / "CURRENT").read_text().strip() == first
    assert load_model(tmp_path).version == first
    assert load_model(tmp_path / second).version == second  # a version dir directly
    with pytest.raises(ModelError, match="no model version"):
        activate(tmp_path, "19990101T000000Z")
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_not_a_registry_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="neither"):
        load_model(tmp_path)
    shutil.rmtree(tmp_path)


@pytest.mark.parametrize("key", ["feature_schema", "model_id", "metrics"])
def test_manifest_without_a_required_key_is_a_model_error(registry: Path, key: str) -> None:
    version_dir = resolve_model_dir(registry)
    manifest = orjson.loads((version_dir / "manifest.json").read_bytes())
    del manifest[key]
    (version_dir / "manifest.json").write_bytes(orjson.dumps(manifest))
    with pytest.raises(ModelError, match=f"lacks the key '{key}'"):
        load_model(registry)


def test_ensemble_state_is_json_and_no_placeholder_members_are_stored(registry: Path) -> None:
    version_dir = resolve_model_dir(registry)
    spec = orjson.loads((version_dir / "model.json").read_bytes())
    assert spec["ensemble"]["member_names"] == ["iforest", "ocsvm", "autoencoder"]
    assert not (version_dir / "ensemble.skops").exists()
    # torch stays confined to the autoencoder module
    source = (Path(__file__).parents[4] / "core" / "serving" / "registry.py").read_text()
    assert "import torch" not in source


def test_a_model_saved_with_torch_weights_loads_converts_and_scores_the_same(
    registry: Path,
    trained: tuple[TrainedModel, list[NeoRecord]],
    as_torch_format: Callable[[Path], None],
) -> None:
    model, records = trained
    X = extract_features(records).values
    before = model.score_matrix(X)
    version_dir = resolve_model_dir(registry)
    as_torch_format(version_dir)
    legacy = load_model(registry)  # the old format still loads (through torch)
    np.testing.assert_array_equal(legacy.score_matrix(X).scores, before.scores)

    assert convert_torch_members(registry) == ["autoencoder"]
    assert not (version_dir / "member-autoencoder.pt").exists()
    manifest = orjson.loads((version_dir / "manifest.json").read_bytes())
    assert "member-autoencoder.pt" not in manifest["artifacts"]
    assert set(manifest["artifacts"]) == set(os.listdir(version_dir)) - {"manifest.json"}
    converted = load_model(registry)  # every hash verified again
    assert converted.version == model.version
    np.testing.assert_array_equal(converted.score_matrix(X).scores, before.scores)
    np.testing.assert_array_equal(converted.score_matrix(X).member_scores, before.member_scores)
    assert convert_torch_members(registry) == []  # nothing left to convert


def test_a_torch_format_model_without_torch_is_refused_with_the_way_out(
    registry: Path, as_torch_format: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    as_torch_format(resolve_model_dir(registry))
    # As where the [train] extra is not installed (the container image): None in sys.modules
    # makes find_spec answer None and `import torch` fail.
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ModelError, match=r"'autoencoder'.*torch is not installed.*models convert"):
        load_model(registry)


def test_convert_refuses_a_tampered_version_and_writes_nothing(
    registry: Path, as_torch_format: Callable[[Path], None]
) -> None:
    version_dir = resolve_model_dir(registry)
    as_torch_format(version_dir)
    target = version_dir / "member-autoencoder.pt"
    target.write_bytes(target.read_bytes() + b"x")
    listing = sorted(os.listdir(version_dir))
    model_json = (version_dir / "model.json").read_bytes()
    with pytest.raises(IntegrityError, match=r"member-autoencoder\.pt"):
        convert_torch_members(registry)
    assert sorted(os.listdir(version_dir)) == listing
    assert (version_dir / "model.json").read_bytes() == model_json


def test_a_registered_version_is_readable_by_other_users(registry: Path) -> None:
    # mkdtemp makes 0700 directories: a model saved that way could not be read by the
    # container's unprivileged user (the image copies models/ as it is on disk)
    (version_dir,) = [p for p in registry.iterdir() if p.is_dir()]
    assert version_dir.stat().st_mode & 0o777 == 0o755
