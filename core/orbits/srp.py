"""Solar radiation pressure: the radial non-gravitational term A1, area-to-mass and bulk density.

The radial term of the JPL/MPC non-gravitational model for asteroids is
``a_r = A1 * (1 au / r)^2`` (Marsden, Sekanina & Yeomans 1973, AJ 78, 211, with the inverse-square
``g(r)`` used for asteroids, Farnocchia et al. 2013, Icarus 224, 1). Radiation pressure on a body
of area-to-mass ratio A/M and radiation-pressure coefficient C_R at 1 au is

    a = C_R * (S / c) * A/M                                   (Montenbruck & Gill 2000, eq. 3.75)

with S the solar constant at 1 au and c the speed of light. In au/d^2 that is
``A1 = C_R * SRP_AU_D2_PER_M2_KG * A/M``, SRP_AU_D2_PER_M2_KG = 2.265e-7 (S = 1361 W/m^2).
C_R = 1 for a perfect absorber, 2 for a perfect mirror; without a measured C_R an A/M is a range.

A sphere of diameter D and bulk density rho has A/M = (pi D^2 / 4) / (rho pi D^3 / 6)
= 3 / (2 rho D), hence the implied density ``rho = 3 / (2 D A/M)`` (Micheli et al. 2012,
Icarus 219, 419, for 2009 BD and 2011 MD).
"""

from __future__ import annotations

import math

from core.constants import AU_M, DAY_S, DEFAULT_ALBEDO, H_TO_D_KM

__all__ = [
    "C_R_RANGE",
    "SOLAR_CONSTANT_W_M2",
    "SPEED_OF_LIGHT_M_S",
    "SRP_AU_D2_PER_M2_KG",
    "a1_from_area_to_mass",
    "area_to_mass_m2_kg",
    "area_to_mass_range_m2_kg",
    "diameter_m_from_h",
    "implied_density_kg_m3",
]

SOLAR_CONSTANT_W_M2 = 1361.0
"""Total solar irradiance at 1 au, W/m^2 (Kopp & Lean 2011, GRL 38, L01706; IAU 2015 B3)."""

SPEED_OF_LIGHT_M_S = 299_792_458.0
"""Speed of light, m/s (exact, SI)."""

AU_D2_M_S2 = AU_M / DAY_S**2
"""One au/d^2 in m/s^2 (20.04 m/s^2)."""

SRP_AU_D2_PER_M2_KG = SOLAR_CONSTANT_W_M2 / SPEED_OF_LIGHT_M_S / AU_D2_M_S2
"""Radiation-pressure acceleration at 1 au per unit A/M for C_R = 1: 2.265e-7 au/d^2 per m^2/kg."""

C_R_RANGE = (1.0, 2.0)
"""Radiation-pressure coefficient: 1 (black body, all absorbed) to 2 (mirror, all reflected)."""


def area_to_mass_m2_kg(a1_au_d2: float, c_r: float = 1.0) -> float:
    """Area-to-mass ratio (m^2/kg) implied by a radial A1 (au/d^2) for a given C_R.

    Only a positive (outward) A1 is radiation pressure; the sign is kept so that a negative A1
    (an unphysical fit, or outgassing towards the Sun) shows as a negative A/M.
    """
    if not 1.0 <= c_r <= 2.0:
        raise ValueError(f"C_R must lie in [1, 2], got {c_r}")
    return a1_au_d2 / (c_r * SRP_AU_D2_PER_M2_KG)


def area_to_mass_range_m2_kg(a1_au_d2: float) -> tuple[float, float]:
    """A/M for C_R = 2 and C_R = 1: the range a measured A1 allows without a known C_R."""
    return area_to_mass_m2_kg(a1_au_d2, C_R_RANGE[1]), area_to_mass_m2_kg(a1_au_d2, C_R_RANGE[0])


def a1_from_area_to_mass(amr_m2_kg: float, c_r: float = 1.0) -> float:
    """Radial A1 (au/d^2) that radiation pressure gives a body of this A/M and C_R."""
    if not 1.0 <= c_r <= 2.0:
        raise ValueError(f"C_R must lie in [1, 2], got {c_r}")
    return c_r * SRP_AU_D2_PER_M2_KG * amr_m2_kg


def diameter_m_from_h(h_mag: float, albedo: float = DEFAULT_ALBEDO) -> float:
    """Diameter (m) from absolute magnitude H and geometric albedo (Fowler & Chillemi 1992)."""
    if not 0.0 < albedo <= 1.0:
        raise ValueError(f"albedo must lie in (0, 1], got {albedo}")
    return H_TO_D_KM * 1000.0 / math.sqrt(albedo) * math.pow(10.0, -h_mag / 5.0)


def implied_density_kg_m3(diameter_m: float, amr_m2_kg: float) -> float:
    """Bulk density (kg/m^3) of a sphere of this diameter and A/M: 3 / (2 D A/M)."""
    if diameter_m <= 0.0 or amr_m2_kg <= 0.0:
        raise ValueError("diameter and A/M must be positive for a density")
    return 3.0 / (2.0 * diameter_m * amr_m2_kg)
