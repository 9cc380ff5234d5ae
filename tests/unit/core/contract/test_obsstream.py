"""``neo.obs.v1`` messages: decoding, validation, the sniff, and the 80-column conversion."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from core.contract.obs import MAX_OBS_PER_MESSAGE, decode_obs_message
from core.contract.observations import parse_obs80_line
from core.contract.obsstream import is_obs_message, jd_to_iso
from core.errors import RecordError

ROOT = Path(__file__).resolve().parents[4]
OBS80 = ROOT / "tests" / "data" / "neos_multinight_obs80.txt"

_ROW = {
    "provID": "2023 DW",
    "obsTime": "2023-02-26T04:41:05.568Z",
    "ra": 175.5,
    "dec": 3.25,
    "stn": "W68",
    "mag": 19.8,
    "band": "G",
    "rmsRA": 0.3,
}


def test_one_observation_decodes_with_its_object_id() -> None:
    msg = decode_obs_message(orjson.dumps(_ROW))
    assert msg.object_id == "2023 DW"
    (obs,) = msg.observations
    assert (obs.stn, obs.ra, obs.dec, obs.mag, obs.band) == ("W68", 175.5, 3.25, 19.8, "G")
    assert obs.rmsRA == 0.3 and obs.rmsDec is None
    assert jd_to_iso(obs.time_jd_utc) == "2023-02-26T04:41:05.568Z"


def test_permid_wins_over_provid_and_a_tracklet_is_one_object() -> None:
    rows = [{**_ROW, "permID": "433"}, {**_ROW, "permID": "433", "ra": 175.6}]
    msg = decode_obs_message(orjson.dumps({"observations": rows}))
    assert msg.object_id == "433" and len(msg.observations) == 2
    with pytest.raises(RecordError, match="one object"):
        decode_obs_message(orjson.dumps({"observations": [_ROW, {**_ROW, "provID": "2024 X"}]}))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"obsTime": "2023-13-45T99:00:00Z"}, "obsTime"),
        ({"ra": 360.5}, "ra"),
        ({"ra": -1.0}, "ra"),
        ({"dec": 91.0}, "dec"),
        ({"stn": ""}, "stn"),
        ({"stn": "ZZZ"}, "stn"),  # not an MPC observatory
        ({"provID": None}, "permID"),
    ],
)
def test_bad_values_name_their_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(RecordError) as err:
        decode_obs_message(orjson.dumps({**_ROW, **change}))
    assert err.value.field == field


def test_a_tracklet_over_the_row_limit_is_refused_whole() -> None:
    rows = [_ROW] * (MAX_OBS_PER_MESSAGE + 1)
    with pytest.raises(RecordError, match=r"observations|exceeds"):
        decode_obs_message(orjson.dumps({"observations": rows}))


def test_raw_80_column_lines_decode_and_wrong_lengths_are_refused() -> None:
    line = OBS80.read_text().splitlines()[0]
    msg = decode_obs_message(line.encode())
    row = parse_obs80_line(line)
    assert row is not None
    assert msg.object_id == "99942"
    assert msg.observations[0].time_jd_utc == row.time_jd
    with pytest.raises(RecordError, match="exactly 80 characters, got 79"):
        decode_obs_message(line[:-1].encode())


def test_the_sniff_tells_observations_from_neo_v1_records() -> None:
    line = OBS80.read_text().splitlines()[0]
    assert is_obs_message(orjson.dumps(_ROW))
    assert is_obs_message(orjson.dumps({"observations": [_ROW]}))
    assert is_obs_message(line.encode())
    # a neo.v1 record, with ADES rows of its own, is not one
    record = {"designation": "2023 DW", "observations": {"ades": [_ROW]}}
    assert not is_obs_message(orjson.dumps(record))
    assert not is_obs_message(b"{not json")
    assert not is_obs_message(b"")
