"""ADES XML: the ``optical`` observations of an ``<ades>`` document, as field → text rows.

ADES XML is the form the MPC accepts and returns: ``<ades version="2022">`` holding either
``<optical>`` elements directly or ``<obsBlock><obsContext/><obsData><optical/>...``. Each
``optical`` element's child elements are the same fields as the PSV columns (``permID``,
``provID``, ``trkSub``, ``obsTime``, ``ra``, ``dec``, ``stn``, ``mag``, ...). Other observation
kinds (``radar``, ``offset``, ``occultation``) and the ``obsContext`` are skipped. Namespaces
are ignored (tags are matched by local name).

The document is parsed with :mod:`defusedxml`: entity declarations (the "billion laughs"
expansion) and external entities or DTDs fetched from elsewhere (XXE) are refused with a
:class:`~core.errors.FormatError`, never expanded. The file is fed to the parser in chunks,
so only the collected rows are held in memory, not the element tree.

Reference: the ADES description, IAU Minor Planet Center, https://minorplanetcenter.net/iau/info/ADES.html
(``general.xsd`` names the elements).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from xml.etree.ElementTree import ParseError

# defusedxml ships no type hints (types-defusedxml is not a dependency)
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import DefusedXMLParser  # type: ignore[import-untyped]

from core.errors import FormatError

__all__ = ["optical_rows"]

_ROOT = "ades"
_OBSERVATION = "optical"


def _local(tag: str) -> str:
    """``{namespace}name`` → ``name``."""
    return tag.rpartition("}")[2]


class _Collector:
    """Parser target keeping each ``optical`` element's direct children as field → text."""

    def __init__(self) -> None:
        self.parser: DefusedXMLParser | None = None
        self.rows: list[tuple[int, dict[str, str]]] = []
        self.root: str | None = None
        self._depth = 0
        self._optical_depth: int | None = None
        self._line = 0
        self._fields: dict[str, str] = {}
        self._field: str | None = None
        self._text: list[str] = []

    def _current_line(self) -> int:
        assert self.parser is not None
        return int(self.parser.parser.CurrentLineNumber)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        name = _local(tag)
        if self.root is None:
            self.root = name
            if name != _ROOT:
                raise FormatError(
                    f"an XML document whose root is <{name}>, not an ADES <ades> document",
                    line=self._current_line(),
                )
        if self._optical_depth is None:
            if name == _OBSERVATION:
                self._optical_depth = self._depth
                self._line = self._current_line()
                self._fields = {}
        elif self._depth == self._optical_depth + 1:
            self._field = name
            self._text = []

    def data(self, text: str) -> None:
        if self._field is not None:
            self._text.append(text)

    def end(self, tag: str) -> None:
        if self._optical_depth is not None:
            if self._depth == self._optical_depth:
                self.rows.append((self._line, self._fields))
                self._optical_depth = None
            elif self._depth == self._optical_depth + 1 and self._field is not None:
                self._fields[self._field] = "".join(self._text).strip()
                self._field = None
        self._depth -= 1

    def close(self) -> None:
        return None


def optical_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, fields)`` for every ``optical`` element of an ADES XML document.

    Parameters
    ----------
    lines : Iterable[str]
        The document's text, in any chunks (an open text file).

    Raises
    ------
    FormatError
        With the 1-based line, for malformed XML, a root other than ``<ades>``, an entity
        declaration or an external reference (refused, never expanded), or a document
        without any ``optical`` observation.
    """
    collector = _Collector()
    parser = DefusedXMLParser(target=collector)
    collector.parser = parser
    seen = 0
    try:
        for chunk in lines:
            parser.feed(chunk)
            yield from collector.rows
            seen += len(collector.rows)
            collector.rows.clear()
        parser.close()
    except DefusedXmlException as exc:
        line = int(parser.parser.CurrentLineNumber)
        raise FormatError(
            f"XML refused, entities and DTDs are not read ({exc})", line=line
        ) from None
    except ParseError as exc:
        raise FormatError(f"not well-formed XML: {exc.msg}", line=exc.position[0]) from None
    yield from collector.rows
    seen += len(collector.rows)
    if not seen:
        raise FormatError("no <optical> observation in the ADES XML document")
