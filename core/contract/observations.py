"""Astrometric observations: MPC 80-column lines, ADES rows and ISO-8601 times.

Observations are parsed once, when a ``neo.v1`` record is validated, into float arrays that
the feature code reads without touching strings again.

MPC 80-column optical format (1-based columns)::

    1-12 packed designation   14 note 1   15 note 2 (observation type)
    16-32 date "YYYY MM DD.dddddd" (UTC)  33-44 RA "HH MM SS.ddd"  45-56 Dec "sDD MM SS.dd"
    66-70 magnitude   71 band   78-80 observatory code

Lines that carry no optical position are skipped (``parse_obs80_line`` returns None):

* the second line of a two-line satellite ('S' then 's') or roving-observer ('V' then 'v')
  observation: it holds the observer's position, the RA/Dec is on the first line;
* radar lines ('R'/'r'): they hold delay/Doppler, not RA/Dec. They are skipped rather than
  rejected so that a converted MPC file with mixed optical and radar lines stays valid.

RA/Dec may be given at reduced precision (``"04 50.1"``, ``"+19 48"``: minutes without
seconds), as in old photographic observations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import numpy as np

from core._types import FloatArray
from core.contract import _obs_fast
from core.contract._checks import (
    MAX_STRING,
    encodable,
    jtype,
    key_name,
    number,
    ranged,
    scalar,
    short,
)
from core.errors import FormatError, RecordError

__all__ = [
    "ObsArrays",
    "ObsRow",
    "ades_time_jd",
    "iso_to_jd",
    "parse_ades_rows",
    "parse_obs80_line",
    "parse_obs80_lines",
]

OBS80_LINE_LENGTH = 80
"""Every 80-column line must be exactly this long (no newline)."""

_JD_OF_ORDINAL_0 = 1721424.5
"""Julian date of midnight at ``date.toordinal() == 0`` (proleptic Gregorian)."""

# Observation types (note 2, column 15) that carry an optical RA/Dec on their own line.
_OPTICAL_TYPES = frozenset(" ABCEHKMNOPSTVXcenx")
# Second lines of two-line observations: type -> the first-line type they must follow.
_SECOND_LINE_OF = {"s": "S", "v": "V"}
_RADAR_TYPES = frozenset("Rr")

# ADES fields read into arrays; any other field is kept in ``raw`` and must be a scalar.
_ADES_REQUIRED = ("obsTime", "ra", "dec", "stn")


class ObsRow(NamedTuple):
    """One optical observation parsed from an 80-column line."""

    time_jd: float
    ra_deg: float
    dec_deg: float
    mag: float
    """NaN when blank."""
    band: str | None
    station: str
    obs_type: str
    """Note 2 (column 15), e.g. 'C' for CCD, ' ' for unspecified."""


class ObsArrays(NamedTuple):
    """Observations as parallel arrays, one entry per optical observation, in given order."""

    time_jd: FloatArray
    ra_deg: FloatArray
    dec_deg: FloatArray
    mag: FloatArray
    band: tuple[str | None, ...]
    station: tuple[str, ...]
    rms_ra_arcsec: FloatArray
    rms_dec_arcsec: FloatArray


def iso_to_jd(text: str) -> float:
    """Julian date (UTC) of an ISO-8601 time.

    Accepts ``"2029-04-13T21:46:00Z"``, offsets (``"+02:00"``), date only (midnight) and
    fractional seconds (beyond microseconds they are truncated). A time without an offset is
    taken as UTC.

    Raises
    ------
    FormatError
        The text is not an ISO-8601 time.

    Examples
    --------
    >>> iso_to_jd("2000-01-01T12:00:00Z")
    2451545.0
    """
    try:
        dt = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        raise FormatError(f"not an ISO-8601 time: {short(text)}") from None
    secs = dt.hour * 3600 + dt.minute * 60 + dt.second + dt.microsecond * 1e-6
    offset = dt.utcoffset()
    if offset is not None:
        secs -= offset.total_seconds()
    return dt.toordinal() + _JD_OF_ORDINAL_0 + secs / 86400.0


def parse_obs80_line(line: str) -> ObsRow | None:
    """Parse one MPC 80-column optical observation line.

    Parameters
    ----------
    line : str
        Exactly 80 characters, no trailing newline.

    Returns
    -------
    ObsRow or None
        None for lines without an optical position of their own: the second line of a
        satellite/roving two-line observation ('s'/'v') and radar lines ('R'/'r').

    Raises
    ------
    FormatError
        The line is not a valid 80-column observation; the message says which column range.
    """
    if len(line) != OBS80_LINE_LENGTH:
        raise FormatError(f"must be exactly 80 characters, got {len(line)}")
    if not line.isascii():
        raise FormatError("must be ASCII")
    obs_type = line[14]
    if obs_type in _SECOND_LINE_OF or obs_type in _RADAR_TYPES:
        return None
    if obs_type not in _OPTICAL_TYPES:
        raise FormatError(f"unknown observation type {obs_type!r} in column 15")
    time_jd = _obs80_date(line[15:32])
    ra_deg = _sexagesimal(line[32:44], "RA (columns 33-44)", 24) * 15.0
    sign = line[44]
    if sign not in "+-":
        raise FormatError(f"Dec sign in column 45 must be '+' or '-', got {sign!r}")
    dec_deg = _sexagesimal(line[45:56], "Dec (columns 45-56)", 91)
    if dec_deg > 90.0:
        raise FormatError(f"Dec (columns 45-56) beyond 90 degrees: {line[44:56]!r}")
    if sign == "-":
        dec_deg = -dec_deg
    mag_text = line[65:70].strip()
    mag = _decimal(mag_text, "magnitude (columns 66-70)") if mag_text else float("nan")
    band = line[70]
    station = line[77:80]
    if not (station.isascii() and station.isalnum() and len(station) == 3):
        raise FormatError(f"observatory code (columns 78-80) must be 3 letters/digits: {station!r}")
    return ObsRow(time_jd, ra_deg, dec_deg, mag, None if band == " " else band, station, obs_type)


def parse_obs80_lines(lines: Sequence[object], field: str = "obs80") -> ObsArrays:
    """Parse the 80-column lines of one object into arrays.

    Blocks are parsed column-wise at once (:mod:`core.contract._obs_fast`); a line of unusual shape
    is parsed alone, and any invalid input is handed to the line-by-line parser, which finds and
    words the first problem. Both paths give identical arrays.

    Parameters
    ----------
    lines : sequence of str
        The lines as given in a record.
    field : str
        Field path used in errors, e.g. ``"observations.obs80"``.

    Raises
    ------
    RecordError
        ``field[i]`` names the first bad line; ``field`` itself when no line holds an
        optical observation.
    """
    if len(lines) >= _BLOCK_MIN:
        columns = _obs_fast.obs80_block(lines, _LINE_KIND, _optical_fields)
        if columns is not None:
            return ObsArrays(*columns)
    return _obs80_each(lines, field)


def _obs80_each(lines: Sequence[object], field: str) -> ObsArrays:
    # the reference: one line at a time, in order, so the first problem is the one reported
    rows: list[ObsRow] = []
    previous_type = ""
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise RecordError(f"{field}[{i}]", f"must be a string, got {jtype(line)}")
        try:
            row = parse_obs80_line(line)
        except FormatError as exc:
            raise RecordError(f"{field}[{i}]", str(exc)) from None
        obs_type = line[14]
        first = _SECOND_LINE_OF.get(obs_type)
        if first is not None and previous_type != first:
            raise RecordError(
                f"{field}[{i}]",
                f"'{obs_type}' position line must follow its '{first}' observation line",
            )
        previous_type = obs_type
        if row is not None:
            rows.append(row)
    if not rows:
        raise RecordError(field, "no optical observation (only radar or position lines)")
    nan = np.full(len(rows), np.nan)
    nan.setflags(write=False)
    time_jd, ra, dec, mag, band, station, _ = zip(*rows, strict=True)
    return ObsArrays(
        _frozen(time_jd), _frozen(ra), _frozen(dec), _frozen(mag), band, station, nan, nan
    )


def parse_ades_rows(rows: Sequence[object], field: str = "ades") -> ObsArrays:
    """Parse ADES observation rows (mappings) into arrays.

    Each row needs ``obsTime`` (ISO-8601, UTC), ``ra`` and ``dec`` (degrees), ``stn``;
    optional ``mag``, ``band``, ``rmsRA`` and ``rmsDec`` (arcsec; ``rmsRA`` is of RA·cos Dec as
    ADES defines it). Other ADES fields are allowed if they are scalars (string, number,
    boolean, null). A null optional field counts as absent.

    Raises
    ------
    RecordError
        ``field[i].name`` names the first bad value.
    """
    # a row or a few (one observation per message) go row by row: the block path's numpy
    # calls cost about ten rows' worth per call whatever the length (docs/performance.md,
    # "Design measurements of the contract code")
    columns = _obs_fast.ades_block(rows, ades_time_jd) if len(rows) >= _BLOCK_MIN else None
    return _ades_each(rows, field) if columns is None else ObsArrays(*columns)


def _ades_each(rows: Sequence[object], field: str) -> ObsArrays:
    # the reference: one row at a time, in order, so the first problem is the one reported
    n = len(rows)
    time_jd = np.empty(n)
    ra = np.empty(n)
    dec = np.empty(n)
    mag = np.full(n, np.nan)
    rms_ra = np.full(n, np.nan)
    rms_dec = np.full(n, np.nan)
    bands: list[str | None] = []
    stations: list[str] = []
    for i, row in enumerate(rows):
        where = f"{field}[{i}]"
        if not isinstance(row, Mapping):
            raise RecordError(where, f"must be an object, got {jtype(row)}")
        for key, value in row.items():
            if not isinstance(key, str) or not encodable(key):
                raise RecordError(where, f"field names must be strings, got {short(key)}")
            if not scalar(value):
                raise RecordError(
                    f"{where}.{key_name(key)}", "must be a string, number, boolean or null"
                )
        for key in _ADES_REQUIRED:
            if row.get(key) is None:
                raise RecordError(f"{where}.{key}", "required")
        obs_time = row["obsTime"]
        if not isinstance(obs_time, str):
            raise RecordError(f"{where}.obsTime", "must be an ISO-8601 string")
        try:
            time_jd[i] = iso_to_jd(obs_time)
        except FormatError as exc:
            raise RecordError(f"{where}.obsTime", str(exc)) from None
        ra[i] = _ades_num(row, "ra", where)
        dec[i] = _ades_num(row, "dec", where)
        mag[i] = _ades_num(row, "mag", where)
        rms_ra[i] = _ades_num(row, "rmsRA", where)
        rms_dec[i] = _ades_num(row, "rmsDec", where)
        stn = row["stn"]
        if not isinstance(stn, str) or not stn.strip() or len(stn) > MAX_STRING:
            raise RecordError(f"{where}.stn", "must be a non-empty observatory code string")
        band = row.get("band")
        if band is not None and (not isinstance(band, str) or len(band) > MAX_STRING):
            raise RecordError(f"{where}.band", "must be a string")
        stations.append(stn)
        bands.append(band)
    if n == 0:
        raise RecordError(field, "must hold at least one observation")
    for arr in (time_jd, ra, dec, mag, rms_ra, rms_dec):
        arr.setflags(write=False)
    return ObsArrays(time_jd, ra, dec, mag, tuple(bands), tuple(stations), rms_ra, rms_dec)


# --- block paths: every value as the reference gives it, or None to hand over to it ----------

_BLOCK_MIN = 8
"""Shorter obs80 blocks go line by line: numpy's per-call cost outweighs the gain."""
_LINE_KIND = np.zeros(256, dtype=np.int8)  # column-15 byte -> 1 optical, 2 skipped, 0 unknown
_LINE_KIND[[ord(c) for c in _OPTICAL_TYPES]] = 1
_LINE_KIND[[ord(c) for c in "sSvVrR" if c not in _OPTICAL_TYPES]] = 2


