"""What a result's verdict rests on, and when the evidence cannot decide (issue 33).

The model's score says "unusual"; for an Earth-like orbit it cannot tell a spent stage from a
natural minimoon (orbit-only ROC-AUC 0.54 in the evaluation). :func:`decide` turns the model's
category into a verdict that says what it rests on:

* ``evidence = "physics"``: a measured area-to-mass ratio decides (radiation pressure, with or
  without a size; a launch match when linkage has run). **Hollow**: the A/M's 1-sigma lower
  bound above :data:`HOLLOW_AMR_M2_KG` (3x every natural body measured), or the implied
  density's 1-sigma upper bound below :data:`HOLLOW_KG_M3` (a density, where the size gives
  one, decides before the A/M alone); the category is then at least ``highly_suspicious``.
  **Rock**: the A/M's 1-sigma upper bound inside the natural range, the density's lower
  bound above :data:`ROCK_KG_M3`, or an A1 below 3 sigma whose 3-sigma upper bound on the
  A/M is below every stage's (:data:`STAGE_MIN_AMR_M2_KG`); the category is then ``natural``.
* ``evidence = "orbit"``: no decisive physics, an orbit that is not Earth-like: the model's
  category as it is (the orbit's shape is all it rests on).
* ``evidence = "none"``: nothing decisive. An Earth-like orbit (within 0.15 of Earth's in
  (a, e, i), or bound to the Earth) without decisive physics, a record without an orbit, a
  failed fit: the category is ``undetermined`` and ``needs`` says what would decide it ("a
  second night", "astrometry over N more nights", "a size").

``cautions`` name what in the input was not usable (an A1 without its sigma, a sigma of 0, a
negative A1, a diameter that contradicts H): never a crash and never a silent ``natural``.

Probability: where an A/M is measured, ``anomaly_probability`` becomes the posterior that
the object is artificial, from the model's probability as the prior odds and the likelihood
ratio of the measured log10 A/M under two stated populations: stages, a normal fitted to the
bundled GCAT stages' A/M (:func:`core.orbits.launches.area_to_mass_m2_kg`), and rocks,
log10 A/M ~ N(-4, 0.5) (the measured natural range 1e-5 to 1e-3 as +-2 sigma: 2009 BD 3.0e-4,
Micheli et al. 2012; 2020 CD3 6.9e-4, Fedorets et al. 2020), each widened by the measurement's
sigma. ``anomaly_probability_interval`` is the posterior at the A/M's 1-sigma bounds; without
an A/M it is null and ``anomaly_probability`` stays the model's. This combination is not yet
calibrated on held-out data (see docs/physics.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from core._types import FloatArray
from core.constants import A1_SIGMA_DEFAULT_AU_D2, A1_SIGNIFICANCE, SRP_MAX_DIAMETER_KM
from core.contract.records import NeoRecord
from core.orbits.srp import SRP_AU_D2_PER_M2_KG
from core.serving.categories import (
    CATEGORIES,
    CATEGORY_RANK,
    EVIDENCE,
    KNOWN_ARTIFICIAL,
    UNDETERMINED,
)

__all__ = [
    "CATEGORIES",
    "EVIDENCE",
    "KNOWN_ARTIFICIAL",
    "UNDETERMINED",
    "Verdict",
    "amr_likelihood_ratio",
    "decide",
    "failed_fit_verdict",
    "one_night_verdict",
    "stage_log10_amr",
]


NATURAL_AMR_MAX_M2_KG = 1.0e-3
"""Largest A/M measured on a natural body (2020 CD3 6.9e-4 +- 2.4e-4, Fedorets et al. 2020)."""
HOLLOW_AMR_M2_KG = 3.0e-3
"""A/M whose 1-sigma lower bound above it is hollow: 3x the largest natural one (a fitted A1
reads C_R x A/M, and C_R reaches ~1.5-2 for a rock), half the smallest GCAT stage's."""
HOLLOW_KG_M3 = 300.0
ROCK_KG_M3 = 800.0
EARTH_LIKE_DIST = 0.15
"""``orb_earth_dist`` at which the ``earth_like_orbit`` indicator starts (its ``lo``)."""
STAGE_MIN_AMR_M2_KG = 0.006
"""The smallest A/M of a GCAT stage (docs/physics.md): the A1 a decision must resolve."""
REFERENCE_ARC_D, REFERENCE_A1_SIGMA = 90.0, 2.5e-10
"""sigma(A1) of a simulated heliocentric stage on a 90-day arc (issue 28: 2.43e-9 +- 2.5e-10)."""
_ROCK_MU, _ROCK_SIGMA = -4.0, 0.5
_P_CLIP = 1e-3
_MAX_NIGHTS = 365


