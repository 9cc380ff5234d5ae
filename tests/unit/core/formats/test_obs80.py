"""MPC 80-column observation grouping on real lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.contract.records import record_from_obj
from core.errors import FormatError
from core.formats import read_records
from core.formats.obs80 import line_designation


def test_lines_grouped_per_object(fixtures: Path) -> None:
    path = fixtures / "mpc80" / "mixed_objects.txt"
    lines = path.read_text().splitlines()
    records = list(read_records(path, "obs80"))
    assert [r["designation"] for r in records] == ["99942", "2010 JV181", "2020 NB1", "101955"]
    # "99942K04M04N" and "99942       " are the same numbered object
    assert records[0]["observations"]["obs80"] == lines[0:5]
    # satellite S/s pairs are kept verbatim, in file order
    assert records[1]["observations"]["obs80"] == lines[5:9]
    assert records[3]["observations"]["obs80"] == lines[11:13]
    for obj in records:
        rec = record_from_obj(obj)
        assert rec.observations is not None


def test_satellite_second_lines_carry_no_position(fixtures: Path) -> None:
    records = list(read_records(fixtures / "mpc80" / "mixed_objects.txt", "obs80"))
    satellite = record_from_obj(records[1]).observations
    assert satellite is not None
    assert len(satellite.time_jd) == 2  # two S lines; their s lines hold the observer position


@pytest.mark.parametrize(
    ("line_head", "designation"),
    [
        ("00433        ", "433"),
        ("99942K04M04N ", "99942"),
        ("A1955J99R36Q*", "101955"),
        ("     K08T03C*", "2008 TC3"),
        ("     C183VU5 ", "C183VU5"),  # temporary NEOCP designation, kept verbatim
        ("0001P        ", "1P"),
        ("    CJ95O010 ", "C/1995 O1"),
    ],
)
def test_line_designation(line_head: str, designation: str) -> None:
    assert line_designation(line_head.ljust(80)) == designation


def test_radar_table_is_not_80_columns(fixtures: Path) -> None:
    with pytest.raises(FormatError, match="80-column line expected") as info:
        list(read_records(fixtures / "mpc80" / "99942_RADAR_2021_head.dat", "obs80"))
    assert info.value.line == 1


def test_line_without_date_names_the_line(tmp_path: Path, fixtures: Path) -> None:
    lines = (fixtures / "mpc80" / "mixed_objects.txt").read_text().splitlines()
    lines[3] = lines[3][:15] + "2020 1X 17.44287" + lines[3][31:]
    bad = tmp_path / "obs.txt"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="no date") as info:
        list(read_records(bad, "obs80"))
    assert info.value.line == 4
