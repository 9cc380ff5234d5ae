"""ADES PSV, CSV and XML optical observations → one neo.v1 record per object.

PSV (pipe-separated, padded) and CSV share the ADES field names; ``#`` and ``!`` lines are
headers/comments. A file whose first non-blank line starts with ``<`` is ADES XML, read by
:mod:`core.formats.ades_xml` (entities and external references refused). Rows are grouped by
object: a number in ``permID`` or ``provID`` wins (some real exports put the number in
``provID``), then the provisional designation
(``provID``, ``permID``, then layup's non-standard ``actualProvID``), then ``trkSub`` for
unconfirmed tracklets. Each row keeps the neo.v1 ADES keys only:
``obsTime``, ``ra``, ``dec`` (degrees), ``stn``, and when present ``mag``, ``band``,
``rmsRA``, ``rmsDec`` (arcsec).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any, TextIO

from core.contract.designations import canonical_designation
from core.errors import FormatError
from core.formats._common import check_width, optional_float, required_float
from core.formats.ades_xml import optical_rows

__all__ = ["parse"]

_REQUIRED = ("obsTime", "ra", "dec", "stn")
_ID_FIELDS = ("permID", "provID", "trkSub")
# layup's test export carries the provisional designation in this non-ADES column when
# provID is empty.
_EXTRA_PROV = "actualProvID"


def _object_key(ids: dict[str, str]) -> str | None:
    perm, prov, trk = (ids.get(k, "").strip() for k in _ID_FIELDS)
    for value in (perm, prov):
        if value.isdigit():
            return str(int(value))
    for value in (prov, perm, ids.get(_EXTRA_PROV, "").strip()):
        if value:
            try:
                return canonical_designation(value)
            except ValueError:
                return value
    return trk or None


def _row(fields: dict[str, str], lineno: int, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    row: dict[str, Any] = {"obsTime": fields["obsTime"].strip()}
    if not row["obsTime"]:
        raise FormatError("obsTime: missing", line=lineno)
    row["ra"] = required_float(fields["ra"], line=lineno, field="ra")
    row["dec"] = required_float(fields["dec"], line=lineno, field="dec")
    row["stn"] = fields["stn"].strip()
    if not row["stn"]:
        raise FormatError("stn: missing", line=lineno)
    for key in ("mag", "rmsRA", "rmsDec"):
        value = optional_float(fields.get(key, ""), line=lineno, field=key)
        if value is not None:
            row[key] = value
    band = fields.get("band", "").strip()
    if band:
        row["band"] = band
    for key in keep:  # extra ADES fields a caller asked for (text, as in the file)
        text = fields.get(key, "").strip()
        if text:
            row[key] = text
    return row


def parse(stream: TextIO, keep: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Parse an open ADES PSV, CSV or XML file into neo.v1 record dicts (first-appearance order).

    ``keep`` names further ADES fields to carry through as text when present (the orbit fit
    asks for ``sys, ctr, pos1, pos2, pos3, mode``).

    Raises
    ------
    FormatError
        With the 1-based line number, for a missing header column or required field, a row of
        the wrong width, a missing or non-numeric required value, a row without any object
        identifier, or XML that is malformed or declares entities.
    """
    head: list[str] = []
    for raw in stream:
        head.append(raw)
        if raw.strip():
            break
    lines = chain(head, stream)
    xml = bool(head) and head[-1].lstrip().startswith("<")
    groups: dict[str, list[dict[str, Any]]] = {}
    for lineno, fields in optical_rows(lines) if xml else _table_rows(lines):
        missing = [k for k in _REQUIRED if k not in fields]
        if missing:
            raise FormatError(f"observation lacks {', '.join(missing)}", line=lineno)
        key = _object_key(fields)
        if key is None:
            raise FormatError("observation has no permID, provID or trkSub", line=lineno)
        groups.setdefault(key, []).append(_row(fields, lineno, keep))
    for designation, rows in groups.items():
        yield {
            "designation": designation,
            "observations": {"ades": rows},
            "meta": {"source": "ades"},
        }


def _table_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, fields)`` of each data row of a PSV or CSV file, after its header row."""
    header: list[str] | None = None
    delimiter = ","
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith(("#", "!")):
            continue
        if header is None:
            delimiter = "|" if "|" in line else ","
            header = [h.strip() for h in next(csv.reader([line], delimiter=delimiter))]
            missing = [k for k in _REQUIRED if k not in header]
            if missing:
                raise FormatError(f"ADES header lacks {', '.join(missing)}", line=lineno)
            if not any(k in header for k in _ID_FIELDS):
                raise FormatError("ADES header has no permID, provID or trkSub", line=lineno)
            continue
        values = next(csv.reader([line], delimiter=delimiter))
        check_width(values, header, lineno)
        yield lineno, dict(zip(header, values, strict=True))
    if header is None:
        raise FormatError("no ADES header line found")
