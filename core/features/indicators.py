"""Rule-based scientific indicators of artificial or anomalous NEOs, vectorised over a batch.

Each indicator is a physical rule with a documented rationale and thresholds (see
:data:`INDICATORS`). It maps one measured quantity to ``raw`` in [0, 1] through a linear ramp
between two thresholds (0 at ``lo``, 1 at ``hi``; ``lo > hi`` means "smaller is more
suspicious"), and gives a ``confidence`` in [0, 1]: 1 when its inputs are measured, lower
when they rest on assumptions (an albedo assumed, an approximate encounter speed, few
approaches), and 0 with raw 0 when an input is missing - an indicator never pretends.

Combination (deterministic, order-independent, nothing depends on other records)::

    weighted_i = weight_i * raw_i * confidence_i          (weights are < 1)
    category_c = 1 - prod_{i in c} (1 - weighted_i)        ("noisy-or")
    overall    = 1 - prod_{all i} (1 - weighted_i)

so each firing indicator raises the score, missing ones leave it unchanged, and the result
stays in [0, 1]. Indicators read the base feature columns of :mod:`core.features` by name
(:func:`evaluate_indicators` takes them, so nothing is computed twice).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core._types import FloatArray

__all__ = [
    "CATEGORIES",
    "FIRING_RAW",
    "INDICATORS",
    "REQUIRED_INPUTS",
    "IndicatorResults",
    "IndicatorSpec",
    "evaluate_indicators",
]

CATEGORIES: tuple[str, ...] = (
    "orbital",
    "velocity",
    "temporal",
    "geographic",
    "physical",
    "nongravitational",
)

FIRING_RAW = 0.2
"""An indicator "fires" (gets a reason in :meth:`IndicatorResults.as_dict`) at raw >= this."""

Base = Mapping[str, FloatArray]
_Thresholds = Mapping[str, float]
_Rule = Callable[[Base, _Thresholds], tuple[FloatArray, FloatArray, FloatArray]]


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """One rule: its name, category, weight, rationale, thresholds and reason template.

    ``reason`` is formatted with ``value`` (the quantity the thresholds apply to).
    """

    name: str
    category: str
    weight: float
    rationale: str
    thresholds: Mapping[str, float]
    reason: str
    inputs: tuple[str, ...]


def _ramp(x: FloatArray, lo: float, hi: float) -> FloatArray:
    with np.errstate(invalid="ignore"):
        return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def _present(*cols: FloatArray) -> FloatArray:
    ok = np.ones(len(cols[0]), dtype=bool)
    for c in cols:
        ok &= np.isfinite(c)
    return ok.astype(np.float64)


def _size_confidence(b: Base) -> FloatArray:
    # A diameter resting on the assumed mean albedo can be off by a factor ~2.
    return np.where(b["phys_d_best_assumed"] > 0, 0.7, 1.0)


_SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "earth_like_orbit",
        "orbital",
        0.5,
        "Natural NEAs rarely have a ~ 1 au, e ~ 0 and i ~ 0 together: such orbits are unstable"
        " and sparsely populated (the Arjuna region), whereas spent upper stages and spacecraft"
        " that escaped the Earth-Moon system (2020 SO, J002E3, 2018 AV2) sit exactly there.",
        {"lo": 0.15, "hi": 0.03},
        "orbit {value:.3f} from Earth's (a, e, i all Earth-like): where escaped rocket stages sit",
        ("orb_earth_dist",),
    ),
    IndicatorSpec(
        "low_encounter_speed",
        "velocity",
        0.5,
        "Objects leaving the Earth-Moon system meet Earth again at ~1 km/s; natural NEAs"
        " encounter Earth at v_inf >~ 4 km/s (median ~ 10 km/s). Measured close-approach"
        " speeds are used when given, else Öpik's U from a, e, i (confidence 0.8 for an"
        " Earth-crossing orbit, 0.5 otherwise).",
        {"lo": 4.0, "hi": 1.5},
        "encounter speed {value:.2f} km/s: far below natural NEAs (>~ 4 km/s)",
        ("ca_vrel_min_kms", "orb_opik_u_kms", "orb_crosses_1au"),
    ),
    IndicatorSpec(
        "regular_approaches",
        "temporal",
        0.3,
        "Planetary perturbations make the gaps between a natural object's approaches vary;"
        " near-identical intervals (regularity 1/(1+cv) -> 1) suggest a controlled or"
        " geocentric orbit. Confidence grows with the number of approaches (full at 5).",
        {"lo": 0.95, "hi": 0.995},
        "close-approach intervals regular to {value:.3f} (1/(1+cv)): implausibly periodic",
        ("ca_regularity", "ca_n"),
    ),
    IndicatorSpec(
        "subpoint_clustering",
        "geographic",
        0.3,
        "The subpoints of a natural object's approaches are spread over the globe; repeated"
        " approaches over one region (mean unit vector length -> 1) are not expected from"
        " heliocentric dynamics. Confidence grows with the number of subpoints (full at 5).",
        {"lo": 0.7, "hi": 0.95},
        "subpoints concentrated (mean resultant length {value:.2f}) over one region",
        ("sp_concentration", "sp_n"),
    ),
    IndicatorSpec(
        "tiny_earth_like",
        "physical",
        0.4,
        "Bodies fainter than H ~ 28 are a few metres across, the size of an upper stage;"
        " combined with an Earth-like orbit this is the 2020 SO / 2018 AV2 signature."
        " raw = ramp(H; 26 -> 28.5) * ramp(Earth-orbit distance; 0.25 -> 0.08).",
        {"lo": 26.0, "hi": 28.5, "dist_lo": 0.25, "dist_hi": 0.08},
        "H = {value:.1f} (a few metres) on an Earth-like orbit: the size of a rocket stage",
        ("phys_H", "orb_earth_dist"),
    ),
    IndicatorSpec(
        "diameter_mismatch",
        "physical",
        0.25,
        "A measured diameter should match D = 1329/sqrt(p) 10^(-H/5) within ~ 2x (H and"
        " albedo uncertainties); a larger mismatch means the photometric model of a rock"
        " does not fit (metal, flat panels, specular reflection).",
        {"lo": 2.0, "hi": 5.0},
        "measured diameter off by a factor {value:.2f} from the one implied by H and albedo",
        ("phys_log10_d_ratio",),
    ),
    IndicatorSpec(
        "spin_barrier",
        "physical",
        0.2,
        "Rubble piles larger than ~ 150 m cannot rotate faster than ~ 2.2 h (Pravec & Harris"
        " 2000); a large fast rotator is either a rare monolith or not a rock."
        " raw = ramp(P; 2.2 -> 1.2 h) * ramp(D; 0.15 -> 0.5 km).",
        {"lo": 2.2, "hi": 1.2, "d_lo_km": 0.15, "d_hi_km": 0.5},
        "rotation period {value:.2f} h beyond the 2.2 h spin barrier for a body > 150 m",
        ("phys_log10_rot_h", "phys_log10_d_best_km", "phys_d_best_assumed"),
    ),
    IndicatorSpec(
        "a2_excess",
        "nongravitational",
        0.5,
        "The transverse Yarkovsky acceleration of a rock scales as 1/D (|A2| D ~ 1.2e-14"
        " au/d^2 km; Bennu A2 = -4.6e-14 at 0.49 km). A2 alone is Yarkovsky drift and never"
        " evidence: it counts only beside a radial A1 detected on a body <= 150 m (|A1|/sigma"
        " > 3), where an A2 many times a rock's corroborates a hollow body (2020 SO)."
        " Thresholds on |A2| / A2_natural(D).",
        {"lo": 2.0, "hi": 20.0},
        "A2/A2_natural = {value:.3g} beside a detected radial A1: far above a rock of this size",
        ("ng_log10_a2_ratio", "srp_log10_amr_m2_kg", "phys_d_best_assumed"),
    ),
    IndicatorSpec(
        "trailed_or_streaked",
        "physical",
        0.35,
        "Detection cues a survey measures in the image (Rubin alerts): a glint trail, the"
        " periodic specular flashes of a rotating body with flat reflective panels, is what"
        " satellites and spent stages show and rocks do not; a streak or a long trail in one"
        " exposure means degrees per day of motion, an object within a few lunar distances"
        " (where stages linger) or a satellite crossing. Scale 0-3 (obs_trail_cue): 3 glint,"
        ' 2 streak, trail length / 30" up to 1; a lone trail never fires on its own.',
        {"lo": 1.0, "hi": 3.0},
        'trail cue {value:.1f} of 3 (3 = glint trail, 2 = streak, 1 = a 30" trail): a flashing'
        " or very fast detection",
        ("obs_trail_cue",),
    ),
    IndicatorSpec(
        "a1_excess",
        "nongravitational",
        0.5,
        "The radial radiation-pressure acceleration of a solid rocky sphere (density 2000"
        " kg/m^3, perfect reflector) is at most ~ 3.4e-13 / D au/d^2; a larger |A1| needs"
        " a high area-to-mass ratio (thin shells, sails, spent stages). Size-aware: counted"
        " only where |A1|/sigma > 3 and D <= 150 m, so a km-size body's A1 never fires it."
        " Thresholds on |A1| / A1_max(D).",
        {"lo": 1.0, "hi": 10.0},
        "A1/A1_max = {value:.3g}: radiation-pressure acceleration beyond any rock of this size",
        ("ng_log10_a1_ratio", "phys_d_best_assumed"),
    ),
    IndicatorSpec(
        "low_density",
        "physical",
        0.5,
        "Radiation pressure gives the area-to-mass ratio and, with the size, the bulk density"
        " rho = 3 / (2 D A/M) of a sphere: rocket stages come out near 10-30 kg/m^3 (2020 SO"
        " ~ 30), natural bodies with a measured A/M (2009 BD, 2011 MD, 2020 CD3) ~ 640-3,900"
        " (2020 CD3 ~ 2,000, Fedorets et al. 2020). Counted only where A1 is a detection on"
        " a body <= 150 m. The value is rho times 10^sigma (its 1-sigma upper bound, C_R = 1), so a"
        " poorly measured density does not fire. Thresholds on that bound in kg/m^3.",
        {"lo": 400.0, "hi": 100.0},
        "implied bulk density <= {value:.0f} kg/m^3 (1 sigma): hollow, not a rock",
        ("srp_log10_density_kg_m3", "srp_log10_density_sigma_dex", "phys_d_best_assumed"),
    ),
    IndicatorSpec(
        "high_area_to_mass",
        "nongravitational",
        0.5,
        "An area-to-mass ratio far above every natural body's needs a hollow body whatever its"
        " size: natural bodies with a measured A/M span ~1e-5 to 1e-3 m^2/kg (2009 BD 3.0e-4,"
        " Micheli et al. 2012; 2020 CD3 6.9e-4, Fedorets et al. 2020), spent stages 0.006-0.025"
        " (GCAT dry masses and dimensions), and a rock of density 2,000 kg/m^3 with A/M 0.01"
        " would be D = 3 / (2 rho A/M) ~ 8 cm, far too faint to be seen. Counted where the A/M"
        " is (|A1|/sigma > 3, outward, body not known to exceed 150 m), with or without a size;"
        " the value is the A/M's 1-sigma lower bound (C_R = 1: a fitted A1 reads C_R A/M, and a"
        " rock's C_R reaches ~1.5, hence 0 at 2e-3, 1 at 5e-3), so a poorly measured A1 does not"
        " fire. Confidence 1 with a size <= 150 m, 0.8 without one (the A/M stands alone).",
        {"lo": 2.0e-3, "hi": 5.0e-3},
        "A/M >= {value:.2g} m^2/kg (1 sigma), above every natural body measured (<= 1e-3):"
        " hollow, not a rock",
        ("srp_log10_amr_m2_kg", "srp_log10_amr_sigma_dex", "phys_log10_d_best_km"),
    ),
    IndicatorSpec(
        "launch_compatible_orbit",
        "velocity",
        0.2,
        "An object launched from Earth leaves with v_inf ~ 1-5 km/s and its heliocentric"
        " orbit passes through the departure point on Earth's orbit, often tangentially (an"
        " apsis at 1 au); v_inf = v_E sqrt(3 - T_E) from the Tisserand parameter (Öpik 1976;"
        " Valsecchi et al. 2003) is nearly conserved afterwards. Many natural NEAs share such"
        " orbits, hence the low weight: it says a launch origin is possible, not likely."
        " raw = max(ramp(v_inf; 7 -> 5 km/s), ramp(|apsis - 1 au|; 0.03 -> 0.005)"
        " * ramp(v_inf; 12 -> 8 km/s)), 0 unless the orbit reaches 1 au (crosses it, or an"
        " apsis within 0.03 au).",
        {
            "lo": 7.0,
            "hi": 5.0,
            "apsis_lo_au": 0.03,
            "apsis_hi_au": 0.005,
            "v_apsis_lo": 12.0,
            "v_apsis_hi": 8.0,
        },
        "v_inf {value:.1f} km/s from the Tisserand parameter, or an apsis at 1 au: an orbit a"
        " launch from Earth reaches",
        ("orb_v_inf_tisserand_kms", "orb_apsis_1au_au", "orb_crosses_1au"),
    ),
)


def _earth_like_orbit(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    v = b["orb_earth_dist"]
    return _ramp(v, t["lo"], t["hi"]), _present(v), v


def _low_encounter_speed(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    measured = b["ca_vrel_min_kms"]
    opik = b["orb_opik_u_kms"]
    v = np.where(np.isfinite(measured), measured, opik)
    conf = np.where(
        np.isfinite(measured), 1.0, np.where(b["orb_crosses_1au"] > 0, 0.8, 0.5)
    ) * _present(v)
    return _ramp(v, t["lo"], t["hi"]), conf, v


def _regular_approaches(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    v = b["ca_regularity"]
    conf = np.clip((b["ca_n"] - 2.0) / 3.0, 0.0, 1.0) * _present(v)
    return _ramp(v, t["lo"], t["hi"]), conf, v


def _subpoint_clustering(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    v = b["sp_concentration"]
    conf = np.clip((b["sp_n"] - 2.0) / 3.0, 0.0, 1.0) * _present(v)
    return _ramp(v, t["lo"], t["hi"]), conf, v


def _tiny_earth_like(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    h, d = b["phys_H"], b["orb_earth_dist"]
    raw = _ramp(h, t["lo"], t["hi"]) * _ramp(d, t["dist_lo"], t["dist_hi"])
    return raw, _present(h, d), h


def _diameter_mismatch(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    factor = 10.0 ** np.abs(b["phys_log10_d_ratio"])
    return _ramp(factor, t["lo"], t["hi"]), _present(factor), factor


def _spin_barrier(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    period = 10.0 ** b["phys_log10_rot_h"]
    d_km = 10.0 ** b["phys_log10_d_best_km"]
    raw = _ramp(period, t["lo"], t["hi"]) * _ramp(d_km, t["d_lo_km"], t["d_hi_km"])
    return raw, _present(period, d_km) * _size_confidence(b), period


def _a2_excess(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    raw, conf, value = _ratio_rule("ng_log10_a2_ratio")(b, t)
    # A2 alone (Yarkovsky) is never evidence: only beside a counted radial A1.
    return raw, conf * _present(b["srp_log10_amr_m2_kg"]), value


def _low_density(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    upper = 10.0 ** (b["srp_log10_density_kg_m3"] + b["srp_log10_density_sigma_dex"])
    return _ramp(upper, t["lo"], t["hi"]), _present(upper) * _size_confidence(b), upper


def _high_area_to_mass(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    lower = 10.0 ** (b["srp_log10_amr_m2_kg"] - b["srp_log10_amr_sigma_dex"])
    with np.errstate(invalid="ignore"):
        raw = _ramp(np.log10(lower), math.log10(t["lo"]), math.log10(t["hi"]))
    sized = np.where(np.isfinite(b["phys_log10_d_best_km"]), 1.0, 0.8)
    return raw, _present(lower) * sized, lower


def _launch_compatible(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    v, apsis = b["orb_v_inf_tisserand_kms"], b["orb_apsis_1au_au"]
    slow = _ramp(v, t["lo"], t["hi"])
    tangent = _ramp(apsis, t["apsis_lo_au"], t["apsis_hi_au"]) * _ramp(
        v, t["v_apsis_lo"], t["v_apsis_hi"]
    )
    # A launch leaves from Earth's orbit: the orbit must reach 1 au (T_E ~ 3 alone, as for
    # Eros at q = 1.13 au, is not enough).
    reaches = (b["orb_crosses_1au"] > 0) | (apsis <= t["apsis_lo_au"])
    return np.where(reaches, np.fmax(slow, tangent), 0.0), _present(v), v


def _trailed_or_streaked(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
    cue = b["obs_trail_cue"]
    return _ramp(cue, t["lo"], t["hi"]), _present(cue), cue


def _ratio_rule(column: str) -> _Rule:
    def rule(b: Base, t: _Thresholds) -> tuple[FloatArray, FloatArray, FloatArray]:
        log_ratio = b[column]
        raw = _ramp(log_ratio, math.log10(t["lo"]), math.log10(t["hi"]))
        return raw, _present(log_ratio) * _size_confidence(b), 10.0**log_ratio

    return rule


_RULES: dict[str, _Rule] = {
    "earth_like_orbit": _earth_like_orbit,
    "low_encounter_speed": _low_encounter_speed,
    "regular_approaches": _regular_approaches,
    "subpoint_clustering": _subpoint_clustering,
    "tiny_earth_like": _tiny_earth_like,
    "diameter_mismatch": _diameter_mismatch,
    "spin_barrier": _spin_barrier,
    "trailed_or_streaked": _trailed_or_streaked,
    "a2_excess": _a2_excess,
    "a1_excess": _ratio_rule("ng_log10_a1_ratio"),
    "low_density": _low_density,
    "high_area_to_mass": _high_area_to_mass,
    "launch_compatible_orbit": _launch_compatible,
}

INDICATORS: tuple[IndicatorSpec, ...] = _SPECS
"""The indicator specifications, in result-column order."""

REQUIRED_INPUTS: tuple[str, ...] = tuple(sorted({c for s in _SPECS for c in s.inputs}))
"""Base feature columns :func:`evaluate_indicators` reads."""


@dataclass(frozen=True)
class IndicatorResults:
    """Indicator results for a batch of n records and k indicators.

    Attributes
    ----------
    raw, weighted, confidence, values : FloatArray
        n x k; ``values`` holds the quantity each rule thresholds (NaN when missing).
    category_scores : FloatArray
        n x c, columns in :data:`categories` order.
    overall : FloatArray
        Length n.
    """

    names: tuple[str, ...]
    categories: tuple[str, ...]
    raw: FloatArray
    weighted: FloatArray
    confidence: FloatArray
    values: FloatArray
    category_scores: FloatArray
    overall: FloatArray
    specs: tuple[IndicatorSpec, ...] = field(default=INDICATORS, repr=False)

    def __len__(self) -> int:
        return len(self.overall)

    def firing(self, i: int) -> list[str]:
        """Names of the indicators that fire for result ``i``, strongest first."""
        order = np.argsort(-self.weighted[i], kind="stable")
        return [
            self.names[j]
            for j in order
            if self.raw[i, j] >= FIRING_RAW and self.confidence[i, j] > 0
        ]

    def as_dicts(self) -> list[dict[str, Any]]:
        """:meth:`as_dict` of every result, built from whole-matrix lists (the engine's path).

        Only the nonzero entries are visited: in real streams a few percent of records have
        any indicator above zero, so a batch costs little more than its category scores.
        """
        categories = self.category_scores.tolist()
        out: list[dict[str, Any]] = [
            {
                "overall": overall,
                "categories": dict(zip(self.categories, categories[row], strict=True)),
                "items": [],
            }
            for row, overall in enumerate(self.overall.tolist())
        ]
        rows, cols = np.nonzero(self.raw > 0.0)
        if rows.size:
            # strongest first within a record; stable, so ties keep the indicators' order
            order = np.lexsort((cols, -self.weighted[rows, cols], rows))
            rows, cols = rows[order], cols[order]
            raw = self.raw[rows, cols].tolist()
            weighted = self.weighted[rows, cols].tolist()
            conf = self.confidence[rows, cols].tolist()
            values = self.values[rows, cols].tolist()
            for row, col, r, w, c, v in zip(
                rows.tolist(), cols.tolist(), raw, weighted, conf, values, strict=True
            ):
                spec = self.specs[col]
                fires = r >= FIRING_RAW and c > 0
                out[row]["items"].append(
                    {
                        "name": spec.name,
                        "category": spec.category,
                        "raw_score": r,
                        "weight": spec.weight,
                        "weighted_score": w,
                        "confidence": c,
                        "reason": spec.reason.format(value=v) if fires else None,
                    }
                )
        return out

    def as_dict(self, i: int) -> dict[str, Any]:
        """JSON-ready indicators of result ``i`` (the ``indicators`` field of neo.anomaly.v1).

        Returns
        -------
        dict
            ``{"overall", "categories": {name: score}, "items": [{"name", "category",
            "raw_score", "weight", "weighted_score", "confidence", "reason"}, ...]}``.
            ``categories`` holds every category; ``items`` holds only the indicators with a
            raw score above zero (the others add nothing to ``overall``), strongest weighted
            score first. ``reason`` is a short explanation when the indicator fires (raw score
            >= :data:`FIRING_RAW` with data behind it) and None otherwise.
        """
        return IndicatorResults(
            self.names,
            self.categories,
            self.raw[i : i + 1],
            self.weighted[i : i + 1],
            self.confidence[i : i + 1],
            self.values[i : i + 1],
            self.category_scores[i : i + 1],
            self.overall[i : i + 1],
            self.specs,
        ).as_dicts()[0]


def _noisy_or(weighted: FloatArray) -> FloatArray:
    # Sequential product over columns: the same operations for every row, in the same order.
    keep = np.ones(weighted.shape[0])
    for j in range(weighted.shape[1]):
        keep = keep * (1.0 - weighted[:, j])
    return 1.0 - keep


def evaluate_indicators(base: Base) -> IndicatorResults:
    """Evaluate every indicator on a batch of base feature columns.

    Parameters
    ----------
    base : mapping of str to FloatArray
        Base feature columns by name (at least :data:`REQUIRED_INPUTS`), each of length n.

    Returns
    -------
    IndicatorResults
    """
    n = len(base[REQUIRED_INPUTS[0]])
    k = len(INDICATORS)
    raw, conf, val = np.zeros((n, k)), np.zeros((n, k)), np.full((n, k), np.nan)
    with np.errstate(invalid="ignore", over="ignore"):
        for j, spec in enumerate(INDICATORS):
            r, c, v = _RULES[spec.name](base, spec.thresholds)
            ok = c > 0
            raw[:, j] = np.where(ok & np.isfinite(r), r, 0.0)
            conf[:, j] = np.where(ok & np.isfinite(r), c, 0.0)
            val[:, j] = v
    weights = np.array([s.weight for s in INDICATORS])
    weighted = raw * conf * weights
    cats = np.empty((n, len(CATEGORIES)))
    for ci, name in enumerate(CATEGORIES):
        cols = [j for j, s in enumerate(INDICATORS) if s.category == name]
        cats[:, ci] = _noisy_or(weighted[:, cols])
    return IndicatorResults(
        names=tuple(s.name for s in INDICATORS),
        categories=CATEGORIES,
        raw=raw,
        weighted=weighted,
        confidence=conf,
        values=val,
        category_scores=cats,
        overall=_noisy_or(weighted),
    )
