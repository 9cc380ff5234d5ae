"""CNEOS close-approach table CSV exports → neo.v1 records with ``close_approaches``.

The CNEOS web table (https://cneos.jpl.nasa.gov/ca/) exports one row per approach::

    "Object","Close-Approach (CA) Date","CA Distance Nominal (LD | au)",
    "CA Distance Minimum (LD | au)","V relative (km/s)","V infinity (km/s)","H (mag)",
    "Estimated Diameter",""
    "(2019 QE1)","2019-Sep-05 21:39 ±    00:04","13.11 | 0.03368",...,"bK19Q01E"

Rows are grouped per object (canonical designation of ``Object``); each approach becomes
``{"time", "dist_au", "v_rel_kms", "v_inf_kms", "body": "Earth"}`` with the time as
ISO-8601 to the minute (the table's precision; its ± uncertainty is dropped) and the
nominal distance in au. ``H (mag)`` becomes ``physical.H``; the "Estimated Diameter" range
is derived from H by CNEOS, not measured, so it is not used.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any, TextIO

from core.contract.designations import canonical_designation, unpack_designation
from core.errors import FormatError
from core.formats._common import check_width, optional_float, required_float

__all__ = ["parse", "parse_cad_time"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIME = re.compile(r"(\d{4})-([A-Z][a-z]{2})-(\d\d) (\d\d):(\d\d)")
_COLUMNS = {
    "object": "Object",
    "time": "Close-Approach (CA) Date",
    "dist": "CA Distance Nominal (LD | au)",
    "v_rel": "V relative (km/s)",
    "v_inf": "V infinity (km/s)",
    "H": "H (mag)",
}


def parse_cad_time(text: str) -> str:
    """``"2019-Sep-05 21:39 ±    00:04"`` → ``"2019-09-05T21:39:00Z"``.

    Raises
    ------
    ValueError
        If the text does not start with a CNEOS date.
    """
    m = _TIME.match(" ".join(text.split()))
    if not m or m.group(2) not in _MONTHS:
        raise ValueError(f"not a CNEOS date: {text!r}")
    year, month, day, hour, minute = m.groups()
    return f"{year}-{_MONTHS.index(month) + 1:02d}-{day}T{hour}:{minute}:00Z"


def _designation(label: str, packed_id: str, lineno: int) -> str:
    try:
        return canonical_designation(label)
    except ValueError:
        pass
    # The last, unnamed column is JPL's id: "a" + 7-digit number or "b" + packed provisional.
    kind, body = packed_id.strip()[:1], packed_id.strip()[1:]
    try:
        if kind == "a" and body.isdigit():
            return str(int(body))
        if kind == "b":
            return unpack_designation(body)
    except ValueError:
        pass
    raise FormatError(f"no designation in {label!r}", line=lineno)


def _distance_au(text: str, lineno: int) -> float:
    parts = text.split("|")
    if len(parts) != 2:
        raise FormatError(f"distance: expected 'LD | au', got {text!r}", line=lineno)
    return required_float(parts[1], line=lineno, field="distance (au)")


def parse(stream: TextIO) -> Iterator[dict[str, Any]]:
    """Parse an open CNEOS close-approach CSV into record dicts, one per object.

    Objects come in order of first appearance, their approaches in file order.

    Raises
    ------
    FormatError
        With the 1-based line number, for a missing column, a bad date or distance, or a
        non-numeric speed or H.
    """
    reader = csv.reader(stream)
    header = [h.strip() for h in next(reader, [])]
    missing = [name for name in _COLUMNS.values() if name not in header]
    if missing:
        raise FormatError(f"not a CNEOS close-approach table: no {missing[0]!r}", line=1)
    col = {key: header.index(name) for key, name in _COLUMNS.items()}
    groups: dict[str, dict[str, Any]] = {}
    for values in reader:
        lineno = reader.line_num
        if not any(v.strip() for v in values):
            continue
        check_width(values, header, lineno)
        designation = _designation(values[col["object"]], values[-1], lineno)
        try:
            time = parse_cad_time(values[col["time"]])
        except ValueError as exc:
            raise FormatError(str(exc), line=lineno) from None
        approach: dict[str, Any] = {
            "time": time,
            "dist_au": _distance_au(values[col["dist"]], lineno),
        }
        for key, field in (("v_rel", "v_rel_kms"), ("v_inf", "v_inf_kms")):
            speed = optional_float(values[col[key]], line=lineno, field=_COLUMNS[key])
            if speed is not None:
                approach[field] = speed
        approach["body"] = "Earth"
        record = groups.setdefault(
            designation,
            {"designation": designation, "close_approaches": [], "meta": {"source": "cad"}},
        )
        record["close_approaches"].append(approach)
        h = optional_float(values[col["H"]], line=lineno, field="H (mag)")
        if h is not None:
            record.setdefault("physical", {"H": h})
    for record in groups.values():
        # Keep the neo.v1 key order readable: designation, physical, close_approaches, meta.
        yield {
            k: record[k]
            for k in ("designation", "physical", "close_approaches", "meta")
            if k in record
        }
