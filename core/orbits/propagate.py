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
from collections.abc import Sequence
from typing import Literal

import numpy as np

from core._types import FloatArray
from core.orbits.constants import JD_J2000
from core.orbits.elements import ecliptic_to_equatorial
from core.orbits.ephemeris import _quiet_c_output, load_ephemeris, sun_state_au

__all__ = ["NongravParam", "propagate", "propagate_with_partials"]

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

_ECL_TO_EQ_3 = ecliptic_to_equatorial(np.eye(3)).T  # column i: the equatorial image of e_i


class PropagationError(RuntimeError):
    """ASSIST/REBOUND stopped (a collision-like close approach, or an ephemeris range error)."""


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


def _integrate(
    start_bary_eq: FloatArray,
    epoch_jd_tdb: float,
    times_jd_tdb: FloatArray,
    params: FloatArray,
    fit: Sequence[NongravParam] | None,
) -> tuple[FloatArray, FloatArray | None]:
    """Integrate monotonically (``times`` sorted away from the epoch)."""
    import assist
    import rebound

    sim = rebound.Simulation()
    extras = assist.Extras(sim, load_ephemeris())
    extras.forces = list(_FORCES)
    # A trial orbit through the Earth or the Sun would shrink IAS15's step without end: a floor
    # of 1e-4 d (8.6 s) keeps every integration finite; real close approaches (2008 TC3 at one
    # Earth radius, 12 km/s: 530 s to cross one radius) stay well resolved by the 15th-order steps.
    sim.ri_ias15.min_dt = MIN_STEP_DAYS
    steps = [0]

    def heartbeat(sim_p: object) -> None:  # stops an integration that no longer progresses
        steps[0] += 1
        if steps[0] > MAX_STEPS:
            sim_p.contents.stop()  # type: ignore[attr-defined]

    sim.heartbeat = heartbeat
    sim.t = epoch_jd_tdb - JD_J2000
    x, y, z, vx, vy, vz = (float(v) for v in start_bary_eq)
    sim.add(x=x, y=y, z=z, vx=vx, vy=vy, vz=vz)
    variations = []
    param_rows = [params]
    if fit is not None:
        for k in range(6):
            var = sim.add_variation(testparticle=0)
            setattr(var.particles[0], ("x", "y", "z", "vx", "vy", "vz")[k], 1.0)
            variations.append(var)
            param_rows.append(np.zeros(3))
        for name in fit:
            variations.append(sim.add_variation(testparticle=0))
            unit = np.zeros(3)
            unit[_PARAM_INDEX[name]] = 1.0
            param_rows.append(unit)
    extras.particle_params = np.concatenate(param_rows)
    n = times_jd_tdb.size
    states = np.empty((n, 6))
    partials = None if fit is None else np.empty((n, 6, len(variations)))
    # ASSIST prints to stdout when an integration is stopped, which would land in the middle of
    # `neo-streamer fit --output -`: fds 1 and 2 are silenced while integrating. In a threaded
    # process, other threads' writes to them in that window are lost: fit in worker processes.
    with _quiet_c_output():
        _collect(
            extras,
            sim,
            variations=variations,
            times_jd_tdb=times_jd_tdb,
            steps=steps,
            states=states,
            partials=partials,
        )
    if not (np.all(np.isfinite(states)) and (partials is None or np.all(np.isfinite(partials)))):
        raise PropagationError("the integration produced non-finite states")
    return states, partials


def _collect(
    extras: object,
    sim: object,
    *,
    variations: list[object],
    times_jd_tdb: FloatArray,
    steps: list[int],
    states: FloatArray,
    partials: FloatArray | None,
) -> None:
    """Fill ``states`` (and ``partials``) at each time, in order."""
    for k, jd in enumerate(times_jd_tdb):
        # ASSIST steps past the time and interpolates (real and variational particles alike):
        # 3-4x faster than stopping IAS15 exactly at every observation.
        extras.integrate_or_interpolate(float(jd) - JD_J2000)  # type: ignore[attr-defined]
        if steps[0] > MAX_STEPS:
            raise PropagationError(
                f"more than {MAX_STEPS} steps before JD {jd:.5f} (through the Earth?)"
            )
        p = sim.particles[0]  # type: ignore[attr-defined]
        states[k] = (p.x, p.y, p.z, p.vx, p.vy, p.vz)
        if partials is not None:
            for j, var in enumerate(variations):
                q = var.particles[0]  # type: ignore[attr-defined]
                partials[k, :, j] = (q.x, q.y, q.z, q.vx, q.vy, q.vz)


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
