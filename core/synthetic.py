"""Plausible artificial objects (spent rocket stages, lost spacecraft) as neo.v1 records.

The detectors are unsupervised, so the only honest way to measure them is to hide objects
we *know* are anomalous among real naturals they never saw, and ask how well they rank them.
This module makes those injected objects. Each one starts from a **real natural record used
as a template** and has one or more *signal families* written over it. Everything the
families do not touch (epoch, condition code, which optional fields are present, meta, ...)
stays exactly as in real data, so no field exists only on synthetic records and the detectors
cannot find them by the shape of the record. Designations are fresh, ordinary provisional
designations (``"2021 GX14"``); they never reach a feature anyway.

Signal families and their physical rationale
--------------------------------------------
``earth_like_orbit``
    Hardware that escaped the Earth-Moon system (Apollo 12's S-IVB, J002E3; Surveyor 2's
    Centaur, 2020 SO) stays on a heliocentric orbit close to Earth's own: a = 0.95-1.05 au,
    e < 0.1, i < ~5 deg. Natural NEAs are rarely that Earth-like because Earth's gravity
    removes such orbits within a few thousand years. MOID, when the template carries one,
    becomes small (< 0.05 au), as it must for such an orbit.
``tiny_size``
    A rocket stage is metres across: absolute magnitude H = 28-32 (about 3-15 m at the
    albedos of painted metal). Measured diameters, when the template has one, are recomputed
    from H and the albedo so the size block stays self-consistent.
``radiation_pressure``
    An empty stage has an area-to-mass ratio around 10^-3-10^-2 m^2/kg, some 100x a rock of
    the same size. Solar radiation pressure on it (4.6e-6 N/m^2 at 1 au) is ~1e-9 au/d^2 in
    the radial Marsden term A1 (2020 SO's fit needed exactly this), and its transverse term
    A2 is 1e-12-1e-10 au/d^2, far above the Yarkovsky drift of natural bodies
    (|A2| ~ 1e-15-1e-13 au/d^2). A2 is always written; A1 only where the template already
    has an A1 (see the leak rule above).
``regular_approaches``
    An object in near 1:1 resonance with Earth comes back at an almost constant cadence
    (about a year during a quasi-satellite or temporary-capture phase) at low speed.
    The sequence of 4-10 close approaches has intervals of 0.95-1.10 yr with a jitter of
    < 1 day: far more regular than the irregular encounter history of natural NEAs.
    Approach speeds follow the Öpik estimate from the orbit (slow for Earth-like orbits).

*Partial* objects carry only one or two families (``full_fraction`` controls the share of
objects with all four), so a perfect score cannot come from a single field and a detector
has to combine weak evidence, as it would in reality.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from core.records import NeoRecord, record_from_obj, record_to_obj

__all__ = ["FAMILIES", "InjectedSet", "generate_artificial"]

FAMILIES: tuple[str, ...] = (
    "earth_like_orbit",
    "tiny_size",
    "radiation_pressure",
    "regular_approaches",
)
"""The signal families, in a fixed order (see the module docstring)."""

_HALF_MONTHS = "ABCDEFGHJKLMNOPQRSTUVWXY"
_SECOND_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
_V_EARTH_KMS = 29.78  # Earth's mean orbital speed, the unit of Öpik's encounter speed
_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class InjectedSet:
    """Generated records with the families each one carries (same order)."""

    records: tuple[NeoRecord, ...]
    families: tuple[tuple[str, ...], ...]


def generate_artificial(
    templates: Sequence[NeoRecord],
    n: int,
    rng: np.random.Generator,
    *,
    full_fraction: float = 0.35,
) -> InjectedSet:
    """Generate ``n`` artificial objects on real natural templates.

    Parameters
    ----------
    templates : sequence of NeoRecord
        Real natural records; each object copies one (drawn with replacement) and overwrites
        the fields of its families. Templates are never modified.
    n : int
        Number of objects.
    rng : numpy.random.Generator
        Source of all randomness; the same seed gives the same records.
    full_fraction : float
        Share of objects carrying all four families; the rest carry one or two.

    Returns
    -------
    InjectedSet
        Valid neo.v1 records (each passed through :func:`core.records.record_from_obj`).
    """
    if not templates:
        raise ValueError("generate_artificial needs at least one template record")
    records: list[NeoRecord] = []
    families: list[tuple[str, ...]] = []
    for _ in range(n):
        template = templates[int(rng.integers(len(templates)))]
        chosen = _choose_families(rng, full_fraction)
        obj = record_to_obj(template)
        obj["designation"] = _provisional_designation(rng)
        if "earth_like_orbit" in chosen:
            _earth_like_orbit(obj, rng)
        if "tiny_size" in chosen:
            _tiny_size(obj, rng)
        if "radiation_pressure" in chosen:
            _radiation_pressure(obj, rng)
        if "regular_approaches" in chosen:
            _regular_approaches(obj, rng)
        records.append(record_from_obj(obj))
        families.append(chosen)
    return InjectedSet(tuple(records), tuple(families))


def _choose_families(rng: np.random.Generator, full_fraction: float) -> tuple[str, ...]:
    if rng.random() < full_fraction:
        return FAMILIES
    k = 1 + int(rng.integers(2))
    picked = rng.choice(len(FAMILIES), size=k, replace=False)
    return tuple(FAMILIES[i] for i in sorted(int(j) for j in picked))


def _provisional_designation(rng: np.random.Generator) -> str:
    year = int(rng.integers(2000, 2025))
    half = _HALF_MONTHS[int(rng.integers(len(_HALF_MONTHS)))]
    second = _SECOND_LETTERS[int(rng.integers(len(_SECOND_LETTERS)))]
    cycle = int(rng.integers(0, 60))
    return f"{year} {half}{second}{cycle if cycle else ''}"


def _earth_like_orbit(obj: dict[str, Any], rng: np.random.Generator) -> None:
    a = float(rng.uniform(0.95, 1.05))
    e = float(rng.uniform(0.0, 0.1) ** 1.5 / 0.1**0.5)  # skewed to small e, still < 0.1
    i = float(min(abs(rng.normal(0.0, 2.0)), 5.0))
    orbit = dict(obj.get("orbit") or {})
    orbit.update(a_au=a, e=e, i_deg=i, q_au=a * (1.0 - e))
    for angle in ("node_deg", "peri_deg", "M_deg"):
        if angle in orbit:
            orbit[angle] = float(rng.uniform(0.0, 360.0))
    if "moid_au" in orbit:
        orbit["moid_au"] = float(10 ** rng.uniform(-4.0, math.log10(0.05)))
    obj["orbit"] = orbit


def _tiny_size(obj: dict[str, Any], rng: np.random.Generator) -> None:
    physical = dict(obj.get("physical") or {})
    h = float(rng.uniform(28.0, 32.0))
    physical["H"] = h
    if "diameter_km" in physical:
        albedo = float(physical.get("albedo") or rng.uniform(0.1, 0.5))
        # D = 1329 km / sqrt(p) * 10^(-H/5): the standard H-albedo-diameter relation
        physical["diameter_km"] = 1329.0 / math.sqrt(albedo) * 10 ** (-h / 5.0)
    obj["physical"] = physical


def _radiation_pressure(obj: dict[str, Any], rng: np.random.Generator) -> None:
    sign = 1.0 if rng.random() < 0.5 else -1.0
    nongrav = dict(obj.get("nongrav") or {})
    nongrav["A2"] = sign * float(10 ** rng.uniform(-12.0, -10.0))
    # The radial term is written only where the template already has one: natural NEA
    # solutions almost never fit A1, so adding it would make a field only synthetic
    # records carry.
    if "A1" in nongrav:
        nongrav["A1"] = float(10 ** rng.uniform(-10.0, -8.3))  # radial SRP, always outward
    obj["nongrav"] = nongrav


def _opik_speed_kms(orbit: dict[str, Any]) -> float:
    """Öpik's encounter speed U = v_E * sqrt(3 - T_E) from the Tisserand parameter w.r.t. Earth."""
    a = orbit.get("a_au")
    if a is None:
        return 10.0
    e, i = float(orbit["e"]), math.radians(float(orbit["i_deg"]))
    t_earth = 1.0 / a + 2.0 * math.cos(i) * math.sqrt(max(a * (1.0 - e * e), 0.0))
    return _V_EARTH_KMS * math.sqrt(max(3.0 - t_earth, 1e-4))


def _regular_approaches(obj: dict[str, Any], rng: np.random.Generator) -> None:
    count = int(rng.integers(4, 11))
    interval_d = float(rng.uniform(0.95, 1.10)) * 365.25
    start_d = float(rng.uniform(-50.0, 30.0)) * 365.25  # days from J2000
    times = start_d + interval_d * np.arange(count) + rng.normal(0.0, 0.3, count)
    u = _opik_speed_kms(obj.get("orbit") or {})
    approaches = []
    for t in times:
        when = _J2000 + timedelta(days=float(t))
        v_inf = max(u * float(rng.normal(1.0, 0.05)), 0.1)
        # v_rel includes Earth's gravitational focusing at ~distance d: sqrt(v_inf^2 + v_esc^2)
        dist = float(10 ** rng.uniform(-3.0, math.log10(0.05)))
        v_esc = math.sqrt(2 * 398600.4418 / (dist * 1.495978707e8))
        approaches.append(
            {
                "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "dist_au": dist,
                "v_rel_kms": math.hypot(v_inf, v_esc),
                "v_inf_kms": v_inf,
            }
        )
    obj["close_approaches"] = approaches