@dataclass(frozen=True, slots=True)
class Verdict:
    """One result's verdict: its category, what it rests on, what would decide it."""

    category: str
    evidence: str
    needs: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()
    probability: float | None = None
    interval: tuple[float, float] | None = None


@lru_cache(maxsize=1)
def stage_log10_amr() -> tuple[float, float]:
    """Mean and standard deviation of log10 A/M (m^2/kg) of the bundled GCAT stages."""
    from core.orbits.launches import area_to_mass_m2_kg, load_deep_space

    amr = np.array([area_to_mass_m2_kg(p) for p in load_deep_space() if p.is_stage])
    logs = np.log10(amr[np.isfinite(amr) & (amr > 0.0)])
    return float(np.mean(logs)), float(np.std(logs))


def _normal_logpdf(x: float, mu: float, sigma: float) -> float:
    return -0.5 * ((x - mu) / sigma) ** 2 - math.log(sigma)


def amr_likelihood_ratio(log10_amr: float, sigma_dex: float) -> float:
    """p(A/M | stage) / p(A/M | rock) for a measured log10 A/M with its sigma (dex)."""
    mu_s, sd_s = stage_log10_amr()
    s_stage = math.hypot(sd_s, sigma_dex)
    s_rock = math.hypot(_ROCK_SIGMA, sigma_dex)
    log_lr = _normal_logpdf(log10_amr, mu_s, s_stage) - _normal_logpdf(log10_amr, _ROCK_MU, s_rock)
    return math.exp(min(max(log_lr, -700.0), 700.0))


def _posterior(prior: float, lr: float) -> float:
    p = min(max(prior, _P_CLIP), 1.0 - _P_CLIP)
    odds = p / (1.0 - p) * lr
    return odds / (1.0 + odds) if math.isfinite(odds) else 1.0


def _nights_needed(arc_d: float, nights: float, sigma: float | None) -> int:
    """Nights of astrometry beyond the arc so far until a stage's A1 is a 3-sigma detection.

    sigma(A1) shrinks about as 1/T^2 with the arc length T (a constant acceleration displaces
    the object by A T^2 / 2); the target is sigma = A1(A/M = 0.006 m^2/kg) / 3. Without a
    sigma, the reference arc's (:data:`REFERENCE_A1_SIGMA` at :data:`REFERENCE_ARC_D`) is
    scaled; without an arc, the arc a sigma belongs to is estimated the same way.
    """
    target = STAGE_MIN_AMR_M2_KG * SRP_AU_D2_PER_M2_KG / A1_SIGNIFICANCE
    if sigma is None:
        arc_now = max(arc_d, 0.0)
        needed_d = REFERENCE_ARC_D * math.sqrt(REFERENCE_A1_SIGMA / target)
    else:
        arc_now = arc_d if arc_d > 0.0 else REFERENCE_ARC_D * math.sqrt(REFERENCE_A1_SIGMA / sigma)
        needed_d = arc_now * math.sqrt(sigma / target)
    cadence = arc_d / (nights - 1.0) if nights >= 2.0 and arc_d > 0.0 else 1.0
    more = math.ceil(max(needed_d - arc_now, 0.0) / max(cadence, 1.0))
    return max(1, min(more, _MAX_NIGHTS))


