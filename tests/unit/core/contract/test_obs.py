"""The neo.obs.v1 observation message (core/contract/obs.py): the three shapes, the object id,
real 80-column lines (one- and two-line records), and hostile input."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import orjson
import pytest

from core.contract import obs as obs_module
from core.contract.obs import (
    MAX_OBS_MESSAGE_BYTES,
    MAX_OBS_PER_MESSAGE,
    Observation,
    ObsMessage,
    decode_obs_message,
    is_obs_message,
    observation_to_obj,
)
from core.contract.observations import parse_obs80_line
from core.contract.records import decode_record
from core.errors import RecordError

FIXTURES = Path(__file__).parents[3] / "fixtures" / "obs80"
TWO_LINE = [
    line for line in (FIXTURES / "obs80_two_line_records.txt").read_text().splitlines() if line
]
TC3 = (FIXTURES / "2008TC3_head.txt").read_text().splitlines()[0]
# the first TC3 line as an ADES row (2008 Oct 6.27767 UTC, RA 23 17 00.78, Dec +07 49 22.7)
ROW: dict[str, Any] = {
    "provID": "2008 TC3", "obsTime": "2008-10-06T06:39:50.688Z", "ra": 349.25325,
    "dec": 7.822972222222222, "stn": "G96", "mag": 18.9, "band": "V", "mode": "CCD",
    "rmsRA": 0.35, "rmsDec": 0.3,
}  # fmt: skip


def _error(data: bytes | str) -> tuple[str, str]:
    with pytest.raises(RecordError) as info:
        decode_obs_message(data)
    return info.value.field, info.value.reason


def test_one_ades_observation() -> None:
    msg = decode_obs_message(orjson.dumps(ROW))
    assert msg.object_id == "2008 TC3"
    (obs,) = msg.observations
    assert (obs.ra, obs.dec, obs.stn, obs.rmsRA, obs.rmsDec) == (
        349.25325,
        ROW["dec"],
        "G96",
        0.35,
        0.3,
    )
    # 2008-10-06 0h UTC is JD 2454745.5; 06:39:50.688 is 0.27767 day
    assert obs.time_jd_utc == pytest.approx(2454745.77767, abs=1e-9)


def test_a_tracklet_and_its_round_trip() -> None:
    rows = [ROW, {**ROW, "obsTime": "2008-10-06T06:54:10Z", "ra": 349.2274, "rmsRA": None}]
    msg = decode_obs_message(orjson.dumps({"observations": rows}))
    assert msg.object_id == "2008 TC3" and len(msg.observations) == 2
    assert msg.observations[1].rmsRA is None
    again = decode_obs_message(
        orjson.dumps({"observations": [observation_to_obj(o) for o in msg.observations]})
    )
    assert again == msg
    assert "time_jd_utc" not in observation_to_obj(msg.observations[0])


def test_the_80_column_line_and_the_ades_row_of_one_observation_agree() -> None:
    from_line = decode_obs_message(TC3.encode() + b"\n")
    from_row = decode_obs_message(orjson.dumps(ROW))
    assert from_line.object_id == from_row.object_id == "2008 TC3"
    line_obs, row_obs = from_line.observations[0], from_row.observations[0]
    assert line_obs.obsTime == "2008-10-06T06:39:50.688000Z"
    assert line_obs.time_jd_utc == row_obs.time_jd_utc  # both read from the ISO text
    assert line_obs.ra == pytest.approx(row_obs.ra, abs=1e-9)
    assert (line_obs.mag, line_obs.band, line_obs.mode, line_obs.provID) == (
        18.9,
        "V",
        "CCD",
        "2008 TC3",
    )
    # the same numbers as the neo.v1 parser of the line, to float rounding
    parsed = parse_obs80_line(TC3)
    assert parsed is not None
    assert (line_obs.ra, line_obs.dec) == (parsed.ra_deg, parsed.dec_deg)
    assert line_obs.time_jd_utc == pytest.approx(parsed.time_jd, abs=1e-9)
    assert decode_obs_message(TC3) == from_line  # text or bytes


def test_real_two_line_records_carry_the_observer() -> None:
    # layup's test file: (433) Eros from a satellite (S/s, km) and a roving observer (V/v)
    satellite = decode_obs_message("\n".join(TWO_LINE[1:3]))
    (obs,) = satellite.observations
    assert satellite.object_id == "433" and obs.permID == "433" and obs.stn == "275"
    assert (obs.sys, obs.ctr) == ("ICRF_KM", 399)
    assert (obs.pos1, obs.pos2, obs.pos3) == (4353.0030, -481.6100, 1382.3400)
    roving = decode_obs_message("\r\n".join(TWO_LINE[3:5]) + "\r\n")
    (obs,) = roving.observations
    assert obs.sys == "WGS84" and obs.ctr is None
    assert (obs.pos1, obs.pos2, obs.pos3) == (237.76096, 38.11385, 0.0)
    assert obs.mag == 15.1


def test_an_old_photographic_line_and_its_mode() -> None:
    msg = decode_obs_message(TWO_LINE[0])
    assert msg.object_id == "433" and msg.observations[0].mode == "PHO"
    assert msg.observations[0].obsTime.startswith("1893-10-29T")


def test_the_object_id_is_canonical_and_falls_back_to_trk_sub() -> None:
    assert decode_obs_message(orjson.dumps({**ROW, "permID": "433"})).object_id == "433"
    no_ids = {k: v for k, v in ROW.items() if k != "provID"}
    assert decode_obs_message(orjson.dumps({**no_ids, "trkSub": "P21abcd"})).object_id == "P21abcd"
    assert decode_obs_message(orjson.dumps({**no_ids, "provID": "K08T03C"})).object_id == "2008 TC3"


def test_a_newer_producers_fields_are_dropped_and_reported() -> None:
    seen: list[str] = []
    msg = decode_obs_message(orjson.dumps({**ROW, "seeing": 1.1}), unknown=seen)
    assert seen == ["seeing"] and msg == decode_obs_message(orjson.dumps(ROW))
    seen.clear()
    data = orjson.dumps({"observations": [ROW, {**ROW, "x": {"y": 1}}], "night": "2008-10-06"})
    msg = decode_obs_message(data, unknown=seen)
    assert seen == ["night", "observations[1].x"] and len(msg.observations) == 2


def test_is_obs_message_tells_the_two_contracts_apart() -> None:
    assert is_obs_message(orjson.dumps(ROW))
    assert is_obs_message(orjson.dumps({"observations": [ROW]}))
    assert is_obs_message(TC3.encode())
    assert is_obs_message(TC3[:79])  # a line of the wrong length: the obs decoder says so
    assert not is_obs_message(b'{"designation": "2008 TC3", "orbit": {"e": 0.3}}')
    neo_with_rows = {"designation": "X", "observations": {"ades": [ROW]}}
    assert not is_obs_message(orjson.dumps(neo_with_rows))
    decode_record(orjson.dumps(neo_with_rows))  # and it is a valid neo.v1 record
    assert not is_obs_message(b"not json")
    assert not is_obs_message(b"")
    assert not is_obs_message(b"[1, 2]")


@pytest.mark.parametrize(
    ("message", "field", "reason"),
    [
        (
            {**ROW, "obsTime": "2008-13-06T00:00:00Z"},
            "obsTime",
            "not an ISO-8601 time: '2008-13-06T00:00:00Z'",
        ),
        ({**ROW, "obsTime": "yesterday"}, "obsTime", "not an ISO-8601 time: 'yesterday'"),
        ({**ROW, "obsTime": ""}, "obsTime", "expected `str` of length >= 1"),
        ({**ROW, "ra": 360.5}, "ra", "expected `float` <= 360.0"),
        ({**ROW, "ra": -0.1}, "ra", "expected `float` >= 0.0"),
        ({**ROW, "dec": 91}, "dec", "expected `float` <= 90.0"),
        ({**ROW, "ra": "23 17 00.78"}, "ra", "expected `float`, got `str`"),
        ({**ROW, "ra": True}, "ra", "expected `float`, got `bool`"),
        ({**ROW, "rmsRA": -1}, "rmsRA", "expected `float` >= 0.0"),
        ({**ROW, "mag": "18.9"}, "mag", "expected `float | null`, got `str`"),
        ({**ROW, "stn": 568}, "stn", "expected `str`, got `int`"),
        ({**ROW, "stn": "   "}, "stn", "must be a non-blank string"),
        ({**ROW, "stn": "ZZZ"}, "stn", "unknown MPC observatory code 'ZZZ'"),
        ({k: v for k, v in ROW.items() if k != "ra"}, "ra", "required"),
        (
            {k: v for k, v in ROW.items() if k != "provID"},
            "permID",
            "required: give permID, provID or trkSub",
        ),
        ({**ROW, "sys": "ICRF_KM", "pos1": 1.0, "pos2": 2.0}, "pos3", "required with sys ICRF_KM"),
        (
            {**ROW, "sys": "ICRF_AU", "pos1": 1.0, "pos2": 2.0, "pos3": 3.0},
            "ctr",
            "required with sys ICRF_AU (399: geocentric)",
        ),
        ({**ROW, "pos1": 1.0}, "sys", "required with pos1..pos3"),
        ({**ROW, "pos3": 0.0}, "sys", "required with pos1..pos3"),
        ({**ROW, "sys": "GALACTIC"}, "sys", "invalid enum value 'GALACTIC'"),
        (
            {**ROW, "sys": "WGS84", "pos1": 10.0, "pos2": 95.0, "pos3": 0.0},
            "pos2",
            "latitude must be within [-90, 90], got 95.0",
        ),
        ({"observations": []}, "observations", "expected `array` of length >= 1"),
        (
            {"observations": [ROW, {**ROW, "ra": 400}]},
            "observations[1].ra",
            "expected `float` <= 360.0",
        ),
        (
            {"observations": [ROW, {**ROW, "stn": "ZZZ"}]},
            "observations[1].stn",
            "unknown MPC observatory code 'ZZZ'",
        ),
        (
            {"observations": [ROW, {**ROW, "obsTime": "x"}]},
            "observations[1].obsTime",
            "not an ISO-8601 time: 'x'",
        ),
        (
            {"observations": [ROW, {**ROW, "provID": "2020 SO"}]},
            "observations[1].permID",
            "observations of one message must be of one object: '2020 SO' after '2008 TC3'",
        ),
        ({"observations": ROW}, "observations", "expected `array`, got `object`"),
        ({"observations": [ROW], "x": 1, "y": [2]}, "$", "ok"),  # unknown only: accepted
    ],
)
def test_hostile_json_names_the_field(message: dict[str, Any], field: str, reason: str) -> None:
    data = orjson.dumps(message)
    if reason == "ok":
        assert decode_obs_message(data).object_id == "2008 TC3"
        return
    assert _error(data) == (field, reason)


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (TC3[:79], "obs80[0]", "must be exactly 80 characters, got 79"),
        (TC3 + " ", "obs80[0]", "must be exactly 80 characters, got 81"),
        (
            TC3[:32] + "24 17 00.78 " + TC3[44:],
            "obs80[0]",
            "RA (columns 33-44) out of range: '24 17 00.78 '",
        ),
        (
            TC3[:15] + "2008 13 06.27767" + TC3[31:],
            "obs80[0]",
            "date (columns 16-32) is not a calendar date: '2008 13 06.27767 '",
        ),
        (TWO_LINE[1], "obs80[1]", "a 'S' line needs its 's' line after it"),
        (TWO_LINE[2], "obs80[0]", "type 's' (column 15) carries no optical position"),
        (TC3 + "\n" + TC3, "obs80[1]", "a 'C' observation is one line"),
        ("\n".join([TC3] * 3), "$", "80-column text must be one line or a two-line record, got 3"),
        (
            TWO_LINE[1] + "\n" + TWO_LINE[2][:32] + "3" + TWO_LINE[2][33:],
            "obs80[1]",
            "unreadable observer position: unit flag '3' in column 33 (1 = km, 2 = au)",
        ),
        ("é" + TC3[1:], "obs80[0]", "must be ASCII"),
        (TC3[:70] + "\t" + TC3[71:], "obs80[0]", "band (column 71) must be printable, got '\\t'"),
        (TC3[:77] + "ZZ9", "obs80[0]", "unknown MPC observatory code 'ZZ9' (columns 78-80)"),
        ("{not json", "$", "invalid JSON: JSON is malformed: object keys must be strings (byte 1)"),
    ],
)
def test_hostile_text_names_the_field(text: str, field: str, reason: str) -> None:
    assert _error(text) == (field, reason)


def test_a_huge_tracklet_is_refused_before_parsing() -> None:
    rows = orjson.dumps({"observations": [ROW] * 100_000})
    assert len(rows) > MAX_OBS_MESSAGE_BYTES  # refused by its size alone
    assert _error(rows)[0] == "$"
    compact = {"provID": "2008 TC3", "obsTime": "2008-10-06", "ra": 1, "dec": 2, "stn": "G96"}
    data = orjson.dumps({"observations": [compact] * 50_000})  # under the byte limit
    assert len(data) < MAX_OBS_MESSAGE_BYTES
    with mock.patch.object(obs_module, "_MANY", None):  # counted, never parsed
        assert _error(data) == (
            "observations",
            f"50000 entries exceed the limit of {MAX_OBS_PER_MESSAGE}",
        )
    at_limit = orjson.dumps({"observations": [compact] * MAX_OBS_PER_MESSAGE})
    assert len(decode_obs_message(at_limit).observations) == MAX_OBS_PER_MESSAGE


def test_wrong_input_types_are_record_errors() -> None:
    with pytest.raises(RecordError, match="must be bytes or text"):
        decode_obs_message(5)  # type: ignore[arg-type]
    assert decode_obs_message(bytearray(orjson.dumps(ROW))).object_id == "2008 TC3"
    assert isinstance(decode_obs_message(memoryview(orjson.dumps(ROW))), ObsMessage)
    assert Observation.__struct_config__.frozen


def test_the_docs_example_is_a_valid_observation() -> None:
    text = (Path(__file__).parents[4] / "docs" / "schema.md").read_text()
    section = text[text.index("# The `neo.obs.v1` observation message") :]
    example = section[
        section.index("```json") + 7 : section.index("```\n", section.index("```json") + 7)
    ]
    msg = decode_obs_message(example.encode())
    assert msg.object_id == "2008 TC3" and msg.observations[0].rmsDec == 0.3
