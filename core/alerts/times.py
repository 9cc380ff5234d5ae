"""A survey alert's time must be plausible: not before 1990, not more than a day ahead.

No survey alert stream predates 1990 (ZTF began in 2018, Rubin in 2025); a time before it or in
the future is a broken clock or a unit mix-up (MJD read as JD, seconds as days), and scoring it
would place the object wrongly. Both kinds of alert are checked here, with the field named.
"""

from __future__ import annotations

import time

from core.errors import RecordError

__all__ = ["JD_1990", "check_alert_time", "now_jd"]

JD_1990 = 2_447_892.5
"""1990-01-01T00:00 UTC as a Julian date."""

_JD_UNIX_EPOCH = 2_440_587.5
_AHEAD_DAYS = 1.0


def now_jd() -> float:
    """The current UTC Julian date (the system clock)."""
    return time.time() / 86_400.0 + _JD_UNIX_EPOCH


def check_alert_time(jd: float, field: str, now: float | None = None) -> None:
    """Raise :class:`~core.errors.RecordError` naming ``field`` when ``jd`` (a Julian date) is
    before 1990 or more than a day after ``now`` (default: the clock)."""
    if jd < JD_1990:
        raise RecordError(field, f"JD {jd} is before 1990 (JD {JD_1990})")
    limit = (now_jd() if now is None else now) + _AHEAD_DAYS
    if jd > limit:
        raise RecordError(field, f"JD {jd} is in the future")
