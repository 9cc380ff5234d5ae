"""A1 <-> area-to-mass <-> implied density, against published numbers."""

from __future__ import annotations

import math

import pytest

from core.orbits.srp import (
    SRP_AU_D2_PER_M2_KG,
    a1_from_area_to_mass,
    area_to_mass_m2_kg,
    area_to_mass_range_m2_kg,
    diameter_m_from_h,
    implied_density_kg_m3,
)


def test_srp_factor_is_the_published_2_265e_7() -> None:
    # A/M = A1 / (2.265e-7 * C_R) m^2/kg with A1 in au/d^2 (the conversion the JPL/MPC fits of
    # 2020 SO and 2009 BD use: S = 1361 W/m^2 at 1 au over c, in au/d^2).
    assert abs(SRP_AU_D2_PER_M2_KG / 2.265e-7 - 1.0) < 1e-3


def test_round_trip_and_c_r_range() -> None:
    a1 = a1_from_area_to_mass(0.0126, c_r=1.3)
    assert area_to_mass_m2_kg(a1, c_r=1.3) == pytest.approx(0.0126, rel=1e-12)
    low, high = area_to_mass_range_m2_kg(a1)
    assert low < 0.0126 < high
    assert high == pytest.approx(2 * low)
    with pytest.raises(ValueError, match="C_R"):
        area_to_mass_m2_kg(a1, c_r=0.5)


def test_diameter_from_h() -> None:
    # 1329 km / sqrt(p_V) * 10^(-H/5): H = 18 at p_V = 0.14 is 0.892 km; H = 17.75 at the
    # conventional 1 km size-limit albedo p_V = 0.14 (CNEOS) is ~1.0 km.
    assert diameter_m_from_h(18.0, 0.14) == pytest.approx(892.2, rel=1e-3)
    assert diameter_m_from_h(17.75, 0.14) == pytest.approx(1001.0, rel=2e-3)
    with pytest.raises(ValueError, match="albedo"):
        diameter_m_from_h(18.0, 0.0)


def test_2020_cd3_density_near_2_g_cm3() -> None:
    # 2020 CD3, the natural minimoon: A/M = (6.9 +/- 2.4)e-4 m^2/kg and H = 31.7-31.8
    # (Fedorets et al. 2020, AJ 160, 277), D ~ 1-1.2 m for the albedos it discusses. Over
    # albedo 0.14-0.35 the implied density is 1.4-2.3 g/cm^3: a rock, not a hollow stage.
    densities = [
        implied_density_kg_m3(diameter_m_from_h(31.8, p), 6.9e-4) for p in (0.14, 0.25, 0.35)
    ]
    assert 1300.0 < densities[0] < 1500.0
    assert 1700.0 < densities[1] < 2000.0
    assert 2100.0 < densities[2] < 2400.0


def test_a_rocket_stage_comes_out_hollow() -> None:
    # A Centaur upper stage: ~2.0e3 kg dry, 3.05 m x 12.7 m; mean projected area ~ 30 m^2
    # gives A/M ~ 0.015 m^2/kg (GCAT dimensions and masses). As a sphere of the same
    # brightness (D ~ 5 m) its implied density is ~20 kg/m^3.
    rho = implied_density_kg_m3(5.0, 0.015)
    assert 10.0 < rho < 30.0
    assert math.isclose(implied_density_kg_m3(2.0, 3.0 / (2 * 2.0 * 1000.0)), 1000.0)
    with pytest.raises(ValueError):
        implied_density_kg_m3(1.0, -1e-4)
