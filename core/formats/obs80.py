"""MPC 80-column optical observations → one neo.v1 record per object.

Lines are grouped by the object's canonical designation (see :mod:`core.contract.designations`),
read from the packed designation in columns 1-12: a packed number (cols 1-5) wins over the
provisional designation (cols 6-12), so ``"99942       "`` and ``"99942K04M04N"`` are one
object. A provisional field that is not a packed designation (a temporary/NEOCP id) is used
as is. Comet lines (orbit type in column 5) unpack to ``"1P"`` / ``"C/1995 O1"``.

The lines are passed through unchanged (satellite/roving second lines, radar lines and all):
deciding which lines carry usable astrometry is the validator's job
(:func:`core.contract.observations.parse_obs80_line`), so conversion stays lossless. Here a line
only has to be 80 columns with a designation, a date and a station code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from core.contract.designations import unpack_designation, unpack_number
from core.errors import FormatError

__all__ = ["line_designation", "parse", "parse_lines"]

_DATE = re.compile(r"\d{4} \d\d \d\d\.\d*")
_COMET_TYPES = "PCDXIA"


def line_designation(line: str) -> str:
    """Canonical designation of one 80-column line (columns 1-12).

    Raises
    ------
    ValueError
        If columns 1-12 are blank or hold an invalid packed number.
    """
    number, prov = line[0:5], line[5:12].strip()
    if number[4] in _COMET_TYPES and (number[:4].isdigit() or not number[:4].strip()):
        if number[:4].strip():
            return f"{int(number[:4])}{number[4]}"
        try:
            return unpack_designation(number[4] + prov)
        except ValueError:
            return prov  # a temporary designation of an unconfirmed comet
    if number.strip():
        return str(unpack_number(number.strip().rjust(5, "0")))
    if not prov:
        raise ValueError("columns 1-12 hold no designation")
    try:
        return unpack_designation(prov)
    except ValueError:
        return prov  # temporary (NEOCP / survey) designation, kept verbatim


def parse_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Group 80-column lines into neo.v1 record dicts, in order of first appearance.

    Blank lines are skipped.

    Raises
    ------
    FormatError
        With the 1-based line number, for a line that is not 80 columns, has no
        designation, no date in columns 16-32 or no station code in columns 78-80.
    """
    groups: dict[str, list[str]] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if len(line) != 80:
            raise FormatError(f"80-column line expected, got {len(line)} columns", line=lineno)
        if not _DATE.fullmatch(line[15:32].rstrip()):
            raise FormatError(f"no date in columns 16-32: {line[15:32]!r}", line=lineno)
        if not line[77:80].strip():
            raise FormatError("no station code in columns 78-80", line=lineno)
        try:
            key = line_designation(line)
        except ValueError as exc:
            raise FormatError(str(exc), line=lineno) from None
        groups.setdefault(key, []).append(line)
    for designation, obs in groups.items():
        yield {
            "designation": designation,
            "observations": {"obs80": obs},
            "meta": {"source": "obs80"},
        }


def parse(stream: TextIO) -> Iterator[dict[str, Any]]:
    """Parse an open 80-column observation file; see :func:`parse_lines`."""
    return parse_lines(stream)
