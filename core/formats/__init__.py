"""Parsers of the real NEO file formats into neo.v1 record dicts.

>>> from core.formats import read_records
>>> for obj in read_records("NEA.txt"):          # doctest: +SKIP
...     record = core.contract.records.record_from_obj(obj)

Each parser yields plain, not yet validated neo.v1 **dicts** (validate them with
:func:`core.contract.records.record_from_obj`), one per object, with the canonical designation of
:mod:`core.contract.designations` and missing values omitted. Problems in a file raise
:class:`core.errors.FormatError` with the 1-based line number.

========= ======================================================== ====================
name      format                                                    module
========= ======================================================== ====================
obs80     MPC 80-column optical observations                        :mod:`.obs80`
ades      ADES PSV / CSV / XML optical observations                 :mod:`.ades`
nea       MPC MPCORB one-line orbits (``NEA.txt``)                  :mod:`.nea`
sbdb      JPL SBDB query CSV export                                 :mod:`.sbdb`
cad       CNEOS close-approach table CSV                            :mod:`.cad`
lsst      Rubin/LSST alerts (Avro container or wire format; binary)  :mod:`core.lsst`
ztf       ZTF alert packets (Avro container; binary): ``neo.obs.v1``  :mod:`core.alerts.files`
========= ======================================================== ====================
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.errors import FormatError
from core.formats._common import open_text
from core.formats.detect import detect_format
from core.formats.parsers import FORMATS

__all__ = ["FORMATS", "detect_format", "read_records"]


def _is_container(path: str | Path) -> bool:
    with Path(path).open("rb") as fh:
        return fh.read(4) == b"Obj\x01"


def read_records(path: str | Path, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield the neo.v1 record dicts of the file at ``path`` (``*.gz`` read through gzip).

    Parameters
    ----------
    path : str or Path
        The input file.
    fmt : str, optional
        One of :data:`FORMATS`; detected with :func:`detect_format` when None.

    Raises
    ------
    FormatError
        If the format is unknown or undetectable, or the file does not parse; the error
        message names the file and ``.line`` holds the 1-based line number when known.
    """
    name = fmt if fmt is not None else detect_format(path)
    if name in ("lsst", "ztf") and _is_container(path):  # ZTF, broker or Rubin Avro files
        from core.alerts.files import read_alert_file  # core.alerts reads core.formats.obs80

        for alert in read_alert_file(path):
            if alert.error is not None:
                field, reason = alert.error
                raise FormatError(f"{Path(path).name}: alert {alert.index}: {field}: {reason}")
            if alert.obj is not None:
                yield alert.obj
        return
    if name == "lsst":  # binary Avro, not a text parser: core.lsst reads it
        from core.lsst.files import read_alert_records

        yield from read_alert_records(path)
        return
    parser = FORMATS.get(name)
    if parser is None:
        raise FormatError(f"unknown format {name!r} (one of {', '.join(FORMATS)})")
    with open_text(path) as fh:
        try:
            yield from parser(fh)
        except FormatError as exc:
            if exc.line is None:
                raise
            located = FormatError(f"{Path(path).name}: {exc.args[0]}")
            located.line = exc.line
            raise located from exc
