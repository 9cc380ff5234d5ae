"""How well the verdict's probability is calibrated, and how often natural Earth-like objects
alert (issue 33): Brier score, reliability diagram, alert shares, on held-out data.

:func:`verdict_calibration` takes the test split's feature matrix and labels (1: an injected
artificial object, 0: a real or simulated natural object the model never saw) and the model,
runs :func:`core.serving.verdict.decide` on them as the inference engine does (without the
records: no cautions), and reports:

* ``brier``: mean (p - y)^2 of the result's ``anomaly_probability`` (the A/M posterior where
  an A/M is measured, else the model's probability), also for the rows with an A/M alone;
* ``reliability``: 10 equal-width bins of p, each with its count, mean p and share of
  artificial objects (the diagram of ``report.png``);
* ``earth_like_natural_alert_share``: the share of the natural Earth-like test objects that
  alert under the default rule (category ``highly_suspicious`` or ``artificial_candidate``
  with ``evidence = physics``), beside the share the category alone (the rule before the
  verdict) would alert, and the share that comes out ``undetermined``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core._types import FloatArray, IntArray
from core.features.schema import FEATURE_SCHEMA
from core.serving.categories import ALERT_CATEGORIES, UNDETERMINED
from core.serving.model import TrainedModel
from core.serving.verdict import decide

__all__ = ["DEFAULT_ALERT_CATEGORIES", "verdict_calibration"]

DEFAULT_ALERT_CATEGORIES = frozenset(ALERT_CATEGORIES)
_BINS = 10


def _brier(p: FloatArray, y: IntArray) -> float | None:
    return float(np.mean((p - y) ** 2)) if p.size else None


def verdict_calibration(
    model: TrainedModel, raw: FloatArray, labels: IntArray, hard: Any
) -> dict[str, Any]:
    """Calibration and alert shares of the verdict on one labelled set (see the module)."""
    out = model.score_matrix(raw)
    categories = model.cuts.categorize(out.scores, raw[:, FEATURE_SCHEMA.index("ind_overall")])
    verdicts = decide(
        lambda name: raw[:, FEATURE_SCHEMA.index(name)],
        None,
        categories,
        out.probabilities.tolist(),
    )
    p = np.array(
        [
            v.probability if v.probability is not None else float(prob)
            for v, prob in zip(verdicts, out.probabilities, strict=True)
        ]
    )
    y = np.asarray(labels, dtype=np.int64)
    has_amr = np.array([v.probability is not None for v in verdicts])
    edges = np.linspace(0.0, 1.0, _BINS + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, _BINS - 1)
    reliability = []
    for b in range(_BINS):
        m = which == b
        reliability.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "n": int(m.sum()),
                "mean_p": float(p[m].mean()) if m.any() else None,
                "artificial_share": float(y[m].mean()) if m.any() else None,
            }
        )
    hard = np.asarray(hard, dtype=bool)
    alert = np.array(
        [v.category in DEFAULT_ALERT_CATEGORIES and v.evidence == "physics" for v in verdicts]
    )
    by_category = np.array([c in DEFAULT_ALERT_CATEGORIES for c in categories])
    undetermined = np.array([v.category == UNDETERMINED for v in verdicts])
    n_hard = int(hard.sum())
    return {
        "n": len(y),
        "n_with_area_to_mass": int(has_amr.sum()),
        "brier": _brier(p, y),
        "brier_with_area_to_mass": _brier(p[has_amr], y[has_amr]),
        "brier_model_probability": _brier(out.probabilities, y),
        "reliability": reliability,
        "earth_like_natural": {
            "n": n_hard,
            "alert_share": float(alert[hard].mean()) if n_hard else None,
            "alert_share_category_alone": float(by_category[hard].mean()) if n_hard else None,
            "undetermined_share": float(undetermined[hard].mean()) if n_hard else None,
        },
        "artificial_alert_share": float(alert[y == 1].mean()) if (y == 1).any() else None,
    }
