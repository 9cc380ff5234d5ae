"""Constants of the orbit code, each with its source.

Kept apart from :mod:`core.constants` (the scoring's reference values) because these are the
numbers of one engine: the ephemeris, time scales and reference frame of the fit.
"""

from __future__ import annotations

import math

from core.constants import AU_KM, DAY_S, SPEED_OF_LIGHT_M_S

__all__ = [
    "EARTH_EQUATORIAL_RADIUS_KM",
    "GAUSS_K",
    "GM_EARTH_AU3_D2",
    "GM_SUN_AU3_D2",
    "JD_J2000",
    "OBLIQUITY_J2000_RAD",
    "SPEED_OF_LIGHT_AU_D",
]

GAUSS_K = 0.01720209895
"""Gaussian gravitational constant, au^(3/2) / d (IAU 1976; DE440 keeps GM_sun = k^2 in au^3/d^2
within 1e-10 relative)."""

GM_SUN_AU3_D2 = GAUSS_K**2
"""Heliocentric gravitational constant, au^3/d^2 (2.9591220828559e-4; JPL SBDB uses this value
for its osculating elements)."""

GM_EARTH_AU3_D2 = 398_600.435507 * DAY_S**2 / AU_KM**3
"""Geocentric gravitational constant (Earth alone, no Moon), au^3/d^2, from GM = 398600.435507
km^3/s^2 (DE440, Park et al. 2021, AJ 161, 105)."""

EARTH_EQUATORIAL_RADIUS_KM = 6378.1366
"""Earth equatorial radius, km (IERS Conventions 2010, Table 1.1), the unit of the MPC's
parallax constants rho*cos(phi'), rho*sin(phi')."""

SPEED_OF_LIGHT_AU_D = SPEED_OF_LIGHT_M_S * DAY_S / (AU_KM * 1000.0)
"""Speed of light, au/d (173.1446...)."""

OBLIQUITY_J2000_RAD = math.radians(84381.448 / 3600.0)
"""Mean obliquity of the ecliptic at J2000, 84381.448 arcsec (IAU 1976, Lieske et al. 1977):
the rotation between ICRF/J2000 equatorial and the ecliptic J2000 of JPL and MPC elements."""

JD_J2000 = 2451545.0
"""Julian date of J2000.0 (TDB), ASSIST's reference epoch (``Ephem.jd_ref``)."""
