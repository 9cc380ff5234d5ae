"""Propagation with ASSIST on REBOUND, with the variational equations used by the fit.

Force model (ASSIST 1.2.3, Holman et al. 2023, PSJ 4, 69): Sun, planets and Moon from DE440,
Earth J2/J3/J4 and solar J2, general relativity (EIH, the Sun as source), and the Marsden
non-gravitational acceleration ``A1 g(r) r_hat + A2 g(r) t_hat + A3 g(r) n_hat`` (Marsden,
Sekanina & Yeomans 1973, AJ 78, 211) with ``g(r) = (1 au / r)^2``, ASSIST's default for asteroids
(``alpha = 1, r0 = 1, nm = 2, nk = 0``; Farnocchia et al. 2013, Icarus 224, 1). The 16 asteroid
perturbers are off: their file is not installed (docs/orbits.md says what that changes).
Integrator: IAS15 with its adaptive step (Rein & Spiegel 2015, MNRAS 446, 1424).

ASSIST integrates barycentric ICRF states in au, au/d and TDB days from J2000; the functions
here take and give heliocentric ecliptic J2000 states, the frame of the elements.

The variational equations (first order) give the partial derivatives of the state at each time
with respect to the initial state and to the non-gravitational parameters being fitted; ASSIST
carries the derivative of every force term, including the non-gravitational one, whose
parameter variations are passed through ``particle_params`` (three per variational particle).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from core._types import BoolArray, FloatArray
from core.constants import AU_KM
from core.orbits.constants import EARTH_EQUATORIAL_RADIUS_KM, JD_J2000
from core.orbits.elements import ecliptic_to_equatorial
from core.orbits.ephemeris import _quiet_c_output, load_ephemeris, sun_state_au

__all__ = [
    "ImpactError",
    "NongravParam",
    "PropagationError",
    "propagate",
    "propagate_with_partials",
]

NongravParam = Literal["a1", "a2", "a3"]
_PARAM_INDEX: dict[str, int] = {"a1": 0, "a2": 1, "a3": 2}
_FORCES = ["SUN", "PLANETS", "NON_GRAVITATIONAL", "EARTH_HARMONICS", "SUN_HARMONICS", "GR_EIH"]

MIN_STEP_DAYS = 1e-4
MAX_STEPS = 20_000
"""A trial orbit that needs more IAS15 steps than this (a multi-year arc takes a few thousand)
is stopped: it runs into the Earth or the Sun."""
DE440_FIRST_JD = 2287184.5
DE440_LAST_JD = 2688976.5
"""The span of DE440 (1549-12-31 to 2650-01-25, Park et al. 2021)."""

GEOCENTRIC_ENTER_AU = 0.05
GEOCENTRIC_LEAVE_AU = 0.1
"""Within 0.05 au of the Earth (5 Hill radii) the integration runs in ASSIST's geocentric frame,
beyond 0.1 au in the barycentric one (the gap keeps an orbit from switching back and forth).
Measured (ASSIST 1.2.3, IAS15): a 250,000 km geocentric orbit takes ~10,000 steps per day in
the barycentric frame and ~11 in the geocentric one; a heliocentric orbit 0.1-0.5 au from the
Earth takes 2-3x more steps in the geocentric frame than in the barycentric one."""
FRAME_CHECK_DAYS = 2.0
"""The frame is checked every 2 days of integration (at an output time or a checkpoint)."""
EARTH_RADIUS_AU = EARTH_EQUATORIAL_RADIUS_KM / AU_KM
MOON_RADIUS_AU = 1737.4 / AU_KM
"""The Moon's mean radius, 1737.4 km (IAU WGCCRE 2015, Archinal et al. 2018)."""
MOON_BAND_AU = (350_000.0 / AU_KM, 410_000.0 / AU_KM)
"""The Moon is looked up only where the orbit can touch it: its geocentric distance stays within
356,400-406,700 km (perigee and apogee extremes), plus the Moon's radius."""
_EARTH_ID, _MOON_ID = 3, 4
"""ASSIST's body numbers (``assist.ephem.ASSIST_BODY_IDS``): by number, ``get_particle`` skips
its name lookup (a third of the fit's time when called by name at every step)."""

_ECL_TO_EQ_3 = ecliptic_to_equatorial(np.eye(3)).T  # column i: the equatorial image of e_i


class PropagationError(RuntimeError):
    """ASSIST/REBOUND stopped (a collision-like close approach, or an ephemeris range error)."""


class ImpactError(PropagationError):
    """The orbit enters the Earth (equatorial radius) or the Moon (mean radius)."""

    def __init__(self, body: str, jd_tdb: float) -> None:
        super().__init__(f"the orbit enters the {body} at JD {jd_tdb:.5f}")
        self.body = body
        self.jd_tdb = jd_tdb


