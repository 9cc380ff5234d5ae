"""Orbits from astrometry, and the physics read from them.

:mod:`core.orbits.launches` holds the GCAT deep-space pieces that launch linkage
(:mod:`core.orbits.linkage`) matches Earth passages against. Pure and synchronous, like all of
:mod:`core`.
"""

from __future__ import annotations

from core.orbits.srp import (
    SRP_AU_D2_PER_M2_KG,
    area_to_mass_m2_kg,
    diameter_m_from_h,
    implied_density_kg_m3,
)

__all__ = [
    "SRP_AU_D2_PER_M2_KG",
    "area_to_mass_m2_kg",
    "diameter_m_from_h",
    "implied_density_kg_m3",
]