def _optical_fields(line: str) -> tuple[float, float, float, float] | None:
    # time, RA, Dec and magnitude of a valid optical line, None for an invalid one
    try:
        row = parse_obs80_line(line)
    except FormatError:
        return None
    return None if row is None else (row.time_jd, row.ra_deg, row.dec_deg, row.mag)


def ades_time_jd(text: str) -> float | None:
    """Julian date of an ADES ``obsTime`` (a string that is an ISO-8601 time), else None."""
    if not scalar(text):
        return None
    try:
        return iso_to_jd(text)
    except FormatError:
        return None


def _ades_num(row: Mapping[str, Any], key: str, where: str) -> float:
    value = row.get(key)
    if value is None:
        return float("nan")
    return ranged(number(value, f"{where}.{key}"), f"{where}.{key}", *_obs_fast.ADES_RANGES[key])


def _obs80_date(text: str) -> float:
    # "YYYY MM DD.dddddd"; the day fraction may be shorter and right-padded with blanks.
    if text[4] != " " or text[7] != " ":
        raise FormatError(f"date (columns 16-32) must be 'YYYY MM DD.ddddd': {text!r}")
    year, month, day_text = text[:4], text[5:7], text[8:].rstrip()
    if not (year.isdigit() and month.isdigit() and year.isascii() and month.isascii()):
        raise FormatError(f"date (columns 16-32) must be 'YYYY MM DD.ddddd': {text!r}")
    day = _decimal(day_text, "day (columns 24-32)")
    try:
        midnight = date(int(year), int(month), int(day)).toordinal()
    except ValueError:
        raise FormatError(f"date (columns 16-32) is not a calendar date: {text!r}") from None
    return midnight + _JD_OF_ORDINAL_0 + (day - int(day))


