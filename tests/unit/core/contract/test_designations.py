"""Designation packing/unpacking and the canonical matching key."""

from __future__ import annotations

import pytest

from core.contract.designations import (
    canonical_designation,
    pack_number,
    pack_provisional,
    unpack_designation,
    unpack_number,
    unpack_provisional,
)


@pytest.mark.parametrize(
    ("packed", "unpacked"),
    [
        ("K24P05T", "2024 PT5"),
        ("J95X00A", "1995 XA"),
        ("K08T03C", "2008 TC3"),
        ("K19A00B", "2019 AB"),
        ("J99R36Q", "1999 RQ36"),
        ("K10JI1V", "2010 JV181"),  # cycle "I1" = 18*10 + 1
        ("I98P00A", "1898 PA"),
        ("K07Tf8A", "2007 TA418"),
        ("PLS2040", "2040 P-L"),
        ("T1S3138", "3138 T-1"),
        ("T2S1010", "1010 T-2"),
        ("T3S4101", "4101 T-3"),
        ("00433", "433"),
        ("99942", "99942"),
        ("A0345", "100345"),
        ("E5656", "145656"),
        ("r9940", "539940"),
        ("z9999", "619999"),
        ("~0000", "620000"),
        ("~000z", "620061"),
        ("~AZaz", str(620_000 + ((10 * 62 + 35) * 62 + 36) * 62 + 61)),
        ("0001P", "1P"),
        ("CJ95O010", "C/1995 O1"),
        ("PK19L01b", "P/2019 L1-B"),
    ],
)
def test_unpack_designation_table(packed: str, unpacked: str) -> None:
    assert unpack_designation(packed) == unpacked


@pytest.mark.parametrize("bad", ["", "K24P05", "Q24P05T", "K24I05T", "12345678", "~00", "433"])
def test_unpack_designation_rejects_non_designations(bad: str) -> None:
    with pytest.raises(ValueError, match="not a packed"):
        unpack_designation(bad)


@pytest.mark.parametrize("number", [1, 433, 99_999, 100_345, 619_999, 620_000, 3_140_113])
def test_pack_number_round_trips(number: int) -> None:
    assert unpack_number(pack_number(number)) == number


def test_pack_number_range() -> None:
    with pytest.raises(ValueError, match="range"):
        pack_number(0)
    with pytest.raises(ValueError, match="range"):
        pack_number(620_000 + 62**4)


@pytest.mark.parametrize(
    "designation", ["2024 PT5", "1995 XA", "2008 TC3", "2010 JV181", "2040 P-L", "3138 T-1"]
)
def test_pack_provisional_round_trips(designation: str) -> None:
    assert unpack_provisional(pack_provisional(designation)) == designation


def test_pack_provisional_rejects_unpackable() -> None:
    with pytest.raises(ValueError, match="cannot pack"):
        pack_provisional("2024 PT620")
    with pytest.raises(ValueError, match="not a provisional"):
        pack_provisional("Eros")


@pytest.mark.parametrize(
    ("label", "canonical"),
    [
        ("(2019 QE1)", "2019 QE1"),  # CNEOS Object
        ("504800 (2010 CO1)", "504800"),
        ("66391 Moshup (1999 KW4)", "66391"),
        ("   433 Eros (A898 PA)", "433"),  # SBDB full_name
        ("       (2008 TC3)", "2008 TC3"),
        ("    1P/Halley", "1P"),
        ("15P/Finlay", "15P"),
        ("     C/2023 E1 (ATLAS)", "C/2023 E1"),
        ("C/1942 EA (Vaisala)", "C/1942 EA"),
        ("P/2024 L4 (Rankin)", "P/2024 L4"),
        ("(433) Eros", "433"),  # MPC readable
        ("(539694) 2016 TE93", "539694"),
        ("6344 P-L", "6344 P-L"),
        ("2019 AB", "2019 AB"),
        ("A898 PA", "A898 PA"),
        ("433", "433"),
        ("K19Q01E", "2019 QE1"),  # packed
        ("00433", "433"),
    ],
)
def test_canonical_designation(label: str, canonical: str) -> None:
    assert canonical_designation(label) == canonical


@pytest.mark.parametrize("bad", ["", "   ", "Eros", "The sun"])
def test_canonical_designation_rejects_names(bad: str) -> None:
    with pytest.raises(ValueError):
        canonical_designation(bad)
