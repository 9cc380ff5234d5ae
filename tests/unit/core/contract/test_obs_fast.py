"""The block paths of core.contract.observations (core/contract/_obs_fast.py) give exactly what the
line-by-line reference gives: the same arrays bit for bit, the same RecordError for invalid input.

Run over every obs80 line and ADES row of tests/fixtures and of data/sample_stream.jsonl.gz,
and over seeded single-character corruptions of them.
"""

from __future__ import annotations

import csv
import gzip
import random
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from core.contract import _obs_fast
from core.contract.observations import (
    _ades_each,
    _obs80_each,
    iso_to_jd,
    parse_ades_rows,
    parse_obs80_line,
    parse_obs80_lines,
)
from core.errors import FormatError, RecordError

ROOT = Path(__file__).resolve().parents[4]
FIXTURES = ROOT / "tests" / "fixtures"
_ADES_NUMBERS = ("ra", "dec", "mag", "rmsRA", "rmsDec")


def _sample_blocks() -> tuple[list[list[str]], list[list[dict[str, Any]]]]:
    obs80: list[list[str]] = []
    ades: list[list[dict[str, Any]]] = []
    with gzip.open(ROOT / "data" / "sample_stream.jsonl.gz") as fh:
        for line in fh:
            observations = orjson.loads(line).get("observations") or {}
            if "obs80" in observations:
                obs80.append(observations["obs80"])
            if "ades" in observations:
                ades.append(observations["ades"])
    return obs80, ades


SAMPLE_OBS80, SAMPLE_ADES = _sample_blocks()


def _fixture_obs80() -> list[list[str]]:
    files = [*sorted((FIXTURES / "obs80").glob("*.txt")), FIXTURES / "mpc80" / "mixed_objects.txt"]
    return [[ln for ln in f.read_text().splitlines() if len(ln) == 80] for f in files]


