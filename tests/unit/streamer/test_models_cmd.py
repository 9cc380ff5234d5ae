"""``neo-streamer models list|show|activate|convert``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from core.serving.registry import current_version, save_model
from core.training.pipeline import TrainingConfig, train
from streamer.cli import main

CATALOG = Path(__file__).parents[3] / "data" / "catalog.jsonl.gz"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("registry")
    model = train(
        TrainingConfig.quick_config(CATALOG, seed=5, max_records=800, progress=False)
    ).model
    versions = [save_model(model, root, training_data_sha256="c" * 64).name for _ in range(2)]
    return root, versions


def test_list_marks_the_current_version(
    registry: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, (first, second) = registry
    assert main(["models", "--registry", str(root), "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [[first, "neo-ensemble"], ["*", second]]
    assert "test ROC-AUC" in lines[1]


def test_show_prints_the_manifest(
    registry: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, (first, _) = registry
    assert main(["models", "show", first, "--registry", str(root)]) == 0
    manifest = orjson.loads(capsys.readouterr().out)
    assert manifest["version"] == first
    assert manifest["training_data_sha256"] == "c" * 64


def test_activate_changes_current_and_unknown_version_exits_1(
    registry: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, (first, second) = registry
    assert main(["models", "--registry", str(root), "activate", first]) == 0
    assert current_version(root) == first
    assert main(["models", "--registry", str(root), "activate", "nope"]) == 1
    assert "no version 'nope'" in capsys.readouterr().err
    assert current_version(root) == first
    assert main(["models", "--registry", str(root), "activate", second]) == 0


def test_convert_rewrites_torch_weights_once_and_unknown_version_exits_1(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    as_torch_format: Callable[[Path], None],
) -> None:
    model = train(
        TrainingConfig.quick_config(CATALOG, seed=5, max_records=800, progress=False)
    ).model
    version = save_model(model, tmp_path, training_data_sha256="c" * 64).name
    as_torch_format(tmp_path / version)
    capsys.readouterr()  # the training's log
    assert main(["models", "--registry", str(tmp_path), "convert", version]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{version}: converted autoencoder to numpy arrays"
    assert (tmp_path / version / "member-autoencoder.npz").is_file()
    assert not (tmp_path / version / "member-autoencoder.pt").exists()
    assert main(["models", "--registry", str(tmp_path), "convert", version]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{version}: nothing to convert"
    assert main(["models", "--registry", str(tmp_path), "convert", "nope"]) == 1
    assert "no version 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("action", [["list"], ["show", "x"], ["activate", "x"]])
def test_a_missing_registry_is_an_error_not_an_empty_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: list[str]
) -> None:
    # issue 23 item 14: `models --registry <missing dir> list` said "no models", exit 0
    missing = tmp_path / "no-such-registry"
    assert main(["models", "--registry", str(missing), *action]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err == f"neo-streamer models: no model registry at {missing} (not a directory)\n"
    )
    assert captured.out == ""
