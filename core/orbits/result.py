"""An orbit fit's result, what is read from it, and its neo.v1 form.

Read from the fitted orbit:

- **Bound to Earth during the arc**: geocentric two-body energy ``v^2/2 - GM_earth/r < 0`` inside
  three Hill radii (0.030 au), the criterion of Granvik, Vaubaillon & Jedicke (2012, Icarus 218,
  262) for temporarily captured objects; the orbit is sampled at every observation time, every 2 d
  over the arc, and every 0.1 d where it comes within 0.05 au (at most 1500 samples per grid);
  the first and last bound samples are reported.
- **Earth MOID** against the Earth's osculating orbit at the epoch (:mod:`core.orbits.moid`).
- **v-infinity**: Opik's unperturbed encounter speed ``U = V_earth sqrt(3 - T_E)`` with
  ``T_E = 1/a + 2 sqrt(a (1 - e^2)) cos i`` (a in au; Opik 1976, *Interplanetary Encounters*;
  Valsecchi et al. 2003, A&A 408, 1179), None for an orbit that cannot reach 1 au (T_E > 3).
- **Area-to-mass** from A1 (:mod:`core.orbits.srp`) for C_R = 1 and the C_R 2..1 range, and the
  implied bulk density where H is known (given, else estimated from the astrometry's magnitudes
  with the H-G system, G = 0.15, Bowell et al. 1989, *Asteroids II*, 524; band offsets < 0.5 mag
  are not applied). Without a measured albedo the density is a range over albedo 0.05-0.50.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np

from core._types import FloatArray
from core.constants import DEFAULT_ALBEDO, V_EARTH_KMS
from core.errors import FitError
from core.orbits.astrometry import Astrometry
from core.orbits.constants import GM_EARTH_AU3_D2
from core.orbits.elements import state_to_elements
from core.orbits.ephemeris import earth_state_au
from core.orbits.moid import moid_au
from core.orbits.predict import light_time_positions
from core.orbits.propagate import PropagationError, propagate
from core.orbits.srp import (
    SRP_AU_D2_PER_M2_KG,
    area_to_mass_m2_kg,
    area_to_mass_range_m2_kg,
    diameter_m_from_h,
)

if TYPE_CHECKING:
    from core.orbits.lsq import Solution

__all__ = ["ELEMENT_NAMES", "OrbitFit", "build_result"]

ELEMENT_NAMES = ("a_au", "q_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg")
_COV_ELEMENTS = ("e", "q_au", "i_deg", "node_deg", "peri_deg", "M_deg")
HILL_RADII_BOUND = 3.0
EARTH_HILL_RADIUS_AU = 0.01001  # a (m_earth / 3 M_sun)^(1/3), m_earth/M_sun = 3.003e-6
ALBEDO_RANGE = (0.05, 0.50)
MAX_SAMPLES = 1500
SAMPLE_STEP_DAYS = 0.1
COARSE_STEP_DAYS = 2.0
NEAR_EARTH_AU = 0.05
H_G_SLOPE = 0.15


class OrbitFit(msgspec.Struct, frozen=True, kw_only=True):
    """The result of :func:`core.orbits.fit.fit_orbit` (plain Python values, JSON-ready)."""

    epoch_jd: float
    elements: dict[str, float | None]
    sigma: dict[str, float]
    covariance: list[list[float]]
    covariance_params: list[str]
    state6: list[float]
    a1_au_d2: float | None
    a1_sigma_au_d2: float | None
    a2_au_d2: float | None
    a2_sigma_au_d2: float | None
    nongrav_significant: dict[str, bool]
    rms_arcsec: float
    n_used: int
    n_rejected: int
    n_duplicates: int
    n_unplaced: int
    """Observations left out because a space-based or roving station came without its position."""
    rejected_jd_utc: list[float]
    """Times of the observations left out as outliers."""
    arc_days: float
    nights: int
    iterations: int
    bound_to_earth: bool
    bound_from_jd: float | None
    bound_to_jd: float | None
    min_geo_dist_au: float
    min_geo_jd: float
    moid_au: float
    v_inf_kms: float | None
    amr_m2_kg: float | None
    amr_range_m2_kg: tuple[float, float] | None
    amr_sigma_m2_kg: float | None
    h_mag: float | None
    """Estimated from the astrometry's magnitudes (None without any)."""
    n_through_body: int = 0
    """Trial orbits of the fit that ran into the Earth or the Moon (rejected, the fit went on)."""

    def density_kg_m3(
        self, h_mag: float | None = None, albedo: float | None = None
    ) -> tuple[float, float, float] | None:
        """Implied bulk density (nominal, low, high) in kg/m^3, None without a positive A/M or H.

        Nominal: C_R = 1 and the given albedo (else 0.14); the range spans C_R 1..2 and the
        albedo range 0.05-0.50 when no albedo is given.
        """
        h = h_mag if h_mag is not None else self.h_mag
        if (
            h is None
            or self.amr_m2_kg is None
            or self.amr_range_m2_kg is None
            or self.amr_m2_kg <= 0
        ):
            return None
        albedos = (albedo, albedo) if albedo is not None else ALBEDO_RANGE
        d_small = diameter_m_from_h(h, albedos[1])
        d_large = diameter_m_from_h(h, albedos[0])
        d_nominal = diameter_m_from_h(h, albedo if albedo is not None else DEFAULT_ALBEDO)
        amr_low, amr_high = self.amr_range_m2_kg
        return (
            3.0 / (2.0 * d_nominal * self.amr_m2_kg),
            3.0 / (2.0 * d_large * amr_high),
            3.0 / (2.0 * d_small * amr_low),
        )

    def summary(self) -> dict[str, Any]:
        """JSON-ready dict of the fit (the ``"fit"`` object of a streaming result)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        out.pop("covariance")
        out.pop("covariance_params")
        density = self.density_kg_m3()
        out["density_kg_m3"] = None if density is None else density[0]
        out["density_range_kg_m3"] = None if density is None else [density[1], density[2]]
        return out

    def to_neo_obj(
        self, designation: str, physical: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A neo.v1 record dict with the fitted orbit (``orbit.source = "fit"``)."""
        orbit: dict[str, Any] = {k: v for k, v in self.elements.items() if v is not None}
        orbit["epoch_jd"] = self.epoch_jd
        orbit["moid_au"] = self.moid_au
        orbit["source"] = "fit"
        orbit["sigma"] = {k: v for k, v in self.sigma.items() if math.isfinite(v)}
        orbit["covariance"] = {"params": list(self.covariance_params), "matrix": self.covariance}
        orbit["fit"] = {
            "rms_arcsec": self.rms_arcsec,
            "n_used": self.n_used,
            "n_rejected": self.n_rejected,
            "arc_days": self.arc_days,
            "nights": self.nights,
            "bound_to_earth": self.bound_to_earth,
            "min_geo_dist_au": self.min_geo_dist_au,
        }
        if self.v_inf_kms is not None:
            orbit["fit"]["v_inf_kms"] = self.v_inf_kms
        if self.n_through_body:
            orbit["fit"]["n_through_body"] = self.n_through_body
        obj: dict[str, Any] = {"designation": designation, "orbit": orbit}
        nongrav = {}
        for name, value, sigma in (
            ("A1", self.a1_au_d2, self.a1_sigma_au_d2),
            ("A2", self.a2_au_d2, self.a2_sigma_au_d2),
        ):
            if value is not None:
                nongrav[name] = value
                if sigma is not None:
                    nongrav[f"{name}_sigma"] = sigma
        if nongrav:
            obj["nongrav"] = nongrav
        phys = dict(physical) if physical else {}
        if "H" not in phys and self.h_mag is not None:
            phys["H"] = round(self.h_mag, 2)
        if phys:
            obj["physical"] = phys
        density = self.density_kg_m3(phys.get("H"), phys.get("albedo"))
        obj["meta"] = {
            "source": "fit",
            "amr_m2_kg": self.amr_m2_kg,
            "amr_range_m2_kg": list(self.amr_range_m2_kg) if self.amr_range_m2_kg else None,
            "density_kg_m3": None if density is None else density[0],
            "density_range_kg_m3": None if density is None else [density[1], density[2]],
            "bound_from_jd": self.bound_from_jd,
            "bound_to_jd": self.bound_to_jd,
        }
        return obj