def _block(rot3: FloatArray) -> FloatArray:
    out = np.zeros((6, 6))
    out[:3, :3] = rot3
    out[3:, 3:] = rot3
    return out


_R_ECL_TO_EQ = _block(_ECL_TO_EQ_3)
_R_EQ_TO_ECL = _R_ECL_TO_EQ.T


def _sun_bary_eq(jd_tdb: FloatArray) -> FloatArray:
    """The Sun's barycentric equatorial states (a fit asks for the same times at every
    iteration: the last few arrays are kept)."""
    times = np.ascontiguousarray(jd_tdb, dtype=np.float64)
    return _sun_cached(times.tobytes()).copy()


@functools.lru_cache(maxsize=8)
def _sun_cached(times_bytes: bytes) -> FloatArray:
    pos, vel = sun_state_au(np.frombuffer(times_bytes, dtype=np.float64))
    return ecliptic_to_equatorial(np.concatenate([pos, vel], axis=-1))


class _Frame:
    """One REBOUND/ASSIST simulation in one frame (barycentric, or geocentric: ASSIST's
    ``extras.geocentric = 1`` integrates Earth-centred states and adds the indirect term, the
    Earth's barycentric acceleration, to every real particle)."""

    def __init__(
        self,
        t_days: float,
        state_bary_eq: FloatArray,
        var_states: list[FloatArray],
        param_rows: list[FloatArray],
        *,
        geocentric: bool,
        steps: list[int],
    ) -> None:
        import assist
        import rebound

        self.ephem = load_ephemeris()
        self.geocentric = geocentric
        self.sim = rebound.Simulation()
        self.extras = assist.Extras(self.sim, self.ephem)
        self.extras.forces = list(_FORCES)
        if geocentric:
            self.extras.geocentric = 1
        # A trial orbit through the Earth or the Sun would shrink IAS15's step without end: a
        # floor of 1e-4 d (8.6 s) keeps every integration finite; real close approaches (2008
        # TC3 at one Earth radius, 12 km/s: 530 s to cross one radius) stay well resolved.
        self.sim.ri_ias15.min_dt = MIN_STEP_DAYS
        self.steps = steps
        self.impact = ""
        self.sim.heartbeat = self._heartbeat
        self.sim.t = t_days
        self._t_out = t_days
        self.impact_jd = math.nan
        s = state_bary_eq - self.offset(t_days) if geocentric else state_bary_eq
        x, y, z, vx, vy, vz = (float(v) for v in s)
        self.sim.add(x=x, y=y, z=z, vx=vx, vy=vy, vz=vz)
        self.variations = []
        for vs in var_states:  # a translation of the frame leaves the variations unchanged
            var = self.sim.add_variation(testparticle=0)
            q = var.particles[0]
            q.x, q.y, q.z, q.vx, q.vy, q.vz = (float(v) for v in vs)
            self.variations.append(var)
        self.extras.particle_params = np.concatenate(param_rows)

    def offset(self, t_days: float) -> FloatArray:
        e = self.ephem.get_particle(_EARTH_ID, t_days)
        return np.array([e.x, e.y, e.z, e.vx, e.vy, e.vz])

    def _heartbeat(self, sim_p: object) -> None:
        """Counts the steps; stops an orbit that no longer progresses or that enters the Earth
        or the Moon (checked in the geocentric frame, the only one used near them)."""
        self.steps[0] += 1
        if self.steps[0] > MAX_STEPS:
            sim_p.contents.stop()  # type: ignore[attr-defined]
            return
        if not self.geocentric:
            return
        p = sim_p.contents.particles[0]  # type: ignore[attr-defined]
        r = math.sqrt(p.x * p.x + p.y * p.y + p.z * p.z)
        if r < EARTH_RADIUS_AU:
            self.impact = "Earth"
        elif MOON_BAND_AU[0] < r < MOON_BAND_AU[1]:
            t = sim_p.contents.t  # type: ignore[attr-defined]
            m = self.ephem.get_particle(_MOON_ID, t)
            e = self.ephem.get_particle(_EARTH_ID, t)
            dm = math.dist((p.x, p.y, p.z), (m.x - e.x, m.y - e.y, m.z - e.z))
            if dm < MOON_RADIUS_AU:
                self.impact = "Moon"
        if self.impact:
            self.impact_jd = sim_p.contents.t + JD_J2000  # type: ignore[attr-defined]
            sim_p.contents.stop()  # type: ignore[attr-defined]

    def geocentric_distance(self) -> float:
        p = self.sim.particles[0]
        pos = np.array([p.x, p.y, p.z])
        if not self.geocentric:
            pos = pos - self.offset(self._t_out)[:3]
        return float(np.linalg.norm(pos))

    def read(self) -> tuple[FloatArray, list[FloatArray]]:
        """The (interpolated) barycentric state and the variations at the last output time."""
        s = np.empty(6)
        self.read_into(s, None)
        vs = []
        for var in self.variations:
            q = var.particles[0]
            vs.append(np.array([q.x, q.y, q.z, q.vx, q.vy, q.vz]))
        return s, vs

    def read_into(self, state: FloatArray, partials: FloatArray | None) -> None:
        """Write the state (and the variations as columns of ``partials``) of the last output."""
        p = self.sim.particles[0]
        state[:] = (p.x, p.y, p.z, p.vx, p.vy, p.vz)
        if self.geocentric:
            state += self.offset(self._t_out)
        if partials is not None:
            for j, var in enumerate(self.variations):
                q = var.particles[0]
                partials[:, j] = (q.x, q.y, q.z, q.vx, q.vy, q.vz)

    def advance(self, t_days: float) -> None:
        # ASSIST steps past the time and interpolates (real and variational particles alike):
        # faster than stopping IAS15 exactly at every observation (docs/performance.md).
        self._t_out = t_days
        self.extras.integrate_or_interpolate(t_days)


