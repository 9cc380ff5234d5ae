"""Minimum orbit intersection distance (MOID) between two heliocentric conics.

The distance between a point of each orbit, as a function of the two true anomalies, is
minimised: a 360 x 360 grid locates the basins, and each of the four lowest grid points is
refined by zooming (a 21 x 21 window around the best point, ten times finer at each of six
rounds, to 1e-7 of the grid step). This brute-force-and-polish search is the reference method
of Wisniowski & Rickman (2013, Acta Astron. 63, 293): it finds the global minimum for any pair
of orbits, near-coplanar ones included. An open orbit (e >= 1) is sampled over the part within
20 au of the Sun. Checked against JPL SBDB MOIDs to 1e-6 au (tests/unit/core/orbits).
"""

from __future__ import annotations

import math

import numpy as np

from core._types import FloatArray
from core.orbits.elements import Elements

__all__ = ["moid_au"]

_GRID = 360
_MAX_R_AU = 20.0


def _frame(el: Elements) -> tuple[FloatArray, FloatArray]:
    i, node, peri = (math.radians(v) for v in (el.i_deg, el.node_deg, el.peri_deg))
    cn, sn, ci, si, cw, sw = (
        math.cos(node),
        math.sin(node),
        math.cos(i),
        math.sin(i),
        math.cos(peri),
        math.sin(peri),
    )
    p_hat = np.array([cn * cw - sn * sw * ci, sn * cw + cn * sw * ci, sw * si])
    q_hat = np.array([-cn * sw - sn * cw * ci, -sn * sw + cn * cw * ci, cw * si])
    return p_hat, q_hat


def _nu_range(el: Elements) -> tuple[float, float]:
    if el.e < 1.0:
        return -math.pi, math.pi
    p = el.q_au * (1.0 + el.e)
    # r = p / (1 + e cos nu) <= MAX_R  <=>  cos nu >= (p / MAX_R - 1) / e
    limit = math.acos(max(-1.0, min(1.0, (p / _MAX_R_AU - 1.0) / el.e)))
    return -limit, limit


def _points(el: Elements, nu: FloatArray) -> FloatArray:
    p = el.q_au * (1.0 + el.e)
    r = p / (1.0 + el.e * np.cos(nu))
    p_hat, q_hat = _frame(el)
    return np.asarray((r * np.cos(nu))[..., None] * p_hat + (r * np.sin(nu))[..., None] * q_hat)


def moid_au(first: Elements, second: Elements) -> float:
    """MOID (au) of two heliocentric orbits given by their elements (same frame)."""
    ranges = (_nu_range(first), _nu_range(second))
    nu1 = np.linspace(*ranges[0], _GRID, endpoint=first.e < 1.0)
    nu2 = np.linspace(*ranges[1], _GRID, endpoint=second.e < 1.0)
    d2 = _distance2(first, second, nu1, nu2)
    starts = np.argpartition(d2, _STARTS, axis=None)[:_STARTS]
    best = math.inf
    for flat in starts:
        i, j = np.unravel_index(flat, d2.shape)
        c1, c2 = float(nu1[i]), float(nu2[j])
        h1, h2 = float(nu1[1] - nu1[0]), float(nu2[1] - nu2[0])
        for _ in range(_ROUNDS):  # zoom: a 21 x 21 window, 10x finer each round
            w1 = np.clip(c1 + h1 * _WINDOW, *_bounds(first, ranges[0]))
            w2 = np.clip(c2 + h2 * _WINDOW, *_bounds(second, ranges[1]))
            local = _distance2(first, second, w1, w2)
            a, b = np.unravel_index(int(np.argmin(local)), local.shape)
            c1, c2 = float(w1[a]), float(w2[b])
            h1, h2 = h1 / 10.0, h2 / 10.0
        best = min(best, math.sqrt(max(float(local[a, b]), 0.0)))
    return best


_STARTS = 4
_ROUNDS = 6
_WINDOW = np.linspace(-10.0, 10.0, 21)


def _bounds(el: Elements, nu_range: tuple[float, float]) -> tuple[float, float]:
    return (-math.inf, math.inf) if el.e < 1.0 else nu_range


def _distance2(first: Elements, second: Elements, nu1: FloatArray, nu2: FloatArray) -> FloatArray:
    a = _points(first, nu1)
    b = _points(second, nu2)
    d2 = np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * a @ b.T
    return np.asarray(d2)
