"""Deep-space launches and the pieces they left in heliocentric orbit (GCAT, bundled in ``data/``).

``data/gcat_deep_space.csv`` holds the Status DSO/DSA rows of GCAT's auxiliary catalogue
(Jonathan C. McDowell, General Catalog of Artificial Space Objects, CC-BY 4.0; converted by
``scripts/build_gcat.py``): launch tag, piece, type (``R*`` rocket stages, ``P*`` payloads,
``C*`` components), name, launch date, dry mass and size. They give

* realistic area-to-mass ratios for synthetic artificial objects
  (:func:`area_to_mass_m2_kg`: the mean projected area of a convex body, a quarter of its
  surface (Cauchy's theorem), over its dry mass; a tumbling cylinder of GCAT's length and
  diameter);
* the launch dates that launch linkage matches Earth passages against.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

__all__ = ["DEFAULT_GCAT_PATH", "DeepSpacePiece", "area_to_mass_m2_kg", "load_deep_space"]

DEFAULT_GCAT_PATH = Path(__file__).resolve().parents[2] / "data" / "gcat_deep_space.csv"
"""The bundled table (repository ``data/``)."""


@dataclass(frozen=True, slots=True)
class DeepSpacePiece:
    """One GCAT deep-space object (NaN where the catalogue gives no number)."""

    launch_tag: str
    piece: str
    type: str
    name: str
    launch_date: date
    status: str
    dry_mass_kg: float
    length_m: float
    diameter_m: float
    span_m: float
    shape: str

    @property
    def is_stage(self) -> bool:
        """A rocket stage (GCAT type ``R``)."""
        return self.type.startswith("R")

    @property
    def is_payload(self) -> bool:
        """A payload (GCAT type ``P``)."""
        return self.type.startswith("P")


def area_to_mass_m2_kg(piece: DeepSpacePiece) -> float:
    """Mean area-to-mass ratio of a tumbling piece, m^2/kg; NaN without mass or size.

    A cylinder of length L and diameter D (GCAT's size for stages and most payloads) has
    surface pi D L + pi D^2 / 2; the mean projected area of a convex body over random
    orientations is a quarter of its surface (Cauchy 1841). GCAT's span, when larger than
    the length (solar arrays, antennas), replaces the length: a payload's panels add area.
    """
    d, length, mass = piece.diameter_m, max(piece.length_m, piece.span_m), piece.dry_mass_kg
    if not (d > 0.0 and length > 0.0 and mass > 0.0):
        return math.nan
    surface = math.pi * d * length + math.pi * d * d / 2.0
    return surface / 4.0 / mass


def _float(text: str) -> float:
    return float(text) if text else math.nan


@lru_cache(maxsize=4)
def load_deep_space(path: Path = DEFAULT_GCAT_PATH) -> tuple[DeepSpacePiece, ...]:
    """The deep-space pieces of the bundled GCAT table, in launch-date order (cached)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(
            DeepSpacePiece(
                launch_tag=row["launch_tag"],
                piece=row["piece"],
                type=row["type"],
                name=row["name"],
                launch_date=date.fromisoformat(row["launch_date"]),
                status=row["status"],
                dry_mass_kg=_float(row["dry_mass_kg"]),
                length_m=_float(row["length_m"]),
                diameter_m=_float(row["diameter_m"]),
                span_m=_float(row["span_m"]),
                shape=row["shape"],
            )
            for row in csv.DictReader(fh)
        )
