"""The physical evidence behind an alert, in words: area-to-mass, density, launch geometry.

For an alert the statistical score says "unusual"; this says what physics can and cannot say
about whether the object is artificial (issue 20):

* a measured area-to-mass ratio (a radial A1 detected at > 3 sigma on a body <= 150 m, see
  :mod:`core.features.physical`) and the implied bulk density, each with its 1-sigma range:
  stages come out near 10-30 kg/m^3, natural bodies 640-3,900;
* the launch geometry: v_inf from the Tisserand parameter w.r.t. Earth and whether an apsis
  lies at 1 au, and a launch match when launch linkage found one (``launch_match``, from
  :mod:`core.orbits.linkage` when that has run; None otherwise);
* otherwise, that the orbit alone cannot decide: a stage and a natural minimoon on an
  Earth-like orbit look the same without an A/M.

:func:`physical_evidence` reads the feature matrix only (nothing is recomputed), for the rows
asked, so the inference engine calls it for its alerts alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from core.features.extract import FeatureMatrix

__all__ = ["launch_sentence", "physical_evidence"]

_HOLLOW_KG_M3 = (
    300.0  # the low_density indicator's upper threshold region (core.features.indicators)
)
_ROCK_KG_M3 = 800.0  # every natural body with a measured A/M is above (640-3,900)
_NATURAL_AMR_MAX = 1.0e-3  # largest natural A/M measured (2020 CD3 6.9e-4, Fedorets et al. 2020)
_ROCK_DENSITY_KG_M3 = 2000.0
_HOLLOW_AMR = 3.0e-3  # core.serving.verdict.HOLLOW_AMR_M2_KG: 3x the natural maximum


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def launch_sentence(match: dict[str, Any]) -> str:
    """One sentence for a launch match (keys as :mod:`core.orbits.linkage` gives them)."""
    text = (
        f"passed Earth at {match['min_dist_au']:.3f} au, {match['v_rel_kms']:.1f} km/s,"
        f" {match['days_after_launch']:.0f} days after the launch of {match['name']}"
        f" ({match['launch_tag']}, {match['launch_date']}) in"
        f" {100.0 * match['clone_fraction']:.0f} % of clones"
    )
    rate = match.get("false_match_rate_earth_like")
    if rate is not None:
        text += f" (a natural Earth-like orbit gets such a match {100.0 * rate:.0f} % of the time)"
    return text


def physical_evidence(
    fm: FeatureMatrix, rows: Sequence[int], launch_matches: Sequence[dict[str, Any] | None] = ()
) -> list[dict[str, Any]]:
    """The physical evidence of each row in ``rows`` (JSON-ready dicts, in that order).

    Parameters
    ----------
    fm : FeatureMatrix
        Features of the batch.
    rows : sequence of int
        Rows to describe (the alerts).
    launch_matches : sequence of dict or None
        Launch-linkage results for the same rows, when linkage ran; empty = not run.

    Returns
    -------
    list of dict
        ``{"area_to_mass_m2_kg", "area_to_mass_range_m2_kg", "density_kg_m3",
        "density_range_kg_m3", "v_inf_kms", "apsis_at_1au", "launch_match", "summary"}``;
        ranges are 1 sigma, numbers None where not measured.
    """
    col = fm.column
    amr, amr_sig = col("srp_log10_amr_m2_kg"), col("srp_log10_amr_sigma_dex")
    rho, rho_sig = col("srp_log10_density_kg_m3"), col("srp_log10_density_sigma_dex")
    v_inf, apsis = col("orb_v_inf_tisserand_kms"), col("orb_apsis_1au_au")
    out = []
    for k, i in enumerate(rows):
        match = launch_matches[k] if k < len(launch_matches) else None
        entry: dict[str, Any] = {
            "area_to_mass_m2_kg": None,
            "area_to_mass_range_m2_kg": None,
            "density_kg_m3": None,
            "density_range_kg_m3": None,
            "v_inf_kms": _finite(float(v_inf[i])),
            "apsis_at_1au": bool(apsis[i] <= 0.03) if math.isfinite(apsis[i]) else None,
            "launch_match": match,
        }
        parts = []
        if math.isfinite(rho[i]):
            a, sa = float(amr[i]), float(amr_sig[i])
            r, sr = float(rho[i]), float(rho_sig[i])
            entry["area_to_mass_m2_kg"] = 10.0**a
            entry["area_to_mass_range_m2_kg"] = [10.0 ** (a - sa), 10.0 ** (a + sa)]
            entry["density_kg_m3"] = 10.0**r
            entry["density_range_kg_m3"] = [10.0 ** (r - sr), 10.0 ** (r + sr)]
            verdict = (
                "hollow, not a rock (rocket stages: 10-30 kg/m^3)"
                if 10.0 ** (r + sr) < _HOLLOW_KG_M3
                else "a rock's density (natural bodies: 640-3,900 kg/m^3)"
                if 10.0 ** (r - sr) > _ROCK_KG_M3
                else "between a stage and a rock within its uncertainty"
            )
            parts.append(
                f"A/M {10.0**a:.2g} m^2/kg (1 sigma {10.0 ** (a - sa):.2g}-"
                f"{10.0 ** (a + sa):.2g}), bulk density {10.0**r:.0f} kg/m^3 (1 sigma"
                f" {10.0 ** (r - sr):.0f}-{10.0 ** (r + sr):.0f}): {verdict}"
            )
        elif math.isfinite(amr[i]):
            # An A/M without a size (issue 33): judged against the natural range alone.
            a, sa = float(amr[i]), float(amr_sig[i])
            entry["area_to_mass_m2_kg"] = 10.0**a
            entry["area_to_mass_range_m2_kg"] = [10.0 ** (a - sa), 10.0 ** (a + sa)]
            # D = 3 / (2 rho A/M) of a rock of 2,000 kg/m^3 with this A/M, in cm
            d_cm = 100.0 * 3.0 / (2.0 * _ROCK_DENSITY_KG_M3 * 10.0**a)
            verdict = (
                f"hollow, not a rock (natural bodies: <= {_NATURAL_AMR_MAX:.0e} m^2/kg; a"
                f" rock with this A/M would be {d_cm:.2g} cm across, too faint to be seen)"
                if 10.0 ** (a - sa) > _HOLLOW_AMR
                else "a rock's A/M (natural bodies: 1e-5 to 1e-3 m^2/kg; stages >= 0.006)"
                if 10.0 ** (a + sa) < _NATURAL_AMR_MAX
                else "between a rock and a stage within its uncertainty; a size would decide"
            )
            parts.append(
                f"A/M {10.0**a:.2g} m^2/kg (1 sigma {10.0 ** (a - sa):.2g}-"
                f"{10.0 ** (a + sa):.2g}), size unknown: {verdict}"
            )
        if match is not None:
            parts.append(launch_sentence(match))
        if not math.isfinite(amr[i]) and match is None:
            speed = (
                f"v_inf {float(v_inf[i]):.1f} km/s from the Tisserand parameter"
                if math.isfinite(v_inf[i])
                else "no orbit"
            )
            parts.append(
                f"no radiation-pressure A/M and no launch match ({speed}): the orbit alone"
                " cannot tell a rocket stage from a natural body"
            )
        entry["summary"] = "; ".join(parts)
        out.append(entry)
    return out
