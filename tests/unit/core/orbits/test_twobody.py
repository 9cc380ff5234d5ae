"""Two-body propagation and Lambert's problem against a numerical integration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from core.orbits.constants import GM_SUN_AU3_D2 as MU
from core.orbits.twobody import lagrange_coefficients, lambert, propagate_kepler, stumpff_c_s

R0 = np.array([1.0, 0.1, 0.05])
VELOCITIES = {
    "circular-ish": np.array([0.0, 0.0172, 0.001]),
    "eccentric": np.array([0.005, 0.021, 0.002]),
    "hyperbolic": np.array([0.005, 0.03, 0.002]),
}


def _integrated(r0: np.ndarray, v0: np.ndarray, dt: float) -> np.ndarray:
    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        return np.r_[y[3:], -MU * y[:3] / np.linalg.norm(y[:3]) ** 3]

    return solve_ivp(rhs, (0.0, dt), np.r_[r0, v0], rtol=1e-12, atol=1e-15).y[:, -1]


@pytest.mark.parametrize("name", sorted(VELOCITIES))
@pytest.mark.parametrize("dt", [0.05, 30.0, -200.0, 900.0])
def test_propagation_matches_integration(name: str, dt: float) -> None:
    v0 = VELOCITIES[name]
    r, v = propagate_kepler(R0, v0, dt, MU)
    ref = _integrated(R0, v0, dt)
    assert np.abs(r - ref[:3]).max() < 1e-9  # au (150 m), the integrator's own error
    assert np.abs(v - ref[3:]).max() < 1e-11


def test_vectorised_equals_scalar_path() -> None:
    """Many states (numpy path) and one state at a few times (float path) agree."""
    v0 = VELOCITIES["eccentric"]
    times = np.array([-40.0, 1.0, 365.0])
    r_one, v_one = propagate_kepler(R0, v0, times, MU)  # the float path (<= 8 times)
    r_many, v_many = propagate_kepler(np.tile(R0, (3, 1)), np.tile(v0, (3, 1)), times, MU)
    np.testing.assert_allclose(r_one, r_many, rtol=0, atol=1e-13)
    np.testing.assert_allclose(v_one, v_many, rtol=0, atol=1e-15)
    f, g, fd, gd = lagrange_coefficients(R0, v0, times, MU)
    np.testing.assert_allclose(f * gd - fd * g, 1.0, atol=1e-12)  # angular momentum kept


def test_stumpff_series_and_closed_form_agree() -> None:
    z = np.array([-0.2, -0.1 + 1e-12, 0.1 - 1e-12, 0.2, 0.0, 39.0, -30.0])
    c, s = stumpff_c_s(z)
    assert c[4] == 0.5 and s[4] == pytest.approx(1.0 / 6.0)
    assert c[5] == pytest.approx((1 - np.cos(np.sqrt(39.0))) / 39.0)
    assert s[6] == pytest.approx((np.sinh(np.sqrt(30.0)) - np.sqrt(30.0)) / 30.0**1.5)
    # Continuity across the switch to the series at |z| = 0.1.
    c2, s2 = stumpff_c_s(np.array([-0.1 - 1e-12, 0.1 + 1e-12]))
    np.testing.assert_allclose(c2, c[[1, 2]], rtol=1e-12)
    np.testing.assert_allclose(s2, s[[1, 2]], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(VELOCITIES))
@pytest.mark.parametrize("dt", [0.04, 30.0, 120.0])
def test_lambert_recovers_the_velocity(name: str, dt: float) -> None:
    v0 = VELOCITIES[name]
    r2, v2 = propagate_kepler(R0, v0, dt, MU)
    v1_l, v2_l = lambert(R0, r2, dt, MU)
    assert np.abs(v1_l - v0).max() < 1e-10
    assert np.abs(v2_l - v2).max() < 1e-10


def test_lambert_is_vectorised_and_flags_parallel_positions() -> None:
    r2 = np.stack([propagate_kepler(R0, v, 10.0, MU)[0] for v in VELOCITIES.values()])
    v1, _ = lambert(np.tile(R0, (3, 1)), r2, np.full(3, 10.0), MU)
    np.testing.assert_allclose(v1, np.stack(list(VELOCITIES.values())), atol=1e-10)
    v_bad, _ = lambert(R0, -2.0 * R0, 10.0, MU)  # 180 deg: the plane is undefined
    assert np.isnan(v_bad).all()
