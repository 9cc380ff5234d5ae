"""Tests of core.contract.observations on real MPC 80-column lines.

The lines are in tests/fixtures/obs80 (see SOURCE.txt).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from core.contract.observations import (
    iso_to_jd,
    parse_ades_rows,
    parse_obs80_line,
    parse_obs80_lines,
)
from core.errors import FormatError, RecordError

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "obs80"
TC3_FIRST = "     K08T03C* C2008 10 06.27767 23 17 00.78 +07 49 22.7          18.9 Vrz9516G96"


def _lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text().splitlines()


# --- ISO-8601 times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "jd"),
    [
        ("2000-01-01T12:00:00Z", 2451545.0),  # J2000.0
        ("2000-01-01T12:00:00+00:00", 2451545.0),
        ("2000-01-01T13:30:00+01:30", 2451545.0),
        ("2000-01-01T07:00:00-05:00", 2451545.0),
        ("2000-01-01", 2451544.5),  # date only: midnight
        ("2000-01-01T12:00:00", 2451545.0),  # no offset: UTC
        ("2000-01-01T18:00:00.000Z", 2451545.25),
        ("1858-11-17T00:00:00Z", 2400000.5),  # MJD 0
        ("2029-04-13T21:46:00Z", 2462239.5 + (21 * 60 + 46) / 1440),  # Apophis: JD 2462240.407
    ],
)
def test_iso_to_jd(text: str, jd: float) -> None:
    assert iso_to_jd(text) == pytest.approx(jd, abs=1e-9)


def test_iso_to_jd_fractional_seconds() -> None:
    # 0.5 s is 0.5 / 86400 day; digits beyond microseconds are truncated
    assert iso_to_jd("2000-01-01T12:00:00.5Z") == pytest.approx(2451545.0 + 0.5 / 86400, abs=1e-9)
    assert iso_to_jd("2000-01-01T12:00:00.123456789Z") == pytest.approx(
        2451545.0 + 0.123456 / 86400, abs=1e-10
    )


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2000-13-01", "2000-02-30T00:00:00Z", "2000-01-01T25:00:00Z"]
)
def test_iso_to_jd_rejects(text: str) -> None:
    with pytest.raises(FormatError, match="not an ISO-8601 time"):
        iso_to_jd(text)


# --- 80-column lines -------------------------------------------------------------------------


def test_first_2008_tc3_line_hand_checked() -> None:
    row = parse_obs80_line(TC3_FIRST)
    assert row is not None
    # 2008-10-06 0h UTC is JD 2454745.5; the day fraction is added as is
    assert row.time_jd == pytest.approx(2454745.77767, abs=1e-9)
    # RA 23h17m00.78s = (23*3600 + 17*60 + 0.78) s / 240 s per degree
    assert row.ra_deg == pytest.approx(349.25325, abs=1e-12)
    assert row.dec_deg == pytest.approx(7 + 49 / 60 + 22.7 / 3600, abs=1e-12)
    assert row.mag == 18.9
    assert row.band == "V"
    assert row.station == "G96"
    assert row.obs_type == "C"


def test_fixture_matches_first_tc3_line() -> None:
    assert _lines("2008TC3_head.txt")[0] == TC3_FIRST


def test_observation_types_of_eros() -> None:
    lines = _lines("433_types.txt")
    rows = [parse_obs80_line(line) for line in lines]
    assert [r.obs_type if r else None for r in rows] == [
        *"AM NnTBXS",
        None,  # 's': satellite position line
        "V",
        None,  # 'v': roving observer position line
    ]
    transit = rows[5]  # "T1988 08 07.22134501 11 37.361+21 20 55.19         12.77V CMC05950"
    assert transit is not None
    # 1988-08-07 0h: 147 days + 11 years (2 leap) before JD 2451544.5 (2000-01-01 0h)
    assert transit.time_jd == pytest.approx(2451544.5 - 147 - 4017 + 0.221345, abs=1e-9)
    assert transit.ra_deg == pytest.approx((3600 + 11 * 60 + 37.361) / 240, abs=1e-12)
    assert transit.dec_deg == pytest.approx(21 + 20 / 60 + 55.19 / 3600, abs=1e-12)
    assert (transit.mag, transit.band, transit.station) == (12.77, "V", "950")
    mini_normal = rows[4]  # "-00 48 17.2": the sign is in column 45, not in the degrees
    assert mini_normal is not None
    assert mini_normal.dec_deg == pytest.approx(-(48 / 60 + 17.2 / 3600), abs=1e-12)
    assert rows[0] is not None and math.isnan(rows[0].mag) and rows[0].band is None


def test_reduced_precision_line_of_holman() -> None:
    # "X1938 11 28.972   04 50.1     +19 48": minutes without seconds; ADES gives 72.53/19.80
    row = parse_obs80_line(_lines("03666_head.txt")[1])
    assert row is not None
    assert row.ra_deg == pytest.approx((4 + 50.1 / 60) * 15, abs=1e-12)
    assert row.dec_deg == pytest.approx(19.8, abs=1e-12)
    assert row.time_jd == pytest.approx(2429231.472, abs=1e-9)
    assert row.mag == 14.7


def test_two_line_records_file() -> None:
    lines = [line for line in _lines("obs80_two_line_records.txt") if line]
    arrays = parse_obs80_lines(lines)
    # A line, S (+s) pair, V (+v) pair: three observations
    assert len(arrays.time_jd) == 3
    assert arrays.station == ("802", "275", "270")
    assert np.isnan(arrays.rms_ra_arcsec).all() and np.isnan(arrays.rms_dec_arcsec).all()
    assert not arrays.ra_deg.flags.writeable


def test_radar_lines_are_skipped() -> None:
    # constructed: an 'R' line (delay/Doppler) carries no RA/Dec and is skipped, not parsed
    radar = TC3_FIRST[:14] + "R" + TC3_FIRST[15:]
    assert parse_obs80_line(radar) is None
    arrays = parse_obs80_lines([TC3_FIRST, radar, radar.replace("R2008", "r2008")])
    assert len(arrays.time_jd) == 1


def test_only_radar_lines_is_an_error() -> None:
    radar = TC3_FIRST[:14] + "R" + TC3_FIRST[15:]
    with pytest.raises(RecordError) as err:
        parse_obs80_lines([radar], "observations.obs80")
    assert err.value.field == "observations.obs80"
    assert "no optical observation" in err.value.reason


def test_position_line_must_follow_its_observation() -> None:
    s_pair = _lines("03666_head.txt")[3:5]
    with pytest.raises(RecordError) as err:
        parse_obs80_lines([TC3_FIRST, s_pair[1]], "observations.obs80")
    assert err.value.field == "observations.obs80[1]"
    assert "must follow its 'S'" in err.value.reason


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (TC3_FIRST + "\n", "exactly 80 characters, got 81"),
        (TC3_FIRST[:79], "exactly 80 characters, got 79"),
        (TC3_FIRST[:14] + "Q" + TC3_FIRST[15:], "unknown observation type 'Q'"),
        (TC3_FIRST[:15] + "2008-10-06.27767 " + TC3_FIRST[32:], "date (columns 16-32)"),
        (TC3_FIRST[:15] + "2008 13 06.27767 " + TC3_FIRST[32:], "not a calendar date"),
        (TC3_FIRST[:15] + "2008 10 0x.27767 " + TC3_FIRST[32:], "day (columns 24-32)"),
        (TC3_FIRST[:15] + "2008 10 nan      " + TC3_FIRST[32:], "day (columns 24-32)"),
        (TC3_FIRST[:32] + "24 17 00.78 " + TC3_FIRST[44:], "RA (columns 33-44) out of range"),
        (TC3_FIRST[:32] + "23 17 60.00 " + TC3_FIRST[44:], "RA (columns 33-44) out of range"),
        (TC3_FIRST[:32] + "           " + TC3_FIRST[43:], "RA (columns 33-44) must be"),
        (TC3_FIRST[:44] + " 07 49 22.7 " + TC3_FIRST[56:], "Dec sign in column 45"),
        (TC3_FIRST[:44] + "+91 00 00.0 " + TC3_FIRST[56:], "Dec (columns 45-56) out of range"),
        (TC3_FIRST[:44] + "+90 00 00.1 " + TC3_FIRST[56:], "beyond 90 degrees"),
        (TC3_FIRST[:65] + "1e3  " + TC3_FIRST[70:], "magnitude (columns 66-70)"),
        (TC3_FIRST[:77] + "G 6", "observatory code (columns 78-80)"),
    ],
)
def test_bad_lines(line: str, reason: str) -> None:
    with pytest.raises(FormatError) as err:
        parse_obs80_line(line)
    assert reason in str(err.value)


def test_bad_line_in_sequence_names_its_index() -> None:
    with pytest.raises(RecordError) as err:
        parse_obs80_lines([TC3_FIRST, TC3_FIRST, TC3_FIRST[:79]], "observations.obs80")
    assert err.value.field == "observations.obs80[2]"
    assert err.value.reason == "must be exactly 80 characters, got 79"
    with pytest.raises(RecordError) as err:
        parse_obs80_lines([TC3_FIRST, 42], "observations.obs80")
    assert (err.value.field, err.value.reason) == (
        "observations.obs80[1]",
        "must be a string, got number",
    )


# --- ADES rows -------------------------------------------------------------------------------

# First three rows of layup_testdata/example.psv ((3666) Holman), typed as a converter emits
# them: numbers as numbers, blank fields left out.
HOLMAN_ADES = [
    {"permID": "3666", "provID": "1938 WQ", "mode": "UNK", "stn": "024",
     "obsTime": "1938-11-28T23:19:29.568Z", "ra": 72.51275, "dec": 19.82031, "astCat": "UNK"},
    {"permID": "3666", "provID": "1938 WQ", "mode": "UNK", "stn": "024",
     "obsTime": "1938-11-28T23:19:40.800Z", "ra": 72.53, "dec": 19.80, "mag": 14.7, "band": "B",
     "astCat": "UNK", "disc": "*", "deprecated": "X"},
    {"permID": "3666", "mode": "UNK", "stn": "675", "prog": "06",
     "obsTime": "1953-10-01T05:38:30.048Z", "ra": 332.37892, "dec": -13.42381,
     "rmsRA": 0.5, "rmsDec": 0.4},
]  # fmt: skip


def test_ades_rows_of_holman() -> None:
    arrays = parse_ades_rows(HOLMAN_ADES)
    # the same instants as the 80-column lines 1938 11 28.97187 / 28.972 / 1953 10 01.23507
    np.testing.assert_allclose(
        arrays.time_jd, [2429231.47187, 2429231.472, 2434651.73507], rtol=0, atol=1e-8
    )
    np.testing.assert_array_equal(arrays.ra_deg, [72.51275, 72.53, 332.37892])
    np.testing.assert_array_equal(arrays.dec_deg, [19.82031, 19.80, -13.42381])
    assert np.isnan(arrays.mag[0]) and arrays.mag[1] == 14.7
    assert arrays.band == (None, "B", None)
    assert arrays.station == ("024", "024", "675")
    assert np.isnan(arrays.rms_ra_arcsec[:2]).all() and arrays.rms_ra_arcsec[2] == 0.5
    assert arrays.rms_dec_arcsec[2] == 0.4


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"obsTime": None}, "ades[1].obsTime", "required"),
        ({"obsTime": "1938-11-28 at night"}, "ades[1].obsTime", "not an ISO-8601 time"),
        ({"obsTime": 5}, "ades[1].obsTime", "must be an ISO-8601 string"),
        ({"ra": 360.5}, "ades[1].ra", "must be within [0, 360]"),
        ({"ra": "72.53"}, "ades[1].ra", "must be a number, got string"),
        ({"dec": -90.01}, "ades[1].dec", "must be within [-90, 90]"),
        ({"dec": True}, "ades[1].dec", "must be a number, got boolean"),
        ({"rmsRA": -0.1}, "ades[1].rmsRA", "must be within [0,"),
        ({"stn": ""}, "ades[1].stn", "non-empty observatory code"),
        ({"band": 3}, "ades[1].band", "must be a string"),
        ({"remarks": {"a": 1}}, "ades[1].remarks", "string, number, boolean or null"),
    ],
)
def test_ades_bad_rows(change: dict[str, object], field: str, reason: str) -> None:
    rows = [dict(r) for r in HOLMAN_ADES]
    rows[1].update(change)
    if change.get("obsTime", "") is None:
        del rows[1]["obsTime"]
    with pytest.raises(RecordError) as err:
        parse_ades_rows(rows)
    assert err.value.field == field
    assert reason in err.value.reason


def test_ades_row_must_be_object() -> None:
    with pytest.raises(RecordError) as err:
        parse_ades_rows([HOLMAN_ADES[0], ["stn", "024"]], "observations.ades")
    assert (err.value.field, err.value.reason) == (
        "observations.ades[1]",
        "must be an object, got array",
    )
