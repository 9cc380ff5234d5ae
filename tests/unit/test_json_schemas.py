"""The published JSON Schemas (docs/schemas/) hold for what the project really reads and writes."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from core.errors import RecordError
from core.lsst.files import read_alert_records
from core.records import record_from_obj
from streamer.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"


def validator(name: str) -> jsonschema.protocols.Validator:
    schema = orjson.loads((SCHEMAS / f"{name}.schema.json").read_bytes())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _sample() -> list[dict[str, Any]]:
    with gzip.open(ROOT / "data" / "sample_stream.jsonl.gz", "rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]


def test_every_bundled_record_and_converted_rubin_alert_is_valid_neo_v1() -> None:
    check = validator("neo.v1")
    records = _sample() + list(read_alert_records(ROOT / "data" / "lsst_alerts.avro"))
    for obj in records:
        record_from_obj(obj)  # the daemon's own validator accepts it
        check.validate(obj)


@pytest.mark.parametrize(
    "bad",
    [
        {"orbit": {"e": 0.1, "i_deg": 1.0}},  # no designation
        {"designation": " "},
        {"designation": "x", "orbit": {"e": 101.0, "i_deg": 1.0, "q_au": 1.0}},
        {"designation": "x", "orbit": {"e": 0.1, "i_deg": 181.0, "a_au": 1.0}},
        {"designation": "x", "physical": {"albedo": 0.0}},
        {"designation": "x", "nongrav": {"A2": 0.01}},
        {"designation": "x", "observations": {"ades": [{"obsTime": "2024-01-01", "ra": 400.0,
                                                         "dec": 0.0, "stn": "X05"}]}},
        {"designation": "x", "close_approaches": [{"time": "2030-01-01", "dist_au": -1.0}]},
    ],
)  # fmt: skip
def test_the_schema_and_the_validator_refuse_the_same_values(bad: dict[str, Any]) -> None:
    with pytest.raises(RecordError):
        record_from_obj(bad)
    assert not validator("neo.v1").is_valid(bad)


def test_real_scored_results_are_valid_neo_anomaly_v1(tmp_path: Path) -> None:
    sample = tmp_path / "in.jsonl"
    lines = [orjson.dumps(obj) for obj in _sample()[::25]]
    sample.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    assert main(["score", "--input", str(sample), "--output", str(out)]) == 0
    check = validator("neo.anomaly.v1")
    results = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(results) == len(lines)
    for result in results:
        check.validate(result)