def _element_jacobian(
    state6: FloatArray, epoch: float
) -> tuple[dict[str, float | None], FloatArray]:
    base = state_to_elements(state6, epoch_jd=epoch)
    jac = np.empty((len(_COV_ELEMENTS), 6))
    for j in range(6):
        h = 1e-7 * (np.linalg.norm(state6[:3]) if j < 3 else np.linalg.norm(state6[3:]))
        cols = []
        for sign in (1.0, -1.0):
            s = state6.copy()
            s[j] += sign * h
            el = state_to_elements(s)
            cols.append(np.array([getattr(el, k) for k in _COV_ELEMENTS]))
        diff = cols[0] - cols[1]
        diff[3:] = (diff[3:] + 180.0) % 360.0 - 180.0  # angles wrap
        jac[:, j] = diff / (2 * h)
    elements = {k: getattr(base, k) for k in ELEMENT_NAMES}
    return elements, jac


def _geocentric_track(sol: Solution, tdb: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Sample times, heliocentric states there and geocentric states (sorted by time).

    Every observation time, a coarse grid over the arc (at most ``MAX_SAMPLES``), and a
    ``SAMPLE_STEP_DAYS`` grid wherever the coarse samples come within ``NEAR_EARTH_AU``.
    """
    n = int(min(MAX_SAMPLES, max(2, math.ceil((tdb[-1] - tdb[0]) / COARSE_STEP_DAYS))))
    coarse = np.linspace(tdb[0], tdb[-1], n)
    times = np.union1d(coarse, tdb)
    states = propagate(sol.state6, sol.epoch_jd_tdb, times, **sol.nongrav)
    pos, vel = earth_state_au(times)
    near = np.linalg.norm(states[:, :3] - pos, axis=1) < NEAR_EARTH_AU
    if np.any(near):
        step = max(float(coarse[1] - coarse[0]), SAMPLE_STEP_DAYS)
        lo = max(tdb[0], float(times[near].min()) - step)
        hi = min(tdb[-1], float(times[near].max()) + step)
        fine = np.linspace(
            lo, hi, int(min(MAX_SAMPLES, max(2, math.ceil((hi - lo) / SAMPLE_STEP_DAYS))))
        )
        times = np.union1d(times, fine)
        states = propagate(sol.state6, sol.epoch_jd_tdb, times, **sol.nongrav)
        pos, vel = earth_state_au(times)
    return times, states, states - np.concatenate([pos, vel], axis=1)


def _h_estimate(a: Astrometry, states_at_obs: FloatArray, observer: FloatArray) -> float | None:
    ok = np.isfinite(a.mag)
    if not np.any(ok):
        return None
    rho, _ = light_time_positions(states_at_obs[ok], observer[ok])
    r_sun = states_at_obs[ok, :3]
    delta = np.linalg.norm(rho, axis=1)
    r = np.linalg.norm(r_sun, axis=1)
    cos_alpha = np.einsum("ij,ij->i", r_sun, rho) / (r * delta)
    tan_half = np.tan(np.arccos(np.clip(cos_alpha, -1.0, 1.0)) / 2.0)
    phi1 = np.exp(-3.33 * tan_half**0.63)
    phi2 = np.exp(-1.87 * tan_half**1.22)
    h = (
        a.mag[ok]
        - 5.0 * np.log10(r * delta)
        + 2.5 * np.log10((1 - H_G_SLOPE) * phi1 + H_G_SLOPE * phi2)
    )
    return float(np.median(h))


def build_result(
    sol: Solution,
    a: Astrometry,
    *,
    observer: FloatArray,
    tdb: FloatArray,
    sigmas: tuple[FloatArray, FloatArray],
    significant: dict[str, bool],
    duplicates: int,
    nights: int,
    unplaced: int = 0,
    through_body: int = 0,
) -> OrbitFit:
    """Assemble the :class:`OrbitFit` of a converged solution (derived quantities included)."""
    state = np.asarray(sol.state6)
    elements, jac = _element_jacobian(state, sol.epoch_jd_tdb)
    k = len(sol.params)
    full_jac = np.zeros((6 + k, 6 + k))
    full_jac[:6, :6] = jac
    full_jac[6:, 6:] = np.eye(k)
    cov_el = full_jac @ sol.covariance @ full_jac.T
    cov_el = 0.5 * (cov_el + cov_el.T)  # exact symmetry (the Jacobian is numerical)
    sig = dict(
        zip(_COV_ELEMENTS, np.sqrt(np.maximum(np.diag(cov_el)[:6], 0.0)).tolist(), strict=True)
    )
    a_au = elements["a_au"]
    if a_au is not None:  # a = q / (1 - e): first-order propagation from (q, e)
        g = np.zeros(6 + k)
        e_val = float(elements["e"] or 0.0)
        g[0] = a_au / (1.0 - e_val)  # da/de
        g[1] = 1.0 / (1.0 - e_val)  # da/dq
        sig["a_au"] = math.sqrt(max(float(g @ cov_el @ g), 0.0))
    try:
        times, helio, geo = _geocentric_track(sol, tdb)
    except PropagationError as exc:
        raise FitError(f"the fitted orbit cannot be followed over the arc: {exc}") from None
    r_geo = np.linalg.norm(geo[:, :3], axis=1)
    energy = 0.5 * np.sum(geo[:, 3:] ** 2, axis=1) - GM_EARTH_AU3_D2 / r_geo
    bound = (energy < 0.0) & (r_geo < HILL_RADII_BOUND * EARTH_HILL_RADIUS_AU)
    closest = int(np.argmin(r_geo))
    at_obs = np.searchsorted(times, tdb)
    earth_pos, earth_vel = earth_state_au(sol.epoch_jd_tdb)
    earth_el = state_to_elements(np.concatenate([earth_pos, earth_vel]))
    obj_el = state_to_elements(state)
    moid = moid_au(obj_el, earth_el)
    p = obj_el.q_au * (1.0 + obj_el.e)
    tisserand = (1.0 / obj_el.a_au if obj_el.a_au else 0.0) + 2.0 * math.sqrt(p) * math.cos(
        math.radians(obj_el.i_deg)
    )
    v_inf = V_EARTH_KMS * math.sqrt(3.0 - tisserand) if tisserand <= 3.0 else None
    a1 = sol.nongrav.get("a1")
    a2 = sol.nongrav.get("a2")

    def param_sigma(name: str) -> float | None:
        if name not in sol.params:
            return None
        j = 6 + sol.params.index(name)
        return float(math.sqrt(max(sol.covariance[j, j], 0.0)))

    a1_sigma = param_sigma("a1")
    used = sol.used
    res_arcsec = sol.residuals * np.stack(sigmas, axis=1)
    rms = float(np.sqrt(np.mean(res_arcsec[used] ** 2)))
    names = list(_COV_ELEMENTS) + [p_name.upper() for p_name in sol.params]
    return OrbitFit(
        epoch_jd=sol.epoch_jd_tdb,
        elements=elements,
        sigma=sig,
        covariance=cov_el.tolist(),
        covariance_params=names,
        state6=state.tolist(),
        a1_au_d2=a1,
        a1_sigma_au_d2=a1_sigma,
        a2_au_d2=a2,
        a2_sigma_au_d2=param_sigma("a2"),
        nongrav_significant=significant,
        rms_arcsec=rms,
        n_used=int(np.count_nonzero(used)),
        n_rejected=int(np.count_nonzero(~used)),
        n_duplicates=duplicates,
        n_unplaced=unplaced,
        rejected_jd_utc=a.time_jd_utc[~used].tolist(),
        arc_days=float(a.time_jd_utc[-1] - a.time_jd_utc[0]),
        nights=nights,
        iterations=sol.iterations,
        bound_to_earth=bool(np.any(bound)),
        bound_from_jd=float(times[np.argmax(bound)]) if np.any(bound) else None,
        bound_to_jd=float(times[len(bound) - 1 - np.argmax(bound[::-1])])
        if np.any(bound)
        else None,
        min_geo_dist_au=float(r_geo[closest]),
        min_geo_jd=float(times[closest]),
        moid_au=moid,
        v_inf_kms=v_inf,
        amr_m2_kg=None if a1 is None else area_to_mass_m2_kg(a1),
        amr_range_m2_kg=None if a1 is None else area_to_mass_range_m2_kg(a1),
        amr_sigma_m2_kg=None if a1_sigma is None else a1_sigma / SRP_AU_D2_PER_M2_KG,
        h_mag=_h_estimate(a, helio[at_obs], observer),
        n_through_body=through_body,
    )
