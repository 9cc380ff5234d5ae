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
    An empty stage or a lost spacecraft has an area-to-mass ratio of 10^-3-10^-2 m^2/kg, some
    100x a rock of the same size. It is drawn from a real deep-space piece of GCAT
    (:mod:`core.orbits.launches`: a rocket stage 70 % of the time, else a payload, dry
    mass >= 100 kg; mean projected area over dry mass, stages 0.006-0.025 m^2/kg) times a
    factor 0.8-1.25 (attitude, C_R). The radial Marsden term is A1 = C_R * 2.265e-7 * A/M au/d^2
    (C_R 1-1.5), written with a realistic sigma (|A1|/sigma log-uniform in 2-100: short arcs
    barely detect it, long ones measure it well) in ``nongrav.A1_sigma``. A2, the
    transverse term, is a small fraction of A1 (10^-2.5-10^-0.5) of either sign: radiation
    pressure is mostly radial, and A2 alone is never evidence (issue 20).
``regular_approaches``
    An object in near 1:1 resonance with Earth comes back at an almost constant cadence
    (about a year during a quasi-satellite or temporary-capture phase) at low speed.
    The sequence of 4-10 close approaches has intervals of 0.95-1.10 yr with a jitter of
    < 1 day: far more regular than the irregular encounter history of natural NEAs.
    Approach speeds follow the Öpik estimate from the orbit (slow for Earth-like orbits).

Natural hard negatives
----------------------
:func:`generate_natural_minimoons` makes the natural objects the detectors must not flag:
temporarily captured natural minimoons and natural rocks on Earth-like orbits (2006 RH120,
2020 CD3), on the same templates: an Earth-like orbit as above, H = 27-33, and where an A1 is
written (60 %) the A1 of a rock, A/M = 3 / (2 rho D) with rho = 1,000-3,500 kg/m^3 and D from
H (clipped to 1e-5-1e-3 m^2/kg, the measured natural range: 2009 BD 3e-4, 2020 CD3 6.9e-4),
with the same sigma law as stages. Natural Earth-like objects from the catalogue (a within
0.1 au of 1, e < 0.1, i < 2 deg) are the real hard negatives (:func:`is_earth_like`).

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

from core.contract.records import NeoRecord, record_from_obj, record_to_obj
from core.orbits.launches import area_to_mass_m2_kg, load_deep_space
from core.orbits.srp import SRP_AU_D2_PER_M2_KG

__all__ = [
    "FAMILIES",
    "InjectedSet",
    "gcat_area_to_mass_m2_kg",
    "generate_artificial",
    "generate_natural_minimoons",
    "is_earth_like",
]

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
_STAGE_SHARE = 0.7
_MIN_DRY_MASS_KG = 100.0


def gcat_area_to_mass_m2_kg() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A/M (m^2/kg) of GCAT's deep-space stages and payloads (dry mass >= 100 kg)."""
    stages, payloads = [], []
    for piece in load_deep_space():
        amr = area_to_mass_m2_kg(piece)
        if math.isfinite(amr) and piece.dry_mass_kg >= _MIN_DRY_MASS_KG:
            if piece.is_stage:
                stages.append(amr)
            elif piece.is_payload:
                payloads.append(amr)
    return tuple(stages), tuple(payloads)


def is_earth_like(record: NeoRecord) -> bool:
    """A natural Earth-like orbit: a within 0.1 au of 1, e < 0.1, i < 2 deg (the hard question)."""
    o = record.orbit
    return (
        o is not None and o.a_au is not None and abs(o.a_au - 1.0) < 0.1 and o.e < 0.1
        and o.i_deg < 2.0
    )  # fmt: skip


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
        Valid neo.v1 records (each passed through :func:`core.contract.records.record_from_obj`).
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


def _write_a1(obj: dict[str, Any], amr_m2_kg: float, rng: np.random.Generator) -> None:
    """A1 (and A1_sigma) of a body of this A/M; A2 a small fraction of it."""
    c_r = float(rng.uniform(1.0, 1.5))
    a1 = c_r * SRP_AU_D2_PER_M2_KG * amr_m2_kg  # Montenbruck & Gill 2000, eq. 3.75
    snr = float(10 ** rng.uniform(math.log10(2.0), 2.0))
    nongrav = dict(obj.get("nongrav") or {})
    # The fitted value scatters around the truth by its sigma.
    nongrav["A1"] = a1 + float(rng.normal(0.0, a1 / snr))
    nongrav["A1_sigma"] = a1 / snr
    sign = 1.0 if rng.random() < 0.5 else -1.0
    nongrav["A2"] = sign * a1 * float(10 ** rng.uniform(-2.5, -0.5))
    obj["nongrav"] = nongrav


def _radiation_pressure(obj: dict[str, Any], rng: np.random.Generator) -> None:
    stages, payloads = _GCAT_AMR
    pool = stages if rng.random() < _STAGE_SHARE or not payloads else payloads
    amr = pool[int(rng.integers(len(pool)))] * float(rng.uniform(0.8, 1.25))
    _write_a1(obj, amr, rng)


_GCAT_AMR = gcat_area_to_mass_m2_kg()


def generate_natural_minimoons(
    templates: Sequence[NeoRecord],
    n: int,
    rng: np.random.Generator,
    *,
    a1_fraction: float = 0.6,
) -> tuple[NeoRecord, ...]:
    """Natural hard negatives: small natural bodies on Earth-like orbits (module docstring).

    Parameters
    ----------
    templates : sequence of NeoRecord
        Real natural records to write over (never modified).
    n : int
        Number of objects.
    rng : numpy.random.Generator
        Source of all randomness.
    a1_fraction : float
        Share of objects given a radiation-pressure A1 (a rock's).
    """
    if not templates:
        raise ValueError("generate_natural_minimoons needs at least one template record")
    out = []
    for _ in range(n):
        obj = record_to_obj(templates[int(rng.integers(len(templates)))])
        obj["designation"] = _provisional_designation(rng)
        _earth_like_orbit(obj, rng)
        physical = dict(obj.get("physical") or {})
        h = float(rng.uniform(27.0, 33.0))
        physical["H"] = h
        albedo = float(physical.get("albedo") or rng.uniform(0.1, 0.35))
        d_m = 1329e3 / math.sqrt(albedo) * 10 ** (-h / 5.0)  # Fowler & Chillemi 1992
        if "diameter_km" in physical:
            physical["diameter_km"] = d_m / 1000.0
        obj["physical"] = physical
        if rng.random() < a1_fraction:
            rho = float(rng.uniform(1000.0, 3500.0))
            amr = min(max(3.0 / (2.0 * rho * d_m), 1e-5), 1e-3)  # Micheli et al. 2012
            _write_a1(obj, amr, rng)
        out.append(record_from_obj(obj))
    return tuple(out)


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
