"""The cause of a failed orbit refit, as a metric label: ``neo_streamer_fit_failures_total{cause}``.

A failed fit's reason (``{"fit": {"failed": reason}}`` of a streaming result, the message of
the :class:`~core.errors.FitError` that :func:`core.orbits.fit.fit_orbit` raised) is free
text that names the object's data; a label must take a few fixed values, so
:func:`fit_failure_cause` maps the reason to one of :data:`CAUSES` by the words the fit's
errors use (``other`` for any reason it does not know, such as an integrator's own error).
"""

from __future__ import annotations

import re

__all__ = ["CAUSES", "fit_failure_cause"]

_PATTERNS: tuple[tuple[str, str], ...] = (
    ("too_few_observations", r"too few observations|needs at least \d+ observations|3 distinct"),
    ("single_night", r"a single night|one night"),
    ("unknown_station", r"unknown station|without (?:its )?position|unsupported observer"),
    ("mixed_objects", r"two objects mixed"),
    ("no_motion", r"no motion|degenerate geometry"),
    ("diverged", r"diverged"),
    ("no_convergence", r"no convergence|no start converged"),
    ("no_initial_orbit", r"no orbit fits|initial orbit|window holds"),
    ("propagation", r"cannot be followed|propagat"),
    ("bad_input", r"missing time or position|non-finite|inconsistent inputs"),
)
CAUSES = (*(cause for cause, _ in _PATTERNS), "other")
_COMPILED = tuple((cause, re.compile(pattern, re.IGNORECASE)) for cause, pattern in _PATTERNS)


def fit_failure_cause(reason: str) -> str:
    """The :data:`CAUSES` value of a failed fit's ``reason`` (the first pattern that matches)."""
    for cause, pattern in _COMPILED:
        if pattern.search(reason):
            return cause
    return "other"
