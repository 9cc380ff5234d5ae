"""Osculating elements <-> Cartesian state, and the ecliptic <-> equatorial rotation.

Elements are heliocentric ecliptic J2000 in the units of neo.v1's ``orbit`` (``a_au, q_au, e,
i_deg, node_deg, peri_deg, M_deg``). States are ``(x, y, z, vx, vy, vz)`` in au and au/d.

Formulas: the classical two-body relations (Danby 1992, *Fundamentals of Celestial Mechanics*,
2nd ed., ch. 6; Vallado 2013, *Fundamentals of Astrodynamics*, algorithms 9 and 10). The mean
anomaly is ``M = E - e sin E`` for e < 1, ``M = e sinh F - F`` for e > 1 (negative before
perihelion, as JPL SBDB gives it), and for e = 1 exactly ``M = D + D^3/3`` with
``D = tan(nu/2)`` (Barker's equation, Danby 6.5), i.e. ``sqrt(mu / (2 q^3)) (t - tp)``.
"""

from __future__ import annotations

import math

import msgspec
import numpy as np

from core._types import FloatArray
from core.orbits.constants import GM_SUN_AU3_D2, OBLIQUITY_J2000_RAD

__all__ = [
    "Elements",
    "ecliptic_to_equatorial",
    "elements_to_state",
    "equatorial_to_ecliptic",
    "state_to_elements",
]

_PARABOLIC_TOL = 1e-10
_TWO_PI = 2.0 * math.pi


class Elements(msgspec.Struct, frozen=True):
    """Osculating heliocentric ecliptic J2000 elements (neo.v1 ``orbit`` units).

    ``a_au`` is negative for a hyperbolic orbit (a = q / (1 - e)) and None for e = 1.
    """

    a_au: float | None
    q_au: float
    e: float
    i_deg: float
    node_deg: float
    peri_deg: float
    M_deg: float
    epoch_jd: float | None = None

    def to_state(self, mu: float = GM_SUN_AU3_D2) -> FloatArray:
        """The Cartesian state of these elements (au, au/d)."""
        return elements_to_state(
            None,
            self.e,
            self.i_deg,
            self.node_deg,
            self.peri_deg,
            self.M_deg,
            self.epoch_jd,
            q_au=self.q_au,
            mu=mu,
        )


