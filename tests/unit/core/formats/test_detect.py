"""Format detection from file content."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from core.errors import FormatError
from core.formats import detect_format


@pytest.mark.parametrize(
    ("relative", "fmt"),
    [
        ("mpc80/mixed_objects.txt", "obs80"),
        ("obs80/2008TC3_head.txt", "obs80"),
        ("ades/example_head.psv", "ades"),
        ("ades/random_provIDs_excerpt.csv", "ades"),
        ("nea/NEA_excerpt.txt", "nea"),
        ("sbdb/neo_2024_excerpt.csv", "sbdb"),
        ("sbdb/pha_2025_excerpt.csv", "sbdb"),
        ("sbdb/neos_udacity_2020_excerpt.csv", "sbdb"),
        ("cad/cad_excerpt.csv", "cad"),
    ],
)
def test_detects_real_files(fixtures: Path, relative: str, fmt: str) -> None:
    assert detect_format(fixtures / relative) == fmt


def test_detects_gzipped_input(tmp_path: Path, fixtures: Path) -> None:
    packed = tmp_path / "NEA.txt.gz"
    packed.write_bytes(gzip.compress((fixtures / "nea" / "NEA_excerpt.txt").read_bytes()))
    assert detect_format(packed) == "nea"


@pytest.mark.parametrize(
    "relative", ["mpc80/99942_RADAR_2021_head.dat", "nea/SOURCE.txt", "sbdb/SOURCE.txt"]
)
def test_undetectable_files(fixtures: Path, relative: str) -> None:
    with pytest.raises(FormatError, match="cannot detect"):
        detect_format(fixtures / relative)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(FormatError, match="empty file"):
        detect_format(empty)
