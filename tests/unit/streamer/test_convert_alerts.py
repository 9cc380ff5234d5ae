"""``neo-streamer convert`` on alert files: ZTF packets to neo.obs.v1, the broker's Rubin
alerts to neo.v1, and a file of real ZTF alerts with edited copies (one naming no asteroid, one
with a negative ssdistnr, one block damaged: made here) whose other alerts are still converted."""

from __future__ import annotations

import argparse
import copy
import io
from pathlib import Path

import fastavro
import orjson
import pytest

from streamer.commands import convert

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "alerts"


def _run(path: Path, out: Path, fmt: str | None = None) -> int:
    parser = argparse.ArgumentParser()
    convert.add_arguments(parser)
    argv = ["--input", str(path), "--output", str(out)] + (["--format", fmt] if fmt else [])
    return convert.run(parser.parse_args(argv))


def test_a_file_of_alerts_with_bad_ones_converts_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readers = [fastavro.reader(io.BytesIO(p.read_bytes())) for p in sorted(FIXTURES.glob("*ztf*"))]
    alerts = [next(iter(r)) for r in readers]
    none, negative = copy.deepcopy(alerts[0]), copy.deepcopy(alerts[1])
    assert isinstance(none, dict) and isinstance(negative, dict)
    none["candidate"].update(ssnamenr="null", ssdistnr=-999.0)
    negative["candidate"]["ssdistnr"] = -2.0
    buf = io.BytesIO()
    schema = fastavro.parse_schema(readers[0].writer_schema)
    fastavro.writer(buf, schema, [*alerts, none, negative], sync_interval=1)  # a block each
    data = bytearray(buf.getvalue())
    third = data.find(b"candid697252845015015014")  # inside the third alert's block
    data[third - 2000 : third - 1000] = b"\xff" * 1000
    path = tmp_path / "mixed.avro"
    path.write_bytes(bytes(data))
    out = tmp_path / "out.jsonl"
    assert _run(path, out) == 0
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [r["observations"][0]["permID"] for r in rows] == ["45538", "183318", "95496", "86371"]
    err = capsys.readouterr().err
    assert "alerts left out: 1 broken_block, 1 no_association, 1 refused" in err
    assert "candidate.ssdistnr: negative (-2.0)" in err


def test_the_broker_rubin_alert_and_a_wrong_format(tmp_path: Path) -> None:
    rubin = sorted(FIXTURES.glob("fink_rubin_*.avro"))[1]
    out = tmp_path / "out.jsonl"
    assert _run(rubin, out) == 0
    (row,) = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert row["designation"] == "2012 JD69" and row["meta"]["lsst_schema"] == "9.0"
    assert _run(rubin, out, "ztf") == 2  # a Rubin file read as ZTF: refused, says which
