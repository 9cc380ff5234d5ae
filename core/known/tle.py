"""Two-line element sets (TLE, and the three-line form with a name line) read strictly.

Format: Space-Track's "Basic description of the two line element set format" and CelesTrak's
"NORAD Two-Line Element Set Format" (T.S. Kelso): 69 columns per line, line numbers in column 1,
the catalogue number in columns 3-7 of both lines (Alpha-5 allowed), fixed blanks between the
fields, and a modulo-10 checksum in column 69 (digits count their value, a minus sign 1,
everything else 0). A line that breaks any of these is refused with its file and line: a TLE
with one wrong digit is a different orbit, so nothing is guessed. Text after column 69 (the
start/stop times of the sgp4 package's ``SGP4-VER.TLE``) is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sgp4.api import SGP4_ERRORS, WGS72, Satrec

from core.known.elementset import ElementSet, cospar_from_tle
from core.known.errors import CatalogueError

__all__ = ["checksum", "parse_tle_lines", "read_tle"]

_BLANKS_1 = (1, 8, 17, 32, 43, 52, 61, 63)
_BLANKS_2 = (1, 7, 16, 25, 33, 42, 51)


def checksum(line: str) -> int:
    """The TLE checksum of columns 1-68 of ``line``."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def _check_line(text: str, number: str, path: str, lineno: int) -> str:
    line = text.rstrip("\r\n")
    if len(line) < 69:
        raise CatalogueError(path, lineno, f"TLE line {number} has {len(line)} columns, not 69")
    line = line[:69]
    blanks = _BLANKS_1 if number == "1" else _BLANKS_2
    for col in blanks:
        if line[col] != " ":
            raise CatalogueError(
                path,
                lineno,
                f"TLE line {number}: column {col + 1} must be blank, got {line[col]!r}",
            )
    if not line[68].isdigit():
        raise CatalogueError(path, lineno, f"TLE line {number}: column 69 is not a checksum digit")
    expected = checksum(line)
    if int(line[68]) != expected:
        raise CatalogueError(
            path,
            lineno,
            f"TLE line {number}: checksum {line[68]} but the columns tally to {expected}",
        )
    return line


def _element_set(name: str, l1: str, l2: str, path: str, lineno: int) -> ElementSet:
    if l1[2:7] != l2[2:7]:
        raise CatalogueError(
            path, lineno + 1, f"catalogue numbers differ: {l1[2:7]!r} and {l2[2:7]!r}"
        )
    try:
        sat = Satrec.twoline2rv(l1, l2, WGS72)
    except (ValueError, IndexError) as exc:
        raise CatalogueError(path, lineno, f"unreadable TLE: {exc}") from None
    if sat.error:
        reason = SGP4_ERRORS.get(sat.error, f"SGP4 error {sat.error}")
        raise CatalogueError(path, lineno, f"SGP4 cannot start this element set: {reason}")
    norad = int(sat.satnum)
    return ElementSet(
        name=name or f"NORAD {norad}",
        norad_id=norad,
        cospar_id=cospar_from_tle(l1[9:17]),
        epoch_jd_utc=float(sat.jdsatepoch) + float(sat.jdsatepochF),
        satrec=sat,
        source=f"{path}:{lineno}",
    )


def parse_tle_lines(lines: Iterable[str], path: str = "<tle>") -> Iterator[ElementSet]:
    """The element sets of TLE text, two- or three-line, in file order.

    Blank lines and lines starting with ``#`` are skipped; a line before a ``1`` line that is
    neither is the object's name (a leading ``0 `` is dropped, as in CelesTrak's 3LE files).

    Raises
    ------
    CatalogueError
        A line breaks the format (checksum, columns, a line 1 without its line 2), or SGP4
        cannot initialise the element set.
    """
    name = ""
    pending: tuple[str, int] | None = None
    for lineno, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        if not text.strip() or text.startswith("#"):
            if pending is not None:
                raise CatalogueError(path, pending[1], "TLE line 1 without its line 2")
            continue
        if pending is not None:
            if not text.startswith("2 "):
                raise CatalogueError(path, lineno, "expected TLE line 2 after line 1")
            l2 = _check_line(text, "2", path, lineno)
            yield _element_set(name, pending[0], l2, path, pending[1])
            pending, name = None, ""
        elif text.startswith("1 "):
            pending = (_check_line(text, "1", path, lineno), lineno)
        elif text.startswith("2 "):
            raise CatalogueError(path, lineno, "TLE line 2 without its line 1")
        else:
            name = text[2:].strip() if text.startswith("0 ") else text.strip()
    if pending is not None:
        raise CatalogueError(path, pending[1], "TLE line 1 without its line 2 (file ends)")


def read_tle(path: str) -> list[ElementSet]:
    """Every element set of a TLE file (see :func:`parse_tle_lines`)."""
    try:
        with open(path, encoding="ascii", errors="strict") as fh:
            return list(parse_tle_lines(fh, path))
    except UnicodeDecodeError as exc:
        raise CatalogueError(path, None, f"not ASCII text: {exc.reason}") from None
    except OSError as exc:
        raise CatalogueError(path, None, f"cannot read: {exc.strerror or exc}") from None
