"""The published JSON Schemas (docs/schemas/) hold for what the project really reads and writes."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from core.contract.records import record_from_obj
from core.errors import RecordError
from core.lsst.files import read_alert_records
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


def test_the_neo_obs_v1_schema_is_generated_from_its_declaration_and_holds() -> None:
    from core.contract import decode_obs_message, observation_to_obj
    from scripts.build_obs_schema import obs_schema

    committed = orjson.loads((SCHEMAS / "neo.obs.v1.schema.json").read_bytes())
    assert committed == orjson.loads(orjson.dumps(obs_schema())), (
        "docs/schemas/neo.obs.v1.schema.json is stale: run scripts/build_obs_schema.py"
    )
    check = validator("neo.obs.v1")
    one = {"obsTime": "2024-01-27T03:12:40.3Z", "ra": 88.1, "dec": 20.2, "stn": "X05",
           "provID": "2024 BX1", "rmsRA": 0.1, "rmsDec": 0.1, "mag": 21.3, "band": "r"}  # fmt: skip
    for message in (one, {"observations": [one, {**one, "obsTime": "2024-01-27T03:40Z"}]}):
        decoded = decode_obs_message(orjson.dumps(message))
        check.validate(message)
        for observation in decoded.observations:
            check.validate(observation_to_obj(observation))
    newer = {**one, "seeing": 0.8}  # a newer producer's field: both accept it
    decode_obs_message(orjson.dumps(newer))
    check.validate(newer)
    for bad in ({**one, "ra": 361.0}, {k: v for k, v in one.items() if k != "stn"},
                {"observations": []}):  # fmt: skip
        with pytest.raises(RecordError):
            decode_obs_message(orjson.dumps(bad))
        assert not check.is_valid(bad)


def test_the_generated_schemas_are_current() -> None:
    # neo.v1, neo.obs.v1 and neo.deadletter.v1: generated from their declarations
    from scripts.build_schemas import schemas

    for name, schema in schemas().items():
        committed = orjson.loads((SCHEMAS / name).read_bytes())
        assert committed == orjson.loads(orjson.dumps(schema)), (
            f"docs/schemas/{name} is stale: run scripts/build_schemas.py"
        )


def test_every_record_the_typed_path_decodes_is_valid_neo_v1() -> None:
    from core.contract.neo_v1 import decode_typed

    check = validator("neo.v1")
    lines = gzip.decompress((ROOT / "data" / "sample_stream.jsonl.gz").read_bytes()).splitlines()
    typed = [line for line in lines if line.strip() and decode_typed(line) is not None]
    assert len(typed) > len(lines) // 2  # the declaration answers for most of the stream
    for line in typed:
        check.validate(orjson.loads(line))


def test_real_dead_letters_are_valid_neo_deadletter_v1_and_their_declaration() -> None:
    import msgspec

    from core.contract.deadletter import DeadLetter
    from streamer.pipeline.batch import InputItem, dead_letter

    check = validator("neo.deadletter.v1")
    inputs = [(b"{not json", b"k\xff"), (None, None), (b"x" * 700_000, b"2024 PT5")]
    for offset, (value, key) in enumerate(inputs):
        item = InputItem("neo.input", 1, offset, key, value, 0)
        (out,) = dead_letter(item, "orbit.e", "must be >= 0, got -1.0", "RecordError").outputs
        check.validate(orjson.loads(out.value))
        letter = msgspec.json.decode(out.value, type=DeadLetter)
        assert (letter.field, letter.source.offset) == ("orbit.e", offset)
        assert letter.original_truncated == (value is not None and len(value) > 600_000)
    assert not check.is_valid({**orjson.loads(out.value), "original_bytes": -1})
