"""A trained model: everything needed to score a feature matrix, in one object.

:class:`TrainedModel` holds the feature schema it was trained on, the fitted preprocessor,
the ensemble (whose members are fitted detectors), the alert threshold, the category cut
points, the contribution statistics and the metadata (id, version, parameters, metrics).
:mod:`core.serving.registry` saves and loads it; :mod:`core.serving.inference` turns its output into
``neo.anomaly.v1`` results.

Categories
----------
Cut points are on the ensemble anomaly score, chosen on validation naturals at decreasing
false-alert rates (1 %, 0.2 %, 0.05 % by default; see :mod:`core.training.pipeline`), plus the
rule-based indicator evidence (``IndicatorResults.overall``):

* ``natural``: below the alert threshold;
* ``suspicious``: at or above the threshold;
* ``highly_suspicious``: at or above the ``highly_suspicious`` cut;
* ``artificial_candidate``: at or above the ``artificial_candidate`` cut **and** indicator
  evidence of at least ``indicator_evidence``: the statistical model alone never names an
  object an artificial candidate without a physical reason from the indicators.

Size prior
----------
An artificial object is metres to tens of metres across; a body of a kilometre is natural
whatever else it shows (issue 20), yet large bodies are rare in the catalogue, so the
unsupervised members find them unusual. With ``params["size_prior"]`` (set by training) the
ensemble score and probability are multiplied by :func:`size_prior` of the record's best
diameter (``phys_log10_d_best_km``): 1 up to 300 m, falling linearly in log10 D to 0.5 at
1 km and beyond, 1 where the size is unknown. A kilometre-size body then stays below the
alert threshold; the members' own scores are left as they are.

Likewise ``params["density_prior"]``: where radiation pressure gives a measured bulk density
(``srp_log10_density_kg_m3``, counted only for |A1|/sigma > 3 on a body <= 150 m), its
1-sigma *lower* bound rho 10^-sigma decides: 1 up to 300 kg/m^3 (hollow: stages come out at
10-30), falling linearly in log10 rho to 0.5 at 800 kg/m^3 and above (every natural body with
a measured A/M: 640-3,900). A measured rock density is evidence of a natural body, which
the unsupervised members, seeing only "unusual", cannot weigh. :func:`physics_prior` is the
product of both, 1 where neither applies.

Confidence
----------
``confidence = 0.5 * agreement + 0.5 * decisiveness``, where *agreement* is one minus twice
the weighted standard deviation of the member scores (members that agree give 1) and
*decisiveness* is the distance of the score from the threshold relative to the room on that
side (0 at the threshold, 1 at 0 or 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core._types import FloatArray
from core.detectors.ensemble import EnsembleDetector
from core.preprocessing import Preprocessor
from core.serving.categories import CUT_LEVELS
from core.serving.explain import ContributionModel

__all__ = [
    "CATEGORIES",
    "DENSITY_PRIOR",
    "SIZE_PRIOR",
    "CategoryCuts",
    "ModelScores",
    "TrainedModel",
    "physics_prior",
    "size_prior",
]

SIZE_PRIOR: dict[str, float] = {"d_full_km": 0.3, "d_floor_km": 1.0, "floor": 0.5}
"""Default size prior stored in a trained model's ``params`` (see the module docstring)."""


DENSITY_PRIOR: dict[str, float] = {"rho_full_kg_m3": 300.0, "rho_floor_kg_m3": 800.0, "floor": 0.5}
"""Default density prior stored in a trained model's ``params`` (see the module docstring)."""


def _log_ramp_down(x: FloatArray, full: float, at_floor: float, floor: float) -> FloatArray:
    lo, hi = np.log10(full), np.log10(at_floor)
    with np.errstate(invalid="ignore"):
        t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    out: FloatArray = np.where(np.isfinite(x), 1.0 - (1.0 - floor) * t, 1.0)
    return out


def physics_prior(
    X_raw: FloatArray, feature_names: tuple[str, ...], params: dict[str, Any]
) -> FloatArray | None:
    """Product of the size and density priors named in ``params`` (None when neither is)."""
    factor: FloatArray | None = None
    size = params.get("size_prior")
    if size:
        factor = size_prior(X_raw[:, feature_names.index("phys_log10_d_best_km")], **size)
    density = params.get("density_prior")
    if density:
        log_rho = X_raw[:, feature_names.index("srp_log10_density_kg_m3")]
        sigma = X_raw[:, feature_names.index("srp_log10_density_sigma_dex")]
        d = _log_ramp_down(
            log_rho - sigma, density["rho_full_kg_m3"], density["rho_floor_kg_m3"], density["floor"]
        )
        factor = d if factor is None else factor * d
    return factor


