"""Launch linkage: integrate an orbit's clones backward and match Earth passages to launch dates.

How 2020 SO was tied to the 1966 Surveyor 2 launch (and J002E3 to Apollo 12): integrated
backward, a spent stage's orbit comes back to Earth, slowly, on the date it left. Here:

1. **Clones** (:func:`draw_clones`): the nominal heliocentric state plus ``n_clones - 1``
   draws from its 6x6 covariance (state space), or from per-element sigmas
   (``orbit.sigma``, drawn independently in the elements and converted), clone 0 nominal.
2. **Backward integration** (:func:`link_launch`): all clones are test particles of *one*
   ASSIST simulation (Holman et al. 2023: Sun, planets and Moon from DE440, GR, Earth J2-J4,
   the record's A1/A2/A3; the ephemeris bodies carry the mass, so clones cost little each),
   sampled every ``step_days`` back to ``first_jd_tdb`` (default: the first bundled GCAT
   deep-space launch, 1959).
3. **Earth passages**: every local minimum of a clone's geocentric distance below
   ``encounter_au`` (0.03 au), refined by a parabola through the three samples around it,
   with its time, distance and speed relative to Earth.
4. **Departures** (issue 33): only a passage a launch could have begun is matched: within
   ``departure_au`` (0.015 au: Earth's Hill sphere, 0.0098 au, plus the daily sampling's and
   the clones' slack) at a speed that escapes with at most ``max_departure_v_inf_kms``
   (v_inf^2 = v^2 - 2 GM_E / r: 5 km/s, C3 25 km^2/s^2, above every deep-space launch's C3 of
   a few to ~20 km^2/s^2). A later passage farther out, or too fast for a launch, is a
   revisit, never a launch; among the launches matched, the **earliest** wins (an object
   that revisits the Earth existed at its first departure: 2020 SO's 2020 return is not its
   launch, its 1966 departure is).
5. **Matching**: a departure within ``window_days`` of a launch date (default -30 to +90 days:
   a stage can linger in the Earth-Moon system for weeks before it escapes, as J002E3 did,
   and after decades the clones' passage times scatter by weeks: +-15 days after 50 years
   for sigma 1e-7 au, 1e-9 au/d in the test) matches that launch. The launch matched by the
   earliest launch with at least ``min_clone_fraction`` of the clones wins (the share of
   clones, then how closely the passages follow it, break ties):
   ``launch_match {launch_date, launch_tag, name, clone_fraction, min_dist_au, v_rel_kms,
   days_after_launch, departure_v_inf_kms}`` (medians over the matching clones), or None.
6. **Time bound**: ``max_seconds`` of wall time per object (default 120); the integration
   stops there and the result says how far back it got (``first_jd_tdb``, ``complete``).
7. **Trust horizon**: the nominal orbit's most recent passage within Earth's Hill sphere
   (``deep_au`` = 0.01 au) going back from the epoch is the first deep encounter; before it
   the clones scatter and a match rests on the clone fraction alone
   (``trustworthy_after_jd_tdb``; None when there is none).

Cost grows with clones x years; :class:`LinkageConfig` bounds both. The command that runs it
(``neo-streamer link``) runs only for launch-compatible orbits; the daemon runs it only for
physics-backed alerts, in its scoring processes, within ``[linkage]``'s time bounds
(``streamer/state/launch.py``), never for the other results.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from core._types import FloatArray
from core.constants import AU_KM, DAY_S
from core.contract.records import NeoRecord
from core.orbits.constants import GM_EARTH_AU3_D2, JD_J2000
from core.orbits.elements import elements_to_state, equatorial_to_ecliptic
from core.orbits.ephemeris import earth_state_au, load_ephemeris, sun_state_au
from core.orbits.launches import DeepSpacePiece, load_deep_space
from core.orbits.propagate import DE440_FIRST_JD, PropagationError

__all__ = [
    "FALSE_MATCH_RATE_EARTH_LIKE",
    "EarthPassage",
    "LinkageConfig",
    "LinkageResult",
    "clones_from_record",
    "departure_v_inf_kms",
    "draw_clones",
    "is_departure",
    "jd_of_date",
    "link_launch",
]

_AU_D_TO_KMS = AU_KM / DAY_S
_FORCES = ["SUN", "PLANETS", "NON_GRAVITATIONAL", "EARTH_HARMONICS", "SUN_HARMONICS", "GR_EIH"]
_ELEMENT_KEYS = ("a_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg")
_SAME_DEPARTURE_DAYS = 60.0

FALSE_MATCH_RATE_EARTH_LIKE = 17 / 39
"""Share of the bundled catalogue's natural Earth-like orbits (a within 0.1 au of 1, e < 0.1,
i < 2 deg: 39) that the default rule links to a launch, nominal orbit, back to 1959:
``bench/bench_linkage.py --clones 1 --max-seconds 15`` (docs/performance.md; 23 of 39 with
the rule before departures). Every match states it: on such an orbit a match alone is weak
evidence (~650 launches with a 120-day window each cover a third of all dates)."""


def jd_of_date(day: date) -> float:
    """Julian date (TDB, 0h) of a calendar date (the day's start; UTC-TDB is < 2 min)."""
    return float(day.toordinal() + 1721424.5)


@dataclass(frozen=True, slots=True)
class LinkageConfig:
    """Bounds and thresholds of one linkage (see the module docstring)."""

    n_clones: int = 32
    step_days: float = 1.0
    encounter_au: float = 0.03
    deep_au: float = 0.01
    window_days: tuple[float, float] = (-30.0, 90.0)
    min_clone_fraction: float = 0.05
    max_years: float = 70.0
    seed: int = 0
    departure_au: float = 0.015
    max_departure_v_inf_kms: float = 5.0
    max_seconds: float = 120.0


@dataclass(frozen=True, slots=True)
class EarthPassage:
    """One clone's passage of Earth within the encounter distance."""

    clone: int
    jd_tdb: float
    dist_au: float
    v_rel_kms: float


@dataclass(frozen=True)
class LinkageResult:
    """What linkage found for one object."""

    launch_match: dict[str, Any] | None
    trustworthy_after_jd_tdb: float | None
    passages: tuple[EarthPassage, ...]
    n_clones: int
    first_jd_tdb: float
    candidates: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    """False when ``max_seconds`` stopped the integration before ``first_jd_tdb`` was asked."""


def draw_clones(
    state6: FloatArray,
    n_clones: int,
    rng: np.random.Generator,
    *,
    covariance: FloatArray | None = None,
    elements: dict[str, float] | None = None,
    sigma: dict[str, float] | None = None,
    epoch_jd_tdb: float | None = None,
) -> FloatArray:
    """``n_clones`` heliocentric ecliptic states, the nominal first.

    With ``covariance`` (6x6, state space) the clones are multivariate normal draws; with
    ``elements`` and ``sigma`` (neo.v1 ``orbit`` and ``orbit.sigma`` keys) each element is
    drawn independently and converted; with neither every clone is the nominal.
    """
    nominal = np.asarray(state6, dtype=np.float64)
    out = np.repeat(nominal[None, :], n_clones, axis=0)
    if n_clones <= 1:
        return out
    if covariance is not None:
        cov = np.asarray(covariance, dtype=np.float64)
        out[1:] = rng.multivariate_normal(nominal, cov, size=n_clones - 1, method="eigh")
    elif elements is not None and sigma:
        for k in range(1, n_clones):
            drawn = {
                key: elements[key] + float(rng.normal(0.0, sigma.get(key, 0.0)))
                for key in _ELEMENT_KEYS
            }
            drawn["e"] = max(drawn["e"], 0.0)
            out[k] = elements_to_state(
                drawn["a_au"],
                drawn["e"],
                drawn["i_deg"],
                drawn["node_deg"],
                drawn["peri_deg"],
                drawn["M_deg"],
                epoch_jd_tdb,
            )
    return out


def clones_from_record(
    record: NeoRecord, n_clones: int, rng: np.random.Generator
) -> tuple[FloatArray, float] | None:
    """Clones of a record's orbit and their epoch (TDB), or None without full elements.

    The record's ``orbit.sigma`` (neo.v1) spreads the clones; without it every clone is the
    nominal orbit (a clone fraction then says nothing about the orbit's uncertainty).
    """
    o = record.orbit
    if o is None or o.a_au is None or o.e >= 1.0 or o.epoch_jd is None:
        return None
    if o.node_deg is None or o.peri_deg is None or o.M_deg is None:
        return None
    elements = {
        "a_au": o.a_au,
        "e": o.e,
        "i_deg": o.i_deg,
        "node_deg": o.node_deg,
        "peri_deg": o.peri_deg,
        "M_deg": o.M_deg,
    }
    nominal = elements_to_state(o.a_au, o.e, o.i_deg, o.node_deg, o.peri_deg, o.M_deg, o.epoch_jd)
    sigma = None
    if o.sigma is not None:
        sigma = {
            key: float(v) for key in _ELEMENT_KEYS if (v := getattr(o.sigma, key, None)) is not None
        }
    clones = draw_clones(
        nominal, n_clones, rng, elements=elements, sigma=sigma, epoch_jd_tdb=o.epoch_jd
    )
    return clones, float(o.epoch_jd)


def _integrate_back(
    clones: FloatArray,
    epoch_jd_tdb: float,
    times: FloatArray,
    a123: tuple[float, float, float],
    max_seconds: float = float("inf"),
) -> FloatArray:
    """Geocentric ecliptic states (n_times', n_clones, 6) of all clones, one simulation;
    n_times' < n_times when ``max_seconds`` of wall time ran out first."""
    import assist
    import rebound

    from core.orbits.elements import ecliptic_to_equatorial

    sun_pos, sun_vel = sun_state_au(np.array([epoch_jd_tdb]))
    sun = np.concatenate([sun_pos[0], sun_vel[0]])
    start = ecliptic_to_equatorial(clones) + ecliptic_to_equatorial(sun[None, :])
    sim = rebound.Simulation()
    extras = assist.Extras(sim, load_ephemeris())
    extras.forces = list(_FORCES)
    sim.t = epoch_jd_tdb - JD_J2000
    for x, y, z, vx, vy, vz in start.tolist():
        sim.add(x=x, y=y, z=z, vx=vx, vy=vy, vz=vz)
    extras.particle_params = np.tile(np.asarray(a123, dtype=np.float64), len(clones))
    n = len(clones)
    bary_eq = np.empty((times.size, n, 6))
    buf = np.empty(n * 6)
    deadline = time.perf_counter() + max_seconds
    done = times.size
    for k, jd in enumerate(times):
        # checked at every sample: one sample (a day) deep in the Earth's well can take
        # seconds of IAS15 steps, so the bound is that coarse (issue 28)
        if k and time.perf_counter() > deadline:
            done = k
            break
        extras.integrate_or_interpolate(float(jd) - JD_J2000)
        sim.serialize_particle_data(xyzvxvyvz=buf)
        bary_eq[k] = buf.reshape(n, 6)
    bary_eq, times = bary_eq[:done], times[:done]
    if not np.all(np.isfinite(bary_eq)):
        raise PropagationError("the backward integration produced non-finite states")
    ecl = equatorial_to_ecliptic(bary_eq.reshape(-1, 6)).reshape(times.size, n, 6)
    e_pos, e_vel = earth_state_au(times)
    s_pos, s_vel = sun_state_au(times)
    # Earth heliocentric + Sun barycentric = Earth barycentric (ecliptic)
    earth = np.concatenate([e_pos + s_pos, e_vel + s_vel], axis=1)
    geo: FloatArray = ecl - earth[:, None, :]
    return geo


def _passages(geo: FloatArray, times: FloatArray, encounter_au: float) -> list[EarthPassage]:
    dist = np.linalg.norm(geo[:, :, :3], axis=2)  # (n_times, n_clones)
    out = []
    inner = (dist[1:-1] < dist[:-2]) & (dist[1:-1] <= dist[2:]) & (dist[1:-1] < encounter_au)
    for t_idx, clone in zip(*np.nonzero(inner), strict=True):
        k = int(t_idx) + 1
        d0, d1, d2 = dist[k - 1, clone], dist[k, clone], dist[k + 1, clone]
        # parabola through the three samples (uniform step): vertex offset in steps
        denom = d0 - 2.0 * d1 + d2
        off = 0.5 * (d0 - d2) / denom if denom > 0 else 0.0
        off = float(np.clip(off, -1.0, 1.0))
        h = times[k + 1] - times[k]
        d_min = max(d1 - 0.25 * (d0 - d2) * off, 0.0)
        v = float(np.linalg.norm(geo[k, clone, 3:])) * _AU_D_TO_KMS
        out.append(EarthPassage(int(clone), float(times[k] + off * h), float(d_min), v))
    return out


def _piece_rank(piece: DeepSpacePiece) -> int:
    """Which piece names a launch: a rocket stage, else a payload, else a component."""
    return 2 if piece.is_stage else 1 if piece.is_payload else 0


def link_launch(
    clones: FloatArray,
    epoch_jd_tdb: float,
    *,
    a123: tuple[float, float, float] = (0.0, 0.0, 0.0),
    config: LinkageConfig | None = None,
    launches: Sequence[DeepSpacePiece] | None = None,
    first_jd_tdb: float | None = None,
) -> LinkageResult:
    """Integrate ``clones`` (from :func:`draw_clones`) backward and match launches.

    Parameters
    ----------
    clones : ndarray (n, 6)
        Heliocentric ecliptic J2000 states at ``epoch_jd_tdb``, the nominal first.
    epoch_jd_tdb : float
        Their epoch (TDB Julian date).
    a123 : tuple of float
        Marsden A1, A2, A3 (au/d^2), the same for every clone.
    config : LinkageConfig
        Bounds and thresholds (defaults when None).
    launches : sequence of DeepSpacePiece
        Launches to match (the bundled GCAT deep-space table when None).
    first_jd_tdb : float
        How far back to integrate (the first launch, within ``config.max_years``, when None).

    Returns
    -------
    LinkageResult
    """
    cfg = config or LinkageConfig()
    pieces = tuple(load_deep_space() if launches is None else launches)
    if first_jd_tdb is None:
        first_launch = min(jd_of_date(p.launch_date) for p in pieces) if pieces else epoch_jd_tdb
        first_jd_tdb = max(first_launch - 10.0, epoch_jd_tdb - 365.25 * cfg.max_years)
    first_jd_tdb = max(first_jd_tdb, DE440_FIRST_JD + 1.0)
    times = np.arange(epoch_jd_tdb, first_jd_tdb - cfg.step_days, -cfg.step_days)
    asked = times.size
    geo = _integrate_back(
        np.asarray(clones, dtype=np.float64), epoch_jd_tdb, times, a123, cfg.max_seconds
    )
    times = times[: geo.shape[0]]
    passages = _passages(geo, times, cfg.encounter_au)
    departures = [p for p in passages if is_departure(p, cfg)]
    deep = [p.jd_tdb for p in passages if p.clone == 0 and p.dist_au < cfg.deep_au]
    trust = max(deep) if deep else None
    n = len(clones)
    lo, hi = cfg.window_days
    by_launch: dict[str, dict[str, Any]] = {}
    for piece in pieces:
        launch_jd = jd_of_date(piece.launch_date)
        hits: dict[int, EarthPassage] = {}
        for p in departures:
            if lo <= p.jd_tdb - launch_jd <= hi:
                best = hits.get(p.clone)
                if best is None or p.dist_au < best.dist_au:
                    hits[p.clone] = p
        if not hits:
            continue
        key = piece.launch_date.isoformat()
        if key in by_launch and (by_launch[key]["n"], by_launch[key]["rank"]) >= (
            len(hits),
            _piece_rank(piece),
        ):
            continue
        matched = list(hits.values())
        by_launch[key] = {
            "n": len(hits),
            "rank": _piece_rank(piece),
            "launch_date": key,
            "launch_tag": piece.launch_tag,
            "name": piece.name,
            "clone_fraction": len(hits) / n,
            "min_dist_au": float(np.median([p.dist_au for p in matched])),
            "v_rel_kms": float(np.median([p.v_rel_kms for p in matched])),
            "days_after_launch": float(np.median([p.jd_tdb - launch_jd for p in matched])),
            "departure_v_inf_kms": float(np.median([departure_v_inf_kms(p) for p in matched])),
            "departure_jd_tdb": float(np.median([p.jd_tdb for p in matched])),
            "false_match_rate_earth_like": FALSE_MATCH_RATE_EARTH_LIKE,
        }
    # The earliest departure wins (later ones are revisits); among the launches matched to
    # that departure (within _SAME_DEPARTURE_DAYS), most clones first, then the launch the
    # passages follow most closely (a launch months earlier also falls in the window), then
    # the closest passage.
    eligible = [c for c in by_launch.values() if c["clone_fraction"] >= cfg.min_clone_fraction]
    best_match = None
    if eligible:
        first = min(c["departure_jd_tdb"] for c in eligible)
        same = [c for c in eligible if c["departure_jd_tdb"] - first < _SAME_DEPARTURE_DAYS]
        best_match = sorted(same, key=_launch_order)[0]
    candidates = sorted(by_launch.values(), key=lambda c: c["departure_jd_tdb"])
    for c in candidates:
        del c["n"], c["rank"]
    return LinkageResult(
        launch_match=best_match,
        trustworthy_after_jd_tdb=trust,
        passages=tuple(passages),
        n_clones=n,
        first_jd_tdb=float(times[-1]),
        candidates=candidates[:5],
        complete=geo.shape[0] == asked,
    )


def _launch_order(c: dict[str, Any]) -> tuple[float, float, float]:
    return (-c["n"], abs(c["days_after_launch"]), c["min_dist_au"])


def departure_v_inf_kms(passage: EarthPassage) -> float:
    """The hyperbolic excess speed of a passage, km/s: v_inf^2 = v^2 - 2 GM_E / r (0 when
    bound to the Earth at that distance)."""
    v = passage.v_rel_kms / _AU_D_TO_KMS
    excess = v * v - 2.0 * GM_EARTH_AU3_D2 / max(passage.dist_au, 1e-9)
    return math.sqrt(max(excess, 0.0)) * _AU_D_TO_KMS


def is_departure(passage: EarthPassage, config: LinkageConfig) -> bool:
    """Whether a launch could have begun ``passage``: within ``departure_au`` of the Earth at
    an escape speed of at most ``max_departure_v_inf_kms`` (the module docstring)."""
    return (
        passage.dist_au <= config.departure_au
        and departure_v_inf_kms(passage) <= config.max_departure_v_inf_kms
    )
