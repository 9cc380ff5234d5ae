"""``neo-streamer train --quick --out DIR``: a registered model with its report."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest

from core.serving.registry import current_version, list_versions, load_model
from streamer.cli import main

CATALOG = Path(__file__).parents[3] / "data" / "catalog.jsonl.gz"


def test_quick_training_registers_a_model_with_report_that_is_not_current(
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
    # issue 23 item 3: a --quick smoke model never becomes current, not even in an empty
    # registry; `models activate` is the deliberate way
    assert current_version(tmp_path) is None
    assert f"not current; make it current with: neo-streamer models --registry {tmp_path} " \
        f"activate {version}" in out  # fmt: skip
    assert main(["models", "--registry", str(tmp_path), "activate", version]) == 0
    assert current_version(tmp_path) == version
    version_dir = tmp_path / version
    report = orjson.loads((version_dir / "report.json").read_bytes())
    assert report["params"]["seed"] == 3 and report["params"]["quick"] is True
    assert report["training_time_s"] > 0
    assert (version_dir / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = orjson.loads((version_dir / "manifest.json").read_bytes())
    assert {"report.json", "report.png"} <= set(manifest["artifacts"])
    assert load_model(tmp_path).version == version


def test_missing_catalog_is_cannot_read_with_exit_2_and_no_progress_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 23 item 12: the bar was drawn, then a bare "[Errno 2] ..." and exit 1
    missing = tmp_path / "nope.jsonl"
    code = main(["train", "--catalog", str(missing), "--out", str(tmp_path), "--quick"])
    assert code == 2
    err = capsys.readouterr().err
    assert err == f"neo-streamer train: cannot read {missing}: No such file or directory\n"


def test_a_truncated_gzip_catalog_is_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "catalog.jsonl.gz"
    broken.write_bytes(CATALOG.read_bytes()[:5000])
    code = main(["train", "--catalog", str(broken), "--out", str(tmp_path), "--no-progress"])
    assert code == 2
    assert f"cannot read {broken}: " in capsys.readouterr().err


def test_quick_with_activate_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--out", str(tmp_path), "--quick", "--activate", "--no-progress"])
    assert code == 2
    assert "never made current" in capsys.readouterr().err
    assert list_versions(tmp_path) == []


@pytest.mark.parametrize(
    ("flags", "has_current", "expected"),
    [
        ([], False, True),  # a fresh registry: nothing serves from it, nothing is swapped
        ([], True, False),  # a registry a daemon may serve from: not without being asked
        (["--activate"], True, True),
        (["--no-activate"], False, False),
        (["--quick"], False, False),
        (["--quick", "--no-activate"], True, False),
    ],
)
def test_which_trainings_make_their_model_current(
    tmp_path: Path, flags: list[str], has_current: bool, expected: bool
) -> None:
    import argparse

    from streamer.commands import train

    if has_current:
        (tmp_path / "CURRENT").write_text("20240101T000000Z\n")
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path), *flags])
    assert train._make_current(args) is expected


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
