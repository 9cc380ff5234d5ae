"""``neo.obs.v1`` messages from 80-column files: records, the observer's position of two-line
records, one time conversion (real MPC lines: tests/fixtures/obs80 and orbits, see their
SOURCE.txt)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from core.contract import decode_obs_message
from core.contract.obs80_messages import obs80_records, obs80_to_message
from core.contract.observations import parse_obs80_line
from core.errors import FormatError

ROOT = Path(__file__).resolve().parents[4]
TWO_LINE = ROOT / "tests" / "fixtures" / "obs80" / "obs80_two_line_records.txt"
NB1 = ROOT / "tests" / "fixtures" / "orbits" / "nb1_and_2014aa.txt"
MULTINIGHT = ROOT / "tests" / "data" / "neos_multinight_obs80.txt"


def test_records_keep_a_two_line_record_together_and_skip_blank_lines() -> None:
    records = list(obs80_records(TWO_LINE.read_text().splitlines(keepends=True)))
    assert [lineno for lineno, _ in records] == [1, 3, 6]
    assert [text.count("\n") for _, text in records] == [0, 1, 1]
    assert records[1][1].split("\n")[1][14] == "s" and records[2][1].split("\n")[1][14] == "v"


def test_a_satellite_record_keeps_its_geocentric_position() -> None:
    _, (_, satellite), _ = obs80_records(TWO_LINE.read_text().splitlines())
    found = obs80_to_message(satellite)
    assert found is not None
    object_id, time_jd, message = found
    # (433) Eros from a satellite: columns 35-70 of the 's' line, km (column 33 '1')
    assert object_id == "433" and message["permID"] == "433"
    assert (message["sys"], message["ctr"]) == ("ICRF_KM", 399)
    assert (message["pos1"], message["pos2"], message["pos3"]) == (4353.0030, -481.6100, 1382.3400)
    assert message["obsTime"] == "2011-10-23T08:11:23.136000Z"  # 23.341240 d, to the microsecond
    # the message decodes to what the raw two-line record decodes to: one mapping
    assert decode_obs_message(orjson.dumps(message)) == decode_obs_message(satellite)
    assert time_jd == decode_obs_message(satellite).observations[0].time_jd_utc


def test_a_roving_record_keeps_its_geodetic_position() -> None:
    *_, (_, roving) = obs80_records(TWO_LINE.read_text().splitlines())
    found = obs80_to_message(roving)
    assert found is not None
    message = found[2]
    assert message["sys"] == "WGS84" and "ctr" not in message
    assert (message["pos1"], message["pos2"], message["pos3"]) == (237.76096, 38.11385, 0.0)
    assert decode_obs_message(orjson.dumps(message)) == decode_obs_message(roving)


def test_lines_without_an_optical_position_of_their_own_give_no_message() -> None:
    lines = TWO_LINE.read_text().splitlines()
    assert obs80_to_message(lines[3]) is None  # an 's' line on its own
    radar = (ROOT / "tests" / "fixtures" / "obs80" / "433_types.txt").read_text().splitlines()
    for line in radar:
        if line[14] in "Rr":
            assert obs80_to_message(line) is None


def test_a_satellite_line_without_its_position_line_is_refused_with_the_reason() -> None:
    lines = TWO_LINE.read_text().splitlines()
    with pytest.raises(FormatError, match=r"obs80\[1\]: a 'S' line needs its 's' line after it"):
        obs80_to_message(lines[2])
    with pytest.raises(FormatError, match="exactly 80 characters"):
        obs80_to_message(lines[0][:79])


def test_every_optical_line_keeps_its_values_and_its_time_to_the_microsecond() -> None:
    for lineno, text in obs80_records(MULTINIGHT.read_text().splitlines()):
        row = parse_obs80_line(text.split("\n")[0])
        found = obs80_to_message(text)
        if row is None:
            assert found is None, lineno
            continue
        assert found is not None
        object_id, time_jd, message = found
        back = decode_obs_message(orjson.dumps(message))
        assert back.object_id == object_id
        (obs,) = back.observations
        assert obs.time_jd_utc == time_jd
        assert abs(time_jd - row.time_jd) * 86_400.0 <= 5e-7  # columns 16-32, to the microsecond
        assert (obs.ra, obs.dec, obs.stn) == (row.ra_deg, row.dec_deg, row.station)


def test_wise_records_of_the_2020_nb1_file_carry_their_positions() -> None:
    # the MPC's 80-column file of 2020 NB1 with 2014 AA: NEOWISE (C51) observed from orbit
    lines = NB1.read_text().splitlines()
    satellites = sum(1 for line in lines if line[14] == "S")
    messages = [f for _, text in obs80_records(lines) if (f := obs80_to_message(text))]
    from_space = [m for _, _, m in messages if m["stn"] == "C51"]
    assert satellites == len(from_space) == 7
    assert all(m["sys"] == "ICRF_KM" and m["ctr"] == 399 for m in from_space)
    assert all(isinstance(m[k], float) for m in from_space for k in ("pos1", "pos2", "pos3"))
    assert len(messages) == sum(1 for line in lines if line[14] not in "sRr")
