"""The result categories of ``neo.anomaly.v1``, declared once.

:data:`CATEGORIES` lists them in rising order; a category's index there is its rank (an alert
is published when an object's rank rises, :mod:`streamer.state.store`). Everything else that
names the categories derives from it: the model's cut levels (:data:`CUT_LEVELS`, every category
but ``undetermined``, which only the verdict of :mod:`core.serving.verdict` gives), the
``Category`` choice of :mod:`streamer.config` (a ``Literal``, tested against this tuple), the
enum of ``docs/schemas/neo.anomaly.v1.schema.json`` (tested too) and the default alert rule.

Nothing is imported here, so :mod:`streamer.config` can read it without numpy.
"""

from __future__ import annotations

__all__ = [
    "ALERT_CATEGORIES",
    "CATEGORIES",
    "CATEGORY_RANK",
    "CUT_LEVELS",
    "EVIDENCE",
    "KNOWN_ARTIFICIAL",
    "RESULT_CATEGORIES",
    "UNDETERMINED",
]

UNDETERMINED = "undetermined"
"""The data do not allow a verdict (an Earth-like orbit without physics, a failed fit)."""

CATEGORIES: tuple[str, ...] = (
    "natural",
    UNDETERMINED,
    "suspicious",
    "highly_suspicious",
    "artificial_candidate",
)
"""The verdicts, in rising order: the index is the rank."""

KNOWN_ARTIFICIAL = "known_artificial"
"""The category of an object matched to a known artificial one under ``[known] routing =
"category"`` (:mod:`streamer.pipeline.known`): never a verdict of the model, outside the rising
order, never alerting."""

RESULT_CATEGORIES: tuple[str, ...] = (*CATEGORIES, KNOWN_ARTIFICIAL)
"""Every ``category`` a result can carry (the ``neo.anomaly.v1`` schema's enum)."""

CATEGORY_RANK: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}
"""Category -> its rank (its index in :data:`CATEGORIES`)."""

CUT_LEVELS: tuple[str, ...] = tuple(c for c in CATEGORIES if c != UNDETERMINED)
"""The levels the model's score cuts give, lowest first (no score says ``undetermined``)."""

ALERT_CATEGORIES: tuple[str, ...] = CATEGORIES[CATEGORY_RANK["highly_suspicious"] :]
"""The categories that alert by default (``processing.alert_categories``)."""

EVIDENCE: tuple[str, ...] = ("physics", "orbit", "none")
"""What a verdict rests on (``neo.anomaly.v1`` ``evidence``)."""