def _checkpoints(epoch_t: float, times_t: FloatArray) -> tuple[FloatArray, BoolArray]:
    """The output times and, between them, a check of the frame every
    :data:`FRAME_CHECK_DAYS` (``True`` marks an output)."""
    if times_t.size == 0:
        return times_t, np.zeros(0, dtype=bool)
    last = float(times_t[-1])
    sign = 1.0 if last >= epoch_t else -1.0
    n = int(abs(last - epoch_t) // FRAME_CHECK_DAYS)
    extra = epoch_t + sign * FRAME_CHECK_DAYS * np.arange(1, n + 1)
    allt = np.concatenate([times_t, extra])
    is_out = np.concatenate([np.ones(times_t.size, dtype=bool), np.zeros(n, dtype=bool)])
    order = np.argsort(sign * allt, kind="stable")
    return allt[order], is_out[order]


def _integrate(
    start_bary_eq: FloatArray,
    epoch_jd_tdb: float,
    times_jd_tdb: FloatArray,
    params: FloatArray,
    fit: Sequence[NongravParam] | None,
) -> tuple[FloatArray, FloatArray | None]:
    """Integrate monotonically (``times`` sorted away from the epoch), in the geocentric frame
    within :data:`GEOCENTRIC_ENTER_AU` of the Earth and the barycentric one beyond
    :data:`GEOCENTRIC_LEAVE_AU`, switching between them at checkpoints."""
    steps = [0]
    var_states: list[FloatArray] = []
    param_rows = [params]
    if fit is not None:
        for k in range(6):
            unit = np.zeros(6)
            unit[k] = 1.0
            var_states.append(unit)
            param_rows.append(np.zeros(3))
        for name in fit:
            var_states.append(np.zeros(6))
            unit = np.zeros(3)
            unit[_PARAM_INDEX[name]] = 1.0
            param_rows.append(unit)
    t0 = epoch_jd_tdb - JD_J2000
    n = times_jd_tdb.size
    states = np.empty((n, 6))
    partials = None if fit is None else np.empty((n, 6, len(var_states)))
    t_all, is_out = _checkpoints(t0, times_jd_tdb - JD_J2000)
    # ASSIST prints to stdout when an integration is stopped, which would land in the middle of
    # `neo-streamer fit --output -`: fds 1 and 2 are silenced while integrating. In a threaded
    # process, other threads' writes to them in that window are lost: fit in worker processes.
    with _quiet_c_output():
        earth0 = load_ephemeris().get_particle("Earth", t0)
        d0 = float(np.linalg.norm(start_bary_eq[:3] - np.array([earth0.x, earth0.y, earth0.z])))
        geo = d0 < GEOCENTRIC_ENTER_AU
        frame = _Frame(t0, start_bary_eq, var_states, param_rows, geocentric=geo, steps=steps)
        k = 0
        checked = t0
        for t, out in zip(t_all, is_out, strict=True):
            frame.advance(float(t))
            if frame.impact:
                raise ImpactError(frame.impact, frame.impact_jd)
            if steps[0] > MAX_STEPS:
                raise PropagationError(
                    f"more than {MAX_STEPS} steps before JD {t + JD_J2000:.5f} "
                    "(through the Earth or the Moon?)"
                )
            if out:
                frame.read_into(states[k], None if partials is None else partials[k])
                k += 1
            if abs(t - checked) < FRAME_CHECK_DAYS:
                continue
            checked = float(t)
            d = frame.geocentric_distance()
            if (frame.geocentric and d > GEOCENTRIC_LEAVE_AU) or (
                not frame.geocentric and d < GEOCENTRIC_ENTER_AU
            ):
                s, vs = frame.read()
                frame = _Frame(
                    float(t), s, vs, param_rows, geocentric=not frame.geocentric, steps=steps
                )
    if not (np.all(np.isfinite(states)) and (partials is None or np.all(np.isfinite(partials)))):
        raise PropagationError("the integration produced non-finite states")
    return states, partials


def _run(
    state6: FloatArray,
    epoch_jd_tdb: float,
    times_jd_tdb: FloatArray,
    a123: tuple[float, float, float],
    fit: Sequence[NongravParam] | None,
) -> tuple[FloatArray, FloatArray | None]:
    times = np.asarray(times_jd_tdb, dtype=np.float64).ravel()
    state = np.asarray(state6, dtype=np.float64)
    if state.shape != (6,) or not np.all(np.isfinite(state)):
        raise ValueError("state6 must be 6 finite numbers")
    if not np.all(np.isfinite(times)):
        raise ValueError("times must be finite")
    span = np.concatenate([times, [epoch_jd_tdb]])
    if span.min() < DE440_FIRST_JD or span.max() > DE440_LAST_JD:
        raise PropagationError("a time lies outside DE440 (1550-2650)")
    params = np.array(a123, dtype=np.float64)
    start = state @ _R_ECL_TO_EQ.T + _sun_bary_eq(np.array([epoch_jd_tdb]))[0]
    n_cols = 6 + (len(fit) if fit else 0)
    out = np.empty((times.size, 6))
    parts = np.empty((times.size, 6, n_cols)) if fit is not None else None
    for side in (times >= epoch_jd_tdb, times < epoch_jd_tdb):
        idx = np.flatnonzero(side)
        if idx.size == 0:
            continue
        order = idx[np.argsort(np.abs(times[idx] - epoch_jd_tdb), kind="stable")]
        s, p = _integrate(start, epoch_jd_tdb, times[order], params, fit)
        out[order] = s
        if parts is not None and p is not None:
            parts[order] = p
    helio = (out - _sun_bary_eq(times)) @ _R_EQ_TO_ECL.T
    if parts is None:
        return helio, None
    # d(ecl)/d(ecl0) = R Phi_eq R^T for the state columns, R dPhi/dA for the parameters.
    state_cols = np.einsum("ij,njk,lk->nil", _R_EQ_TO_ECL, parts[:, :, :6], _R_EQ_TO_ECL)
    param_cols = np.einsum("ij,njk->nik", _R_EQ_TO_ECL, parts[:, :, 6:])
    return helio, np.concatenate([state_cols, param_cols], axis=2)


def propagate(
    state6: FloatArray,
    epoch_jd_tdb: float,
    times_jd_tdb: FloatArray,
    *,
    a1: float = 0.0,
    a2: float = 0.0,
    a3: float = 0.0,
) -> FloatArray:
    """Heliocentric ecliptic J2000 states (au, au/d) at each time, forward or backward.

    Parameters
    ----------
    state6 : ndarray, shape (6,)
        Heliocentric ecliptic J2000 state at ``epoch_jd_tdb``.
    epoch_jd_tdb : float
        Epoch of ``state6`` (TDB Julian date).
    times_jd_tdb : array_like
        Output times, any order, before and/or after the epoch.
    a1, a2, a3 : float
        Marsden radial, transverse and normal non-gravitational parameters, au/d^2 at 1 au.

    Returns
    -------
    ndarray, shape (n, 6)

    Raises
    ------
    PropagationError
        The integration stopped.
    """
    states, _ = _run(state6, epoch_jd_tdb, times_jd_tdb, (a1, a2, a3), None)
    return states


def propagate_with_partials(
    state6: FloatArray,
    epoch_jd_tdb: float,
    times_jd_tdb: FloatArray,
    *,
    a1: float = 0.0,
    a2: float = 0.0,
    a3: float = 0.0,
    fit: Sequence[NongravParam] = (),
) -> tuple[FloatArray, FloatArray]:
    """States as :func:`propagate`, and their partial derivatives.

    Returns
    -------
    states : ndarray, shape (n, 6)
    partials : ndarray, shape (n, 6, 6 + len(fit))
        ``partials[k, i, j]`` = d state_i(t_k) / d p_j with p = (x0, y0, z0, vx0, vy0, vz0,
        then the ``fit`` parameters in order), all heliocentric ecliptic J2000.
    """
    states, partials = _run(state6, epoch_jd_tdb, times_jd_tdb, (a1, a2, a3), tuple(fit))
    assert partials is not None
    return states, partials
