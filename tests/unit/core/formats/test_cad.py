"""CNEOS close-approach CSV parser on real rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.contract.records import record_from_obj
from core.errors import FormatError
from core.formats import read_records
from core.formats.cad import parse_cad_time


def test_cad_rows_exact_values(fixtures: Path) -> None:
    records = list(read_records(fixtures / "cad" / "cad_excerpt.csv", "cad"))
    assert [r["designation"] for r in records] == [
        "2019 QE1", "2019 GT3", "504800", "15P", "2006 RH120",
    ]  # fmt: skip
    assert records[0] == {
        "designation": "2019 QE1",
        "physical": {"H": 25.1},
        "close_approaches": [
            {
                "time": "2019-09-05T21:39:00Z",
                "dist_au": 0.03368,
                "v_rel_kms": 6.63,
                "v_inf_kms": 6.61,
                "body": "Earth",
            }
        ],
        "meta": {"source": "cad"},
    }
    for obj in records:
        record_from_obj(obj)


def test_missing_values_are_omitted(fixtures: Path) -> None:
    by_name = {r["designation"]: r for r in read_records(fixtures / "cad" / "cad_excerpt.csv")}
    assert "physical" not in by_name["15P"]  # H "n/a"
    rh120 = by_name["2006 RH120"]["close_approaches"][0]
    assert "v_inf_kms" not in rh120  # "NaN"
    assert rh120["v_rel_kms"] == 0.14


def test_approaches_of_one_object_are_grouped(tmp_path: Path, fixtures: Path) -> None:
    lines = (fixtures / "cad" / "cad_excerpt.csv").read_text(encoding="utf-8").splitlines()
    twice = tmp_path / "cad.csv"
    twice.write_text("\n".join([*lines[:2], lines[3], lines[1]]) + "\n", encoding="utf-8")
    records = list(read_records(twice, "cad"))
    assert [r["designation"] for r in records] == ["2019 QE1", "504800"]
    assert len(records[0]["close_approaches"]) == 2


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2019-Sep-05 21:39\xa0±\xa0\xa0\xa0\xa000:04", "2019-09-05T21:39:00Z"),
        ("2060-Oct-27 10:30 ± 1_05:47", "2060-10-27T10:30:00Z"),
        ("2020-Apr-10 08:53 ± < 00:01", "2020-04-10T08:53:00Z"),
    ],
)
def test_parse_cad_time(text: str, iso: str) -> None:
    assert parse_cad_time(text) == iso


def test_bad_date_names_the_line(tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / "cad" / "cad_excerpt.csv").read_text(encoding="utf-8")
    bad = tmp_path / "cad.csv"
    bad.write_text(text.replace("2019-Sep-06", "2019-Spt-06"), encoding="utf-8")
    with pytest.raises(FormatError, match="not a CNEOS date") as info:
        list(read_records(bad, "cad"))
    assert info.value.line == 3
