"""Tests of ``neo-streamer validate`` on temporary JSONL files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from streamer.cli import main

TC3 = "     K08T03C* C2008 10 06.27767 23 17 00.78 +07 49 22.7          18.9 Vrz9516G96"
GOOD = [
    b'{"designation": "2024 PT5"}',
    b'{"designation": "433", "orbit": {"a_au": 1.458, "e": 0.2227, "i_deg": 10.83}}',
    b'{"designation": "2008 TC3", "observations": {"obs80": ["' + TC3.encode() + b'"]}}',
]
BAD = [
    (b'{"designation": ""}', "designation: must not be empty"),
    (b"not json", "$: invalid JSON"),
    (b'{"designation": "A", "orbit": {"e": -1, "i_deg": 1, "a_au": 1}}', "orbit.e: must be >= 0"),
    (b'{"designation": "A", "colour": "red", "orbit": []}', "orbit: must be an object"),
    (b'{"designation": "\xff"}', "$: invalid JSON"),
    (
        b'{"designation": "A", "observations": {"obs80": ["' + TC3[:70].encode() + b'"]}}',
        "observations.obs80[0]: must be exactly 80 characters, got 70",
    ),
]


def _write(path: Path, lines: list[bytes]) -> Path:
    data = b"\n".join(lines) + b"\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def test_all_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "good.jsonl", [*GOOD, b"", b"   "])  # blank lines are skipped
    assert main(["validate", "--input", str(path)]) == 0
    assert capsys.readouterr().out == "3 valid, 0 invalid\n"


@pytest.mark.parametrize("name", ["mixed.jsonl", "mixed.jsonl.gz"])
def test_mixed(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    lines = [GOOD[0]] + [bad for bad, _ in BAD] + [GOOD[1]]
    path = _write(tmp_path / name, lines)
    assert main(["validate", "--input", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(BAD) + 1
    for k, (_, expected) in enumerate(BAD):
        assert out[k].startswith(f"line {k + 2}: {expected}")
    assert out[-1] == f"2 valid, {len(BAD)} invalid"


def test_max_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "bad.jsonl", [bad for bad, _ in BAD])
    assert main(["validate", "--input", str(path), "--max-errors", "2"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "line 1: designation: must not be empty",
        out[1],
        f"... {len(BAD) - 2} more invalid lines not shown",
        f"0 valid, {len(BAD)} invalid",
    ]
    assert out[1].startswith("line 2: $: invalid JSON")


def test_empty_file_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert main(["validate", "--input", str(path)]) == 0
    assert capsys.readouterr().out == "0 valid, 0 invalid\n"


@pytest.mark.parametrize("kind", ["missing", "directory", "not_gzip", "truncated_gzip"])
def test_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    if kind == "missing":
        path = tmp_path / "missing.jsonl"
    elif kind == "directory":
        path = tmp_path
    elif kind == "not_gzip":
        path = _write(tmp_path / "plain.jsonl", GOOD)
        path = path.rename(tmp_path / "plain.jsonl.gz")
    else:
        path = tmp_path / "cut.jsonl.gz"
        path.write_bytes(gzip.compress(b"\n".join(GOOD * 100))[:-30])
    assert main(["validate", "--input", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"neo-streamer validate: cannot read {path}: ")


def test_unknown_fields_are_valid_and_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = (
        b'{"designation": "A", "colour": "red", "orbit": {"a_au": 1, "e": 0, "i_deg": 1, "w": 2}}'
    )
    path = _write(tmp_path / "newer.jsonl", [GOOD[0], newer])
    assert main(["validate", "--input", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "line 2: colour: unknown field, dropped",
        "line 2: orbit.w: unknown field, dropped",
        "2 valid, 0 invalid, 2 unknown fields dropped",
    ]
