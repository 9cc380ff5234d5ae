"""TrainedModel: categories from cut points and indicator evidence, confidence, scoring shapes."""

from __future__ import annotations

import numpy as np

from core.serving.model import DENSITY_PRIOR, SIZE_PRIOR, CategoryCuts, physics_prior, size_prior


def test_categories_follow_cut_points_and_need_indicator_evidence() -> None:
    cuts = CategoryCuts(suspicious=0.9, highly_suspicious=0.95, artificial_candidate=0.99)
    scores = np.array([0.5, 0.9, 0.96, 0.995, 0.995, 0.995])
    evidence = np.array([0.9, 0.9, 0.9, 0.9, 0.1, np.nan])
    assert cuts.categorize(scores, evidence) == [
        "natural",
        "suspicious",
        "highly_suspicious",
        "artificial_candidate",
        "highly_suspicious",  # the model alone never names an artificial candidate
        "highly_suspicious",
    ]


def test_size_prior_leaves_small_bodies_and_halves_km_bodies() -> None:
    log_d = np.log10(np.array([0.005, 0.3, 0.5477, 1.0, 5.0, np.nan]))
    factor = size_prior(log_d, **SIZE_PRIOR)
    np.testing.assert_allclose(factor, [1.0, 1.0, 0.75, 0.5, 0.5, 1.0], atol=1e-4)


def test_density_prior_uses_the_lower_bound_of_a_measured_density() -> None:
    from core.features import FEATURE_SCHEMA

    names = FEATURE_SCHEMA.names
    X = np.full((4, len(names)), np.nan)
    rho, sigma = names.index("srp_log10_density_kg_m3"), names.index("srp_log10_density_sigma_dex")
    # a stage (30 kg/m^3), 2020 CD3 (1,400 +- 0.25 dex: lower bound 790), a rock measured
    # poorly (1,400 +- 1 dex: lower bound 140, could be hollow), no density at all
    X[:, rho] = np.log10([30.0, 1400.0, 1400.0, np.nan])
    X[:, sigma] = [0.25, 0.25, 1.0, np.nan]
    factor = physics_prior(X, names, {"density_prior": DENSITY_PRIOR})
    assert factor is not None
    assert factor[0] == 1.0 and factor[2] == 1.0 and factor[3] == 1.0
    assert 0.5 <= factor[1] < 0.52
    assert physics_prior(X, names, {}) is None
