"""The orbit in the ecliptic plane: the object's osculating conic beside the Earth's.

Two-body conics of osculating elements (heliocentric ecliptic J2000): what the page's orbit
plot shows is the shape of the orbit at the epoch, not an ephemeris. :func:`conics_of_state`
takes a fitted state; :func:`conics_of_elements` a neo.v1 ``orbit`` block (a record scored
without a fit: ``neo-streamer report --records``), each field read by name and checked. The
Earth's state at the epoch is DE440's (:func:`core.orbits.ephemeris.earth_state_au`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import msgspec
import numpy as np

from core._types import FloatArray
from core.orbits.elements import Elements, elements_to_state, state_to_elements

__all__ = ["Conics", "conic_xy", "conics_of_elements", "conics_of_state"]


class Conics(msgspec.Struct, frozen=True, kw_only=True):
    """Ecliptic x-y points (au) of the two orbits and both bodies' places at the epoch."""

    orbit_xy_au: list[list[float]]
    """One revolution (or the branch of an open orbit within 5 au of the Sun)."""
    earth_xy_au: list[list[float]]
    object_at_epoch_xy_au: list[float]
    earth_at_epoch_xy_au: list[float]


def conic_xy(el: Elements, n: int = 361) -> FloatArray:
    """Ecliptic (x, y, z) of the conic of ``el`` (au), one revolution or, for an open orbit,
    the branch within 5 au of the Sun."""
    e, q = el.e, el.q_au
    if e < 1.0:
        nu = np.linspace(-math.pi, math.pi, n)
    else:
        r_max = 5.0
        cos_lim = max(-1.0, min(1.0, (q * (1.0 + e) / r_max - 1.0) / e))
        lim = min(math.acos(cos_lim), math.acos(-1.0 / e) - 1e-3)
        nu = np.linspace(-lim, lim, n)
    r = q * (1.0 + e) / (1.0 + e * np.cos(nu))
    i, node, peri = (math.radians(v) for v in (el.i_deg, el.node_deg, el.peri_deg))
    cn, sn, ci, si = math.cos(node), math.sin(node), math.cos(i), math.sin(i)
    cw, sw = np.cos(peri + nu), np.sin(peri + nu)
    return np.stack(
        [r * (cn * cw - sn * sw * ci), r * (sn * cw + cn * sw * ci), r * sw * si], axis=1
    )


def conics_of_state(state6: FloatArray, epoch_jd_tdb: float) -> Conics:
    """The conics of a heliocentric ecliptic state at ``epoch_jd_tdb`` and of the Earth's."""
    from core.orbits.ephemeris import earth_state_au

    e_pos, e_vel = earth_state_au(epoch_jd_tdb)
    earth_el = state_to_elements(np.concatenate([e_pos, e_vel]))
    return Conics(
        orbit_xy_au=conic_xy(state_to_elements(state6))[:, :2].tolist(),
        earth_xy_au=conic_xy(earth_el)[:, :2].tolist(),
        object_at_epoch_xy_au=np.asarray(state6)[:2].tolist(),
        earth_at_epoch_xy_au=np.asarray(e_pos)[:2].tolist(),
    )


def _num(orbit: Mapping[str, Any], key: str) -> float | None:
    value = orbit.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def conics_of_elements(orbit: Mapping[str, Any]) -> Conics | None:
    """The conics of a neo.v1 ``orbit`` block; None without e, i, node, peri, M, an epoch and
    a or q (or when they describe no orbit)."""
    names = ("e", "i_deg", "node_deg", "peri_deg", "M_deg", "epoch_jd")
    values = [_num(orbit, k) for k in names]
    a, q = _num(orbit, "a_au"), _num(orbit, "q_au")
    if any(v is None for v in values) or (a is None and q is None):
        return None
    e, i, node, peri, m, epoch = (float(v) for v in values)  # type: ignore[arg-type]
    try:
        state = elements_to_state(a if q is None else None, e, i, node, peri, m, epoch, q_au=q)
    except (ValueError, ZeroDivisionError):
        return None
    if not np.all(np.isfinite(state)):
        return None
    return conics_of_state(state, epoch)
