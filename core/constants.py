"""Physical constants and reference values used by features and indicators, with sources.

Everything here is a plain float; derived values are computed from the primary ones so that
a change of one source propagates.
"""

from __future__ import annotations

import math

__all__ = [
    "A1_SIGMA_DEFAULT_AU_D2",
    "A1_SIGNIFICANCE",
    "A1_SRP_MAX_AU_D2_KM",
    "A2_NATURAL_AU_D2_KM",
    "AU_KM",
    "AU_M",
    "A_EARTH_AU",
    "A_JUPITER_AU",
    "BENNU_A2_AU_D2",
    "BENNU_D_KM",
    "DAY_S",
    "DEFAULT_ALBEDO",
    "D_LOG10_SIGMA_ALBEDO_DEX",
    "D_LOG10_SIGMA_ASSUMED_DEX",
    "D_LOG10_SIGMA_MEASURED_DEX",
    "GM_SUN_KM3_S2",
    "H_TO_D_KM",
    "ROCKY_DENSITY_KG_M3",
    "SOLAR_CONSTANT_W_M2",
    "SPEED_OF_LIGHT_M_S",
    "SPIN_BARRIER_H",
    "SRP_MAX_DIAMETER_KM",
    "V_EARTH_KMS",
]

AU_KM = 149_597_870.700
"""Astronomical unit in km (IAU 2012 Resolution B2, exact)."""

AU_M = AU_KM * 1000.0

DAY_S = 86_400.0
"""Seconds per day (the day used by the ``au/d^2`` units of A1/A2/A3)."""

GM_SUN_KM3_S2 = 1.32712440018e11
"""Heliocentric gravitational constant, km^3/s^2 (IERS Conventions 2010, TDB-compatible)."""

V_EARTH_KMS = math.sqrt(GM_SUN_KM3_S2 / AU_KM)
"""Circular orbital speed at 1 au, 29.78 km/s: the unit of Öpik's encounter velocity U."""

A_EARTH_AU = 1.0
"""Earth's semi-major axis (1.00000261 au in Standish's mean elements; 1 within the precision
of every Earth-relative measure here)."""

A_JUPITER_AU = 5.2026
"""Jupiter's semi-major axis, au (JPL approximate mean elements, Standish 1992: 5.20288700;
5.2026 is the J2000 osculating value conventionally used in Tisserand parameters)."""

H_TO_D_KM = 1329.0
"""D = 1329 km / sqrt(p_V) * 10^(-H/5) (Fowler & Chillemi 1992; Pravec & Harris 2007)."""

DEFAULT_ALBEDO = 0.14
"""Geometric albedo assumed when none is measured: the debiased mean NEO albedo
(Stuart & Binzel 2004, Icarus 170, 295)."""

SPIN_BARRIER_H = 2.2
"""Rotation period below which a rubble pile larger than ~150 m would fly apart
(Pravec & Harris 2000, Icarus 148, 12)."""

BENNU_A2_AU_D2 = -4.618e-14
"""Yarkovsky A2 of (101955) Bennu, au/d^2 (Farnocchia et al. 2013, Icarus 224, 192)."""

BENNU_D_KM = 0.490
"""Mean diameter of Bennu, km (Lauretta et al. 2019, Nature 568, 55)."""

A2_NATURAL_AU_D2_KM = 1.2e-14
"""Typical natural Yarkovsky |A2| times diameter, au/d^2 * km.

The Yarkovsky acceleration of a body of given density and thermal properties scales as 1/D.
The median of |A2| * D over the 173 PHAs with a fitted A2 in the JPL SBDB export of 2025
(``sbdb_pha_2025``, D from the catalog or from H with :data:`DEFAULT_ALBEDO`) is
~1.2e-14; Bennu (low bulk density 1.19 g/cm^3) gives |A2| * D = 2.3e-14, and all but three
of those 173 lie below 2 * 2.3e-14. The area-to-mass ratio of a rocket stage such as 2020 SO
(a hollow Centaur body) is orders of magnitude above a rock of the same brightness, which is
what exposed it. Natural |A2| expected for diameter D: ``A2_NATURAL_AU_D2_KM / D``."""

SOLAR_CONSTANT_W_M2 = 1361.0
"""Total solar irradiance at 1 au (Kopp & Lean 2011, GRL 38, L01706)."""

SPEED_OF_LIGHT_M_S = 299_792_458.0

ROCKY_DENSITY_KG_M3 = 2000.0
"""A low bulk density for a solid rocky body (S-type NEAs are ~2000-2700 kg/m^3; Carry 2012)."""

_AU_D2_IN_M_S2 = AU_M / DAY_S**2  # 1 au/d^2 = 20.04 m/s^2

A1_SRP_MAX_AU_D2_KM = (
    2.0 * SOLAR_CONSTANT_W_M2 / SPEED_OF_LIGHT_M_S * 3.0 / (2.0 * ROCKY_DENSITY_KG_M3 * 1000.0)
) / _AU_D2_IN_M_S2
"""Upper bound of the radial radiation-pressure acceleration at 1 au of a solid rocky sphere,
times its diameter, au/d^2 * km (~3.4e-13).

A sphere of diameter D and density rho has area-to-mass 3 / (2 rho D); a perfect reflector
(factor 2) of density :data:`ROCKY_DENSITY_KG_M3` feels (2 S / c) * 3 / (2 rho D). A measured
|A1| well above ``A1_SRP_MAX_AU_D2_KM / D`` needs more area per mass than a rock can have."""

A1_SIGNIFICANCE = 3.0
"""|A1| / sigma(A1) above which a radial A1 counts as a detection of radiation pressure."""

A1_SIGMA_DEFAULT_AU_D2 = 0.33e-4 * SOLAR_CONSTANT_W_M2 / SPEED_OF_LIGHT_M_S / _AU_D2_IN_M_S2
"""sigma(A1) assumed when a record gives none, au/d^2 (~7.5e-12).

The uncertainty of the best-determined natural area-to-mass ratio, 2009 BD's
(2.97 +/- 0.33)e-4 m^2/kg (Micheli, Tholen & Elliott 2012, New Astronomy 17, 446), as an A1
with C_R = 1: an A1 without its own sigma is counted only above 3x this (A/M >~ 1e-4)."""

SRP_MAX_DIAMETER_KM = 0.15
"""Largest diameter at which a fitted A1 is read as radiation pressure, km.

A rock of 150 m (density :data:`ROCKY_DENSITY_KG_M3`) has A/M = 3 / (2 rho D) = 5e-6 m^2/kg,
an A1 of ~1e-12 au/d^2, below the sigma of any radiation-pressure detection
(:data:`A1_SIGMA_DEFAULT_AU_D2`); a fitted A1/A2 on a larger body is Yarkovsky drift, a model
term or noise, never evidence of low density. 150 rather than 100 m leaves room for a
diameter from H with an assumed albedo."""

D_LOG10_SIGMA_MEASURED_DEX = 0.04
"""sigma(log10 D) of a measured diameter (~10 %, radiometric sizes; Mainzer et al. 2011)."""

D_LOG10_SIGMA_ALBEDO_DEX = 0.08
"""sigma(log10 D) of a diameter from H and a measured albedo (H +/- 0.3 mag, albedo +/- 20 %)."""

D_LOG10_SIGMA_ASSUMED_DEX = 0.25
"""sigma(log10 D) of a diameter from H with the assumed albedo: NEA albedos span 0.05-0.5
(Stuart & Binzel 2004), a factor ~3 in D, so ~0.25 dex."""
