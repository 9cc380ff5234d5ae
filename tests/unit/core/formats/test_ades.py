"""ADES PSV/CSV parser on real layup test data."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.contract.records import record_from_obj
from core.errors import FormatError
from core.formats import read_records


def test_psv_rows_of_one_object(fixtures: Path) -> None:
    records = list(read_records(fixtures / "ades" / "example_head.psv", "ades"))
    assert len(records) == 1
    holman = records[0]
    assert holman["designation"] == "3666"  # number in provID wins over permID "1938 WQ"
    rows = holman["observations"]["ades"]
    assert len(rows) == 5
    assert rows[0] == {"obsTime": "1938-11-28T23:19:29.568Z", "ra": 72.51275, "dec": 19.82031,
                       "stn": "024"}  # fmt: skip
    assert rows[1] == {"obsTime": "1938-11-28T23:19:40.800Z", "ra": 72.53, "dec": 19.80,
                       "stn": "024", "mag": 14.7, "band": "B"}  # fmt: skip
    rec = record_from_obj(holman)
    assert rec.observations is not None
    assert rec.observations.ra_deg.tolist() == [72.51275, 72.53, 332.37892, 332.37637, 220.70025]


def test_csv_grouping_and_rms(fixtures: Path) -> None:
    records = list(read_records(fixtures / "ades" / "random_provIDs_excerpt.csv", "ades"))
    assert [r["designation"] for r in records] == ["119839", "2008 AL25"]
    rows = records[0]["observations"]["ades"]
    assert len(rows) == 5
    assert rows[3] == {"obsTime": "2019-06-01T05:14:31.701Z", "ra": 245.93399,
                       "dec": -33.66539, "stn": "C57", "rmsRA": 0.56, "rmsDec": 2.43}  # fmt: skip
    for obj in records:
        record_from_obj(obj)


def test_bad_ra_names_the_line(tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / "ades" / "random_provIDs_excerpt.csv").read_text()
    bad = tmp_path / "obs.csv"
    bad.write_text(text.replace("138.91971", "138.9l971"))
    with pytest.raises(FormatError, match="ra: not a number") as info:
        list(read_records(bad, "ades"))
    assert info.value.line == 3


def test_header_without_required_fields(tmp_path: Path) -> None:
    bad = tmp_path / "obs.psv"
    bad.write_text("# version=2022\npermID|stn|ra\n433|500|1.0\n")
    with pytest.raises(FormatError, match="lacks obsTime, dec") as info:
        list(read_records(bad, "ades"))
    assert info.value.line == 2


def test_row_without_identifier(tmp_path: Path) -> None:
    bad = tmp_path / "obs.csv"
    bad.write_text("provID,ra,dec,obsTime,stn\n,1.0,2.0,2020-01-01T00:00:00Z,500\n")
    with pytest.raises(FormatError, match="no permID, provID or trkSub") as info:
        list(read_records(bad, "ades"))
    assert info.value.line == 2
