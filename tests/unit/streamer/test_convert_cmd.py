"""``neo-streamer convert`` end to end on real fixtures."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from core.contract.records import record_from_obj
from streamer.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_convert_nea_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nea.jsonl"
    code = main(["convert", "--input", str(FIXTURES / "nea" / "NEA_excerpt.txt"),
                 "--output", str(out)])  # fmt: skip
    assert code == 0
    lines = out.read_bytes().splitlines()
    assert len(lines) == 11
    eros = record_from_obj(orjson.loads(lines[0]))
    assert eros.designation == "433"
    assert eros.orbit is not None and eros.orbit.a_au == 1.4581823
    assert "11 records written" in capsys.readouterr().err


def test_convert_cad_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["convert", "--input", str(FIXTURES / "cad" / "cad_excerpt.csv"),
                 "--format", "cad"])  # fmt: skip
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    first = orjson.loads(lines[0])
    assert first["close_approaches"][0]["dist_au"] == 0.03368
    for line in lines:
        record_from_obj(orjson.loads(line))


def test_convert_gzip_output_is_deterministic(tmp_path: Path) -> None:
    src = str(FIXTURES / "mpc80" / "mixed_objects.txt")
    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    assert main(["convert", "--input", src, "--output", str(first)]) == 0
    assert main(["convert", "--input", src, "--output", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    objs = [orjson.loads(x) for x in gzip.decompress(first.read_bytes()).splitlines()]
    assert [o["designation"] for o in objs] == ["99942", "2010 JV181", "2020 NB1", "101955"]


def test_parse_error_exits_2_and_leaves_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bad.jsonl"
    code = main(["convert", "--input", str(FIXTURES / "nea" / "NEA_excerpt.txt"),
                 "--format", "obs80", "--output", str(out)])  # fmt: skip
    assert code == 2
    assert not out.exists()
    assert "NEA_excerpt.txt: line 1: 80-column line expected" in capsys.readouterr().err


def test_missing_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["convert", "--input", str(tmp_path / "nope.txt"), "--format", "nea"])
    assert code == 2
    assert "cannot read" in capsys.readouterr().err


def test_convert_ades_xml(capsys: pytest.CaptureFixture[str]) -> None:
    # issue 23 item 2: "cannot detect the format", and with --format ades a wrong
    # "ADES header lacks obsTime, ra, dec, stn"
    xml = str(FIXTURES / "ades" / "ades_sample.xml")
    assert main(["convert", "--input", xml]) == 0
    detected = capsys.readouterr().out
    assert main(["convert", "--input", xml, "--format", "ades"]) == 0
    assert capsys.readouterr().out == detected
    lines = detected.splitlines()
    assert [orjson.loads(line)["designation"] for line in lines] == ["3666", "2014 XX"]


def test_one_record_is_one_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # issue 23 item 14: "1 records written"
    out = tmp_path / "one.jsonl"
    code = main(["convert", "--input", str(FIXTURES / "obs80" / "2008TC3_head.txt"),
                 "--output", str(out)])  # fmt: skip
    assert code == 0
    assert capsys.readouterr().err == f"1 record written to {out}\n"