def _cautions(rec: NeoRecord, h: float) -> list[str]:
    out = []
    ng = rec.nongrav
    if ng is not None and ng.A1 is not None:
        if ng.A1_sigma is None:
            out.append(
                f"A1 {ng.A1:.3g} au/d^2 without its sigma: its significance rests on the assumed"
                f" sigma {A1_SIGMA_DEFAULT_AU_D2:.2g} au/d^2 (2009 BD's), not on the fit"
            )
        elif ng.A1_sigma <= 0.0:
            out.append("A1 with a sigma of 0: no uncertainty is not a measurement; A1 not used")
        if ng.A1 < 0.0 and (ng.A1_sigma is None or ng.A1_sigma > 0.0):
            out.append(
                f"A1 {ng.A1:.3g} au/d^2 is negative: radiation pressure pushes outward, so it"
                " gives no area-to-mass ratio"
            )
    phys = rec.physical
    if phys is not None and phys.diameter_km is not None and math.isfinite(h):
        # D sqrt(p) = 1329 km 10^(-H/5): the albedo the size and H imply
        albedo = (1329.0 * 10.0 ** (-h / 5.0) / phys.diameter_km) ** 2
        if not 0.02 <= albedo <= 0.9:
            out.append(
                f"diameter {phys.diameter_km:.3g} km contradicts H {h:.1f} (it implies an albedo"
                f" of {albedo:.2g}, outside 0.02-0.9): the size is not trusted for a density"
            )
    return out


