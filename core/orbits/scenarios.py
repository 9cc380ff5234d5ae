"""Simulated objects of the Earth's neighbourhood: the truths of the tests and benchmarks.

Each scenario is a state built from the physics (no catalogue orbit) and propagated with the
project's own force model (:mod:`core.orbits.propagate`: ASSIST/DE440, A1 radiation pressure);
:func:`core.orbits.simulate.nightly_times` picks when real stations (MPC codes) see it at night,
:func:`core.orbits.simulate.simulate_astrometry` adds 0.3" noise. The classes follow issue 28:

- ``captured``: a rock on a geocentric orbit of 0.0045 au semi-major axis (670,000 km, inside
  the Hill sphere, 0.0098 au), bound for months as 2006 RH120 was in 2006-2007 (Kwiatkowski
  et al. 2009, A&A 495, 967; Granvik et al. 2012, Icarus 218, 262: a typical minimoon stays
  ~9 months, at 0.002-0.01 au).
- ``dro``: a spacecraft on a lunar distant retrograde orbit, 70,000 km from the Moon, as
  Artemis I (NASA 2022: a DRO ~70,000 km beyond the Moon); retrograde about the Moon at
  2.5 n d in the Earth-Moon rotating frame (found by trial: it stays 66,000-95,000 km from
  the Moon for 45 days; 2 n d, the Hill epicycle, falls onto the Moon from this distance).
- ``l2``: a spacecraft near the Sun-Earth L2 point (1.5 million km anti-sunward), co-rotating.
- ``heo``: a spent stage on a 175,000 x 325,000 km Earth orbit (period 10.4 days).
- ``flyby``: a rock passing the Earth at 10 Earth radii (63,800 km) at 5 km/s relative.

A/M: a stage's 0.005-0.02 m^2/kg gives A1 = 2.265e-7 C_R A/M au/d^2 at 1 au (:mod:`srp`).
"""

from __future__ import annotations

import math

import msgspec
import numpy as np

from core._types import FloatArray
from core.constants import AU_KM, DAY_S
from core.orbits.constants import GM_EARTH_AU3_D2
from core.orbits.ephemeris import earth_state_au, moon_state_au

__all__ = ["SCENARIOS", "Scenario", "scenario_state"]

_EPOCH = 2460600.5  # 2024-10-20 TDB
_KM = 1.0 / AU_KM


class Scenario(msgspec.Struct, frozen=True):
    """One simulated class: its name, start of the arc, nights, stations."""

    name: str
    nights: int
    stations: tuple[str, ...]
    first_night_offset_days: float = 0.0


SCENARIOS: dict[str, Scenario] = {
    "captured": Scenario("captured", 90, ("G96", "F51", "I41", "T08", "W68")),
    "dro": Scenario("dro", 30, ("G96", "F51", "I41", "T08", "W68")),
    "l2": Scenario("l2", 40, ("G96", "F51", "I41", "T08", "W68")),
    "heo": Scenario("heo", 14, ("G96", "F51", "I41", "T08", "W68")),
    "flyby": Scenario("flyby", 12, ("G96", "F51", "I41", "T08", "W68"), -10.0),
}


def _rot_z(v: FloatArray, angle: float) -> FloatArray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])


def _geo(r: FloatArray, v: FloatArray, jd: float = _EPOCH) -> FloatArray:
    ep, ev = earth_state_au(jd)
    return np.concatenate([ep + r, ev + v])


def scenario_state(name: str) -> tuple[FloatArray, float]:
    """(heliocentric ecliptic J2000 state, epoch TDB) of a scenario's truth."""
    ep, ev = earth_state_au(_EPOCH)
    sun_dir = -ep / np.linalg.norm(ep)
    if name == "captured":
        a, e, inc = 0.0045, 0.3, math.radians(40.0)
        rp = a * (1 - e)
        vp = math.sqrt(GM_EARTH_AU3_D2 * (1 + e) / rp)
        return _geo(
            np.array([rp, 0.0, 0.0]), vp * np.array([0.0, math.cos(inc), math.sin(inc)])
        ), _EPOCH
    if name == "heo":
        rp, ra = 175_000 * _KM, 325_000 * _KM
        vp = math.sqrt(GM_EARTH_AU3_D2 * (2 / rp - 2 / (rp + ra)))
        inc = math.radians(30.0)
        return _geo(
            np.array([rp, 0.0, 0.0]), vp * np.array([0.0, math.cos(inc), math.sin(inc)])
        ), _EPOCH
    if name == "dro":
        mp, mv = moon_state_au(_EPOCH)
        rel_m = mp - ep
        n = np.cross(rel_m, mv - ev)
        n_hat = n / np.linalg.norm(n)
        omega = np.linalg.norm(n) / np.dot(rel_m, rel_m)  # the Moon's angular rate, rad/d
        x_hat = rel_m / np.linalg.norm(rel_m)
        d = 70_000 * _KM
        r = d * x_hat  # beyond the Moon, on the Earth-Moon line
        v_rot = -2.5 * omega * d * np.cross(n_hat, x_hat)  # retrograde in the rotating frame
        v = mv + v_rot + omega * np.cross(n_hat, r)
        return np.concatenate([mp + r, v]), _EPOCH
    if name == "l2":
        d = 1.5e6 * _KM
        h = np.cross(ep, ev)
        omega = np.linalg.norm(h) / np.dot(ep, ep)
        r = -d * sun_dir + np.array([0.0, 0.0, 1.0e5 * _KM])
        v = omega * np.cross(h / np.linalg.norm(h), r)
        return _geo(r, v), _EPOCH
    if name == "flyby":
        b = 10 * 6378.1366 * _KM
        v_rel = 5.0 * DAY_S * _KM
        perp = np.cross(sun_dir, [0.0, 0.0, 1.0])
        perp /= np.linalg.norm(perp)
        return _geo(b * sun_dir, v_rel * perp), _EPOCH
    raise KeyError(name)