def _rotation(angle_rad: float) -> FloatArray:
    """R_x(angle): rotates vectors by -angle about x (ecliptic -> equatorial for +obliquity)."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


_ECL_TO_EQ = _rotation(OBLIQUITY_J2000_RAD)
_EQ_TO_ECL = _ECL_TO_EQ.T


def _rotate(vectors: FloatArray, matrix: FloatArray) -> FloatArray:
    v = np.asarray(vectors, dtype=np.float64)
    if v.shape[-1] == 3:
        return v @ matrix.T
    if v.shape[-1] == 6:
        return np.concatenate([v[..., :3] @ matrix.T, v[..., 3:] @ matrix.T], axis=-1)
    raise ValueError(f"expected (..., 3) or (..., 6) vectors, got shape {v.shape}")


def ecliptic_to_equatorial(vectors: FloatArray) -> FloatArray:
    """Rotate ecliptic J2000 vectors (``(..., 3)`` or states ``(..., 6)``) to equatorial J2000."""
    return _rotate(vectors, _ECL_TO_EQ)


def equatorial_to_ecliptic(vectors: FloatArray) -> FloatArray:
    """Rotate equatorial J2000 (ICRF) vectors or states to ecliptic J2000."""
    return _rotate(vectors, _EQ_TO_ECL)


def _true_anomaly(e: float, m_rad: float) -> float:
    """True anomaly from the mean anomaly (Newton's method on Kepler's equation)."""
    if abs(e - 1.0) < _PARABOLIC_TOL:
        # Barker: D + D^3/3 = M, a depressed cubic with one real root (Cardano).
        w = 1.5 * m_rad
        y = math.cbrt(w + math.sqrt(w * w + 1.0))
        return 2.0 * math.atan(y - 1.0 / y)
    if e < 1.0:
        m = math.remainder(m_rad, _TWO_PI)
        ecc = m + e * math.sin(m) if e < 0.8 else math.pi * math.copysign(1.0, m)
        for _ in range(60):
            step = (ecc - e * math.sin(ecc) - m) / (1.0 - e * math.cos(ecc))
            ecc -= step
            if abs(step) < 1e-15:
                break
        return 2.0 * math.atan2(
            math.sqrt(1.0 + e) * math.sin(ecc / 2), math.sqrt(1.0 - e) * math.cos(ecc / 2)
        )
    f = math.asinh(m_rad / e)
    for _ in range(100):
        step = (e * math.sinh(f) - f - m_rad) / (e * math.cosh(f) - 1.0)
        f -= step
        if abs(step) < 1e-15 * max(1.0, abs(f)):
            break
    return 2.0 * math.atan(math.sqrt((e + 1.0) / (e - 1.0)) * math.tanh(f / 2))


def elements_to_state(  # noqa: PLR0917  (the positional order of API.md, as SBDB lists them)
    a_au: float | None,
    e: float,
    i_deg: float,
    node_deg: float,
    peri_deg: float,
    M_deg: float,
    epoch_jd: float | None = None,
    *,
    q_au: float | None = None,
    mu: float = GM_SUN_AU3_D2,
) -> FloatArray:
    """Cartesian state (au, au/d) of osculating elements, in the frame of the elements.

    Parameters
    ----------
    a_au : float or None
        Semi-major axis (negative for e > 1); None when ``q_au`` is given instead (required for
        e = 1).
    e, i_deg, node_deg, peri_deg, M_deg : float
        Eccentricity, inclination, longitude of the ascending node, argument of perihelion,
        mean anomaly (see the module docstring for e >= 1).
    epoch_jd : float, optional
        The epoch of ``M_deg``; the state is at that epoch (kept for symmetry, not used).
    q_au : float, optional
        Perihelion distance; takes precedence over ``a_au``.
    mu : float
        Gravitational parameter of the centre, au^3/d^2 (the Sun by default).

    Returns
    -------
    ndarray, shape (6,)
    """
    del epoch_jd
    if e < 0.0 or not math.isfinite(e):
        raise ValueError(f"eccentricity must be finite and >= 0, got {e}")
    if q_au is None:
        if a_au is None:
            raise ValueError("one of a_au or q_au is required")
        if abs(e - 1.0) < _PARABOLIC_TOL:
            raise ValueError("a parabolic orbit needs q_au")
        q_au = a_au * (1.0 - e)
    if q_au <= 0.0:
        raise ValueError(f"perihelion distance must be > 0, got {q_au} (a and e inconsistent?)")
    nu = _true_anomaly(e, math.radians(M_deg))
    p = q_au * (1.0 + e)
    r = p / (1.0 + e * math.cos(nu))
    # Perifocal position and velocity (Vallado 2013, algorithm 10).
    sqrt_mu_p = math.sqrt(mu / p)
    pos_pf = np.array([r * math.cos(nu), r * math.sin(nu), 0.0])
    vel_pf = np.array([-sqrt_mu_p * math.sin(nu), sqrt_mu_p * (e + math.cos(nu)), 0.0])
    rot = _perifocal_to_frame(math.radians(i_deg), math.radians(node_deg), math.radians(peri_deg))
    return np.concatenate([rot @ pos_pf, rot @ vel_pf])


def _perifocal_to_frame(i: float, node: float, peri: float) -> FloatArray:
    """R_z(-node) R_x(-i) R_z(-peri)."""
    cn, sn = math.cos(node), math.sin(node)
    ci, si = math.cos(i), math.sin(i)
    cw, sw = math.cos(peri), math.sin(peri)
    return np.array(
        [
            [cn * cw - sn * sw * ci, -cn * sw - sn * cw * ci, sn * si],
            [sn * cw + cn * sw * ci, -sn * sw + cn * cw * ci, -cn * si],
            [sw * si, cw * si, ci],
        ]
    )


def state_to_elements(
    state6: FloatArray, mu: float = GM_SUN_AU3_D2, epoch_jd: float | None = None
) -> Elements:
    """Osculating elements of a Cartesian state (au, au/d), in the state's frame.

    Angles are in [0, 360) except ``M_deg`` of an open orbit, which is signed. For i = 0 the
    node is set to 0; for e = 0 the perihelion is at the node (or the x axis).
    """
    s = np.asarray(state6, dtype=np.float64)
    if s.shape != (6,) or not np.all(np.isfinite(s)):
        raise ValueError(f"state must be 6 finite numbers, got {s!r}")
    r_vec, v_vec = s[:3], s[3:]
    r = float(np.linalg.norm(r_vec))
    v2 = float(v_vec @ v_vec)
    h_vec = np.cross(r_vec, v_vec)
    h = float(np.linalg.norm(h_vec))
    if r == 0.0 or h == 0.0:
        raise ValueError("degenerate state (zero radius or rectilinear motion)")
    e_vec = np.cross(v_vec, h_vec) / mu - r_vec / r
    e = float(np.linalg.norm(e_vec))
    p = h * h / mu
    q = p / (1.0 + e)
    i = math.acos(max(-1.0, min(1.0, h_vec[2] / h)))
    n_vec = np.array([-h_vec[1], h_vec[0], 0.0])
    n = float(np.linalg.norm(n_vec))
    node = math.atan2(n_vec[1], n_vec[0]) if n > 1e-14 * h else 0.0
    # Argument of latitude of the perihelion and of the object, measured from the node line.
    u_axis = np.array([math.cos(node), math.sin(node), 0.0])
    w_axis = np.cross(h_vec / h, u_axis)
    u_obj = math.atan2(float(r_vec @ w_axis), float(r_vec @ u_axis))
    peri = math.atan2(float(e_vec @ w_axis), float(e_vec @ u_axis)) if e > 1e-12 else 0.0
    nu = u_obj - peri
    m_rad = _mean_anomaly(e, nu)
    a: float | None = None if abs(e - 1.0) < _PARABOLIC_TOL else 1.0 / (2.0 / r - v2 / mu)
    return Elements(
        a_au=a,
        q_au=q,
        e=e,
        i_deg=math.degrees(i),
        node_deg=math.degrees(node) % 360.0,
        peri_deg=math.degrees(peri) % 360.0,
        M_deg=math.degrees(m_rad) % 360.0 if e < 1.0 else math.degrees(m_rad),
        epoch_jd=epoch_jd,
    )


def _mean_anomaly(e: float, nu: float) -> float:
    if abs(e - 1.0) < _PARABOLIC_TOL:
        d = math.tan(nu / 2)
        return d + d**3 / 3.0
    if e < 1.0:
        ecc = 2.0 * math.atan2(
            math.sqrt(1.0 - e) * math.sin(nu / 2), math.sqrt(1.0 + e) * math.cos(nu / 2)
        )
        return ecc - e * math.sin(ecc)
    nu = math.remainder(nu, _TWO_PI)
    f = 2.0 * math.atanh(math.sqrt((e - 1.0) / (e + 1.0)) * math.tan(nu / 2))
    return e * math.sinh(f) - f
