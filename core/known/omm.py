"""Orbit Mean-elements Messages (CCSDS 502.0-B-3) as CelesTrak and Space-Track publish them.

Three encodings, one record per object, with the CCSDS keyword names (``OBJECT_NAME``,
``OBJECT_ID``, ``EPOCH``, ``MEAN_MOTION``, ``ECCENTRICITY``, ``INCLINATION``,
``RA_OF_ASC_NODE``, ``ARG_OF_PERICENTER``, ``MEAN_ANOMALY``, ``EPHEMERIS_TYPE``,
``CLASSIFICATION_TYPE``, ``NORAD_CAT_ID``, ``ELEMENT_SET_NO``, ``REV_AT_EPOCH``, ``BSTAR``,
``MEAN_MOTION_DOT``, ``MEAN_MOTION_DDOT``): XML (``<ndm><omm>...<segment>``), JSON (an array of
flat objects, CelesTrak's ``FORMAT=json``) and CSV (a header row, CelesTrak's ``FORMAT=csv``).
Each record initialises SGP4 through :func:`sgp4.omm.initialize` (the package's own OMM
reader); a missing keyword or a value SGP4 refuses is a :class:`CatalogueError` naming the
file and the record's line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from typing import Any, Literal

# defusedxml ships no type hints (types-defusedxml is not a dependency)
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError, parse  # type: ignore[import-untyped]
from sgp4 import omm
from sgp4.api import SGP4_ERRORS, Satrec

from core.known.elementset import ElementSet
from core.known.errors import CatalogueError

__all__ = ["OmmEncoding", "read_omm"]

OmmEncoding = Literal["xml", "json", "csv"]


def _element_set(fields: Mapping[str, Any], path: str, line: int | None) -> ElementSet:
    text = {k: str(v) for k, v in fields.items() if v is not None}
    sat = Satrec()
    try:
        omm.initialize(sat, text)
    except KeyError as exc:
        raise CatalogueError(path, line, f"OMM record without {exc.args[0]}") from None
    except ValueError as exc:
        raise CatalogueError(path, line, f"unreadable OMM value: {exc}") from None
    if sat.error:
        reason = SGP4_ERRORS.get(sat.error, f"SGP4 error {sat.error}")
        raise CatalogueError(path, line, f"SGP4 cannot start this element set: {reason}")
    norad = int(text["NORAD_CAT_ID"])
    object_id = text.get("OBJECT_ID", "").strip()
    return ElementSet(
        name=text.get("OBJECT_NAME", "").strip() or f"NORAD {norad}",
        norad_id=norad,
        cospar_id=object_id or None,
        epoch_jd_utc=float(sat.jdsatepoch) + float(sat.jdsatepochF),
        satrec=sat,
        source=f"{path}:{line}" if line is not None else path,
    )


def _xml(path: str) -> Iterator[tuple[dict[str, str], int | None]]:
    """The segments of an NDM/OMM XML file (as :func:`sgp4.omm.parse_xml` reads them, through
    defusedxml: no entity expansion, no external references)."""
    try:
        root = parse(path).getroot()
    except ParseError as exc:
        raise CatalogueError(path, exc.position[0], f"not well-formed XML: {exc}") from None
    except DefusedXmlException as exc:
        raise CatalogueError(path, None, f"refused XML: {exc}") from None
    segments = root.findall(".//segment")
    if not segments:
        raise CatalogueError(path, None, "no OMM <segment> in the XML")
    for segment in segments:
        fields: dict[str, str] = {}
        for part in ("metadata", "data/meanElements", "data/tleParameters"):
            element = segment.find(part)
            if element is not None:
                fields.update((child.tag, child.text or "") for child in element)
        yield fields, None


def _json(path: str) -> Iterator[tuple[dict[str, Any], int | None]]:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(path, exc.lineno, f"not JSON: {exc.msg}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise CatalogueError(path, None, "an OMM JSON file holds an array of objects")
    for k, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise CatalogueError(path, None, f"OMM record {k + 1} is not a JSON object")
        yield rec, None


def _csv(path: str) -> Iterator[tuple[dict[str, str], int | None]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise CatalogueError(path, reader.line_num, "CSV row does not match the header")
            yield row, reader.line_num


def read_omm(path: str, encoding: OmmEncoding) -> list[ElementSet]:
    """Every element set of an OMM file.

    Raises
    ------
    CatalogueError
        The file cannot be read or parsed, or one record cannot initialise SGP4.
    """
    readers = {"xml": _xml, "json": _json, "csv": _csv}
    out = []
    try:
        for k, (fields, line) in enumerate(readers[encoding](path), start=1):
            where = line if line is not None else None
            try:
                out.append(_element_set(fields, path, where))
            except CatalogueError as exc:
                if where is None:  # XML and JSON: name the record by its number
                    raise CatalogueError(path, None, f"record {k}: {exc.reason}") from None
                raise
    except OSError as exc:
        raise CatalogueError(path, None, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CatalogueError(path, None, f"not UTF-8 text: {exc.reason}") from None
    if not out:
        raise CatalogueError(path, None, "no OMM records")
    return out
