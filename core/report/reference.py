"""The reference values an object's area-to-mass ratio is drawn against.

- Rocket stages and payloads in heliocentric orbit: the mean area-to-mass ratio of every
  piece of the bundled GCAT table with a dry mass and a size
  (:func:`core.orbits.launches.area_to_mass_m2_kg`, a tumbling cylinder).
- Natural bodies with a measured A/M (radiation pressure detected in their astrometry), each
  with its published 1-sigma interval: 2009 BD, (2.97 +/- 0.33)e-4 m^2/kg (Micheli, Tholen &
  Elliott 2012, New Astronomy 17, 446); 2020 CD3, (6.9 +/- 2.4)e-4 m^2/kg (Fedorets et al.
  2020, AJ 160, 277). The values the project's tests and indicators already cite
  (``core/constants.py``, ``tests/unit/core/orbits/test_srp.py``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import msgspec

from core.orbits.launches import area_to_mass_m2_kg, load_deep_space

__all__ = ["MEASURED_NATURALS", "MeasuredNatural", "gcat_area_to_mass"]


class MeasuredNatural(msgspec.Struct, frozen=True):
    """A natural body's measured A/M (m^2/kg) with its 1-sigma and the publication."""

    designation: str
    amr_m2_kg: float
    sigma_m2_kg: float
    source: str


MEASURED_NATURALS = (
    MeasuredNatural("2009 BD", 2.97e-4, 0.33e-4, "Micheli, Tholen & Elliott 2012"),
    MeasuredNatural("2020 CD3", 6.9e-4, 2.4e-4, "Fedorets et al. 2020"),
)


@lru_cache(maxsize=1)
def gcat_area_to_mass() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A/M (m^2/kg) of GCAT's deep-space rocket stages, and of its payloads (cached)."""
    stages: list[float] = []
    payloads: list[float] = []
    for piece in load_deep_space():
        amr = area_to_mass_m2_kg(piece)
        if not (math.isfinite(amr) and amr > 0.0):
            continue
        if piece.is_stage:
            stages.append(amr)
        elif piece.is_payload:
            payloads.append(amr)
    return tuple(stages), tuple(payloads)
