"""Radiation-pressure and launch features: A/M, implied density, v_inf, apsis at 1 au, size-aware
non-gravitational indicators (issue 20), checked against published numbers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from core.constants import A1_SIGMA_DEFAULT_AU_D2
from core.contract.records import record_from_obj
from core.features import FEATURE_SCHEMA, FeatureMatrix, extract_features
from core.features.schema import VERSION
from core.orbits.srp import SRP_AU_D2_PER_M2_KG

# 2020 CD3, the natural minimoon: A/M = (6.9 +/- 2.4)e-4 m^2/kg, H = 31.8, bulk density near
# 2 g/cm^3 (Fedorets et al. 2020, AJ 160, 277). Orbit: JPL heliocentric elements, rounded.
CD3 = {
    "designation": "2020 CD3",
    "orbit": {"a_au": 1.027, "e": 0.0214, "i_deg": 0.64},
    "physical": {"H": 31.8},
    "nongrav": {"A1": 6.9e-4 * SRP_AU_D2_PER_M2_KG},
}
# (99942) Apophis, 0.34 km, with its catalogue A1/A2 (JPL: A1 = 5e-13, A2 = -2.9e-14 au/d^2)
# and (4179) Toutatis, 5.4 km (A1 = -3.2e-13): what the bundled catalogue carries.
APOPHIS = {
    "designation": "99942",
    "orbit": {"a_au": 0.9225169, "e": 0.1914724, "i_deg": 3.3369},
    "physical": {"H": 18.9, "diameter_km": 0.34, "albedo": 0.35},
    "nongrav": {"A1": 5e-13, "A2": -2.9e-14},
}
TOUTATIS = {
    "designation": "4179",
    "orbit": {"a_au": 2.5438928, "e": 0.6256447, "i_deg": 0.4477},
    "physical": {"H": 15.3, "diameter_km": 5.4, "albedo": 0.405},
    "nongrav": {"A1": -3.2e-13, "A2": -7.6e-15},
}


def features(*objs: dict[str, Any]) -> FeatureMatrix:
    return extract_features([record_from_obj(o) for o in objs])


def raw(fm: FeatureMatrix, i: int) -> dict[str, float]:
    return dict(zip(fm.indicators.names, fm.indicators.raw[i].tolist(), strict=True))


def test_schema_version_bumped_and_new_columns_present() -> None:
    assert VERSION == "neo-features/3"
    for name in (
        "ng_a1_snr",
        "srp_log10_amr_m2_kg",
        "srp_log10_amr_sigma_dex",
        "srp_log10_density_kg_m3",
        "srp_log10_density_sigma_dex",
        "orb_v_inf_tisserand_kms",
        "orb_apsis_1au_au",
        "orb_bound_to_earth",
        "ind_raw_low_density",
        "ind_raw_launch_compatible_orbit",
    ):
        FEATURE_SCHEMA.index(name)


def test_2020_cd3_comes_out_natural_near_2_g_cm3() -> None:
    fm = features(CD3)
    assert 10 ** fm.column("srp_log10_amr_m2_kg")[0] == pytest.approx(6.9e-4, rel=1e-9)
    # H 31.8 with the assumed albedo 0.14: D = 1.55 m, rho = 3 / (2 D A/M) = 1.40 g/cm^3;
    # 2 g/cm^3 (Fedorets et al. 2020) lies within its 1-sigma (0.25 dex diameter, A1 default
    # sigma) of the published value.
    rho = 10 ** fm.column("srp_log10_density_kg_m3")[0]
    sigma_dex = fm.column("srp_log10_density_sigma_dex")[0]
    assert rho == pytest.approx(1403.0, rel=0.01)
    assert abs(math.log10(rho / 2000.0)) < sigma_dex
    r = raw(fm, 0)
    assert r["low_density"] == 0.0
    assert r["a1_excess"] == 0.0
    assert r["a2_excess"] == 0.0


@pytest.mark.parametrize("amr_m2_kg", [0.006, 0.013, 0.025])
def test_2020_so_like_stage_values_fire_low_density(amr_m2_kg: float) -> None:
    # A Centaur-size stage at H = 28.3 (2020 SO): stages 0.006-0.025 m^2/kg give 10-32 kg/m^3.
    stage = {
        "designation": "2020 SO",
        "orbit": {"a_au": 1.008, "e": 0.027, "i_deg": 0.13},
        "physical": {"H": 28.3},
        "nongrav": {"A1": amr_m2_kg * SRP_AU_D2_PER_M2_KG},
    }
    fm = features(stage)
    rho = 10 ** fm.column("srp_log10_density_kg_m3")[0]
    assert 5.0 < rho < 40.0
    assert raw(fm, 0)["low_density"] == 1.0
    assert "low_density" in fm.indicators.firing(0)


@pytest.mark.parametrize("obj", [APOPHIS, TOUTATIS], ids=["apophis", "toutatis"])
def test_km_size_body_with_a1_a2_never_fires_nongrav(obj: dict[str, Any]) -> None:
    fm = features(obj)
    r = raw(fm, 0)
    assert r["a1_excess"] == r["a2_excess"] == r["low_density"] == 0.0
    for name in ("ng_log10_abs_a1", "ng_log10_a1_ratio", "srp_log10_amr_m2_kg"):
        assert np.isnan(fm.column(name)[0]), name
    # A2 stays a feature (Yarkovsky is information, not evidence).
    assert np.isfinite(fm.column("ng_log10_abs_a2")[0])


def test_even_a_large_a1_on_a_km_body_is_not_counted() -> None:
    big = {**APOPHIS, "nongrav": {"A1": 1e-9, "A2": 1e-11}}
    fm = features(big)
    r = raw(fm, 0)
    assert r["a1_excess"] == r["a2_excess"] == r["low_density"] == 0.0


def test_a2_alone_is_never_evidence() -> None:
    tiny = {"designation": "x", "physical": {"H": 29.0}, "nongrav": {"A2": 1e-10}}
    fm = features(tiny)
    assert fm.column("ng_log10_a2_ratio")[0] > 1.3  # 47x a 5.6 m rock's Yarkovsky
    assert raw(fm, 0)["a2_excess"] == 0.0
    assert fm.indicators.confidence[0, fm.indicators.names.index("a2_excess")] == 0.0


def test_insignificant_a1_is_not_counted() -> None:
    # |A1| / sigma = 2 with the default sigma (no A1_sigma in the record): not a detection.
    weak = {
        "designation": "w",
        "physical": {"H": 30.0},
        "nongrav": {"A1": 2 * A1_SIGMA_DEFAULT_AU_D2},
    }
    fm = features(weak)
    assert fm.column("ng_a1_snr")[0] == pytest.approx(2.0)
    assert np.isnan(fm.column("srp_log10_density_kg_m3")[0])
    assert raw(fm, 0)["low_density"] == 0.0


def test_negative_a1_is_not_radiation_pressure() -> None:
    inward = {"designation": "n", "physical": {"H": 30.0}, "nongrav": {"A1": -1e-9}}
    fm = features(inward)
    assert np.isnan(fm.column("srp_log10_amr_m2_kg")[0])
    assert raw(fm, 0)["low_density"] == 0.0


def test_v_inf_from_tisserand_against_cneos() -> None:
    # Apophis: v_E sqrt(3 - T_E) = 5.47 km/s; CNEOS gives v_inf = 5.84 km/s for the 2029
    # encounter (circular coplanar Earth in the Tisserand form: within 10 %).
    fm = features(APOPHIS)
    v = fm.column("orb_v_inf_tisserand_kms")[0]
    assert v == pytest.approx(5.84, rel=0.10)
    t_e = fm.column("orb_tisserand_e")[0]
    assert v == pytest.approx(29.7847 * math.sqrt(3.0 - t_e), rel=1e-4)


def test_apsis_at_1au_and_launch_compatible_orbit() -> None:
    # q = 0.99 au (apsis 0.01 au from Earth's orbit), a = 2.0 au: v_inf = 7.2 km/s, too fast
    # for the speed ramp, yet the tangent apsis makes it launch-compatible.
    tangent = {"designation": "t", "orbit": {"q_au": 0.99, "a_au": 2.0, "e": 1 - 0.99 / 2.0,
                                             "i_deg": 1.0}}  # fmt: skip
    # Eros: T_E ~ 3 (v_inf formally ~1 km/s) but q = 1.13 au: it never reaches Earth's orbit.
    eros = {"designation": "433", "orbit": {"a_au": 1.4581823, "e": 0.2227385, "i_deg": 10.82858}}
    fm = features(tangent, eros)
    assert fm.column("orb_apsis_1au_au")[0] == pytest.approx(0.01, abs=1e-9)
    assert fm.column("orb_v_inf_tisserand_kms")[0] == pytest.approx(7.24, abs=0.01)
    assert raw(fm, 0)["launch_compatible_orbit"] == pytest.approx((0.03 - 0.01) / 0.025)
    assert fm.column("orb_v_inf_tisserand_kms")[1] < 2.0
    assert raw(fm, 1)["launch_compatible_orbit"] == 0.0


def test_no_fit_means_capture_unknown() -> None:
    fm = features(CD3)
    assert np.isnan(fm.column("orb_bound_to_earth")[0])


def test_one_sided_size_columns_make_every_large_body_alike() -> None:
    fm = features(APOPHIS, TOUTATIS, CD3)
    np.testing.assert_allclose(fm.column("phys_H_faint"), [22.0, 22.0, 31.8])
    small = fm.column("phys_log10_d_best_small_km")
    assert small[0] == small[1] == pytest.approx(math.log10(0.15))
    assert small[2] == pytest.approx(fm.column("phys_log10_d_best_km")[2])