def _sexagesimal(text: str, what: str, first_limit: int) -> float:
    # "HH MM SS.sss" or reduced precision "HH MM.mm"; returns hours (or degrees).
    parts = text.split()
    if len(parts) not in (2, 3) or not parts[0].isdigit() or not parts[0].isascii():
        raise FormatError(f"{what} must be 'HH MM SS.ss' or 'HH MM.mm': {text!r}")
    first = int(parts[0])
    minutes = _decimal(parts[1], what)
    seconds = _decimal(parts[2], what) if len(parts) == 3 else 0.0
    if first >= first_limit or minutes >= 60.0 or seconds >= 60.0:
        raise FormatError(f"{what} out of range: {text!r}")
    return (first * 3600 + minutes * 60.0 + seconds) / 3600.0


def _decimal(text: str, what: str) -> float:
    # float() would also take "nan", "1e5" and "1_0": columns hold plain decimals only.
    body = text[1:] if text[:1] == "-" else text
    if not (body.replace(".", "", 1).isdigit() and body.isascii()):
        raise FormatError(f"{what} is not a decimal number: {text!r}")
    return float(text)


def _frozen(values: tuple[float, ...]) -> FloatArray:
    arr = np.array(values, dtype=np.float64)
    arr.setflags(write=False)
    return arr
