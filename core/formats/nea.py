"""MPC orbit files in the MPCORB one-line format (``NEA.txt``, ``MPCORB.DAT`` bodies).

Column layout (1-based, inclusive) from the MPC's "Export Format for Minor-Planet Orbits":

====== =========================================== ==========================
cols   field                                       neo.v1
====== =========================================== ==========================
1-7    packed designation                          ``designation`` (unpacked)
9-13   absolute magnitude H (may be blank)         ``physical.H``
21-25  epoch, packed date (TT)                     ``orbit.epoch_jd``
27-35  mean anomaly (deg)                          ``orbit.M_deg``
38-46  argument of perihelion, J2000 (deg)         ``orbit.peri_deg``
49-57  longitude of ascending node, J2000 (deg)    ``orbit.node_deg``
60-68  inclination to the ecliptic, J2000 (deg)    ``orbit.i_deg``
71-79  eccentricity                                ``orbit.e``
93-103 semimajor axis (au)                         ``orbit.a_au``
106    uncertainty parameter U (0-9, or letter)    ``orbit.condition_code``
====== =========================================== ==========================

U is the same 0-9 scale JPL calls ``condition_code``; letters (E = assumed eccentricity,
D/F = double/incomplete designation) carry no code and are omitted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TextIO

from core.contract.designations import unpack_designation
from core.errors import FormatError
from core.formats._common import compact, optional_float, required_float

__all__ = ["packed_date_to_jd", "parse"]

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
_CENTURY = {"I": 1800, "J": 1900, "K": 2000}
_PACKED_DATE = re.compile(r"[IJK]\d\d[1-9ABC][1-9A-V]")
_MIN_WIDTH = 103  # the semimajor axis ends in column 103


def _gregorian_to_jd(year: int, month: int, day: float) -> float:
    """Julian date at ``day`` (fractional, 0h = .0) of a Gregorian calendar month."""
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    jdn = day // 1 + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045
    return jdn - 0.5 + (day % 1)


def packed_date_to_jd(packed: str) -> float:
    """Julian date (TT, 0h) of an MPC packed date: ``"K1972"`` → 2458666.5 (2019-07-02.0).

    Raises
    ------
    ValueError
        If ``packed`` is not a packed date.
    """
    if not _PACKED_DATE.fullmatch(packed):
        raise ValueError(f"not a packed date: {packed!r}")
    year = _CENTURY[packed[0]] + int(packed[1:3])
    return _gregorian_to_jd(year, _B62.index(packed[3]), float(_B62.index(packed[4])))


def _parse_line(line: str, lineno: int) -> dict[str, Any]:
    if "\t" in line:
        raise FormatError(
            "tab-separated columns: this format is not supported (MPCORB lines have fixed "
            "columns, as in the MPC's NEA.txt)",
            line=lineno,
        )
    if len(line) < _MIN_WIDTH:
        raise FormatError(f"MPCORB line too short ({len(line)} columns)", line=lineno)
    try:
        designation = unpack_designation(line[0:7])
    except ValueError as exc:
        raise FormatError(str(exc), line=lineno) from None
    try:
        epoch_jd = packed_date_to_jd(line[20:25])
    except ValueError as exc:
        raise FormatError(f"epoch: {exc}", line=lineno) from None
    orbit = {
        "a_au": required_float(line[92:103], line=lineno, field="a"),
        "e": required_float(line[70:79], line=lineno, field="e"),
        "i_deg": required_float(line[59:68], line=lineno, field="incl"),
        "node_deg": required_float(line[48:57], line=lineno, field="node"),
        "peri_deg": required_float(line[37:46], line=lineno, field="peri"),
        "M_deg": required_float(line[26:35], line=lineno, field="M"),
        "epoch_jd": epoch_jd,
    }
    u = line[105:106]
    if u.isdigit():
        orbit["condition_code"] = int(u)
    record: dict[str, Any] = {"designation": designation, "orbit": orbit}
    h = optional_float(line[8:13], line=lineno, field="H")
    if h is not None:
        record["physical"] = compact({"H": h})
    record["meta"] = {"source": "nea"}
    return record


def parse(stream: TextIO) -> Iterator[dict[str, Any]]:
    """Parse an open MPCORB-format file into one orbit record dict per line.

    Blank lines are skipped; a designation seen twice keeps both lines (they are two
    records, as in the file).

    Raises
    ------
    FormatError
        With the 1-based line number, for a short line, an unknown packed designation or
        epoch, or a missing/non-numeric element.
    """
    for lineno, raw in enumerate(stream, start=1):
        line = raw.rstrip("\r\n")
        if line.strip():
            yield _parse_line(line, lineno)
