"""A verdict on one night: the geocentric score of a tracklet and its distance range.

A tracklet (one night, hours) does not determine an orbit, but systematic ranging tells which
orbits it admits (Virtanen, Muinonen & Bowell 2001, Icarus 154, 412; Farnocchia et al. 2015,
Icarus 258, 18, the method of JPL's Scout). The grid is log-spaced in the topocentric range
``rho`` at the first observation, 3e-5 au (4,500 km) to 10 au, and linear in the mean range
rate. At each ``rho`` whose point lies inside the Earth's Hill sphere (0.0098 au), two equal
sets of range rates are tried: those bound to the Earth (|rate| up to the geocentric escape
speed plus the station's rotation speed) and the rest of the admissible region (up to the
heliocentric escape speed plus the Earth's orbital speed), each through Lambert's problem about
the Earth; beyond the Hill sphere, Lambert about the Sun, bound to the Sun. Every grid orbit is
scored on all the observations (two-body, light time; :mod:`core.orbits.iod`) and weighted by
its likelihood ``exp(-(chi2 - chi2_min) / 2)``.

**Geocentric score** = 100 x the weight of the orbits bound to the Earth / the weight of all,
in the sense of Scout's geocentric score (the share of admissible orbits that are geocentric);
the MPC treats a score above 10 as a possibly artificial object, as :data:`ARTIFICIAL_ABOVE`
does here. What tells the classes apart on one night is the diurnal parallax: the station moves
~1,500 km an hour about the Earth's axis, and the curvature of that path shows at arcseconds
for an object within ~0.01 au, so near ranges are admitted only for near objects. The equal
split between bound and unbound range rates inside the Hill sphere is this module's prior (Scout
weights by a population model instead); measured scores per class are in docs/orbits.md.

**Distance range**: the smallest and largest ``rho`` of the orbits within chi2_min + 9, widened
by one grid step (a factor 1.17) on each side.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
import numpy as np

from core._types import FloatArray
from core.errors import FitError
from core.orbits.astrometry import Astrometry
from core.orbits.constants import GM_EARTH_AU3_D2, GM_SUN_AU3_D2, SPEED_OF_LIGHT_AU_D
from core.orbits.iod import HILL_RADIUS_AU, Center, _prepare, _residuals_arcsec
from core.orbits.twobody import lambert, propagate_kepler

__all__ = [
    "ARTIFICIAL_ABOVE",
    "GeocentricScore",
    "geocentric_score",
    "tracklet_facts",
    "tracklet_verdict",
]

RHO_GRID_AU = (3e-5, 10.0, 90)
RATE_POINTS = 25
ARTIFICIAL_ABOVE = 10.0
"""A score above this is "possible artificial object" (the MPC's use of Scout's score)."""
DELTA_CHI2_RANGE = 9.0
_EARTH_ROTATION_AU_D = 3.0e-4
_EARTH_ORBITAL_AU_D = 0.0175


class GeocentricScore(msgspec.Struct, frozen=True):
    """The verdict on a tracklet."""

    score: float
    """0-100: the likelihood-weighted share of admissible ranging orbits bound to the Earth."""
    rho_min_au: float
    rho_max_au: float
    n_orbits: int
    """Admissible grid orbits (bound to the Earth or to the Sun) that were scored."""

    @property
    def possibly_artificial(self) -> bool:
        return self.score > ARTIFICIAL_ABOVE


def _lambert_states(  # noqa: PLR0917  (the pair's arrays, as core.orbits.ranging takes them)
    t: FloatArray,
    u: FloatArray,
    big_r: FloatArray,
    v_center: FloatArray,
    rho_a: FloatArray,
    rho_b: FloatArray,
    mu: float,
) -> FloatArray:
    """States about the centre at t[0] through the two lines of sight at ranges rho_a, rho_b
    (positions at their light-time-corrected epochs, as :mod:`core.orbits.ranging`)."""
    lt_a, lt_b = rho_a / SPEED_OF_LIGHT_AU_D, rho_b / SPEED_OF_LIGHT_AU_D
    r_a = big_r[0] + v_center[0] * lt_a[:, None] + rho_a[:, None] * u[0]
    r_b = big_r[1] + v_center[1] * lt_b[:, None] + rho_b[:, None] * u[1]
    v_a, _ = lambert(r_a, r_b, (t[1] - t[0]) - (lt_b - lt_a), mu)
    r_t, v_t = propagate_kepler(r_a, v_a, lt_a, mu)
    return np.asarray(np.concatenate([r_t, v_t], axis=-1), dtype=float)


def geocentric_score(
    time_jd_tdb: FloatArray,
    ra_deg: FloatArray,
    dec_deg: FloatArray,
    observer_pos_au: FloatArray,
    sigma_arcsec: FloatArray,
) -> GeocentricScore:
    """The geocentric score and distance range of a short arc (module docstring).

    Raises
    ------
    FitError
        Fewer than 3 observations at distinct times, no motion, or no admissible orbit.
    """
    order = np.argsort(np.asarray(time_jd_tdb, dtype=float), kind="stable")
    obs = _prepare(
        np.asarray(time_jd_tdb, float)[order],
        np.asarray(ra_deg, float)[order],
        np.asarray(dec_deg, float)[order],
        np.asarray(observer_pos_au, float)[order],
        None,
    )
    sigma = np.maximum(np.asarray(sigma_arcsec, float)[order][: obs.t.size], 0.1)
    ends = [0, obs.t.size - 1]
    dt = obs.t[-1] - obs.t[0]
    rhos = np.geomspace(*RHO_GRID_AU[:2], RHO_GRID_AU[2])
    q = np.linspace(-1.0, 1.0, RATE_POINTS)
    earth_rho: list[tuple[float, float]] = []
    sun_rho: list[tuple[float, float]] = []
    for rho in rhos:
        geo = obs.pos[0] + rho * obs.u[0] - obs.earth_pos[0]
        d_geo = float(np.linalg.norm(geo))
        r_sun = float(np.linalg.norm(obs.pos[0] + rho * obs.u[0]))
        v_sun = math.sqrt(2.0 * GM_SUN_AU3_D2 / r_sun) + _EARTH_ORBITAL_AU_D
        if d_geo < HILL_RADIUS_AU:
            v_bound = math.sqrt(2.0 * GM_EARTH_AU3_D2 / d_geo) + _EARTH_ROTATION_AU_D
            earth_rho += [(rho, v_bound * x) for x in q]
            earth_rho += [(rho, v_bound + (v_sun - v_bound) * abs(x)) for x in q[q > 0]]
            earth_rho += [(rho, -(v_bound + (v_sun - v_bound) * abs(x))) for x in q[q > 0]]
        else:
            sun_rho += [(rho, v_sun * x) for x in q]
    rho_all: list[FloatArray] = []
    chi2_all: list[FloatArray] = []
    bound_all: list[FloatArray] = []
    families: tuple[tuple[Center, list[tuple[float, float]]], ...] = (
        ("earth", earth_rho),
        ("sun", sun_rho),
    )
    for center, pairs in families:
        if not pairs:
            continue
        grid = np.array(pairs)
        rho_a, rho_b = grid[:, 0], grid[:, 0] + grid[:, 1] * dt
        keep = rho_b > 0.0
        rho_a, rho_b = rho_a[keep], rho_b[keep]
        off = obs.earth_pos[ends] if center == "earth" else np.zeros((2, 3))
        v_c = obs.earth_vel[ends] if center == "earth" else np.zeros((2, 3))
        mu = GM_EARTH_AU3_D2 if center == "earth" else GM_SUN_AU3_D2
        with np.errstate(all="ignore"):
            states = _lambert_states(
                obs.t[ends], obs.u[ends], obs.pos[ends] - off, v_c, rho_a, rho_b, mu
            )
            r = np.linalg.norm(states[:, :3], axis=1)
            energy = 0.5 * np.einsum("ij,ij->i", states[:, 3:], states[:, 3:]) - mu / r
            if center == "earth":
                helio = states + np.concatenate([obs.earth_pos[0], obs.earth_vel[0]])
                e_sun = 0.5 * np.einsum(
                    "ij,ij->i", helio[:, 3:], helio[:, 3:]
                ) - GM_SUN_AU3_D2 / np.linalg.norm(helio[:, :3], axis=1)
                ok = np.isfinite(energy) & ((energy < 0.0) | (e_sun < 0.0))
            else:
                ok = np.isfinite(energy) & (energy < 0.0)
            res = _residuals_arcsec(
                states[ok], np.zeros(int(ok.sum()), dtype=np.int64), center, obs
            )
        chi2 = np.sum((res / sigma[None, :]) ** 2, axis=1)
        fine = np.isfinite(chi2)
        rho_all.append(rho_a[ok][fine])
        chi2_all.append(chi2[fine])
        bound_all.append(
            (energy[ok][fine] < 0.0) if center == "earth" else np.zeros(int(fine.sum()), dtype=bool)
        )
    chi2 = np.concatenate(chi2_all) if chi2_all else np.zeros(0)
    if chi2.size == 0:
        raise FitError("no admissible orbit in the ranging grid")
    rho = np.concatenate(rho_all)
    bound = np.concatenate(bound_all)
    w = np.exp(-0.5 * (chi2 - chi2.min()))
    near = chi2 <= chi2.min() + DELTA_CHI2_RANGE
    step = (RHO_GRID_AU[1] / RHO_GRID_AU[0]) ** (1.0 / (RHO_GRID_AU[2] - 1))
    return GeocentricScore(
        score=float(100.0 * w[bound].sum() / w.sum()),
        rho_min_au=float(rho[near].min() / step),
        rho_max_au=float(rho[near].max() * step),
        n_orbits=int(chi2.size),
    )


def tracklet_verdict(astrometry: Astrometry) -> GeocentricScore:
    """:func:`geocentric_score` of one object's observations (placed as the fit places them:
    MPC stations, space-based and roving positions; weights of :mod:`core.orbits.weights`).

    Raises
    ------
    FitError
        An unknown station, fewer than 3 distinct times, no motion, no admissible orbit.
    """
    from core.orbits.ephemeris import utc_to_tdb
    from core.orbits.observers import observers_of
    from core.orbits.weights import sigmas_arcsec

    a = astrometry.sorted_by_time()
    observer = observers_of(a)
    sig_ra, sig_dec = sigmas_arcsec(a)
    keep = np.all(np.isfinite(observer), axis=1)
    if np.count_nonzero(keep) < 3:
        raise FitError("fewer than 3 observations with a known observer position")
    return geocentric_score(
        np.asarray(utc_to_tdb(a.time_jd_utc))[keep],
        a.ra_deg[keep],
        a.dec_deg[keep],
        observer[keep],
        np.hypot(sig_ra, sig_dec)[keep],
    )


def tracklet_facts(astrometry: Astrometry) -> dict[str, Any]:
    """The verdict of an arc shorter than the fit's 12 h as fit facts (``geocentric_score``,
    ``distance_min_au``, ``distance_max_au``, and ``reasons`` = ["possible artificial object
    ..."] above :data:`ARTIFICIAL_ABOVE`); ``{}`` for a longer arc or where no verdict can be
    given (the fit's own reason then stands alone)."""
    from core.orbits.weights import MIN_ARC_DAYS

    times = astrometry.time_jd_utc
    if len(times) < 3 or float(times.max() - times.min()) >= MIN_ARC_DAYS:
        return {}
    try:
        verdict = tracklet_verdict(astrometry)
    except FitError:
        return {}
    facts: dict[str, Any] = {
        "geocentric_score": round(verdict.score, 2),
        "distance_min_au": verdict.rho_min_au,
        "distance_max_au": verdict.rho_max_au,
    }
    if verdict.possibly_artificial:
        facts["reasons"] = ["possible artificial object (geocentric score above 10)"]
    return facts
