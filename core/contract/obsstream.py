"""Writing ``neo.obs.v1`` messages: the conversions ``produce --per observation`` uses.

The contract is declared once, in :mod:`core.contract.obs` (:class:`~core.contract.obs.Observation`,
:func:`~core.contract.obs.decode_obs_message`): what messages decode into and what the
per-object state stores. This module only writes messages: :func:`obs80_to_message` turns one
80-column line into a message object, :func:`jd_to_iso` a Julian date into its ``obsTime``;
:func:`is_obs_message` is the contract's sniff, re-exported for the batch step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import contract
from core.contract.obs80_messages import obs80_to_message

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
