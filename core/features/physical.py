"""Physical and non-gravitational features: size, albedo, taxonomy, rotation, A1/A2/A3.

Size from brightness: D = 1329 km / sqrt(p_V) * 10^(-H/5). ``phys_log10_d_best_km`` is the
best available diameter: measured, else implied by H and the measured albedo, else implied
by H with the mean NEO albedo 0.14 (:data:`core.constants.DEFAULT_ALBEDO`).

Non-gravitational parameters are compared with what a natural body of that size could show:
the transverse Yarkovsky A2 of a rock scales as 1/D (:data:`A2_NATURAL_AU_D2_KM`), and the
radial radiation-pressure A1 of a solid sphere is bounded by :data:`A1_SRP_MAX_AU_D2_KM` / D.
Log ratios above 0 mean "more area per mass than a natural body of this size".

Radiation pressure (:mod:`core.orbits.srp`): a radial A1 > 0 gives the area-to-mass ratio
A/M = A1 / (C_R * 2.265e-7) (C_R = 1, the largest A/M the A1 allows) and, with the best
diameter, the implied bulk density rho = 3 / (2 D A/M) of a sphere (Micheli et al. 2012).
They are **counted only where A1 is a detection**: |A1| / sigma(A1) > 3 (the record's own
``nongrav.A1_sigma``, else :data:`~core.constants.A1_SIGMA_DEFAULT_AU_D2`) and the body is
not known to be too large for radiation pressure to be measurable: D <= 150 m
(:data:`~core.constants.SRP_MAX_DIAMETER_KM`) or D unknown (no H, no diameter: the A/M is
counted alone, without a density, issue 33); for a larger body they are NaN, and so are the
raw A1 columns, so that a kilometre-size body's fitted A1 (Yarkovsky drift, a model term or
noise) never looks like low density. A sigma of exactly 0 gives no significance (NaN).
Uncertainties are in dex: sigma(log10 A/M) = sigma(A1) / (A1 ln 10), and the density adds
the diameter's (measured 0.04, from H and albedo 0.08, assumed albedo 0.25 dex) in quadrature.
"""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.constants import (
    A1_SIGMA_DEFAULT_AU_D2,
    A1_SIGNIFICANCE,
    A1_SRP_MAX_AU_D2_KM,
    A2_NATURAL_AU_D2_KM,
    D_LOG10_SIGMA_ALBEDO_DEX,
    D_LOG10_SIGMA_ASSUMED_DEX,
    D_LOG10_SIGMA_MEASURED_DEX,
    DEFAULT_ALBEDO,
    H_TO_D_KM,
    SPIN_BARRIER_H,
    SRP_MAX_DIAMETER_KM,
)
from core.features._gather import Gathered
from core.orbits.srp import SRP_AU_D2_PER_M2_KG

__all__ = ["NAMES", "NONGRAV_NAMES", "nongrav_features", "physical_features"]

NAMES: tuple[str, ...] = (
    "phys_H",
    "phys_log10_d_km",
    "phys_albedo",
    "phys_log10_d_implied_km",
    "phys_log10_d_ratio",
    "phys_log10_d_h_assumed_km",
    "phys_log10_d_best_km",
    "phys_d_best_assumed",
    "phys_size_albedo_km",
    "phys_spec_s",
    "phys_spec_c",
    "phys_spec_x",
    "phys_spec_other",
    "phys_log10_rot_h",
    "phys_fast_rotator",
    "phys_H_faint",
    "phys_log10_d_best_small_km",
)

NONGRAV_NAMES: tuple[str, ...] = (
    "ng_log10_abs_a1",
    "ng_log10_abs_a2",
    "ng_log10_abs_a3",
    "ng_sign_a2",
    "ng_log10_a2_ratio",
    "ng_log10_a1_ratio",
    "ng_a1_snr",
    "srp_log10_amr_m2_kg",
    "srp_log10_amr_sigma_dex",
    "srp_log10_density_kg_m3",
    "srp_log10_density_sigma_dex",
)

# Broad taxonomic complexes (Bus-DeMeo / Tholen) by the leading letter of the class string.
_COMPLEX = {
    **dict.fromkeys("SQKL", 0),  # S-complex (silicaceous; Q fresh S, K/L intermediate)
    **dict.fromkeys("CBFG", 1),  # C-complex (carbonaceous)
    **dict.fromkeys("XEMP", 2),  # X-complex (E/M/P are albedo-split X)
}
_OTHER = 3  # V (basaltic), D, T, A, O, R, U...: rare or distinctive classes

# H of a 150 m body at the assumed albedo 0.14 (D = 1329 km / sqrt(p) 10^(-H/5)): 21.8.
_H_FAINT_FLOOR = 22.0

# |A| values of exactly 0 (a parameter fixed, not fitted) are floored so their log is finite.
_A_FLOOR = 1e-20


