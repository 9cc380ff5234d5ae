"""Format detection from file content."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from core.errors import FormatError
from core.formats import FORMATS, detect_format, read_records


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


@pytest.mark.parametrize("relative", ["nea/SOURCE.txt", "sbdb/SOURCE.txt"])
def test_undetectable_files(fixtures: Path, relative: str) -> None:
    with pytest.raises(FormatError, match="cannot detect"):
        detect_format(fixtures / relative)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(FormatError, match="empty file"):
        detect_format(empty)


def test_a_tab_separated_table_is_said_to_be_unsupported(fixtures: Path) -> None:
    # issue 23 item 14: mpc_nea_2016/pha.txt (tab-separated) got "MPCORB line too short" with
    # --format nea, and "give --format" without the choices when detected
    path = fixtures / "nea" / "pha_2016_tab_head.txt"
    with pytest.raises(FormatError, match=r"a tab-separated table .*this format is not supported"):
        detect_format(path)
    with pytest.raises(FormatError, match="tab-separated columns: this format is not supported"):
        list(read_records(path, "nea"))
    # JPL's radar astrometry table is tab-separated too
    with pytest.raises(FormatError, match=r"a tab-separated table .*this format is not supported"):
        detect_format(fixtures / "mpc80" / "99942_RADAR_2021_head.dat")


def test_undetectable_files_are_told_the_format_choices(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("something else entirely\n")
    with pytest.raises(FormatError) as info:
        detect_format(path)
    assert (
        str(info.value)
        == "x.txt: cannot detect the format (give --format: " + ", ".join(FORMATS) + ")"
    )
