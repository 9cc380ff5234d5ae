"""Orbital features: elements, derived quantities, Tisserand parameters, Öpik encounter speed.

Units: distances in au; energy and angular momentum in heliocentric units (GM_sun = 1,
au = 1), where Earth's circular orbit has energy -1/2 and angular momentum 1. Everything is
computed from q, e and i (q = a(1-e) when only a is given), which stays well defined for
parabolic and hyperbolic orbits: 1/a = (1-e)/q and the semi-latus rectum p = q(1+e).

Öpik's encounter velocity with a planet on a circular orbit of radius a_P (Öpik 1976;
Valsecchi et al. 2003), in units of the planet's orbital speed, is U^2 = Ux^2 + Uy^2 + Uz^2
with Ux^2 = 2 - a_P/a - p/a_P, Uy = sqrt(p/a_P) cos i - 1, Uz = sqrt(p/a_P) sin i, so
U^2 = 3 - T_P. Ux^2 >= 0 exactly when the orbit crosses a_P. For a non-crossing orbit the
radial part is set to 0: U is then the speed difference at the node nearest Earth's orbit, an
approximation flagged by ``orb_crosses_1au = 0``.

``orb_v_inf_tisserand_kms`` is the same speed straight from the Tisserand parameter with
respect to Earth, v_inf = v_E sqrt(3 - T_E) (Öpik 1976, *Interplanetary Encounters*;
U^2 = 3 - T, Valsecchi et al. 2003, A&A 408, 1179), without the non-crossing
correction: the speed with which a launched object left Earth, since T_E is (nearly)
conserved between encounters. ``orb_apsis_1au_au`` is min(|q - 1|, |Q - 1|): an orbit with an
apsis at 1 au passes through Earth's orbit tangentially, as a slow departure from Earth leaves
it. ``orb_bound_to_earth`` is the fit's geocentric capture during the arc (``orbit.fit``).
"""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.constants import A_EARTH_AU, A_JUPITER_AU, V_EARTH_KMS
from core.features._gather import Gathered

__all__ = ["NAMES", "orbital_features"]

NAMES: tuple[str, ...] = (
    "orb_e",
    "orb_a_au",
    "orb_q_au",
    "orb_Q_au",
    "orb_i_deg",
    "orb_sin_node",
    "orb_cos_node",
    "orb_sin_peri",
    "orb_cos_peri",
    "orb_sin_M",
    "orb_cos_M",
    "orb_period_yr",
    "orb_energy",
    "orb_ang_mom",
    "orb_tisserand_j",
    "orb_tisserand_e",
    "orb_earth_da_au",
    "orb_earth_dist",
    "orb_moid_au",
    "orb_opik_u",
    "orb_opik_u_kms",
    "orb_crosses_1au",
    "orb_hyperbolic",
    "orb_v_inf_tisserand_kms",
    "orb_apsis_1au_au",
    "orb_bound_to_earth",
)


def _tisserand(inv_a: FloatArray, p: FloatArray, cos_i: FloatArray, a_planet: float) -> FloatArray:
    return a_planet * inv_a + 2.0 * np.sqrt(p / a_planet) * cos_i


def orbital_features(g: Gathered) -> dict[str, FloatArray]:
    """Orbital feature columns of a batch (NaN where the record has no orbit).

    Parameters
    ----------
    g : Gathered
        The batch's inputs.

    Returns
    -------
    dict of str to FloatArray
        One column per name in :data:`NAMES`.
    """
    e = g.e
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(np.isnan(g.q_au), g.a_au * (1.0 - e), g.q_au)
        inv_a = (1.0 - e) / q
        a = np.where(np.isnan(g.a_au), 1.0 / inv_a, g.a_au)
        a = np.where(np.isfinite(a), a, np.nan)  # parabolic: a is infinite
        bound = e < 1.0
        big_q = np.where(bound, a * (1.0 + e), np.nan)
        period = np.where(bound, a * np.sqrt(a), np.nan)
        p = q * (1.0 + e)
        i_rad = np.radians(g.i_deg)
        cos_i, sin_i = np.cos(i_rad), np.sin(i_rad)
        t_e = _tisserand(inv_a, p, cos_i, A_EARTH_AU)
        sqrt_p = np.sqrt(p / A_EARTH_AU)
        ux2 = 2.0 - A_EARTH_AU * inv_a - p / A_EARTH_AU
        uy = sqrt_p * cos_i - 1.0
        uz = sqrt_p * sin_i
        u = np.sqrt(np.maximum(ux2, 0.0) + uy * uy + uz * uz)
        chord = 2.0 * np.sin(0.5 * i_rad)  # distance between orbital poles, Southworth-Hawkins
        da = np.abs(a - A_EARTH_AU)
        apsis = np.fmin(np.abs(q - A_EARTH_AU), np.abs(big_q - A_EARTH_AU))
    has = g.has_orbit > 0

    def angle(deg: FloatArray) -> tuple[FloatArray, FloatArray]:
        r = np.radians(deg)
        return np.sin(r), np.cos(r)

    sin_node, cos_node = angle(g.node_deg)
    sin_peri, cos_peri = angle(g.peri_deg)
    sin_m, cos_m = angle(g.M_deg)
    return {
        "orb_e": e,
        "orb_a_au": a,
        "orb_q_au": q,
        "orb_Q_au": big_q,
        "orb_i_deg": g.i_deg,
        "orb_sin_node": sin_node,
        "orb_cos_node": cos_node,
        "orb_sin_peri": sin_peri,
        "orb_cos_peri": cos_peri,
        "orb_sin_M": sin_m,
        "orb_cos_M": cos_m,
        "orb_period_yr": period,
        "orb_energy": -0.5 * inv_a,
        "orb_ang_mom": np.sqrt(p),
        "orb_tisserand_j": _tisserand(inv_a, p, cos_i, A_JUPITER_AU),
        "orb_tisserand_e": t_e,
        "orb_earth_da_au": da,
        # A Southworth-Hawkins-like distance to Earth's (circular, ecliptic) orbit with a in
        # place of q: small only when size, shape and tilt are all Earth-like.
        "orb_earth_dist": np.sqrt(da * da + e * e + chord * chord),
        "orb_moid_au": g.moid_au,
        "orb_opik_u": u,
        "orb_opik_u_kms": u * V_EARTH_KMS,
        "orb_crosses_1au": np.where(has, (ux2 >= 0.0).astype(np.float64), np.nan),
        "orb_hyperbolic": np.where(has, (e >= 1.0).astype(np.float64), np.nan),
        "orb_v_inf_tisserand_kms": V_EARTH_KMS * np.sqrt(np.maximum(3.0 - t_e, 0.0)),
        "orb_apsis_1au_au": apsis,
        "orb_bound_to_earth": g.bound_to_earth,
    }
