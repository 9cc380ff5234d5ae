"""Orbit similarity: the D criterion of Southworth & Hawkins (1963, Smithson. Contrib.
Astrophys. 7, 261), as used to associate meteoroid streams, asteroid pairs and a recovered object
with its known orbit.

``D^2 = (e2 - e1)^2 + (q2 - q1)^2 + (2 sin(I/2))^2 + ((e1 + e2)/2 * 2 sin(pi/2))^2`` with ``I``
the angle between the orbital planes and ``pi`` the difference of the longitudes of perihelion
measured from the planes' intersection (Southworth & Hawkins 1963, eq. 1; Jopek 1993, Icarus
106, 603 for the form used here). D < 0.1 is a close association for asteroids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["d_sh", "perihelion_distance"]


def perihelion_distance(elements: Mapping[str, float | None]) -> float:
    """``q`` (au) of elements given by ``q_au`` or by ``a_au`` and ``e``."""
    q = elements.get("q_au")
    if q is not None:
        return float(q)
    a, e = elements.get("a_au"), elements.get("e")
    if a is None or e is None:
        raise ValueError("elements need q_au, or a_au and e")
    return float(a) * (1.0 - float(e))


def d_sh(first: Mapping[str, float | None], second: Mapping[str, float | None]) -> float:
    """Southworth-Hawkins D between two heliocentric ecliptic orbits (angles in degrees)."""

    def get(els: Mapping[str, float | None], key: str) -> float:
        value = els.get(key)
        if value is None:
            raise ValueError(f"elements need {key}")
        return float(value)

    e1, e2 = get(first, "e"), get(second, "e")
    q1, q2 = perihelion_distance(first), perihelion_distance(second)
    i1, i2 = math.radians(get(first, "i_deg")), math.radians(get(second, "i_deg"))
    n1, n2 = math.radians(get(first, "node_deg")), math.radians(get(second, "node_deg"))
    w1, w2 = math.radians(get(first, "peri_deg")), math.radians(get(second, "peri_deg"))
    dnode = n2 - n1
    sin_half_i2 = (
        math.sin((i2 - i1) / 2) ** 2 + math.sin(i1) * math.sin(i2) * math.sin(dnode / 2) ** 2
    )
    cos_half_i = math.sqrt(max(0.0, 1.0 - sin_half_i2))
    big_i = 2.0 * math.asin(min(1.0, math.sqrt(max(0.0, sin_half_i2))))
    if big_i == 0.0:
        pi_diff = (w2 + n2) - (w1 + n1)
    else:
        half = math.asin(
            max(-1.0, min(1.0, math.cos((i2 + i1) / 2) * math.sin(dnode / 2) / cos_half_i))
        )
        sign = 1.0 if abs(dnode) <= math.pi else -1.0
        pi_diff = w2 - w1 + 2.0 * sign * half
    d2 = (
        (e2 - e1) ** 2
        + (q2 - q1) ** 2
        + (2.0 * math.sin(big_i / 2)) ** 2
        + ((e1 + e2) / 2 * 2.0 * math.sin(pi_diff / 2)) ** 2
    )
    return math.sqrt(d2)