def _fixture_ades() -> list[list[dict[str, Any]]]:
    # typed as a converter emits them: numbers as numbers, blank fields left out
    def typed(raw: dict[str, str]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for key, value in raw.items():
            key, value = key.strip(), value.strip()
            if value:
                row[key] = float(value) if key in _ADES_NUMBERS else value
        return row

    psv = (FIXTURES / "ades" / "example_head.psv").read_text().splitlines()
    body = [ln for ln in psv if ln and ln[0] not in "#!"]
    blocks = [[typed(r) for r in csv.DictReader(body, delimiter="|")]]
    with open(FIXTURES / "ades" / "random_provIDs_excerpt.csv") as fh:
        blocks.append([typed(r) for r in csv.DictReader(fh)])
    return blocks


def _outcome(parse: Callable[[Sequence[Any], str], Any], block: Sequence[Any]) -> Any:
    try:
        arrays = parse(block, "f")
    except RecordError as exc:
        return ("error", exc.field, exc.reason)
    out = []
    for value in arrays:
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float64 and not value.flags.writeable
            out.append(("array", value.shape, value.tobytes()))
        else:
            out.append(value)
    return tuple(out)


def _assert_same(block: Sequence[Any], obs80: bool) -> Any:
    fast, each = (parse_obs80_lines, _obs80_each) if obs80 else (parse_ades_rows, _ades_each)
    result = _outcome(fast, block)
    assert result == _outcome(each, block)
    return result


@pytest.mark.parametrize("source", ["sample", "fixtures"])
def test_obs80_blocks_identical(source: str) -> None:
    blocks = SAMPLE_OBS80 if source == "sample" else _fixture_obs80()
    assert sum(map(len, blocks)) >= (9000 if source == "sample" else 30)
    for block in blocks:
        _assert_same(block, obs80=True)


@pytest.mark.parametrize("source", ["sample", "fixtures"])
def test_obs80_kernel_reads_every_real_line_as_the_line_parser(source: str) -> None:
    # line by line, so that lines of the kernel's shape are compared by the kernel itself
    lines = [ln for b in (SAMPLE_OBS80 if source == "sample" else _fixture_obs80()) for ln in b]
    kernel_read = 0
    for line in lines:
        try:
            row = parse_obs80_line(line)
        except FormatError:
            row = None
        block = np.frombuffer(line.encode("ascii"), dtype=np.uint8).reshape(1, 80)
        time_jd, ra, dec, mag, ok = _obs_fast.obs80_fields(block)
        if ok[0]:
            assert row is not None
            got = np.array([time_jd[0], ra[0], dec[0], mag[0]])
            assert got.tobytes() == np.array(row[:4]).tobytes()
            kernel_read += 1
    # every optical line of the sample has the canonical shape: the fast path is the one used
    optical = sum(ln[14] not in "sSvVrR" or ln[14] in "SV" for ln in lines)
    if source == "sample":
        assert kernel_read == optical


@pytest.mark.parametrize("source", ["sample", "fixtures"])
def test_ades_blocks_identical(source: str) -> None:
    blocks = SAMPLE_ADES if source == "sample" else _fixture_ades()
    assert sum(map(len, blocks)) >= (40000 if source == "sample" else 5)
    for block in blocks:
        _assert_same(block, obs80=False)
    times = [row["obsTime"] for b in blocks for row in b]
    length = np.fromiter(map(len, times), dtype=np.int64)
    raw = np.array(times, dtype=f"S{_obs_fast.ISO_WIDTH}").view(np.uint8)
    jd, ok = _obs_fast.iso_fields(raw.reshape(len(times), -1), length)
    assert ok.all()  # the fast path is the one used
    assert jd.tobytes() == np.array([iso_to_jd(t) for t in times]).tobytes()


_CORRUPTIONS = " 0123456789.+-:TZzsSvVRr\tXé"


def test_corrupted_obs80_lines_give_the_same_error_or_arrays() -> None:
    rnd = random.Random(80)
    block = SAMPLE_OBS80[0][:40]
    errors = 0
    for _ in range(1500):
        lines = list(block)
        k = rnd.randrange(len(lines))
        col = rnd.randrange(81)
        line = lines[k]
        if col == 80:
            lines[k] = line[: rnd.choice((79, 80))] + rnd.choice(("", "x"))
        else:
            lines[k] = line[:col] + rnd.choice(_CORRUPTIONS) + line[col + 1 :]
        errors += _assert_same(lines, obs80=True)[0] == "error"
    assert errors > 300  # the corruptions do reach the error paths


def test_corrupted_ades_rows_give_the_same_error_or_arrays() -> None:
    rnd = random.Random(2022)
    block = SAMPLE_ADES[0][:30]
    values: list[Any] = [None, True, 5, 1e301, float("nan"), -0.0, 360.5, "", " ", "x" * 300,
                         [1], {"a": 1}, "\ud800", "2000-02-30T00:00:00Z"]  # fmt: skip
    errors = 0
    for _ in range(1500):
        rows = [dict(r) for r in block]
        row = rows[rnd.randrange(len(rows))]
        key = rnd.choice(("obsTime", "ra", "dec", "stn", "mag", "band", "rmsRA", "rmsDec", "x"))
        if key == "obsTime" and rnd.random() < 0.7:
            text = row["obsTime"]
            col = rnd.randrange(len(text))
            row[key] = text[:col] + rnd.choice(_CORRUPTIONS) + text[col + 1 :]
        else:
            row[key] = rnd.choice(values)
        errors += _assert_same(rows, obs80=False)[0] == "error"
    assert errors > 300


@pytest.mark.parametrize(
    "text",
    [
        "2000-01-01T00:00:00Z", "2000-01-01T00:00:00.1Z", "2000-01-01T23:59:59.12Z",
        "2000-01-01T00:00:00.123Z", "2000-01-01T00:00:00.1234Z", "2000-01-01T00:00:00.12345Z",
        "2000-01-01T00:00:00.123456Z", "2000-01-01T00:00:00.1234567Z", "2000-01-01T00:00:00.Z",
        "2000-02-29T12:00:00Z", "1900-02-29T12:00:00Z", "2000-01-01T24:00:00Z",
        "2000-01-01T00:60:00Z", "2000-01-01T00:00:60Z", "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2000-00-01T00:00:00Z",
        "2000-01-00T00:00:00Z", "2000-01-01T00:00:00z", "2000-01-01T00:00:00+00:00",
        "2000-01-01 00:00:00Z", "2000-01-01T00:00:00", "2000-1-01T00:00:00Z",
    ],
)  # fmt: skip
def test_iso_kernel_agrees_with_iso_to_jd(text: str) -> None:
    raw = np.array([text], dtype=f"S{_obs_fast.ISO_WIDTH}").view(np.uint8).reshape(1, -1)
    jd, ok = _obs_fast.iso_fields(raw, np.array([len(text)]))
    try:
        expected = iso_to_jd(text)
    except FormatError:
        assert not ok[0]
        return
    if ok[0]:
        assert jd[0].tobytes() == np.float64(expected).tobytes()


def test_ordinal_of_every_day_of_sampled_years() -> None:
    years = np.array([1, 4, 100, 1582, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999])
    year, month, day = (a.ravel() for a in np.meshgrid(years, np.arange(100), np.arange(100)))
    ordinal, valid = _obs_fast._ordinal(year, month, day)
    for y, m, d, o, v in zip(year, month, day, ordinal, valid, strict=True):
        try:
            expected = date(int(y), int(m), int(d)).toordinal()
        except ValueError:
            assert not v
        else:
            assert v and o == expected
