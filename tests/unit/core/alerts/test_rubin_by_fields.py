"""Rubin alerts recognised by their fields: the two real Fink-redistributed v9.0 alerts of
tests/fixtures/alerts (SOURCE.txt), and v10/v11 alerts of the installed schemas built by
core.lsst.simulate from real catalogue records, wrapped as a broker does (extra fields, another
schema name: made here, the test says so)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import fastavro
import orjson
import pytest

from core.alerts.message import container_kind, decode_rubin_container
from core.alerts.route import to_state
from core.errors import RecordError
from core.lsst import decode_lsst_container
from core.lsst.simulate import make_alert
from core.lsst.wire import schema_for
from core.serving.inputs import decoder_for

ROOT = Path(__file__).resolve().parents[4]
FIXTURES = ROOT / "tests" / "fixtures" / "alerts"
RUBIN_FILES = sorted(FIXTURES.glob("fink_rubin_*.avro"))


def test_the_real_broker_alerts_are_read_field_by_field() -> None:
    expected = [
        ("2013 LL24", "2025-09-06T07:55:10.746Z", 8.88131919466367, -44.11894878639271, 20.106),
        ("2012 JD69", "2025-09-06T07:55:49.942Z", 9.675084727635896, -44.623051876185876, 20.982),
    ]
    for path, (designation, when, ra, dec, mag) in zip(RUBIN_FILES, expected, strict=True):
        data = path.read_bytes()
        assert container_kind(data) == "rubin" and not to_state(data, "auto")
        unknown: list[str] = []
        record = decoder_for("auto")(data, unknown=unknown)
        assert record.designation == designation
        assert sorted(unknown) == ["brokerIngestMjd", "lsst_schema_version"]
        assert record.orbit is None  # MPCORB's elements are all null in these files
        assert record.observations is not None
        (row,) = record.observations.given
        # midpointMjdTai 60924.33041372549 (TAI) - 37 s = 07:55:10.746 UTC (ERFA's table)
        assert row == {"obsTime": when, "ra": ra, "dec": dec, "stn": "X05", "mag": mag,
                       "band": "i"}  # fmt: skip
        assert decoder_for("lsst")(data).designation == designation


def _catalog_record() -> dict[str, Any]:
    # a real catalogue orbit; its sigmas and an A2 are set here (the catalogue has none)
    with gzip.open(ROOT / "data" / "catalog.jsonl.gz", "rb") as fh:
        for line in fh:
            obj: dict[str, Any] = orjson.loads(line)
            if (obj.get("orbit") or {}).get("a_au"):
                obj["orbit"]["sigma"] = {"a_au": 2e-8, "e": 3e-8, "i_deg": 4e-6}
                obj["nongrav"] = {"A2": -1.19e-13}
                return obj
    raise AssertionError("no catalogue record with an orbit")


def _broker_container(schema_id: int, alert: dict[str, Any], name: str) -> bytes:
    # as Fink wraps a Rubin alert: its fields at the top level of its own record, plus its own
    schema = dict(schema_for(schema_id))
    schema = {**schema, "name": name, "namespace": "topLevelRecord"}
    schema["fields"] = [
        *schema["fields"],
        {"name": "brokerIngestMjd", "type": "double"},
        {"name": "fink_score", "type": ["null", "float"], "default": None},
    ]
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema),
                    [{**alert, "brokerIngestMjd": 61000.5, "fink_score": 0.5}])  # fmt: skip
    return buf.getvalue()


@pytest.mark.parametrize("schema_id", [1000, 1100])
def test_v10_names_in_a_broker_container(schema_id: int) -> None:
    record = _catalog_record()
    alert = make_alert(schema_id, record, mjd_tai=60_950.25, ra_deg=12.5, dec_deg=-30.0,
                       dia_source_id=11, ss_object_id=22)  # fmt: skip
    data = _broker_container(schema_id, alert, "value")
    unknown: list[str] = []
    got = decode_lsst_container(data, unknown=unknown)
    assert unknown == ["brokerIngestMjd", "fink_score"]
    assert got.designation == record["designation"]
    assert got.orbit is not None and got.orbit.e == pytest.approx(record["orbit"]["e"])
    assert got.orbit.sigma is not None  # mpc_orbits' *_unc columns
    assert got.orbit.sigma.e == pytest.approx(3e-8)
    assert got.nongrav is not None and pytest.approx(-1.19e-13) == got.nongrav.A2
    assert got.meta is not None and got.meta["lsst_schema"] == "10.0"  # from the fields


def test_a_container_of_another_schema_is_a_dead_letter_reason() -> None:
    schema = {"type": "record", "name": "weather", "fields": [{"name": "t", "type": "double"}]}
    buf = io.BytesIO()
    fastavro.writer(buf, schema, [{"t": 1.0}])
    with pytest.raises(RecordError, match="unknown alert schema 'weather \\(fields t\\)'"):
        decode_rubin_container(buf.getvalue())
    with pytest.raises(RecordError, match="unknown alert schema"):
        decoder_for("auto")(buf.getvalue())
    with pytest.raises(RecordError, match="not a ZTF alert"):
        decoder_for("ztf")(b'{"designation": "2024 AB"}')
    ztf = next(FIXTURES.glob("fink_ztf_*.avro")).read_bytes()
    with pytest.raises(RecordError, match="format ztf or auto"):
        decoder_for("lsst")(ztf)


def test_a_bad_schema_version_names_its_field() -> None:
    alert = make_alert(900, _catalog_record(), mjd_tai=60_950.25, ra_deg=1.0, dec_deg=2.0,
                       dia_source_id=1, ss_object_id=2)  # fmt: skip
    schema = dict(schema_for(900))
    extra = {"name": "lsst_schema_version", "type": "string"}
    schema = {**schema, "name": "topLevelRecord", "namespace": None,
              "fields": [*schema["fields"], extra]}  # fmt: skip
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), [{**alert, "lsst_schema_version": "v?"}])
    with pytest.raises(RecordError) as info:
        decode_rubin_container(buf.getvalue())
    assert info.value.field == "lsst_schema_version"


@pytest.mark.parametrize(("mjd", "match"), [(40_000.0, "before 1990"), (70_000.0, "in the future")])
def test_a_rubin_detection_time_before_1990_or_ahead_is_refused(mjd: float, match: str) -> None:
    alert = make_alert(900, _catalog_record(), mjd_tai=mjd, ra_deg=1.0, dec_deg=2.0,
                       dia_source_id=1, ss_object_id=2)  # fmt: skip
    data = _broker_container(900, alert, "topLevelRecord")
    with pytest.raises(RecordError, match=match) as info:
        decode_lsst_container(data)
    assert info.value.field == "diaSource.midpointMjdTai"
