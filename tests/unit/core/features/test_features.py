"""Feature values against hand computation, the schema hash, missingness and batch == single."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

from core.constants import A2_NATURAL_AU_D2_KM, V_EARTH_KMS
from core.contract.records import NeoRecord, record_from_obj
from core.features import (
    FEATURE_SCHEMA,
    FeatureMatrix,
    FeatureSchema,
    extract_features,
    observational,
    orbital,
    physical,
    spatial,
    temporal,
)

# Real elements from MPC NEA.txt (2019-05 issue, epoch K1972 = JD 2458600.5),
# tests/fixtures/nea / ../shared/data/raw/mpc_nea_2019/NEA.txt.
EROS = {
    "designation": "433",
    "orbit": {
        "a_au": 1.4581823,
        "e": 0.2227385,
        "i_deg": 10.82858,
        "node_deg": 304.30424,
        "peri_deg": 178.83549,
        "M_deg": 84.17190,
        "epoch_jd": 2458600.5,
    },
    "physical": {"H": 11.16},
}
APOPHIS = {
    "designation": "99942",
    "orbit": {
        "a_au": 0.9225169,
        "e": 0.1914724,
        "i_deg": 3.33690,
        "node_deg": 204.05444,
        "peri_deg": 126.67983,
        "M_deg": 236.64021,
        "epoch_jd": 2458600.5,
    },
    "physical": {"H": 18.9},
}
T0 = datetime(2000, 1, 1)


def rec(obj: dict[str, Any]) -> NeoRecord:
    return record_from_obj(obj)


def feats(*objs: dict[str, Any]) -> FeatureMatrix:
    return extract_features([rec(o) for o in objs])


def val(fm: FeatureMatrix, name: str, row: int = 0) -> float:
    return float(fm.values[row, fm.schema.index(name)])


def iso(days: float) -> str:
    return (T0 + timedelta(days=days)).isoformat()


def hand_orbit(a: float, e: float, i_deg: float) -> dict[str, float]:
    ir = math.radians(i_deg)
    p = a * (1 - e * e)
    t_e = 1 / a + 2 * math.cos(ir) * math.sqrt(p)
    ux2 = 2 - 1 / a - p
    uy = math.sqrt(p) * math.cos(ir) - 1
    uz = math.sqrt(p) * math.sin(ir)
    return {
        "orb_q_au": a * (1 - e),
        "orb_Q_au": a * (1 + e),
        "orb_period_yr": a**1.5,
        "orb_energy": -1 / (2 * a),
        "orb_ang_mom": math.sqrt(p),
        "orb_tisserand_j": 5.2026 / a + 2 * math.cos(ir) * math.sqrt(p / 5.2026),
        "orb_tisserand_e": t_e,
        "orb_earth_da_au": abs(a - 1),
        "orb_earth_dist": math.sqrt((a - 1) ** 2 + e**2 + (2 * math.sin(ir / 2)) ** 2),
        "orb_opik_u": math.sqrt(max(ux2, 0) + uy**2 + uz**2),
        "orb_crosses_1au": float(ux2 >= 0),
    }


@pytest.mark.parametrize(
    ("obj", "literal"),
    [
        # q, Q, period (yr), T_J, T_E computed by hand (T_J of Eros is 4.58 in JPL SBDB)
        (EROS, (1.133389, 1.782976, 1.760831, 4.581715, 2.998294)),
        (APOPHIS, (0.745880, 1.099153, 0.886057, 6.464772, 2.966208)),
    ],
)
def test_orbital_features_match_hand_computation(
    obj: dict[str, Any], literal: tuple[float, ...]
) -> None:
    o = obj["orbit"]
    fm = feats(obj)
    for name, expected in hand_orbit(o["a_au"], o["e"], o["i_deg"]).items():
        assert val(fm, name) == pytest.approx(expected, rel=1e-12, abs=1e-15), name
    names = ("orb_q_au", "orb_Q_au", "orb_period_yr", "orb_tisserand_j", "orb_tisserand_e")
    assert tuple(round(val(fm, n), 6) for n in names) == literal
    assert val(fm, "orb_sin_node") == pytest.approx(math.sin(math.radians(o["node_deg"])))
    assert val(fm, "orb_cos_M") == pytest.approx(math.cos(math.radians(o["M_deg"])))
    assert val(fm, "orb_hyperbolic") == 0.0


def test_opik_speed_of_earth_crosser_is_exact_and_non_crosser_flagged() -> None:
    fm = feats(APOPHIS, EROS)
    # Apophis crosses 1 au: U^2 = 3 - T_E exactly; its v_inf at the 2029 approach is 5.84 km/s.
    u = math.sqrt(3 - val(fm, "orb_tisserand_e", 0))
    assert val(fm, "orb_opik_u", 0) == pytest.approx(u, rel=1e-12)
    assert val(fm, "orb_opik_u_kms", 0) == pytest.approx(5.4752, abs=1e-3)
    assert val(fm, "orb_crosses_1au", 0) == 1.0
    assert val(fm, "orb_crosses_1au", 1) == 0.0  # Eros, q = 1.13 au
    assert val(fm, "orb_opik_u_kms", 1) == pytest.approx(0.27077 * V_EARTH_KMS, rel=1e-4)


def test_hyperbolic_orbit_from_q() -> None:
    fm = feats({"designation": "x", "orbit": {"q_au": 0.25, "e": 1.2, "i_deg": 122.7}})
    assert math.isnan(val(fm, "orb_Q_au"))
    assert math.isnan(val(fm, "orb_period_yr"))
    assert val(fm, "orb_hyperbolic") == 1.0
    assert val(fm, "orb_a_au") == pytest.approx(0.25 / (1 - 1.2))
    assert val(fm, "orb_energy") == pytest.approx(0.2 / (2 * 0.25))  # unbound: energy > 0
    assert val(fm, "orb_ang_mom") == pytest.approx(math.sqrt(0.25 * 2.2))


def test_physical_features() -> None:
    fm = feats(
        {
            "designation": "p",
            "physical": {
                "H": 20.0,
                "albedo": 0.25,
                "diameter_km": 0.5,
                "rot_per_h": 1.5,
                "spectral_type": "Sq",
            },
        },
        {"designation": "q", "physical": {"H": 22.0, "spectral_type": "Xe"}},
        {"designation": "r", "physical": {"spectral_type": "V", "rot_per_h": 7.0}},
    )
    implied = 1329 / math.sqrt(0.25) * 10 ** (-20 / 5)  # 0.2658 km
    assert val(fm, "phys_log10_d_implied_km") == pytest.approx(math.log10(implied))
    assert val(fm, "phys_log10_d_ratio") == pytest.approx(math.log10(0.5 / implied))
    assert val(fm, "phys_log10_d_best_km") == pytest.approx(math.log10(0.5))
    assert val(fm, "phys_d_best_assumed") == 0.0
    assert val(fm, "phys_size_albedo_km") == pytest.approx(0.125)
    assert val(fm, "phys_fast_rotator") == 1.0
    assert val(fm, "phys_log10_rot_h") == pytest.approx(math.log10(1.5))
    assumed = 1329 / math.sqrt(0.14) * 10 ** (-22 / 5)
    assert val(fm, "phys_log10_d_best_km", 1) == pytest.approx(math.log10(assumed))
    assert val(fm, "phys_d_best_assumed", 1) == 1.0
    assert math.isnan(val(fm, "phys_log10_d_ratio", 1))
    onehot = ["phys_spec_s", "phys_spec_c", "phys_spec_x", "phys_spec_other"]
    assert [val(fm, n, 0) for n in onehot] == [1, 0, 0, 0]
    assert [val(fm, n, 1) for n in onehot] == [0, 0, 1, 0]
    assert [val(fm, n, 2) for n in onehot] == [0, 0, 0, 1]
    assert val(fm, "phys_fast_rotator", 2) == 0.0
    assert math.isnan(val(fm, "phys_H", 2))
    assert math.isnan(val(fm, "phys_log10_d_best_km", 2))


def test_nongrav_ratio_for_bennu() -> None:
    # Bennu: D = 0.490 km, A2 = -4.618e-14 au/d^2 (Farnocchia et al. 2013)
    fm = feats(
        {
            "designation": "101955",
            "physical": {"H": 20.19, "diameter_km": 0.49},
            "nongrav": {"A2": -4.618e-14},
        }
    )
    ratio = 4.618e-14 / (A2_NATURAL_AU_D2_KM / 0.49)
    assert 10 ** val(fm, "ng_log10_a2_ratio") == pytest.approx(ratio, rel=1e-12)
    assert val(fm, "ng_log10_abs_a2") == pytest.approx(math.log10(4.618e-14))
    assert val(fm, "ng_sign_a2") == -1.0
    assert math.isnan(val(fm, "ng_log10_abs_a1"))
    assert math.isnan(val(fm, "ng_log10_a1_ratio"))


def test_temporal_features_match_hand_computation() -> None:
    days = [300.0, 0.0, 700.0, 100.0]  # unsorted on purpose: intervals 100, 200, 400
    dists = [0.01, 0.2, 0.04, 0.3]
    vrel = [5.0, None, 7.0, 9.0]
    cas = []
    for d, dist, v in zip(days, dists, vrel, strict=True):
        ca: dict[str, Any] = {"time": iso(d), "dist_au": dist}
        if v is not None:
            ca["v_rel_kms"] = v
        cas.append(ca)
    fm = feats({"designation": "t", "close_approaches": cas})
    iv = np.array([100.0, 200.0, 400.0])
    m, s = iv.mean(), iv.std()
    dev = iv - m
    assert val(fm, "ca_n") == 4
    assert val(fm, "ca_n_earth_close") == 2
    assert val(fm, "ca_int_mean_d") == pytest.approx(m)
    assert val(fm, "ca_int_std_d") == pytest.approx(s)
    assert (val(fm, "ca_int_min_d"), val(fm, "ca_int_max_d")) == (100.0, 400.0)
    assert val(fm, "ca_regularity") == pytest.approx(1 / (1 + s / m))
    autocorr = (dev[0] * dev[1] + dev[1] * dev[2]) / (dev @ dev)
    assert val(fm, "ca_int_autocorr") == pytest.approx(autocorr)
    assert val(fm, "ca_burstiness") == pytest.approx((s - m) / (s + m))
    assert val(fm, "ca_dist_min_au") == 0.01
    assert val(fm, "ca_dist_mean_au") == pytest.approx(np.mean(dists))
    assert val(fm, "ca_dist_std_au") == pytest.approx(np.std(dists))
    assert val(fm, "ca_vrel_min_kms") == 5.0
    assert val(fm, "ca_vrel_mean_kms") == pytest.approx(7.0)
    assert val(fm, "ca_vrel_std_kms") == pytest.approx(np.std([5.0, 7.0, 9.0]))
    assert math.isnan(val(fm, "sp_n"))  # approaches without subpoints


def test_circular_longitude_mean_across_the_seam() -> None:
    cas = [
        {"time": iso(0), "dist_au": 0.01, "subpoint": [10.0, 179.0]},
        {"time": iso(400), "dist_au": 0.01, "subpoint": [10.0, -179.0]},
    ]
    fm = feats({"designation": "s", "close_approaches": cas})
    lon = math.degrees(math.atan2(val(fm, "sp_lon_mean_sin"), val(fm, "sp_lon_mean_cos")))
    assert abs(lon) == pytest.approx(180.0, abs=1e-9)  # the naive mean would say 0
    assert val(fm, "sp_lon_circ_var") == pytest.approx(1 - math.cos(math.radians(1.0)))
    assert val(fm, "sp_lat_mean_deg") == pytest.approx(10.0)
    assert val(fm, "sp_lat_std_deg") == 0.0
    # Two points 2 deg of longitude apart at latitude 10: each ~0.985 deg from the centroid.
    half = math.degrees(math.asin(math.cos(math.radians(10.0)) * math.sin(math.radians(1.0))))
    assert val(fm, "sp_geo_spread_deg") == pytest.approx(half, rel=1e-6)
    assert val(fm, "sp_concentration") == pytest.approx(math.cos(math.radians(half)), rel=1e-9)
    assert val(fm, "sp_clustering") == 1.0
    assert val(fm, "sp_n") == 2.0


def test_observational_features_from_ades() -> None:
    rows = [
        {"obsTime": "2020-01-01T03:00:00Z", "ra": 10.0, "dec": 5.0, "stn": "F51", "mag": 20.0,
         "rmsRA": 0.3, "rmsDec": 0.4},
        {"obsTime": "2020-01-01T04:00:00Z", "ra": 10.1, "dec": 5.0, "stn": "F51", "mag": 21.0},
        {"obsTime": "2020-01-03T03:00:00Z", "ra": 10.2, "dec": 5.1, "stn": "G96", "mag": 20.5,
         "rmsRA": 0.1, "rmsDec": 0.1},
    ]  # fmt: skip
    fm = feats({"designation": "o", "observations": {"ades": rows}})
    assert val(fm, "obs_n") == 3
    assert val(fm, "obs_arc_d") == pytest.approx(2.0)
    assert val(fm, "obs_nights") == 2
    assert val(fm, "obs_stations") == 2
    assert val(fm, "obs_mag_std") == pytest.approx(np.std([20.0, 21.0, 20.5]))
    assert val(fm, "obs_mag_amp") == pytest.approx(1.0)
    assert val(fm, "obs_rms_arcsec") == pytest.approx(math.sqrt((0.125 + 0.01) / 2))
    assert val(fm, "obs_rate_per_d") == pytest.approx(3 / 3.0)
    assert val(fm, "has_observations") == 1.0


def test_missing_blocks_are_nan_with_flags_zero() -> None:
    fm = feats({"designation": "empty"}, EROS)
    row = fm.values[0]
    stats = set(FEATURE_SCHEMA.categories["statistical"])
    indicator_cols = set(FEATURE_SCHEMA.categories["indicators"])
    for j, name in enumerate(FEATURE_SCHEMA.names):
        if name not in stats | indicator_cols:
            assert math.isnan(row[j]), name
    for flag in ("has_orbit", "has_physical", "has_nongrav", "has_close_approaches",
                 "has_observations", "has_subpoints"):  # fmt: skip
        assert val(fm, flag, 0) == 0.0
    assert val(fm, "n_missing_blocks", 0) == 6
    assert val(fm, "frac_missing_base", 0) == 1.0
    assert val(fm, "ind_overall", 0) == 0.0
    assert val(fm, "ind_mean_confidence", 0) == 0.0
    assert val(fm, "has_orbit", 1) == 1.0
    assert val(fm, "has_physical", 1) == 1.0
    assert val(fm, "n_missing_blocks", 1) == 4
    assert math.isnan(val(fm, "orb_moid_au", 1))  # not given: missing, not 0


def test_schema_hash_is_sha256_of_version_and_names() -> None:
    s = FEATURE_SCHEMA
    expected = hashlib.sha256("\n".join((s.version, *s.names)).encode()).hexdigest()
    assert s.hash == expected
    assert s.names == tuple(n for group in s.categories.values() for n in group)
    assert len(set(s.names)) == len(s.names)
    assert [s.index(n) for n in s.names] == list(range(len(s.names)))
    with pytest.raises(KeyError):
        s.index("designation")
    same = FeatureSchema(s.version, dict(s.categories))
    assert same.hash == s.hash
    swapped = dict(s.categories)
    swapped["orbital"] = (s.categories["orbital"][1], s.categories["orbital"][0],
                          *s.categories["orbital"][2:])  # fmt: skip
    assert FeatureSchema(s.version, swapped).hash != s.hash
    assert FeatureSchema(s.version + "x", dict(s.categories)).hash != s.hash
    renamed = {**s.categories, "orbital": ("orb_ecc", *s.categories["orbital"][1:])}
    assert FeatureSchema(s.version, renamed).hash != s.hash


def test_block_modules_produce_exactly_their_schema_names() -> None:
    from core.features._gather import gather

    g = gather([rec(EROS)])
    blocks = [
        (orbital.orbital_features, orbital.NAMES),
        (physical.physical_features, physical.NAMES),
        (physical.nongrav_features, physical.NONGRAV_NAMES),
        (temporal.temporal_features, temporal.NAMES),
        (spatial.spatial_features, spatial.NAMES),
        (observational.observational_features, observational.NAMES),
    ]
    for fn, names in blocks:
        cols = fn(g)
        assert tuple(cols) == names
        assert all(c.shape == (1,) and c.dtype == np.float64 for c in cols.values())


def _diverse_batch(seed: int = 7, n: int = 60) -> list[NeoRecord]:
    rng = np.random.default_rng(seed)
    out = [rec(EROS), rec(APOPHIS), rec({"designation": "bare"})]
    stations = ["F51", "G96", "703", "I41"]
    for k in range(n):
        obj: dict[str, Any] = {"designation": f"r{k}"}
        if rng.random() < 0.8:
            a = float(rng.uniform(0.6, 3.5))
            obj["orbit"] = {"a_au": a, "e": float(rng.uniform(0, 0.9)),
                            "i_deg": float(rng.uniform(0, 60)),
                            "node_deg": float(rng.uniform(0, 360))}  # fmt: skip
            if rng.random() < 0.5:
                obj["orbit"]["moid_au"] = float(rng.uniform(0, 0.5))
        if rng.random() < 0.6:
            obj["physical"] = {"H": float(rng.uniform(14, 30))}
            if rng.random() < 0.5:
                obj["physical"]["albedo"] = float(rng.uniform(0.03, 0.5))
                obj["physical"]["diameter_km"] = float(rng.uniform(0.01, 5))
            if rng.random() < 0.3:
                obj["physical"]["rot_per_h"] = float(rng.uniform(0.1, 30))
        if rng.random() < 0.3:
            obj["nongrav"] = {"A2": float(rng.normal(0, 1e-13)), "A1": float(rng.normal(0, 1e-12))}
        m = int(rng.integers(0, 12))
        obj["close_approaches"] = [
            {
                "time": iso(float(rng.uniform(0, 30000))),
                "dist_au": float(rng.uniform(0.001, 0.2)),
                "v_rel_kms": float(rng.uniform(1, 30)),
                **({"subpoint": [float(rng.uniform(-90, 90)), float(rng.uniform(-180, 180))]}
                   if rng.random() < 0.7 else {}),
            }
            for _ in range(m)
        ]  # fmt: skip
        if rng.random() < 0.4:
            nobs = int(rng.integers(1, 40))
            obj["observations"] = {
                "ades": [
                    {"obsTime": iso(float(t)) + "Z", "ra": float(rng.uniform(0, 360)),
                     "dec": float(rng.uniform(-80, 80)), "stn": stations[int(rng.integers(4))],
                     "mag": float(rng.uniform(15, 22)), "rmsRA": 0.2, "rmsDec": 0.3}
                    for t in np.sort(rng.uniform(5000, 5100, nobs))
                ]
            }  # fmt: skip
        out.append(rec(obj))
    return out


def test_batch_equals_single_bit_for_bit() -> None:
    batch = _diverse_batch()
    fm = extract_features(batch)
    assert fm.values.shape == (len(batch), len(FEATURE_SCHEMA))
    for i, r in enumerate(batch):
        np.testing.assert_array_equal(extract_features([r]).values[0], fm.values[i])
        np.testing.assert_array_equal(extract_features([r]).indicators.raw[0], fm.indicators.raw[i])


def test_shuffled_batch_gives_permuted_rows() -> None:
    batch = _diverse_batch(seed=11)
    perm = np.random.default_rng(3).permutation(len(batch))
    a = extract_features(batch).values
    b = extract_features([batch[p] for p in perm]).values
    np.testing.assert_array_equal(a[perm], b)


def test_designation_and_meta_never_change_features() -> None:
    base = dict(APOPHIS)
    renamed = {**APOPHIS, "designation": "2020 SO", "meta": {"label": "artificial"}}
    np.testing.assert_array_equal(feats(base).values, feats(renamed).values)


def test_empty_batch() -> None:
    fm = extract_features([])
    assert fm.values.shape == (0, len(FEATURE_SCHEMA))
    assert fm.indicators.overall.shape == (0,)
