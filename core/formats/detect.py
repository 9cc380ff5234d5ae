"""Guess the format of an input file from its first lines (never from its name alone)."""

from __future__ import annotations

import re
from itertools import islice
from pathlib import Path

from core.errors import FormatError
from core.formats._common import open_text
from core.formats.parsers import FORMATS

__all__ = ["detect_format"]

_OBS80_DATE = re.compile(r"\d{4} \d\d \d\d\.\d")
_PACKED_EPOCH = re.compile(r"[IJK]\d\d[1-9ABC][1-9A-V]")
_SNIFF_LINES = 20
_NAME = re.compile(r"\w*")
# The root element of an ADES XML document, with or without a namespace prefix.
_ADES_ROOT = re.compile(r"<(?:\w+:)?ades[\s>/]")


def _looks_obs80(line: str) -> bool:
    return len(line) == 80 and bool(_OBS80_DATE.match(line[15:32]))


def _looks_mpcorb(line: str) -> bool:
    return len(line) >= 103 and bool(_PACKED_EPOCH.fullmatch(line[20:25]))


def detect_format(path: str | Path) -> str:
    """Return ``"obs80"``, ``"ades"``, ``"nea"``, ``"sbdb"``, ``"cad"``, ``"lsst"`` or ``"ztf"``.

    ``*.gz`` files are read through gzip. The decision uses the first non-blank lines: an
    ADES field-name row (with ``obsTime``, after any ``#``/``!`` lines) or an ``<ades>`` XML
    root element, a CNEOS header, an SBDB header (``full_name``/``pdes`` and ``e``),
    80-column lines with a date in columns 16-32, or MPCORB lines with a packed epoch in
    columns 21-25.

    Raises
    ------
    FormatError
        If the file is empty or matches none of the formats.
    """
    with Path(path).open("rb") as raw:
        head = raw.read(5)
    if head.startswith(b"Obj\x01"):  # an Avro container: ZTF or Rubin by its schema's fields
        from core.alerts.message import container_kind

        return "ztf" if container_kind(Path(path).read_bytes()) == "ztf" else "lsst"
    if len(head) == 5 and head[0] == 0:
        return "lsst"  # a Rubin wire-format message (core.lsst.files)
    with open_text(path) as fh:
        lines = [ln.rstrip("\r\n") for ln in islice(fh, 200)]
    lines = [ln for ln in lines if ln.strip()][:_SNIFF_LINES]
    if not lines:
        raise FormatError(f"{Path(path).name}: empty file, cannot detect its format")
    if lines[0].lstrip().startswith("<"):
        if _ADES_ROOT.search("\n".join(lines)):
            return "ades"
        raise FormatError(f"{Path(path).name}: an XML document without an ADES <ades> root")
    # ADES PSV/CSV: optional "#"/"!" header lines, then a field-name row with obsTime.
    table = [ln for ln in lines if not ln.lstrip().startswith(("#", "!"))]
    if table:
        delimiter = "|" if "|" in table[0] else ","
        if "obsTime" in {f.strip().strip('"') for f in table[0].split(delimiter)}:
            return "ades"
    first = lines[0]
    header = {h.strip().strip('"') for h in first.split(",")}
    if "Close-Approach (CA) Date" in header:
        return "cad"
    if header & {"full_name", "pdes"} and "e" in header and all(_NAME.fullmatch(h) for h in header):
        return "sbdb"
    if all(_looks_obs80(ln) for ln in lines):
        return "obs80"
    if all(_looks_mpcorb(ln) for ln in lines):
        return "nea"
    if "\t" in lines[0]:
        columns = ", ".join(c.strip() for c in lines[0].split("\t")[:4] if c.strip())
        raise FormatError(
            f"{Path(path).name}: a tab-separated table ({columns}, ...): this format is not "
            f"supported; {_supported()}"
        )
    raise FormatError(f"{Path(path).name}: cannot detect the format (give --format: {_names()})")


def _names() -> str:
    return ", ".join(FORMATS)


def _supported() -> str:
    return (
        f"supported: {_names()} (MPC 80-column, ADES PSV/CSV/XML, MPCORB fixed columns, "
        "JPL SBDB CSV, CNEOS close-approach CSV)"
    )
