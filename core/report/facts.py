"""What an object page reads from a ``neo.anomaly.v1`` result, each field by name and checked.

A result is whatever a file or a topic holds: every field is optional here and read with its
type checked (:func:`dig`, :func:`number`), so a result of an older or newer daemon (fields
other work adds: ``fit.geocentric_score``, ``known_match``, ``evidence``,
``physics.launch_match``, the verdict ``undetermined``) gives a page, never an exception.
:func:`read_facts` gathers what the page shows into one :class:`Facts`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import msgspec

from core.serving.categories import CATEGORIES, CATEGORY_RANK

__all__ = ["VERDICT_ORDER", "Facts", "dig", "number", "read_facts"]

VERDICT_ORDER = {c: len(CATEGORIES) - 1 - rank for c, rank in CATEGORY_RANK.items()}
"""Index order: the most suspicious first; an unknown verdict after these."""

_VERDICT_WORDS = {
    "artificial_candidate": "artificial candidate: the model scores it among the most unusual"
    " objects and the rule-based indicators add evidence of an artificial body",
    "highly_suspicious": "highly suspicious: the model scores it among the most unusual objects",
    "suspicious": "suspicious: unusual for a natural asteroid, not enough to alert",
    "natural": "natural: nothing sets it apart from natural asteroids",
    "undetermined": "undetermined: the data do not allow a verdict",
}


def dig(obj: Any, path: str) -> Any:
    """``obj[a][b]...`` for ``path = "a.b..."``, None where a level is missing or no mapping."""
    for part in path.split("."):
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(part)
    return obj


def number(value: Any) -> float | None:
    """``value`` as a finite float, None for anything else (bools included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _interval(value: Any) -> tuple[float, float] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lo, hi = number(value[0]), number(value[1])
        if lo is not None and hi is not None:
            return (lo, hi)
    return None


def _mapping(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class Facts(msgspec.Struct, frozen=True, kw_only=True):
    """The page's reading of one result (None: the result does not say)."""

    designation: str
    verdict: str
    verdict_words: str
    score: float | None
    probability: float | None
    confidence: float | None
    evidence: str | None
    reasons: list[str]
    contributions: list[tuple[str, float]]
    model: str | None
    fit: dict[str, Any] | None
    fit_failed: str | None
    geocentric_score: Any
    arc: dict[str, Any] | None
    amr_m2_kg: float | None
    amr_range_m2_kg: tuple[float, float] | None
    density_kg_m3: float | None
    density_range_kg_m3: tuple[float, float] | None
    bound_interval_jd: tuple[float, float] | None
    launch_match: dict[str, Any] | None
    known_match: dict[str, Any] | None
    physics_summary: str | None


def _evidence(result: Mapping[str, Any]) -> str | None:
    for key in ("evidence", "evidence_class"):
        value = result.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping):
            parts = [f"{k}: {v}" for k, v in value.items() if isinstance(v, (str, int, float))]
            return "; ".join(parts) or None
    return None


def _reasons(result: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    items = dig(result, "indicators.items")
    for item in items if isinstance(items, list) else []:
        reason = _text(dig(item, "reason"))
        if reason:
            name = _text(dig(item, "name")) or "indicator"
            out.append(f"{name}: {reason}")
    for key in ("reasons", "verdict_reasons"):
        extra = result.get(key)
        if isinstance(extra, list):
            out += [r for r in extra if isinstance(r, str) and r]
    return out


def _contributions(result: Mapping[str, Any]) -> list[tuple[str, float]]:
    out = []
    items = result.get("contributions")
    for item in items if isinstance(items, list) else []:
        name, value = _text(dig(item, "feature")), number(dig(item, "contribution"))
        if name and value is not None:
            out.append((name, value))
    return out


def read_facts(result: Mapping[str, Any]) -> Facts:
    """What the page shows of ``result`` (any mapping; missing fields read as None)."""
    verdict = _text(result.get("category")) or _text(result.get("verdict")) or "unknown"
    fit = _mapping(result.get("fit"))
    failed = _text(fit.get("failed")) if fit else None
    physics = _mapping(result.get("physics")) or {}
    meta = _mapping(result.get("meta")) or {}

    # A/M and density: the fit's, else the alert's physics, else the fitted record's meta
    sources = (fit or {}, physics, meta)

    def first(fit_key: str, physics_key: str) -> float | None:
        for m, k in zip(sources, (fit_key, physics_key, fit_key), strict=True):
            if (v := number(m.get(k))) is not None:
                return v
        return None

    def first_interval(fit_key: str, physics_key: str) -> tuple[float, float] | None:
        for m, k in zip(sources, (fit_key, physics_key, fit_key), strict=True):
            if (v := _interval(m.get(k))) is not None:
                return v
        return None

    bound = None
    if fit and not failed:
        lo, hi = number(fit.get("bound_from_jd")), number(fit.get("bound_to_jd"))
        bound = (lo, hi) if lo is not None and hi is not None else None
    geo_score = dig(fit, "geocentric_score") if fit else None
    if geo_score is None:
        geo_score = dig(result, "orbit.fit.geocentric_score")
    known = _mapping(result.get("known_match")) or _mapping(physics.get("known_match"))
    model = dig(result, "model.id")
    version = dig(result, "model.version")
    return Facts(
        designation=str(result.get("designation") or "?"),
        verdict=verdict,
        verdict_words=_VERDICT_WORDS.get(verdict, f"{verdict}: a verdict this page does not know"),
        score=number(result.get("anomaly_score")),
        probability=number(result.get("anomaly_probability")),
        confidence=number(result.get("confidence")),
        evidence=_evidence(result),
        reasons=_reasons(result),
        contributions=_contributions(result),
        model=f"{model} {version}" if isinstance(model, str) else None,
        fit=fit,
        fit_failed=failed,
        geocentric_score=geo_score,
        arc=_mapping(result.get("arc")),
        amr_m2_kg=first("amr_m2_kg", "area_to_mass_m2_kg"),
        amr_range_m2_kg=first_interval("amr_range_m2_kg", "area_to_mass_range_m2_kg"),
        density_kg_m3=first("density_kg_m3", "density_kg_m3"),
        density_range_kg_m3=first_interval("density_range_kg_m3", "density_range_kg_m3"),
        bound_interval_jd=bound,
        launch_match=_mapping(physics.get("launch_match")) or _mapping(result.get("launch_match")),
        known_match=known,
        physics_summary=_text(physics.get("summary")),
    )
