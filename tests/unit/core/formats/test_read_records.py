"""`core.formats.read_records`: dispatch, detection and errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from core.errors import FormatError
from core.formats import FORMATS, read_records


def test_formats_registry() -> None:
    assert sorted(FORMATS) == ["ades", "cad", "nea", "obs80", "sbdb"]


def test_detected_equals_explicit(fixtures: Path) -> None:
    path = fixtures / "cad" / "cad_excerpt.csv"
    assert list(read_records(path)) == list(read_records(path, "cad"))


def test_gzipped_input(tmp_path: Path, fixtures: Path) -> None:
    plain = fixtures / "sbdb" / "pha_2025_excerpt.csv"
    packed = tmp_path / "pha.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert list(read_records(packed)) == list(read_records(plain))


def test_unknown_format(fixtures: Path) -> None:
    with pytest.raises(FormatError, match="unknown format 'xml'"):
        list(read_records(fixtures / "cad" / "cad_excerpt.csv", "xml"))


def test_wrong_format_names_file_and_line(fixtures: Path) -> None:
    with pytest.raises(FormatError, match=r"NEA_excerpt\.txt: line 1: 80-column") as info:
        list(read_records(fixtures / "nea" / "NEA_excerpt.txt", "obs80"))
    assert info.value.line == 1


def test_non_utf8_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Object,\xff\xfe\n")
    with pytest.raises(FormatError, match="not UTF-8"):
        list(read_records(bad, "cad"))
