"""``neo-streamer train --quick --out DIR``: a registered model with its report."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest

from core.registry import current_version, list_versions, load_model
from streamer.cli import main

CATALOG = Path(__file__).parents[3] / "data" / "catalog.jsonl.gz"


def test_quick_training_registers_a_current_model_with_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "train",
            "--catalog",
            str(CATALOG),
            "--out",
            str(tmp_path),
            "--quick",
            "--max-records",
            "1000",
            "--seed",
            "3",
            "--no-progress",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "ensemble" in out and "registered neo-ensemble" in out
    (version,) = list_versions(tmp_path)
    assert current_version(tmp_path) == version
    version_dir = tmp_path / version
    report = orjson.loads((version_dir / "report.json").read_bytes())
    assert report["params"]["seed"] == 3 and report["params"]["quick"] is True
    assert report["training_time_s"] > 0
    assert (version_dir / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = orjson.loads((version_dir / "manifest.json").read_bytes())
    assert {"report.json", "report.png"} <= set(manifest["artifacts"])
    assert load_model(tmp_path).version == version


def test_missing_catalog_fails_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "train",
            "--catalog",
            str(tmp_path / "nope.jsonl"),
            "--out",
            str(tmp_path),
            "--quick",
            "--no-progress",
        ]
    )
    assert code == 1
    assert "nope.jsonl" in capsys.readouterr().err


@pytest.mark.parametrize("hidden", [("torch",), ("optuna", "matplotlib"), ("tqdm",)])
def test_train_without_the_train_extra_says_what_to_install(
    hidden: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # None in sys.modules is how Python spells "not importable": find_spec returns None and
    # `import` raises ModuleNotFoundError, as where the [train] extra is not installed.
    for name in hidden:
        monkeypatch.setitem(sys.modules, name, None)

    code = main(["train", "--out", str(tmp_path), "--quick", "--no-progress"])

    assert code == 2
    err = capsys.readouterr().err
    assert f"(missing: {', '.join(hidden)})" in err
    assert "pip install 'neo-streamer[train]'" in err
    assert not list(tmp_path.iterdir())  # nothing trained, nothing registered
