"""Vectorised kernels for :mod:`core.contract.observations` (private): canonical 80-column fields
and canonical ISO-8601 UTC times, parsed for a whole block of lines at once.

Each kernel returns its values and an ``ok`` mask. ``ok`` is True only where the text has the
canonical shape *and* passes every check the per-line parser makes, and there the value is
bit for bit what the per-line parser returns: every decimal field is read as an exact integer
``M`` divided by an exact power of ten, which is the correctly rounded value ``float(text)``
gives, and the arithmetic after that repeats the per-line parser's operations in its order.
Where ``ok`` is False the value is meaningless and the caller falls back to the per-line
parser, which also words the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from itertools import repeat
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from core._types import BoolArray, FloatArray, IntArray
from core.contract._checks import MAX_STRING, encodable, scalar

UInt8Array: TypeAlias = npt.NDArray[np.uint8]
Columns: TypeAlias = tuple[
    FloatArray, FloatArray, FloatArray, FloatArray, tuple[str | None, ...], tuple[str, ...],
    FloatArray, FloatArray,
]  # fmt: skip
"""The fields of :class:`core.contract.observations.ObsArrays`, in order."""

_JD_OF_ORDINAL_0 = 1721424.5
_ZERO, _BLANK, _DOT = ord("0"), ord(" "), ord(".")


def _ordinal(year: IntArray, month: IntArray, day: IntArray) -> tuple[IntArray, BoolArray]:
    """``date(year, month, day).toordinal()`` and whether the date exists (Gregorian), for
    four-digit years and two-digit months and days."""
    index = year * 16 + np.minimum(month, 15)
    valid = (day >= 1) & (day <= _MONTH_LENGTH[index])
    return _MONTH_START[index] + (day - 1), valid


def _month_tables() -> tuple[IntArray, IntArray]:
    # ordinal of the 1st and length of every month of years 1-9999, at year * 16 + month;
    # other slots (year 0, month 0 or > 12) have length 0, so no day is valid there
    year, month = np.divmod(np.arange(10000 * 16), 16)
    real = (year >= 1) & (month >= 1) & (month <= 12)
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    start = months.astype("datetime64[D]").astype(np.int64) + date(1970, 1, 1).toordinal()
    following = (months + 1).astype("datetime64[D]").astype(np.int64)
    length = np.where(real, following + date(1970, 1, 1).toordinal() - start, 0)
    return start, length


_MONTH_START, _MONTH_LENGTH = _month_tables()


# --- 80-column lines -------------------------------------------------------------------------

# The canonical optical line, 0-based columns: "YYYY MM DD.dddddd" (15-31),
# "HH MM SS.sss" (32-43), sign (44), "DD MM SS.ss" (45-55); fractions are left-aligned and
# right-padded with blanks. Integer fields and fraction digits are read with one matrix
# product over columns 15-55: blanks count as 0, which appends zeros to a fraction.
_FIRST, _LAST = 15, 56
_DIGIT_COLS = np.array([15, 16, 17, 18, 20, 21, 23, 24, 32, 33, 35, 36, 38, 39, 45, 46, 48, 49,
                        51, 52])  # fmt: skip
_BLANK_COLS = np.array([19, 22, 34, 37, 47, 50])
_DOT_COLS = np.array([25, 40, 53])
_FRACTIONS = ((26, 32), (41, 44), (54, 56))
_FIELDS = (
    # (columns, scale): value = sum(digit * 10**k) / scale
    ((15, 16, 17, 18), 1.0),  # year
    ((20, 21), 1.0),  # month
    ((23, 24, 26, 27, 28, 29, 30, 31), 1e6),  # day with its fraction
    ((32, 33), 1.0),  # RA hours
    ((35, 36), 1.0),  # RA minutes
    ((38, 39, 41, 42, 43), 1e3),  # RA seconds
    ((45, 46), 1.0),  # Dec degrees
    ((48, 49), 1.0),  # Dec minutes
    ((51, 52, 54, 55), 1e2),  # Dec seconds
)
_WEIGHTS = np.zeros((_LAST - _FIRST, len(_FIELDS)))
for _j, (_cols, _) in enumerate(_FIELDS):
    for _k, _col in enumerate(reversed(_cols)):
        _WEIGHTS[_col - _FIRST, _j] = 10.0**_k
_SCALES = np.array([scale for _, scale in _FIELDS])


def obs80_fields(
    block: UInt8Array,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    """``(time_jd, ra_deg, dec_deg, mag, ok)`` of optical lines given as an ``(n, 80)`` block.

    ``ok`` is False for lines of another shape (reduced precision, unpadded fields) as well as
    for invalid ones; only the columns the per-line parser reads are looked at.
    """
    # Column-major, as iso_fields: every check below reduces over a few columns, which costs
    # per line on the row-major block and a few vector operations on its transpose; and byte
    # arithmetic instead of lookup tables (a non-digit wraps around to > 9).
    cols = np.ascontiguousarray(block.T)
    value = cols - np.uint8(_ZERO)
    digit = value <= 9
    ok = digit[_DIGIT_COLS].all(axis=0)
    ok &= (cols[_BLANK_COLS] == _BLANK).all(axis=0) & (cols[_DOT_COLS] == _DOT).all(axis=0)
    for start, stop in _FRACTIONS:
        frac = digit[start:stop]
        ok &= (frac | (cols[start:stop] == _BLANK)).all(axis=0)
        ok &= (frac[1:] <= frac[:-1]).all(axis=0)  # no digit after a blank
    sign = cols[44]
    ok &= (sign == ord("+")) | (sign == ord("-"))
    station = cols[77:80] | 0x20
    ok &= (digit[77:80] | (station >= ord("a")) & (station <= ord("z"))).all(axis=0)

    span = value[_FIRST:_LAST] * digit[_FIRST:_LAST]  # blanks (and any non-digit) count 0
    values = _WEIGHTS.T @ span  # exact small integers: exact in any order
    year, month, ra_h, ra_m, dec_d, dec_m = values[[0, 1, 3, 4, 6, 7]]  # no scaling
    day = values[2] / _SCALES[2]
    ra_s = values[5] / _SCALES[5]
    dec_s = values[8] / _SCALES[8]

    day_int = np.trunc(day)
    ordinal, valid = _ordinal(
        year.astype(np.int64), month.astype(np.int64), day_int.astype(np.int64)
    )
    ok &= valid
    time_jd = (ordinal + _JD_OF_ORDINAL_0) + (day - day_int)

    ok &= (ra_h < 24) & (ra_m < 60.0) & (ra_s < 60.0)
    ra_deg = (ra_h * 3600.0 + ra_m * 60.0 + ra_s) / 3600.0 * 15.0
    ok &= (dec_d < 91) & (dec_m < 60.0) & (dec_s < 60.0)
    dec_deg = (dec_d * 3600.0 + dec_m * 60.0 + dec_s) / 3600.0
    ok &= dec_deg <= 90.0
    dec_deg = np.where(sign == ord("-"), -dec_deg, dec_deg)

    mag, mag_ok = _blank_padded_decimal(cols[65:70], digit[65:70], value[65:70])
    return time_jd, ra_deg, dec_deg, mag, ok & mag_ok


def _blank_padded_decimal(
    cols: UInt8Array, digit: BoolArray, value: UInt8Array
) -> tuple[FloatArray, BoolArray]:
    """Unsigned decimals with optional blanks either side ("15.1 ", " 9.9 ", "17   "); NaN for
    an all-blank field. Column-major: ``cols`` is ``(width, n)``, ``digit`` and ``value``
    (the digit values where ``digit``) the same shape."""
    blank = cols == _BLANK
    dot = cols == _DOT
    width = cols.shape[0]
    ok = (blank | digit | dot).all(axis=0) & (dot.sum(axis=0) <= 1)
    filled = ~blank
    # the non-blank characters must be contiguous: no blank between two of them
    first = np.argmax(filled, axis=0)
    last = width - 1 - np.argmax(filled[::-1], axis=0)
    ok &= filled.sum(axis=0) == np.where(filled.any(axis=0), last - first + 1, 0)
    empty = ~digit.any(axis=0)
    ok &= ~(empty & dot.any(axis=0))  # a lone "." is not a number
    # digits below each digit and below the dot give the integer and the scale
    right: IntArray = np.cumsum(digit[::-1], axis=0)[::-1] - digit
    mantissa = (np.where(digit, value, 0) * 10.0**right).sum(axis=0)
    scale = 10.0 ** np.where(dot.any(axis=0), (right * dot).sum(axis=0), 0)
    return np.where(empty, np.nan, mantissa / scale), ok


# --- blocks ---------------------------------------------------------------------------------

_NO_BAND = {" ": None}
_ADES_KNOWN = frozenset(("obsTime", "ra", "dec", "stn", "mag", "band", "rmsRA", "rmsDec"))
ADES_RANGES = {
    "ra": (0.0, 360.0),
    "dec": (-90.0, 90.0),
    "mag": (-30.0, 40.0),
    "rmsRA": (0.0, 1e6),
    "rmsDec": (0.0, 1e6),
}
"""Valid range (both ends included) of each numeric ADES field: degrees, magnitudes, arcsec."""


def obs80_block(
    lines: Sequence[object],
    line_kind: npt.NDArray[np.int8],
    parse_optical: Callable[[str], tuple[float, float, float, float] | None],
) -> Columns | None:
    """The observation columns of 80-column ``lines``, or None when any line is invalid.

    ``line_kind`` maps a column-15 byte to 1 (optical), 2 (no position of its own: skipped)
    or 0 (unknown); ``parse_optical`` gives time, RA, Dec and magnitude of one line of a shape
    the block kernel does not read, or None if the line is invalid.
    """
    n = len(lines)
    try:
        text = "".join(lines)  # type: ignore[arg-type]
    except TypeError:  # a non-string line
        return None
    if len(text) != n * 80 or not text.isascii() or set(map(len, lines)) != {80}:  # type: ignore[arg-type]
        return None
    block = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(n, 80)
    kind = block[:, 14]
    code = line_kind[kind]
    previous = np.concatenate(([0], kind[:-1]))
    orphan = ((kind == ord("s")) & (previous != ord("S"))) | (
        (kind == ord("v")) & (previous != ord("V"))
    )
    optical = np.flatnonzero(code == 1)
    if not code.all() or orphan.any() or not optical.size:
        return None
    block = block[optical]
    time_jd, ra, dec, mag, ok = obs80_fields(block)
    for k in np.flatnonzero(~ok):  # unusual shape (e.g. reduced precision) or invalid
        fields = parse_optical(lines[optical[k]])
        if fields is None:
            return None
        time_jd[k], ra[k], dec[k], mag[k] = fields
    bands = block[:, 70].tobytes().decode("ascii")
    band = tuple(map(_NO_BAND.get, bands, bands))  # blank -> None
    station = np.ascontiguousarray(block[:, 77:80]).view("S3")[:, 0].astype("U3").tolist()
    nan = np.full(len(optical), np.nan)
    _frozen_all(time_jd, ra, dec, mag, nan)
    return time_jd, ra, dec, mag, band, tuple(station), nan, nan


def ades_block(rows: Sequence[object], time_jd_of: Callable[[str], float | None]) -> Columns | None:
    """The observation columns of ADES ``rows``, or None when any row is invalid.

    ``time_jd_of`` gives the Julian date of an obsTime the block kernel does not read, or
    None if it is invalid.
    """
    if not rows or set(map(type, rows)) != {dict}:
        return None
    dicts: Sequence[dict[Any, Any]] = rows  # type: ignore[assignment]
    present: set[Any] = set().union(*dicts)
    # a field no row holds is a column of None, read without touching the rows
    none: list[Any] = [None] * len(rows)
    columns = {
        key: list(map(dict.get, dicts, repeat(key))) if key in present else none
        for key in _ADES_KNOWN
    }
    for key in present - _ADES_KNOWN:
        if type(key) is not str or not encodable(key):
            return None
        if not all(map(scalar, map(dict.get, dicts, repeat(key)))):
            return None
    ra = float_column(columns["ra"], *ADES_RANGES["ra"], required=True)
    dec = float_column(columns["dec"], *ADES_RANGES["dec"], required=True)
    mag = float_column(columns["mag"], *ADES_RANGES["mag"])
    rms_ra = float_column(columns["rmsRA"], *ADES_RANGES["rmsRA"])
    rms_dec = float_column(columns["rmsDec"], *ADES_RANGES["rmsDec"])
    if ra is None or dec is None or mag is None or rms_ra is None or rms_dec is None:
        return None
    numbers = (ra, dec, mag, rms_ra, rms_dec)
    return ades_columns(columns["obsTime"], numbers, columns["stn"], columns["band"], time_jd_of)


def ades_columns(
    times: list[Any],
    numbers: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray],
    stations: list[Any],
    bands: list[Any],
    time_jd_of: Callable[[str], float | None],
    *,
    typed: bool = False,
) -> Columns | None:
    """The observation columns from the numeric ones (``ra, dec, mag, rmsRA, rmsDec``, already
    typed and range-checked, NaN for absent) and the text ones (checked here), or None when
    any text value is invalid. ``typed``: the caller guarantees the text values' types (times
    and stations strings, bands strings or None), so only their contents are checked."""
    ra, dec, mag, rms_ra, rms_dec = numbers
    if not typed and (
        set(map(type, stations)) != {str} or not set(map(type, bands)) <= {str, type(None)}
    ):
        return None
    for stn in set(stations):
        if not stn.strip() or len(stn) > MAX_STRING or not encodable(stn):
            return None
    for band in set(bands) - {None}:
        if len(band) > MAX_STRING or not encodable(band):
            return None
    time_jd = _ades_times(times, time_jd_of, typed=typed)
    if time_jd is None:
        return None
    _frozen_all(time_jd, ra, dec, mag, rms_ra, rms_dec)
    return time_jd, ra, dec, mag, tuple(bands), tuple(stations), rms_ra, rms_dec


def _ades_times(
    times: list[Any], time_jd_of: Callable[[str], float | None], *, typed: bool
) -> FloatArray | None:
    if (not typed and set(map(type, times)) != {str}) or not "".join(times).isascii():
        return None
    length = np.fromiter(map(len, times), dtype=np.int64, count=len(times))
    block = np.array(times, dtype=f"S{ISO_WIDTH}").view(np.uint8)
    jd, ok = iso_fields(block.reshape(len(times), -1), length)
    for k in np.flatnonzero(~ok):  # another ISO-8601 shape, or invalid
        value = time_jd_of(times[k])
        if value is None:
            return None
        jd[k] = value
    return jd


def _frozen_all(*arrays: FloatArray) -> None:
    for arr in arrays:
        arr.setflags(write=False)


# --- ADES columns ---------------------------------------------------------------------------


def float_column(
    values: list[Any], lo: float, hi: float, *, required: bool = False
) -> FloatArray | None:
    """``values`` (numbers, or None for absent when not ``required``) as a float64 array with
    NaN for None, or None where any value is of another type, NaN or out of ``[lo, hi]``."""
    if values[0] is None and values.count(None) == len(values):  # an absent optional field
        return None if required else np.full(len(values), np.nan)
    kinds = set(map(type, values))
    if not kinds <= ({float, int} if required else {float, int, type(None)}):
        return None
    if int in kinds:
        try:
            values = [v if v is None else float(v) for v in values]
        except OverflowError:
            return None
    arr = np.array(values, dtype=np.float64)  # None -> NaN
    inside = (arr >= lo) & (arr <= hi)
    missing = np.isnan(arr)
    # a NaN that was given (not None) is an error, as is any value out of range
    if not (inside | missing).all() or missing.sum() != values.count(None):
        return None
    return arr


# --- ISO-8601 times --------------------------------------------------------------------------

ISO_WIDTH = 26
"""Longest canonical time: "YYYY-MM-DDTHH:MM:SS.ffffffZ"."""
# the fixed head "YYYY-MM-DDTHH:MM:SS", checked as a byte range per column (digits 0-9,
# separators exactly)
_ISO_HEAD = np.frombuffer(b"0000-00-00T00:00:00", dtype=np.uint8)
_ISO_LO = _ISO_HEAD.copy()[:, None]
_ISO_HI = np.where(_ISO_HEAD == _ZERO, _ZERO + 9, _ISO_HEAD).astype(np.uint8)[:, None]
_ISO_WEIGHTS = np.zeros((ISO_WIDTH, 7))
for _j, _cols in enumerate(((0, 1, 2, 3), (5, 6), (8, 9), (11, 12), (14, 15), (17, 18),
                            (20, 21, 22, 23, 24, 25))):  # fmt: skip
    for _k, _col in enumerate(reversed(_cols)):
        _ISO_WEIGHTS[_col, _j] = 10.0**_k


def iso_fields(block: UInt8Array, length: IntArray) -> tuple[FloatArray, BoolArray]:
    """Julian dates of "YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z" times given NUL-padded as an
    ``(n, ISO_WIDTH)`` block with their lengths, and where the text has that shape and is a
    valid time, as ``datetime.fromisoformat`` reads it."""
    # column-major: a reduction over the short axis of a row-major block pays per row, over
    # the columns it is a few vector operations; and byte arithmetic, not a lookup table: a
    # non-digit wraps around to > 9
    cols = np.ascontiguousarray(block.T)
    head = cols[:19]
    ok = ((head >= _ISO_LO) & (head <= _ISO_HI)).all(axis=0)
    digit = cols - np.uint8(_ZERO)
    is_digit = digit <= 9
    # then "Z", or "." with 1-6 digits and "Z"; past the "Z" the block holds NULs, so the
    # digits counted after column 19 all lie before the "Z" exactly when there are L - 21
    ok &= (length == 20) | ((length >= 22) & (length <= ISO_WIDTH) & (cols[19] == _DOT))
    ok &= is_digit[20:].sum(axis=0) == np.maximum(length - 21, 0)
    ok &= block[np.arange(len(block)), np.clip(length - 1, 0, ISO_WIDTH - 1)] == ord("Z")
    digit *= is_digit  # a non-digit counts 0
    # exact small integers, so the float matrix product is exact
    fields = (_ISO_WEIGHTS.T @ digit).astype(np.int64)
    year, month, day, hour, minute, second, micro = fields
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    ordinal, valid = _ordinal(year, month, day)
    secs = (hour * 3600 + minute * 60 + second) + micro * 1e-6
    return (ordinal + _JD_OF_ORDINAL_0) + secs / 86400.0, ok & valid
