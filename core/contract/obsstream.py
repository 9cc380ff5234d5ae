"""Writing ``neo.obs.v1`` messages: the conversions ``produce --per observation`` uses.

The contract is declared once, in :mod:`core.contract.obs` (:class:`~core.contract.obs.Observation`,
:func:`~core.contract.obs.decode_obs_message`): what messages decode into and what the
per-object state stores. This module only writes messages: :func:`obs80_to_message` turns one
80-column line into a message object, :func:`jd_to_iso` a Julian date into its ``obsTime``;
:func:`is_obs_message` is the contract's sniff, re-exported for the batch step.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from core import contract
from core.contract.observations import parse_obs80_line
from core.errors import FormatError
from core.formats.obs80 import line_designation

__all__ = ["is_obs_message", "jd_to_iso", "obs80_to_message"]

_JD_UNIX_EPOCH = 2440587.5


def is_obs_message(data: bytes | str) -> bool:
    """Whether ``data`` looks like ``neo.obs.v1`` rather than ``neo.v1`` (the contract's sniff,
    :func:`core.contract.is_obs_message`)."""
    return contract.is_obs_message(data)


def jd_to_iso(time_jd_utc: float) -> str:
    """ISO-8601 UTC text of a Julian date, to the millisecond (``...T03:21:12.345Z``)."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=time_jd_utc - _JD_UNIX_EPOCH)
    millis = round(moment.microsecond / 1000)
    moment = moment.replace(microsecond=0) + timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def obs80_to_message(line: str) -> tuple[str, float, dict[str, Any]] | None:
    """``(object id, time_jd_utc, neo.obs.v1 object)`` of one 80-column optical line, or None
    for a line without an optical position of its own (radar, a satellite's second line).

    A numbered object's id goes in ``permID``, any other in ``provID``; the time is rounded to
    the millisecond (the 80-column format gives 1e-5 or 1e-6 day, 0.86 or 0.086 s).

    Raises
    ------
    FormatError
        The line is not a valid 80-column observation.
    """
    row = parse_obs80_line(line)
    if row is None:
        return None
    try:
        object_id = line_designation(line)
    except ValueError as exc:
        raise FormatError(str(exc)) from None
    id_field = "permID" if object_id.isdigit() else "provID"
    message: dict[str, Any] = {
        id_field: object_id,
        "obsTime": jd_to_iso(row.time_jd),
        "ra": row.ra_deg,
        "dec": row.dec_deg,
        "stn": row.station,
    }
    if not math.isnan(row.mag):
        message["mag"] = row.mag
    if row.band is not None:
        message["band"] = row.band
    return object_id, row.time_jd, message
