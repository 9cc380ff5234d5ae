"""msgspec's validation errors worded as :class:`~core.errors.RecordError` (private)."""

from __future__ import annotations

import msgspec

from core.errors import RecordError

__all__ = ["validation_error"]


def validation_error(exc: msgspec.ValidationError, where: str) -> RecordError:
    """msgspec's ``"Expected `float` >= 0.0 - at `$.e`"`` as ``RecordError(where.e, ...)``;
    ``where`` empty for a whole message (``"$.observations[2].ra"`` -> ``observations[2].ra``,
    ``"$"`` -> ``"$"``)."""
    text = str(exc)
    reason, sep, path = text.partition(" - at `")
    path = path.rstrip("`")[1:] if sep else ""  # without the leading "$"
    missing = reason.removeprefix("Object missing required field `")
    if missing != reason:  # named as neo.v1 names it: "<field>: required"
        path, reason = f"{path}.{missing.rstrip('`')}", "required"
    field = (where + path).lstrip(".") if path else where or "$"
    return RecordError(field, reason[:1].lower() + reason[1:])
