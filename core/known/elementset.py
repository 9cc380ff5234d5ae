"""One SGP4 element set of a known Earth-orbiting object (from a TLE or an OMM)."""

from __future__ import annotations

from dataclasses import dataclass

from sgp4.api import Satrec

__all__ = ["ElementSet", "cospar_from_tle"]


@dataclass(frozen=True, slots=True)
class ElementSet:
    """An initialised SGP4 element set and who it is.

    ``epoch_jd_utc`` is the element set's epoch (UTC Julian date, as SGP4 counts it);
    ``source`` names the file and line it was read from (``path:line``).
    """

    name: str
    norad_id: int
    cospar_id: str | None
    epoch_jd_utc: float
    satrec: Satrec
    source: str


def cospar_from_tle(field: str) -> str | None:
    """The international designation of TLE columns 10-17 (``58002B`` -> ``1958-002B``).

    Two-digit years 57-99 are 1957-1999, 00-56 are 2000-2056 (the Space-Track convention).
    """
    text = field.strip()
    if len(text) < 6 or not text[:5].isdigit():
        return None
    yy = int(text[:2])
    year = 1900 + yy if yy >= 57 else 2000 + yy
    return f"{year}-{text[2:5]}{text[5:]}"
