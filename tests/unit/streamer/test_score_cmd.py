"""``neo-streamer score``: one result per line, in order, errors in place, exit 0."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from core.serving.registry import save_model
from core.training.pipeline import TrainingConfig, train
from streamer.cli import main

CATALOG = Path(__file__).parents[3] / "data" / "catalog.jsonl.gz"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry")
    result = train(TrainingConfig.quick_config(CATALOG, seed=4, max_records=1000, progress=False))
    save_model(result.model, root, training_data_sha256=result.training_data_sha256)
    return root


def test_results_in_input_order_with_error_results_for_invalid_lines(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = gzip.decompress(CATALOG.read_bytes()).splitlines()[:6]
    lines = [
        good[0],
        good[1],
        b'{"designation": "bad", "orbit": {"e": 0.1, "i_deg": 200, "a_au": 1.0}}',
        good[2],
        b"",
        b"{not json",
        *good[3:],
    ]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    code = main(["score", "--input", str(src), "--model", str(registry), "--output", str(out)])
    assert code == 0
    results = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(results) == 8  # the blank line is skipped
    expected = [orjson.loads(g)["designation"] for g in good]
    assert [r.get("designation") for r in results] == [
        expected[0],
        expected[1],
        None,
        expected[2],
        None,
        *expected[3:],
    ]
    # issue 23 item 6: an error line has its own schema (it has no score)
    assert results[2] == {
        "schema": "neo.anomaly.error.v1",
        "error": {"line": 3, "field": "orbit.i_deg", "reason": results[2]["error"]["reason"]},
    }
    assert results[4]["error"]["line"] == 6 and results[4]["error"]["field"] == "$"
    assert [r["schema"] for r in results] == ["neo.anomaly.v1"] * 2 + [
        "neo.anomaly.error.v1",
        "neo.anomaly.v1",
        "neo.anomaly.error.v1",
    ] + ["neo.anomaly.v1"] * 3
    assert all(("anomaly_score" in r) != ("error" in r) for r in results)
    assert "scored 6 records, 2 invalid lines" in capsys.readouterr().err


def test_stdout_output_and_version_directory(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl.gz"
    src.write_bytes(
        gzip.compress(b"\n".join(gzip.decompress(CATALOG.read_bytes()).splitlines()[:3]))
    )
    version_dir = next(p for p in registry.iterdir() if p.is_dir())
    assert main(["score", "--input", str(src), "--model", str(version_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert orjson.loads(lines[0])["model"]["version"] == version_dir.name


def test_unloadable_model_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"{}\n")
    assert main(["score", "--input", str(src), "--model", str(tmp_path)]) == 2
    assert "cannot load model" in capsys.readouterr().err


def test_nothing_scored_exits_1(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 23 item 6: every line invalid used to exit 0
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"{not json\n[1]\n")
    assert main(["score", "--input", str(src), "--model", str(registry), "--output", "-"]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2  # the error lines are still written
    assert "scored 0 records, 2 invalid lines" in captured.err
    assert f"nothing was scored in {src}" in captured.err


def test_an_unwritable_output_is_named(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 23 item 6: reported as "cannot read <input>"
    src = tmp_path / "in.jsonl"
    src.write_bytes(gzip.decompress(CATALOG.read_bytes()).splitlines()[0] + b"\n")
    out = tmp_path / "no-such-dir" / "out.jsonl"
    assert main(["score", "--input", str(src), "--model", str(registry), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {out}: No such file or directory" in err
    assert "cannot read" not in err


def test_an_unreadable_input_is_named(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "missing.jsonl"
    assert main(["score", "--input", str(src), "--model", str(registry)]) == 2
    assert f"cannot read {src}: " in capsys.readouterr().err