def size_prior(
    log10_d_km: FloatArray, *, d_full_km: float, d_floor_km: float, floor: float
) -> FloatArray:
    """Score factor for a body of best diameter 10**log10_d_km km (1 where unknown)."""
    return _log_ramp_down(log10_d_km, d_full_km, d_floor_km, floor)


CATEGORIES = CUT_LEVELS
"""The categories the cuts give, lowest first (:data:`core.serving.categories.CUT_LEVELS`)."""


@dataclass(frozen=True, slots=True)
class CategoryCuts:
    """Cut points of the categories (see the module docstring)."""

    suspicious: float
    highly_suspicious: float
    artificial_candidate: float
    indicator_evidence: float = 0.5

    def categorize(self, scores: FloatArray, indicator_overall: FloatArray) -> list[str]:
        """Category name per record."""
        evidence = np.nan_to_num(indicator_overall, nan=0.0) >= self.indicator_evidence
        level = (
            (scores >= self.suspicious).astype(np.int64)
            + (scores >= self.highly_suspicious)
            + ((scores >= self.artificial_candidate) & evidence)
        )
        return [CATEGORIES[int(v)] for v in level]


@dataclass(frozen=True)
class ModelScores:
    """Scores of a batch (row order kept).

    Attributes
    ----------
    X : ndarray (n, d')
        Preprocessed matrix (input of the detectors and of the contributions).
    scores, probabilities, confidence : ndarray (n,)
        Ensemble anomaly score, probability and confidence.
    member_scores, member_weights : ndarray (n, m)
        Per-member calibrated score and effective weight.
    member_names : list of str
    failed : list of str
        Members that failed to score this batch.
    """

    X: FloatArray
    scores: FloatArray
    probabilities: FloatArray
    confidence: FloatArray
    member_scores: FloatArray
    member_weights: FloatArray
    member_names: list[str]
    failed: list[str]


@dataclass
class TrainedModel:
    """A fitted scoring pipeline and its description.

    Attributes
    ----------
    schema_version, schema_hash : str
        Feature schema the model was trained on.
    feature_names : tuple of str
        Raw feature names, in order.
    preprocessor : Preprocessor
    ensemble : EnsembleDetector
    threshold : float
        Alert threshold on the ensemble anomaly score (``score >= threshold``).
    cuts : CategoryCuts
    contributions : ContributionModel
    model_id, version, created : str
    params : dict
        Chosen configuration (per detector and of the ensemble).
    metrics : dict
        Evaluation results (see :mod:`core.training.pipeline`).
    """

    schema_version: str
    schema_hash: str
    feature_names: tuple[str, ...]
    preprocessor: Preprocessor
    ensemble: EnsembleDetector
    threshold: float
    cuts: CategoryCuts
    contributions: ContributionModel
    model_id: str = "neo-ensemble"
    version: str = "unregistered"
    created: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def score_matrix(self, X_raw: FloatArray) -> ModelScores:
        """Preprocess and score a raw feature matrix (n × d, NaN = missing)."""
        X = self.preprocessor.transform(X_raw)
        if X.shape[0] == 0:
            empty = np.zeros(0)
            m = len(self.ensemble.members_)
            names = [name for name, _ in self.ensemble.members_]
            return ModelScores(
                X, empty, empty, empty, np.zeros((0, m)), np.zeros((0, m)), names, []
            )
        details = self.ensemble.score_details(X)
        scores, probabilities = details.scores, details.probabilities
        factor = physics_prior(X_raw, self.feature_names, self.params)
        if factor is not None:
            scores, probabilities = scores * factor, probabilities * factor
        return ModelScores(
            X=X,
            scores=scores,
            probabilities=probabilities,
            confidence=self._confidence(scores, details.member_scores, details.member_weights),
            member_scores=details.member_scores,
            member_weights=details.member_weights,
            member_names=list(details.member_names),
            failed=list(details.failed),
        )

    def _confidence(
        self, scores: FloatArray, member_scores: FloatArray, weights: FloatArray
    ) -> FloatArray:
        s = np.nan_to_num(member_scores, nan=0.0)
        mean = np.sum(weights * s, axis=1)
        spread = np.sqrt(np.sum(weights * (s - mean[:, None]) ** 2, axis=1))
        agreement = np.clip(1.0 - 2.0 * spread, 0.0, 1.0)
        t = self.threshold
        room = np.where(scores >= t, max(1.0 - t, 1e-12), max(t, 1e-12))
        decisiveness = np.clip(np.abs(scores - t) / room, 0.0, 1.0)
        out: FloatArray = 0.5 * agreement + 0.5 * decisiveness
        return out