def decide(
    column: Callable[[str], FloatArray],
    records: Sequence[NeoRecord] | None,
    categories: Sequence[str],
    probabilities: Sequence[float],
) -> list[Verdict]:
    """The verdict of each record of a scored batch (see the module docstring).

    ``column`` gives a feature column by name (:meth:`FeatureMatrix.column`); ``records``
    the batch's records, for the cautions and A1's own sigma (None: from the features alone,
    as the evaluation does on its matrices).
    """
    col = column
    amr, amr_sig = col("srp_log10_amr_m2_kg"), col("srp_log10_amr_sigma_dex")
    rho, rho_sig = col("srp_log10_density_kg_m3"), col("srp_log10_density_sigma_dex")
    best_d, h = col("phys_log10_d_best_km"), col("phys_H")
    earth, bound = col("orb_earth_dist"), col("orb_bound_to_earth")
    arc, nights = col("obs_arc_d"), col("obs_nights")
    out = []
    for i in range(len(categories)):
        rec = records[i] if records is not None else None
        cautions = (
            _cautions(rec, float(h[i]))
            if rec is not None and (rec.nongrav is not None or rec.physical is not None)
            else []
        )
        has_orbit = math.isfinite(earth[i])
        earth_like = has_orbit and (earth[i] <= EARTH_LIKE_DIST or bound[i] == 1.0)
        category, prob = categories[i], float(probabilities[i])
        a, sa = float(amr[i]), float(amr_sig[i])
        size_trusted = math.isfinite(best_d[i]) and not any("contradicts" in c for c in cautions)
        if math.isfinite(a):
            lr = amr_likelihood_ratio(a, sa)
            p = _posterior(prob, lr)
            lo = _posterior(prob, amr_likelihood_ratio(a - sa, sa))
            hi = _posterior(prob, amr_likelihood_ratio(a + sa, sa))
            interval: tuple[float, float] | None = (min(lo, hi, p), max(lo, hi, p))
            prob_out: float | None = p
        else:
            interval, prob_out = None, None
        density = size_trusted and math.isfinite(rho[i])
        if density:  # a density, where the size allows one, decides before the A/M alone
            hollow = 10.0 ** (rho[i] + rho_sig[i]) < HOLLOW_KG_M3
            rock = 10.0 ** (rho[i] - rho_sig[i]) > ROCK_KG_M3
        else:
            hollow = rock = False
        if not (hollow or rock) and math.isfinite(a):
            hollow = 10.0 ** (a - sa) > HOLLOW_AMR_M2_KG
            rock = 10.0 ** (a + sa) < NATURAL_AMR_MAX_M2_KG
        ng = rec.nongrav if rec is not None else None
        sigma = ng.A1_sigma if ng is not None and ng.A1_sigma and ng.A1_sigma > 0.0 else None
        if (
            sigma is not None
            and ng is not None
            and ng.A1 is not None
            and not math.isfinite(a)
            and -A1_SIGNIFICANCE * sigma < ng.A1  # a significant negative A1 is no A/M at all
            and not best_d[i] > math.log10(SRP_MAX_DIAMETER_KM)
        ):
            # an A1 below 3 sigma is still evidence when its sigma is small: the 3-sigma upper
            # bound of the A/M below every GCAT stage's rules out a stage
            upper = (max(ng.A1, 0.0) + A1_SIGNIFICANCE * sigma) / SRP_AU_D2_PER_M2_KG
            if upper < STAGE_MIN_AMR_M2_KG:
                rock = True
                cautions.append(
                    f"A1 below {A1_SIGNIFICANCE:.0f} sigma; A/M < {upper:.2g} m^2/kg at"
                    f" {A1_SIGNIFICANCE:.0f} sigma, below every rocket stage's (>= 0.006)"
                )
        if hollow:
            if CATEGORY_RANK[category] < CATEGORY_RANK["highly_suspicious"]:
                category = "highly_suspicious"
            out.append(Verdict(category, "physics", (), tuple(cautions), prob_out, interval))
            continue
        if rock:
            out.append(Verdict("natural", "physics", (), tuple(cautions), prob_out, interval))
            continue
        needs = []
        if math.isfinite(a) and not math.isfinite(best_d[i]):
            needs.append("a size (H from calibrated photometry) to turn the A/M into a density")
        if not has_orbit:
            needs.append(
                "an orbit (the record has neither elements nor astrometry)"
                if not math.isfinite(nights[i])
                else "a second night"
                if nights[i] < 2.0
                else "an orbit fitted to the astrometry"
            )
        elif earth_like or math.isfinite(a):
            if any("contradicts" in c for c in cautions):
                needs.append("a size consistent with the magnitudes")
            n_arc = float(arc[i]) if math.isfinite(arc[i]) else 0.0
            n_nights = float(nights[i]) if math.isfinite(nights[i]) else 0.0
            n = _nights_needed(n_arc, n_nights, sigma)
            plural = "s" if n > 1 else ""
            needs.append(
                f"astrometry over {n} more night{plural} (an A1 that resolves a stage's A/M"
                f" {STAGE_MIN_AMR_M2_KG} m^2/kg at {A1_SIGNIFICANCE:.0f} sigma)"
            )
        if needs:
            out.append(
                Verdict(UNDETERMINED, "none", tuple(needs), tuple(cautions), prob_out, interval)
            )
        else:
            out.append(Verdict(category, "orbit", (), tuple(cautions), prob_out, interval))
    return out


def failed_fit_verdict(reason: str) -> Verdict:
    """The verdict of an object whose orbit fit failed (issue 28 item 4): never ``natural``."""
    reason = reason.removeprefix("fit failed: ")
    return Verdict(
        UNDETERMINED,
        "none",
        (f"an orbit: the fit failed ({reason}); astrometry over more nights or a refit",),
        (f"fit failed: {reason}",),
    )


def one_night_verdict(reason: str, geocentric_score: float, reasons: Sequence[str] = ()) -> Verdict:
    """The verdict of an object seen on one night, whose tracklet got a geocentric score
    (:func:`core.orbits.geoscore.tracklet_facts`) but no orbit: ``undetermined``, needing "a
    second night", never ``natural`` however low the score (a low score rules out an orbit
    about the Earth, not an artificial object about the Sun). ``reasons`` (the tracklet's,
    "possible artificial object ..." above a score of 10) join the cautions."""
    reason = reason.removeprefix("fit failed: ")
    return Verdict(
        UNDETERMINED,
        "none",
        ("a second night",),
        (f"one night: geocentric score {geocentric_score:.0f}; no orbit ({reason})", *reasons),
    )
