"""JPL SBDB CSV parser on real rows of several export layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.contract.records import record_from_obj
from core.errors import FormatError
from core.formats import read_records


def _by_designation(path: Path) -> dict[str, dict[str, object]]:
    return {r["designation"]: r for r in read_records(path, "sbdb")}


def test_fake_sun_and_earth_rows_are_dropped(fixtures: Path) -> None:
    records = list(read_records(fixtures / "sbdb" / "neo_2024_excerpt.csv", "sbdb"))
    assert [r["designation"] for r in records] == ["433", "2008 TC3", "C/2015 D1", "1P"]
    for obj in records:
        record_from_obj(obj)


def test_neo_2024_eros_row(fixtures: Path) -> None:
    eros = _by_designation(fixtures / "sbdb" / "neo_2024_excerpt.csv")["433"]
    assert eros == {
        "designation": "433",
        "orbit": {
            "a_au": 1.458,
            "q_au": 1.133,
            "e": 0.2227,
            "i_deg": 10.83,
            "node_deg": 304.27,
            "peri_deg": 178.91,
            "M_deg": 86.67,
            "epoch_jd": 2460600.5,
        },
        "physical": {"diameter_km": 16.84, "albedo": 0.25},
        "meta": {"source": "sbdb"},
    }


def test_rounded_near_parabolic_orbit_keeps_q(fixtures: Path) -> None:
    soho = _by_designation(fixtures / "sbdb" / "neo_2024_excerpt.csv")["C/2015 D1"]
    assert soho["orbit"]["q_au"] == 0.028  # type: ignore[index]
    assert "a_au" not in soho["orbit"]  # type: ignore[operator]
    assert record_from_obj(soho).orbit.a_au == pytest.approx(0.028 / (1 - 0.9943))  # type: ignore[union-attr]


def test_pha_2025_apophis_nongrav_and_spectral_type(fixtures: Path) -> None:
    rows = _by_designation(fixtures / "sbdb" / "pha_2025_excerpt.csv")
    apophis = rows["99942"]
    assert apophis["nongrav"] == {"A1": 5.0e-13, "A2": -2.9e-14}
    assert apophis["physical"] == {
        "H": 19.09, "diameter_km": 0.34, "albedo": 0.35, "rot_per_h": 30.56, "spectral_type": "Sq",
    }  # fmt: skip
    assert apophis["orbit"]["moid_au"] == 0.000361  # type: ignore[index]
    assert apophis["orbit"]["condition_code"] == 0  # type: ignore[index]
    assert rows["1566"]["nongrav"] == {"A2": -3.7e-15}
    for obj in rows.values():
        record_from_obj(obj)


def test_full_precision_layout(fixtures: Path) -> None:
    eros = _by_designation(fixtures / "sbdb" / "neos_udacity_2020_excerpt.csv")["433"]
    assert eros["orbit"]["a_au"] == 1.458045729081040  # type: ignore[index]
    assert eros["orbit"]["moid_au"] == 0.148623  # type: ignore[index]
    assert eros["physical"]["spectral_type"] == "S"  # type: ignore[index]
    numbered = _by_designation(fixtures / "sbdb" / "neo_numbered_2023_excerpt.csv")["433"]
    assert numbered["physical"] == {
        "H": 10.31, "diameter_km": 16.84, "albedo": 0.25, "rot_per_h": 5.27,
    }  # fmt: skip


def test_non_numeric_value_names_the_line(tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / "sbdb" / "pha_2025_excerpt.csv").read_text()
    bad = tmp_path / "sbdb.csv"
    bad.write_text(text.replace(",0.1912,", ",0.19x2,"))
    with pytest.raises(FormatError, match="e: not a number") as info:
        list(read_records(bad, "sbdb"))
    assert info.value.line == 3


def test_header_without_designation_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,e,i\n1,0.1,2\n")
    with pytest.raises(FormatError, match="not an SBDB export"):
        list(read_records(bad, "sbdb"))


def test_sigma_columns_reach_the_record(fixtures: Path) -> None:
    # JPL SBDB, Udacity 2020 export, solution JPL 658 of Eros: the sigma_* columns as printed
    rows = _by_designation(fixtures / "sbdb" / "neos_udacity_2020_excerpt.csv")
    assert rows["433"]["orbit"]["sigma"] == {  # type: ignore[index]
        "a_au": 2.1374e-10, "q_au": 1.4063e-08, "e": 9.6497e-09, "i_deg": 1.1645e-06,
        "node_deg": 3.8525e-06, "peri_deg": 4.088e-06, "M_deg": 1.4389e-06,
    }  # fmt: skip
    toutatis = rows["4179"]
    assert toutatis["nongrav"] == {"A1": -4.10782521853481e-13, "A2": -6.47855560287362e-15}
    assert rows["101955"]["orbit"]["sigma"]["a_au"] == 4.0261e-11  # type: ignore[index]
    for obj in rows.values():
        rec = record_from_obj(obj)
        assert rec.orbit is not None and rec.orbit.sigma is not None
        assert rec.orbit.source == "given"
    bennu = record_from_obj(rows["101955"])
    assert bennu.orbit is not None and bennu.orbit.sigma is not None
    assert bennu.orbit.sigma.e == 2.2082e-08


def test_nongrav_sigma_columns_are_read(tmp_path: Path) -> None:
    # the SBDB query API's names for the non-gravitational sigmas (none of the bundled exports
    # carries them): Apophis, with the JPL 199 values rounded
    path = tmp_path / "ng.csv"
    path.write_text(
        "full_name,e,a,i,A1,A1_sigma,A2,A2_sigma,A3_sigma\n"
        '"99942 Apophis (2004 MN4)",0.1912,0.9224,3.34,5.0e-13,1.4e-13,-2.9e-14,1.4e-15,\n'
    )
    (row,) = read_records(path, "sbdb")
    assert row["nongrav"] == {
        "A1": 5.0e-13,
        "A1_sigma": 1.4e-13,
        "A2": -2.9e-14,
        "A2_sigma": 1.4e-15,
    }
    rec = record_from_obj(row)
    assert rec.nongrav is not None and rec.nongrav.A2_sigma == 1.4e-15
