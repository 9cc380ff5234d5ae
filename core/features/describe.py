"""Every feature of the schema in words, with its value in physical units.

A result's ``contributions`` name features (``ng_log10_abs_a2``) and their raw values (-12.66,
a log10); :func:`describe_feature` says the same thing as a reader of an alert wants it:
``"transverse non-gravitational acceleration |A2| = 2.2e-13 au/d²"``. Log10 features are
shown as the quantity itself, sines and cosines of angles as what they orient, flags as
yes/no. A name outside the schema is returned as it is, so a newer model never breaks the
wording.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["describe_feature"]


def _plain(digits: int, unit: str = "") -> Callable[[float], str]:
    return lambda v: f"{v:.{digits}f}{unit}"


def _pow10(unit: str) -> Callable[[float], str]:
    return lambda v: f"{10.0**v:.3g}{unit}"


def _count(v: float) -> str:
    return str(round(v))


def _flag(v: float) -> str:
    return "yes" if v >= 0.5 else "no"


def _sign(v: float) -> str:
    return "positive (pushed outward, along the motion)" if v > 0 else "negative or zero"


def _times_natural(v: float) -> str:
    return f"{10.0**v:.3g} × the largest natural value for its size"


_Formatter = Callable[[float], str]

# name -> (words, how the raw value is shown)
_WORDS: dict[str, tuple[str, _Formatter]] = {
    "orb_e": ("eccentricity e", _plain(3)),
    "orb_a_au": ("semi-major axis a", _plain(3, " au")),
    "orb_q_au": ("perihelion distance q", _plain(3, " au")),
    "orb_Q_au": ("aphelion distance Q", _plain(3, " au")),
    "orb_i_deg": ("inclination i", _plain(2, "°")),
    "orb_sin_node": ("direction of the ascending node (sin Ω)", _plain(2)),
    "orb_cos_node": ("direction of the ascending node (cos Ω)", _plain(2)),
    "orb_sin_peri": ("argument of perihelion (sin ω)", _plain(2)),
    "orb_cos_peri": ("argument of perihelion (cos ω)", _plain(2)),
    "orb_sin_M": ("position along the orbit at epoch (sin M)", _plain(2)),
    "orb_cos_M": ("position along the orbit at epoch (cos M)", _plain(2)),
    "orb_period_yr": ("orbital period", _plain(3, " yr")),
    "orb_energy": ("orbital energy -1/(2a)", _plain(3, " au⁻¹")),
    "orb_ang_mom": ("orbital angular momentum √(a(1-e²))", _plain(3)),
    "orb_tisserand_j": ("Tisserand parameter with respect to Jupiter", _plain(3)),
    "orb_tisserand_e": ("Tisserand parameter with respect to Earth", _plain(3)),
    "orb_earth_da_au": ("difference of semi-major axis from Earth's", _plain(3, " au")),
    "orb_earth_dist": ("distance of the orbit from Earth's (size, shape and tilt)", _plain(3)),
    "orb_moid_au": ("minimum orbit intersection distance with Earth", _plain(4, " au")),
    "orb_opik_u": ("encounter speed with Earth (Öpik U, Earth's orbital speed = 1)", _plain(3)),
    "orb_opik_u_kms": ("encounter speed with Earth (Öpik U)", _plain(2, " km/s")),
    "orb_crosses_1au": ("orbit crosses 1 au", _flag),
    "orb_hyperbolic": ("hyperbolic orbit", _flag),
    "phys_H": ("absolute magnitude H", _plain(2)),
    "phys_log10_d_km": ("diameter", _pow10(" km")),
    "phys_albedo": ("geometric albedo", _plain(3)),
    "phys_log10_d_implied_km": ("diameter implied by H and the albedo", _pow10(" km")),
    "phys_log10_d_ratio": ("measured / H-implied diameter", _pow10("")),
    "phys_log10_d_h_assumed_km": ("diameter from H at an assumed albedo", _pow10(" km")),
    "phys_log10_d_best_km": ("best diameter estimate", _pow10(" km")),
    "phys_d_best_assumed": ("diameter estimate rests on an assumed albedo", _flag),
    "phys_size_albedo_km": ("size-albedo product", _plain(3, " km")),
    "phys_spec_s": ("S-complex spectrum", _flag),
    "phys_spec_c": ("C-complex spectrum", _flag),
    "phys_spec_x": ("X-complex spectrum", _flag),
    "phys_spec_other": ("rare spectral class", _flag),
    "phys_log10_rot_h": ("rotation period", _pow10(" h")),
    "phys_fast_rotator": ("spins faster than a rubble pile can", _flag),
    "ng_log10_abs_a1": ("radial non-gravitational acceleration |A1|", _pow10(" au/d²")),
    "ng_log10_abs_a2": ("transverse non-gravitational acceleration |A2|", _pow10(" au/d²")),
    "ng_log10_abs_a3": ("normal non-gravitational acceleration |A3|", _pow10(" au/d²")),
    "ng_sign_a2": ("sign of A2", _sign),
    "ng_log10_a2_ratio": ("transverse acceleration A2", _times_natural),
    "ng_log10_a1_ratio": ("radial acceleration A1 against radiation pressure", _times_natural),
    "ca_n": ("close approaches listed", _count),
    "ca_n_earth_close": ("approaches to Earth within 0.05 au", _count),
    "ca_int_mean_d": ("mean interval between approaches", _plain(1, " d")),
    "ca_int_std_d": ("spread of the intervals between approaches", _plain(1, " d")),
    "ca_int_min_d": ("shortest interval between approaches", _plain(1, " d")),
    "ca_int_max_d": ("longest interval between approaches", _plain(1, " d")),
    "ca_regularity": ("regularity of the approach intervals (1 = periodic)", _plain(3)),
    "ca_int_autocorr": ("autocorrelation of the approach intervals", _plain(3)),
    "ca_burstiness": ("burstiness of the approaches", _plain(3)),
    "ca_dist_min_au": ("closest approach distance", _plain(4, " au")),
    "ca_dist_mean_au": ("mean approach distance", _plain(4, " au")),
    "ca_dist_std_au": ("spread of the approach distances", _plain(4, " au")),
    "ca_vrel_min_kms": ("slowest approach speed", _plain(2, " km/s")),
    "ca_vrel_mean_kms": ("mean approach speed", _plain(2, " km/s")),
    "ca_vrel_std_kms": ("spread of the approach speeds", _plain(2, " km/s")),
    "sp_n": ("sub-points of the approaches", _count),
    "sp_lat_mean_deg": ("mean latitude of the sub-points", _plain(1, "°")),
    "sp_lat_std_deg": ("spread of the sub-point latitudes", _plain(1, "°")),
    "sp_lon_mean_sin": ("mean sub-point longitude (sin)", _plain(2)),
    "sp_lon_mean_cos": ("mean sub-point longitude (cos)", _plain(2)),
    "sp_lon_circ_var": ("spread of the sub-point longitudes (circular variance)", _plain(3)),
    "sp_concentration": ("concentration of the sub-points", _plain(3)),
    "sp_geo_spread_deg": ("geographic spread of the sub-points", _plain(1, "°")),
    "sp_clustering": ("share of sub-points within 10° of their centre", _plain(3)),
    "obs_n": ("observations", _count),
    "obs_arc_d": ("observed arc", _plain(1, " d")),
    "obs_nights": ("nights observed", _count),
    "obs_stations": ("observing stations", _count),
    "obs_mag_std": ("spread of the magnitudes", _plain(2, " mag")),
    "obs_mag_amp": ("magnitude amplitude", _plain(2, " mag")),
    "obs_rms_arcsec": ("astrometric residual rms", _plain(2, "″")),
    "obs_rate_per_d": ("observations per day", _plain(2)),
    "obs_trail_length_arcsec": ("trail length in one exposure", _plain(1, '"')),
    "obs_trail_cue": ('trail cue (3 glint trail, 2 streak, 1 a 30" trail)', _plain(1)),
    "orb_v_inf_tisserand_kms": (
        "speed relative to Earth from the Tisserand parameter",
        _plain(2, " km/s"),
    ),
    "orb_apsis_1au_au": ("distance of the nearest apsis from 1 au", _plain(4, " au")),
    "orb_bound_to_earth": ("bound to the Earth during the arc", _flag),
    "phys_H_faint": ("absolute magnitude (brighter than H 22 counted as 22)", _plain(1)),
    "phys_log10_d_best_small_km": ("diameter (larger than 150 m counted as 150 m)", _pow10(" km")),
    "ng_a1_snr": ("radial acceleration A1 over its uncertainty", _plain(1)),
    "srp_log10_amr_m2_kg": ("area-to-mass ratio from radiation pressure", _pow10(" m²/kg")),
    "srp_log10_amr_sigma_dex": ("uncertainty of the area-to-mass ratio", _plain(2, " dex")),
    "srp_log10_density_kg_m3": ("bulk density implied by A/M and size", _pow10(" kg/m³")),
    "srp_log10_density_sigma_dex": ("uncertainty of the implied density", _plain(2, " dex")),
    "ind_overall": ("rule-based indicators overall", _plain(2)),
    "ind_n_firing": ("rule-based indicators firing", _count),
    "ind_mean_confidence": ("confidence of the firing indicators", _plain(2)),
    "has_orbit": ("has an orbit", _flag),
    "has_physical": ("has physical data", _flag),
    "has_nongrav": ("has non-gravitational parameters", _flag),
    "has_close_approaches": ("has close approaches", _flag),
    "has_observations": ("has observations", _flag),
    "has_subpoints": ("has approach sub-points", _flag),
    "n_missing_blocks": ("missing data blocks", _count),
    "frac_missing_base": ("share of the base features missing", _plain(2)),
}

_MISSING = "__missing"


def describe_feature(name: str, value: float | None) -> str:
    """``name`` and its raw ``value`` as words and physical units.

    Parameters
    ----------
    name : str
        A feature of :data:`core.features.FEATURE_SCHEMA`, or ``<feature>__missing`` (the
        missingness flag of a feature), as in a result's ``contributions``.
    value : float or None
        The raw value before preprocessing; None or NaN when the feature is missing.

    Examples
    --------
    >>> describe_feature("ng_log10_abs_a2", -12.66)
    'transverse non-gravitational acceleration |A2| = 2.19e-13 au/d²'
    >>> describe_feature("orb_i_deg__missing", None)
    'inclination i: missing'
    """
    base = name.removesuffix(_MISSING)
    words, show = _WORDS.get(base) or _indicator_words(base) or (base, _plain(4))
    if name.endswith(_MISSING) or value is None or not math.isfinite(value):
        return f"{words}: missing"
    return f"{words} = {show(value)}"


def _indicator_words(name: str) -> tuple[str, _Formatter] | None:
    """``ind_cat_<category>`` and ``ind_raw_<indicator>``: the rule-based scores by name."""
    for prefix, kind in (("ind_cat_", "indicators"), ("ind_raw_", "indicator")):
        if name.startswith(prefix):
            what = name.removeprefix(prefix).replace("_", " ")
            return f"rule-based {what} {kind}", _plain(2)
    return None
