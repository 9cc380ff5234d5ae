"""MPCORB / NEA.txt parser on real lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.contract.records import record_from_obj
from core.errors import FormatError
from core.formats import read_records
from core.formats.nea import packed_date_to_jd


def test_eros_exact_values(fixtures: Path) -> None:
    records = list(read_records(fixtures / "nea" / "NEA_excerpt.txt", "nea"))
    eros = records[0]
    assert eros == {
        "designation": "433",
        "orbit": {
            "a_au": 1.4581823,
            "e": 0.2227385,
            "i_deg": 10.82858,
            "node_deg": 304.30424,
            "peri_deg": 178.83549,
            "M_deg": 84.17190,
            "epoch_jd": 2458666.5,
            "condition_code": 0,
        },
        "physical": {"H": 11.16},
        "meta": {"source": "nea"},
    }


def test_every_line_is_a_valid_record(fixtures: Path) -> None:
    records = list(read_records(fixtures / "nea" / "NEA_excerpt.txt", "nea"))
    assert [r["designation"] for r in records] == [
        "433", "719", "887", "1036", "1221", "2019 AB", "2010 LF64", "145656", "99942",
        "539940", "1997 XE10",
    ]  # fmt: skip
    for obj in records:
        record_from_obj(obj)


def test_blank_h_and_letter_u_are_omitted(fixtures: Path) -> None:
    by_name = {r["designation"]: r for r in read_records(fixtures / "nea" / "NEA_excerpt.txt")}
    assert "physical" not in by_name["2010 LF64"]
    assert by_name["2010 LF64"]["orbit"]["condition_code"] == 8
    assert "condition_code" not in by_name["1997 XE10"]["orbit"]  # U = 'E'


@pytest.mark.parametrize(
    ("packed", "jd"),
    [("K1972", 2458666.5), ("K161D", 2457400.5), ("K157H", 2457220.5), ("J9611", 2450083.5)],
)
def test_packed_epochs(packed: str, jd: float) -> None:
    assert packed_date_to_jd(packed) == jd


def test_2016_snapshot_with_other_epochs(fixtures: Path) -> None:
    records = list(read_records(fixtures / "nea" / "nea_2016_excerpt.txt"))
    assert [r["orbit"]["epoch_jd"] for r in records] == [2457400.5, 2457400.5, 2457220.5]
    assert records[2]["designation"] == "2015 OO79"


def test_bad_element_names_the_line(tmp_path: Path, fixtures: Path) -> None:
    lines = (fixtures / "nea" / "NEA_excerpt.txt").read_text().splitlines()
    lines[2] = lines[2][:70] + "0.56x4193" + lines[2][79:]
    bad = tmp_path / "NEA.txt"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"line 3: e: not a number") as info:
        list(read_records(bad, "nea"))
    assert info.value.line == 3


def test_short_line_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "NEA.txt"
    bad.write_text("00433   11.16  0.46 K1972  84.17190\n")
    with pytest.raises(FormatError, match="too short") as info:
        list(read_records(bad, "nea"))
    assert info.value.line == 1
