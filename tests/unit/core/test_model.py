"""TrainedModel: categories from cut points and indicator evidence, confidence, scoring shapes."""

from __future__ import annotations

import numpy as np

from core.model import CategoryCuts


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
