"""Helpers shared by the format parsers: text opening, number fields, record assembly."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from core.errors import FormatError

__all__ = ["check_width", "compact", "open_text", "optional_float", "required_float"]


@contextmanager
def open_text(path: str | Path) -> Iterator[TextIO]:
    """Open ``path`` as UTF-8 text, transparently gunzipping ``*.gz`` files.

    ``newline=""`` keeps embedded line breaks intact for the csv module; the fixed-width
    parsers strip ``\\r\\n`` themselves.
    """
    p = Path(path)
    try:
        if p.suffix == ".gz":
            with gzip.open(p, "rt", encoding="utf-8", newline="") as fh:
                yield fh
        else:
            with p.open(encoding="utf-8", newline="") as fh:
                yield fh
    except UnicodeDecodeError as exc:
        raise FormatError(f"{p.name}: not UTF-8 text ({exc.reason})") from exc


def optional_float(text: str, *, line: int, field: str) -> float | None:
    """Parse a numeric field; blank, ``NaN`` or ``n/a`` (CNEOS's blanks) mean missing.

    Raises
    ------
    FormatError
        If the text is neither blank nor a finite number.
    """
    text = text.strip()
    if not text or text.lower() in ("nan", "n/a"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise FormatError(f"{field}: not a number: {text!r}", line=line) from None
    if not math.isfinite(value):
        raise FormatError(f"{field}: not finite: {text!r}", line=line)
    return value


def required_float(text: str, *, line: int, field: str) -> float:
    """Parse a numeric field that must be present.

    Raises
    ------
    FormatError
        If the text is blank or not a finite number.
    """
    value = optional_float(text, line=line, field=field)
    if value is None:
        raise FormatError(f"{field}: missing", line=line)
    return value


def compact(block: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``None`` entries of a neo.v1 block: missing values are omitted, never 0."""
    return {k: v for k, v in block.items() if v is not None}


def check_width(values: list[str], header: list[str], lineno: int) -> None:
    """Raise `FormatError` when a delimited row and its header differ in field count."""
    if len(values) != len(header):
        raise FormatError(f"{len(values)} fields where the header has {len(header)}", line=lineno)