def _log10_d_from_h(h: FloatArray, albedo: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log10(H_TO_D_KM / np.sqrt(albedo)) - h / 5.0


def _spectral_onehot(types: tuple[str | None, ...]) -> FloatArray:
    # One dict lookup per record: this gathers a string field, it computes no feature.
    codes = np.array(
        [
            -1 if t is None or not t.strip() else _COMPLEX.get(t.strip()[0].upper(), _OTHER)
            for t in types
        ],
        dtype=np.int64,
    )
    onehot: FloatArray = (codes[:, None] == np.arange(4)[None, :]).astype(np.float64)
    onehot[codes < 0] = np.nan
    return onehot


def best_log10_diameter(g: Gathered) -> tuple[FloatArray, FloatArray]:
    """Best log10 diameter (km) and a flag: 1 where it rests on the assumed albedo."""
    log_d = np.log10(g.diameter_km)
    implied = _log10_d_from_h(g.H, g.albedo)
    assumed = _log10_d_from_h(g.H, np.full(g.n, DEFAULT_ALBEDO))
    best = np.where(np.isfinite(log_d), log_d, np.where(np.isfinite(implied), implied, assumed))
    used_assumed = np.isnan(log_d) & np.isnan(implied) & np.isfinite(assumed)
    flag = np.where(np.isfinite(best), used_assumed.astype(np.float64), np.nan)
    return best, flag


def physical_features(g: Gathered) -> dict[str, FloatArray]:
    """Physical feature columns of a batch (NaN where the input is missing)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        log_d = np.log10(g.diameter_km)
        implied = _log10_d_from_h(g.H, g.albedo)
        best, assumed_flag = best_log10_diameter(g)
        rot = g.rot_per_h
        fast = np.where(np.isfinite(rot), (rot < SPIN_BARRIER_H).astype(np.float64), np.nan)
        spec = _spectral_onehot(g.spectral_type)
        return {
            "phys_H": g.H,
            "phys_log10_d_km": log_d,
            "phys_albedo": g.albedo,
            "phys_log10_d_implied_km": implied,
            "phys_log10_d_ratio": log_d - implied,
            "phys_log10_d_h_assumed_km": _log10_d_from_h(g.H, np.full(g.n, DEFAULT_ALBEDO)),
            "phys_log10_d_best_km": best,
            "phys_d_best_assumed": assumed_flag,
            "phys_size_albedo_km": g.diameter_km * g.albedo,
            "phys_spec_s": spec[:, 0].copy(),
            "phys_spec_c": spec[:, 1].copy(),
            "phys_spec_x": spec[:, 2].copy(),
            "phys_spec_other": spec[:, 3].copy(),
            "phys_log10_rot_h": np.log10(rot),
            "phys_fast_rotator": fast,
            # One-sided size for the detectors: every body larger than ~150 m looks the same,
            # since the largest artificial objects in heliocentric orbit are tens of metres.
            "phys_H_faint": np.maximum(g.H, _H_FAINT_FLOOR),
            "phys_log10_d_best_small_km": np.minimum(best, np.log10(SRP_MAX_DIAMETER_KM)),
        }


def _log10_d_sigma_dex(g: Gathered) -> FloatArray:
    """sigma(log10 D) of the best diameter: measured, from H and albedo, or albedo assumed."""
    from_albedo = np.where(
        np.isfinite(g.albedo), D_LOG10_SIGMA_ALBEDO_DEX, D_LOG10_SIGMA_ASSUMED_DEX
    )
    return np.where(np.isfinite(g.diameter_km), D_LOG10_SIGMA_MEASURED_DEX, from_albedo)


def nongrav_features(g: Gathered) -> dict[str, FloatArray]:
    """Non-gravitational feature columns of a batch (NaN where A1/A2/A3 are missing).

    The A1 columns and the radiation-pressure ones (A/M, density) are NaN unless A1 is a
    detection on a body small enough for it (see the module docstring).
    """
    best, _ = best_log10_diameter(g)
    with np.errstate(invalid="ignore", divide="ignore"):
        given = np.isfinite(g.A1_sigma)
        sigma_a1 = np.where(given, g.A1_sigma, A1_SIGMA_DEFAULT_AU_D2)
        # a sigma of 0 is no uncertainty at all: no significance (the verdict says why)
        snr = np.where(given & (g.A1_sigma <= 0.0), np.nan, np.abs(g.A1) / sigma_a1)
        # An unknown size does not disqualify: only a body known to be larger than 150 m
        # (the km-size guard) has its A1 dropped. Without a size the A/M stands alone (no
        # density), judged against the natural range by the high_area_to_mass indicator.
        small_or_unknown = (best <= np.log10(SRP_MAX_DIAMETER_KM)) | np.isnan(best)
        counted = (snr > A1_SIGNIFICANCE) & small_or_unknown
        a1 = np.where(counted, g.A1, np.nan)
        log_a1 = np.log10(np.maximum(np.abs(a1), _A_FLOOR))
        log_a2 = np.log10(np.maximum(np.abs(g.A2), _A_FLOOR))
        log_a3 = np.log10(np.maximum(np.abs(g.A3), _A_FLOOR))
        # Only an outward A1 is radiation pressure: A/M = A1 / (C_R k), C_R = 1 (srp.py).
        outward = np.where(a1 > 0.0, a1, np.nan)
        log_amr = np.log10(outward / SRP_AU_D2_PER_M2_KG)
        amr_sigma_dex = sigma_a1 / (outward * np.log(10.0))
        # rho = 3 / (2 D A/M), D in m (Micheli et al. 2012): log10 rho = log10 1.5 - log D - log A/M
        log_rho = np.log10(1.5) - (best + 3.0) - log_amr
        rho_sigma_dex = np.hypot(amr_sigma_dex, _log10_d_sigma_dex(g))
        # log10(|A| / (K / D)) = log10|A| - log10 K + log10 D
        return {
            "ng_log10_abs_a1": log_a1,
            "ng_log10_abs_a2": log_a2,
            "ng_log10_abs_a3": log_a3,
            "ng_sign_a2": np.sign(g.A2),
            "ng_log10_a2_ratio": log_a2 - np.log10(A2_NATURAL_AU_D2_KM) + best,
            "ng_log10_a1_ratio": log_a1 - np.log10(A1_SRP_MAX_AU_D2_KM) + best,
            "ng_a1_snr": snr,
            "srp_log10_amr_m2_kg": log_amr,
            "srp_log10_amr_sigma_dex": amr_sigma_dex,
            "srp_log10_density_kg_m3": log_rho,
            "srp_log10_density_sigma_dex": np.where(np.isfinite(log_rho), rho_sigma_dex, np.nan),
        }
