"""A catalogue of known artificial objects: element sets for SGP4, heliocentric objects for ASSIST.

:func:`load_catalogue` reads every file it is given, each by its kind (by name: ``.tle``,
``.txt``, ``.3le`` TLE; ``.xml``, ``.json``, ``.csv`` OMM; ``.jsonl`` the heliocentric table) and
builds one :class:`KnownCatalogue`. It is all or nothing: the first bad entry raises a
:class:`~core.known.errors.CatalogueError` naming its file and line, so a caller that already
serves a catalogue keeps it (a half-written file never replaces a whole one).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sgp4.api import SatrecArray

from core.known.elementset import ElementSet
from core.known.errors import CatalogueError
from core.known.heliocentric import BUNDLED_TABLE, HelioObject, read_heliocentric
from core.known.omm import read_omm
from core.known.tle import read_tle

__all__ = ["CatalogueKind", "KnownCatalogue", "catalogue_kind", "load_catalogue"]

CatalogueKind = Literal["tle", "omm-xml", "omm-json", "omm-csv", "heliocentric"]
_BY_SUFFIX: dict[str, CatalogueKind] = {
    ".tle": "tle",
    ".txt": "tle",
    ".3le": "tle",
    ".2le": "tle",
    ".xml": "omm-xml",
    ".json": "omm-json",
    ".csv": "omm-csv",
    ".jsonl": "heliocentric",
}


@dataclass(frozen=True)
class KnownCatalogue:
    """Every known object, ready to predict.

    ``satrecs`` is the vectorised SGP4 of ``element_sets`` (same order); ``date_jd_utc`` the
    newest epoch among them and the heliocentric objects (None for an empty catalogue);
    ``files`` the files read, with their modification times (ns) when read.
    """

    element_sets: tuple[ElementSet, ...]
    heliocentric: tuple[HelioObject, ...]
    files: tuple[tuple[str, int], ...] = ()
    satrecs: SatrecArray | None = field(default=None, compare=False)

    @property
    def size(self) -> int:
        """Number of objects (element sets and heliocentric objects)."""
        return len(self.element_sets) + len(self.heliocentric)

    @property
    def date_jd_utc(self) -> float | None:
        """The newest epoch in the catalogue (UTC; a heliocentric TDB epoch is taken as is)."""
        epochs = [e.epoch_jd_utc for e in self.element_sets]
        epochs += [h.epoch_jd_tdb for h in self.heliocentric]
        return max(epochs) if epochs else None


def catalogue_kind(path: str) -> CatalogueKind:
    """The kind of a catalogue file, by its name (``.gz`` is not read: catalogues are text)."""
    suffix = Path(path).suffix.lower()
    if suffix not in _BY_SUFFIX:
        known = ", ".join(sorted(_BY_SUFFIX))
        raise CatalogueError(path, None, f"unknown catalogue file type {suffix!r} ({known})")
    return _BY_SUFFIX[suffix]


def _read(path: str) -> tuple[list[ElementSet], list[HelioObject]]:
    kind = catalogue_kind(path)
    if kind == "tle":
        return read_tle(path), []
    if kind == "heliocentric":
        return [], read_heliocentric(path)
    return read_omm(
        path, "xml" if kind == "omm-xml" else "json" if kind == "omm-json" else "csv"
    ), []


def load_catalogue(paths: Sequence[str], *, bundled: bool = True) -> KnownCatalogue:
    """Read the catalogue files (and the bundled heliocentric table unless ``bundled=False``).

    Raises
    ------
    CatalogueError
        A file is missing, unreadable or holds a bad entry (file and line named).
    """
    sets: list[ElementSet] = []
    helio: list[HelioObject] = []
    files: list[tuple[str, int]] = []
    every = ([str(BUNDLED_TABLE)] if bundled else []) + [str(p) for p in paths]
    for path in every:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError as exc:
            raise CatalogueError(path, None, f"cannot read: {exc.strerror or exc}") from None
        new_sets, new_helio = _read(path)
        sets += new_sets
        helio += new_helio
        files.append((path, mtime))
    array = SatrecArray([s.satrec for s in sets]) if sets else None
    return KnownCatalogue(tuple(sets), tuple(helio), tuple(files), array)
