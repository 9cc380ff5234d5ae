"""streamer.paths: the bundled files, and the hint for a bare version name (issue 23 item 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.serving.registry import current_version
from streamer.cli import main
from streamer.paths import DEFAULT_REGISTRY, model_path_hint

BUNDLED = current_version(DEFAULT_REGISTRY)


def test_a_bare_version_name_gets_the_directory_to_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert BUNDLED is not None
    monkeypatch.chdir(tmp_path)
    hint = model_path_hint(BUNDLED)
    assert f"give its directory, models/{BUNDLED} ({DEFAULT_REGISTRY / BUNDLED})" in hint
    assert model_path_hint(tmp_path / BUNDLED) == hint  # as `run` resolves it against the cwd
    assert model_path_hint(DEFAULT_REGISTRY / BUNDLED) == ""  # it exists: nothing to hint
    assert model_path_hint("no-such-version") == ""


def test_score_with_a_bare_version_name_says_which_directory_to_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert BUNDLED is not None
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_text('{"designation": "433"}\n')
    assert main(["score", "--input", "in.jsonl", "--model", BUNDLED]) == 2
    err = capsys.readouterr().err
    assert f"cannot load model from {BUNDLED}" in err
    assert f"give its directory, models/{BUNDLED}" in err
