"""The ``neo.v1`` record contract: frozen dataclasses and their strict validator.

One JSON object per message; ``docs/schema.md`` holds the full contract, units and limits.
:func:`record_from_obj` is the only way in: it rejects anything not in the contract with a
:class:`~core.errors.RecordError` naming the field (``"orbit.e"``,
``"close_approaches[2].subpoint"``, ``"observations.obs80[5]"``, ``"$"`` for the whole message)
and the reason. :func:`decode_record` sits on the daemon's hot path, so the common path does
type checks and comparisons only: no regexes, no copies of the input.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from core._types import FloatArray
from core.errors import FormatError, RecordError
from core.observations import iso_to_jd, parse_ades_rows, parse_obs80_lines

__all__ = [
    "MAX_ABS_NUMBER",
    "MAX_AU",
    "MAX_CLOSE_APPROACHES",
    "MAX_OBSERVATIONS",
    "MAX_RECORD_BYTES",
    "CloseApproach",
    "NeoRecord",
    "NonGrav",
    "Observations",
    "Orbit",
    "Physical",
    "RecordError",
    "content_hash",
    "decode_record",
    "record_from_obj",
    "record_to_obj",
]

# Limits: values beyond them are rejected with a reason (documented in docs/schema.md).
MAX_RECORD_BYTES = 16 * 1024 * 1024
"""Largest encoded message :func:`decode_record` parses."""
MAX_ABS_NUMBER = 1e300
"""Largest magnitude of any number (beyond it arithmetic overflows to inf)."""
MAX_AU = 1e6
"""Largest |a|, q, MOID or close-approach distance, au (the Oort cloud is ~1e5 au)."""
MAX_ECCENTRICITY = 100.0
"""Largest e (interstellar 2I/Borisov: 3.36)."""
MAX_JD = 1e7
"""Latest epoch, Julian date (year ~22,700); the earliest is JD 0."""
H_RANGE = (-10.0, 40.0)
"""Absolute magnitude bounds (a 1 m body at albedo 0.05 has H ~ 36)."""
MAX_DIAMETER_KM = 1e5
MAX_ROTATION_H = 1e6
MAX_NONGRAV = 1e-3
"""Largest |A1|, |A2|, |A3| in au/d^2: solar gravity at 1 au is 3e-4 au/d^2, so larger values
mean a unit error (e.g. MPC's 1e-8 au/d^2 units given as au/d^2)."""
MAX_SPEED_KMS = 299_792.458
"""Speeds above the speed of light are rejected."""
MAX_CLOSE_APPROACHES = 100_000
MAX_OBSERVATIONS = 100_000
"""Most obs80 lines or ADES rows in one record ((433) Eros has ~10,000)."""
MAX_STRING = 256
"""Longest designation, body, spectral type or time string."""
MAX_META_DEPTH = 64
"""Deepest nesting inside ``meta`` (orjson itself stops encoding at 255)."""
AQ_TOLERANCE = 1e-2
"""Largest relative mismatch between a given q_au and a_au·(1 - e) when both are given."""


@dataclass(frozen=True, slots=True)
class Orbit:
    """Osculating heliocentric ecliptic J2000 elements.

    ``a_au`` is None only for e >= 1 orbits given by ``q_au``; for e < 1 the validator fills
    ``a_au`` from ``q_au`` and ``q_au`` from ``a_au``.
    """

    e: float
    i_deg: float
    a_au: float | None
    q_au: float | None
    node_deg: float | None = None
    peri_deg: float | None = None
    M_deg: float | None = None
    epoch_jd: float | None = None
    moid_au: float | None = None
    condition_code: int | None = None


@dataclass(frozen=True, slots=True)
class Physical:
    """Physical properties: absolute magnitude, size, albedo, rotation, taxonomy."""

    H: float | None = None
    diameter_km: float | None = None
    albedo: float | None = None
    rot_per_h: float | None = None
    spectral_type: str | None = None


@dataclass(frozen=True, slots=True)
class NonGrav:
    """Marsden non-gravitational parameters, au/d^2."""

    A1: float | None = None
    A2: float | None = None
    A3: float | None = None


@dataclass(frozen=True, slots=True)
class CloseApproach:
    """One close approach to a body (Earth by default)."""

    time: str
    time_jd: float
    dist_au: float
    v_rel_kms: float | None = None
    v_inf_kms: float | None = None
    body: str = "Earth"
    subpoint: tuple[float, float] | None = None


@dataclass(frozen=True, eq=False)
class Observations:
    """Astrometric observations, parsed into arrays once at validation.

    Equality and hash use ``source`` and ``raw`` only (arrays are derived from them).
    """

    source: Literal["obs80", "ades"]
    raw: tuple[Any, ...]
    time_jd: FloatArray
    ra_deg: FloatArray
    dec_deg: FloatArray
    mag: FloatArray
    band: tuple[str | None, ...]
    station: tuple[str, ...]
    rms_ra_arcsec: FloatArray
    rms_dec_arcsec: FloatArray

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Observations):
            return NotImplemented
        return self.source == other.source and self.raw == other.raw

    def __hash__(self) -> int:
        return hash((self.source, len(self.raw)))


@dataclass(frozen=True, slots=True)
class NeoRecord:
    """One validated ``neo.v1`` record."""

    designation: str
    orbit: Orbit | None = None
    physical: Physical | None = None
    nongrav: NonGrav | None = None
    close_approaches: tuple[CloseApproach, ...] = ()
    observations: Observations | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


_TOP_KEYS = frozenset(
    ("designation", "orbit", "physical", "nongrav", "close_approaches", "observations", "meta")
)
_ORBIT_KEYS = frozenset(
    ("a_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg", "epoch_jd", "q_au", "moid_au",
     "condition_code")
)  # fmt: skip
_PHYSICAL_KEYS = frozenset(("H", "diameter_km", "albedo", "rot_per_h", "spectral_type"))
_NONGRAV_KEYS = frozenset(("A1", "A2", "A3"))
_CA_KEYS = frozenset(("time", "dist_au", "v_rel_kms", "v_inf_kms", "body", "subpoint"))
_OBS_KEYS = frozenset(("obs80", "ades"))
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1  # what orjson can encode


def decode_record(data: bytes) -> NeoRecord:
    """Decode and validate one ``neo.v1`` message.

    Parameters
    ----------
    data : bytes
        UTF-8 JSON text of one object.

    Raises
    ------
    RecordError
        ``field == "$"`` when the bytes are not UTF-8 JSON of an object (or too large);
        otherwise as :func:`record_from_obj`.
    """
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError("$", f"message of {len(data)} bytes exceeds {MAX_RECORD_BYTES}")
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RecordError("$", f"invalid JSON: {exc}") from None
    except TypeError:
        raise RecordError("$", f"message must be bytes, got {type(data).__name__}") from None
    return record_from_obj(obj)


def record_from_obj(obj: object) -> NeoRecord:
    """Validate a decoded ``neo.v1`` object and build its :class:`NeoRecord`.

    Every part but ``designation`` may be missing; a null optional field counts as absent.
    Numbers may be JSON integers or floats (booleans are not numbers). ``meta`` is kept as
    given (not copied).

    Raises
    ------
    RecordError
        The first problem found, with its dotted field path and reason.
    """
    if not isinstance(obj, dict):
        raise RecordError("$", f"a record must be a JSON object, got {_jtype(obj)}")
    if obj.keys() - _TOP_KEYS:
        _unknown(obj, _TOP_KEYS, "")
    designation = obj.get("designation")
    if type(designation) is not str:
        if designation is None:
            raise RecordError("designation", "required")
        raise RecordError("designation", f"must be a string, got {_jtype(designation)}")
    if not designation.strip():
        raise RecordError("designation", "must not be empty")
    if len(designation) > MAX_STRING:
        raise RecordError("designation", f"longer than {MAX_STRING} characters")
    get = obj.get
    value = get("orbit")
    orbit = None if value is None else _orbit(value)
    value = get("physical")
    physical = None if value is None else _physical(value)
    value = get("nongrav")
    nongrav = None if value is None else _nongrav(value)
    value = get("close_approaches")
    approaches = () if value is None else _close_approaches(value)
    value = get("observations")
    observations = None if value is None else _observations(value)
    meta = get("meta")
    if meta is None:
        meta = {}
    elif type(meta) is not dict:
        raise RecordError("meta", f"must be an object, got {_jtype(meta)}")
    elif meta:
        _check_json(meta, "meta", 1)
    return NeoRecord(designation, orbit, physical, nongrav, approaches, observations, meta)


def record_to_obj(rec: NeoRecord) -> dict[str, Any]:
    """The canonical ``neo.v1`` dict of a record.

    None-valued optional fields, an empty ``close_approaches`` and an empty ``meta`` are
    omitted; ``record_from_obj(record_to_obj(r)) == r``.
    """
    out: dict[str, Any] = {"designation": rec.designation}
    if rec.orbit is not None:
        out["orbit"] = _present(rec.orbit, _ORBIT_FIELDS)
    if rec.physical is not None:
        out["physical"] = _present(rec.physical, _PHYSICAL_FIELDS)
    if rec.nongrav is not None:
        out["nongrav"] = _present(rec.nongrav, _NONGRAV_FIELDS)
    if rec.close_approaches:
        items = []
        for ca in rec.close_approaches:
            item = _present(ca, _CA_FIELDS)
            del item["time_jd"]  # derived from "time"
            if ca.subpoint is not None:
                item["subpoint"] = list(ca.subpoint)
            items.append(item)
        out["close_approaches"] = items
    if rec.observations is not None:
        out["observations"] = {rec.observations.source: list(rec.observations.raw)}
    if rec.meta:
        out["meta"] = dict(rec.meta)
    return out


def content_hash(rec: NeoRecord) -> str:
    """sha256 hex digest of the canonical JSON of ``rec`` (sorted keys), designation and
    ``meta`` included; the inference cache key.

    Raises
    ------
    RecordError
        ``meta`` holds something JSON cannot encode (only possible for records not built by
        :func:`record_from_obj`).
    """
    try:
        data = orjson.dumps(record_to_obj(rec), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as exc:
        raise RecordError("meta", f"cannot be encoded as JSON: {exc}") from None
    return hashlib.sha256(data).hexdigest()


# --- blocks -------------------------------------------------------------------------------


def _orbit(o: object) -> Orbit:
    if type(o) is not dict:
        raise RecordError("orbit", f"must be an object, got {_jtype(o)}")
    if o.keys() - _ORBIT_KEYS:
        _unknown(o, _ORBIT_KEYS, "orbit.")
    get = o.get
    e = _required(get("e"), "orbit.e")
    if e < 0.0:
        raise RecordError("orbit.e", f"must be >= 0, got {e!r}")
    if e > MAX_ECCENTRICITY:
        raise RecordError("orbit.e", f"must be <= {MAX_ECCENTRICITY:g}, got {e!r}")
    i_deg = _ranged(_required(get("i_deg"), "orbit.i_deg"), "orbit.i_deg", 0.0, 180.0)
    a = _optional(get("a_au"), "orbit.a_au")
    q = _optional(get("q_au"), "orbit.q_au")
    if q is not None and not 0.0 < q <= MAX_AU:
        raise RecordError("orbit.q_au", f"must be within (0, {MAX_AU:g}], got {q!r}")
    if e < 1.0:
        if a is None:
            if q is None:
                raise RecordError("orbit.a_au", "required: give a_au or q_au")
            a = q / (1.0 - e)
            if a > MAX_AU:
                raise RecordError("orbit.q_au", f"implies a_au = {a:.6g} > {MAX_AU:g}")
        else:
            if a <= 0.0:
                raise RecordError("orbit.a_au", f"must be > 0 when e < 1, got {a!r}")
            if a > MAX_AU:
                raise RecordError("orbit.a_au", f"must be <= {MAX_AU:g}, got {a!r}")
            if q is None:
                q = a * (1.0 - e)
            else:
                _check_aq(a, q, e)
    else:
        if q is None:
            raise RecordError("orbit.q_au", "required when e >= 1 (parabolic or hyperbolic)")
        if a is not None:
            if e == 1.0:
                raise RecordError("orbit.a_au", "must be absent when e = 1 (parabolic)")
            if a >= 0.0:
                raise RecordError("orbit.a_au", f"must be < 0 when e > 1, got {a!r}")
            if a < -MAX_AU:
                raise RecordError("orbit.a_au", f"must be >= {-MAX_AU:g}, got {a!r}")
            _check_aq(a, q, e)
    node = _optional(get("node_deg"), "orbit.node_deg")
    if node is not None:
        _ranged(node, "orbit.node_deg", 0.0, 360.0)
    peri = _optional(get("peri_deg"), "orbit.peri_deg")
    if peri is not None:
        _ranged(peri, "orbit.peri_deg", 0.0, 360.0)
    mean_anomaly = _optional(get("M_deg"), "orbit.M_deg")
    if mean_anomaly is not None and e < 1.0:
        # hyperbolic mean anomalies are unbounded; elliptic ones are angles
        _ranged(mean_anomaly, "orbit.M_deg", -360.0, 360.0)
    epoch = _optional(get("epoch_jd"), "orbit.epoch_jd")
    if epoch is not None:
        _ranged(epoch, "orbit.epoch_jd", 0.0, MAX_JD)
    moid = _optional(get("moid_au"), "orbit.moid_au")
    if moid is not None:
        _ranged(moid, "orbit.moid_au", 0.0, MAX_AU)
    code = get("condition_code")
    if code is not None and (type(code) is not int or not 0 <= code <= 9):
        raise RecordError("orbit.condition_code", f"must be an integer 0-9, got {_short(code)}")
    return Orbit(e, i_deg, a, q, node, peri, mean_anomaly, epoch, moid, code)


def _check_aq(a: float, q: float, e: float) -> None:
    implied = a * (1.0 - e)
    if abs(q - implied) > AQ_TOLERANCE * q:
        raise RecordError("orbit.q_au", f"{q!r} disagrees with a_au*(1 - e) = {implied:.6g}")


def _physical(p: object) -> Physical:
    if type(p) is not dict:
        raise RecordError("physical", f"must be an object, got {_jtype(p)}")
    if p.keys() - _PHYSICAL_KEYS:
        _unknown(p, _PHYSICAL_KEYS, "physical.")
    get = p.get
    h = _optional(get("H"), "physical.H")
    if h is not None:
        _ranged(h, "physical.H", *H_RANGE)
    diameter = _optional(get("diameter_km"), "physical.diameter_km")
    if diameter is not None and not 0.0 < diameter <= MAX_DIAMETER_KM:
        raise RecordError(
            "physical.diameter_km", f"must be within (0, {MAX_DIAMETER_KM:g}], got {diameter!r}"
        )
    albedo = _optional(get("albedo"), "physical.albedo")
    if albedo is not None and not 0.0 < albedo <= 1.0:
        raise RecordError("physical.albedo", f"must be within (0, 1], got {albedo!r}")
    rotation = _optional(get("rot_per_h"), "physical.rot_per_h")
    if rotation is not None and not 0.0 < rotation <= MAX_ROTATION_H:
        raise RecordError(
            "physical.rot_per_h", f"must be within (0, {MAX_ROTATION_H:g}], got {rotation!r}"
        )
    spectral = get("spectral_type")
    if spectral is not None:
        _string(spectral, "physical.spectral_type")
    return Physical(h, diameter, albedo, rotation, spectral)


def _nongrav(n: object) -> NonGrav:
    if type(n) is not dict:
        raise RecordError("nongrav", f"must be an object, got {_jtype(n)}")
    if n.keys() - _NONGRAV_KEYS:
        _unknown(n, _NONGRAV_KEYS, "nongrav.")
    values = []
    for key in ("A1", "A2", "A3"):
        value = _optional(n.get(key), f"nongrav.{key}")
        if value is not None:
            _ranged(value, f"nongrav.{key}", -MAX_NONGRAV, MAX_NONGRAV)
        values.append(value)
    return NonGrav(*values)


def _close_approaches(items: object) -> tuple[CloseApproach, ...]:
    if type(items) is not list:
        raise RecordError("close_approaches", f"must be an array, got {_jtype(items)}")
    if len(items) > MAX_CLOSE_APPROACHES:
        raise RecordError(
            "close_approaches", f"{len(items)} entries exceed the limit of {MAX_CLOSE_APPROACHES}"
        )
    return tuple(_close_approach(item, f"close_approaches[{k}]") for k, item in enumerate(items))


def _close_approach(c: object, where: str) -> CloseApproach:
    if type(c) is not dict:
        raise RecordError(where, f"must be an object, got {_jtype(c)}")
    if c.keys() - _CA_KEYS:
        _unknown(c, _CA_KEYS, where + ".")
    get = c.get
    time = get("time")
    if time is None:
        raise RecordError(where + ".time", "required")
    _string(time, where + ".time")
    try:
        time_jd = iso_to_jd(time)
    except FormatError as exc:
        raise RecordError(where + ".time", str(exc)) from None
    dist = _ranged(_required(get("dist_au"), where + ".dist_au"), where + ".dist_au", 0.0, MAX_AU)
    v_rel = _optional(get("v_rel_kms"), where + ".v_rel_kms")
    if v_rel is not None:
        _ranged(v_rel, where + ".v_rel_kms", 0.0, MAX_SPEED_KMS)
    v_inf = _optional(get("v_inf_kms"), where + ".v_inf_kms")
    if v_inf is not None:
        _ranged(v_inf, where + ".v_inf_kms", 0.0, MAX_SPEED_KMS)
    body = get("body")
    if body is None:
        body = "Earth"
    else:
        _string(body, where + ".body")
    point = get("subpoint")
    subpoint = None if point is None else _subpoint(point, where + ".subpoint")
    return CloseApproach(time, time_jd, dist, v_rel, v_inf, body, subpoint)


def _subpoint(point: object, where: str) -> tuple[float, float]:
    if type(point) is not list or len(point) != 2:
        raise RecordError(where, "must be an array [lat_deg, lon_deg]")
    lat = _ranged(_required(point[0], where), where, -90.0, 90.0)
    lon = _ranged(_required(point[1], where), where, -360.0, 360.0)
    if not -180.0 <= lon < 180.0:  # normalise only when needed so the result is stable
        lon = (lon + 180.0) % 360.0 - 180.0
        if lon >= 180.0:
            lon = -180.0
    return (lat, lon)


def _observations(o: object) -> Observations:
    if type(o) is not dict:
        raise RecordError("observations", f"must be an object, got {_jtype(o)}")
    if o.keys() - _OBS_KEYS:
        _unknown(o, _OBS_KEYS, "observations.")
    if len(o) != 1:
        raise RecordError("observations", "must hold exactly one of 'obs80' or 'ades'")
    ((source, rows),) = o.items()
    where = "observations." + source
    if type(rows) is not list:
        raise RecordError(where, f"must be an array, got {_jtype(rows)}")
    if not rows:
        raise RecordError(where, "must hold at least one observation")
    if len(rows) > MAX_OBSERVATIONS:
        raise RecordError(where, f"{len(rows)} entries exceed the limit of {MAX_OBSERVATIONS}")
    arrays = parse_obs80_lines(rows, where) if source == "obs80" else parse_ades_rows(rows, where)
    return Observations(source, tuple(rows), *arrays)


# --- scalars ------------------------------------------------------------------------------


def _number(value: object, where: str) -> float:
    # exact type tests first: they are the common case and exclude bool (an int subclass)
    if type(value) is float or (isinstance(value, float) and not isinstance(value, bool)):
        if -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER:
            return float(value)
        if math.isnan(value):
            raise RecordError(where, "must be a number, got NaN")
        raise RecordError(where, f"magnitude exceeds {MAX_ABS_NUMBER:g}: {value!r}")
    if type(value) is int or (isinstance(value, int) and not isinstance(value, bool)):
        if -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER:
            return float(value)
        raise RecordError(where, f"magnitude exceeds {MAX_ABS_NUMBER:g}: {_short(value)}")
    raise RecordError(where, f"must be a number, got {_jtype(value)}")


def _required(value: object, where: str) -> float:
    if value is None:
        raise RecordError(where, "required")
    return _number(value, where)


def _optional(value: object, where: str) -> float | None:
    return None if value is None else _number(value, where)


def _ranged(value: float, where: str, lo: float, hi: float) -> float:
    if not lo <= value <= hi:
        raise RecordError(where, f"must be within [{lo:g}, {hi:g}], got {value!r}")
    return value


def _string(value: object, where: str) -> str:
    if type(value) is not str:
        raise RecordError(where, f"must be a string, got {_jtype(value)}")
    if not value.strip():
        raise RecordError(where, "must not be empty")
    if len(value) > MAX_STRING:
        raise RecordError(where, f"longer than {MAX_STRING} characters")
    return value


def _check_json(value: object, where: str, depth: int) -> None:
    if depth > MAX_META_DEPTH:
        raise RecordError(where, f"nested deeper than {MAX_META_DEPTH} levels")
    kind = type(value)
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str:
                raise RecordError(where, f"keys must be strings, got {_short(key)}")
            _check_json(item, f"{where}.{key}", depth + 1)
    elif kind is list:
        for k, item in enumerate(value):  # type: ignore[arg-type]
            _check_json(item, f"{where}[{k}]", depth + 1)
    elif kind is int:
        if not _INT64_MIN <= value <= _UINT64_MAX:  # type: ignore[operator]
            raise RecordError(where, "integer outside the 64-bit range")
    elif kind is float:
        if not -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER:  # type: ignore[operator]
            raise RecordError(where, f"must be a finite number, got {value!r}")
    elif value is not None and kind is not str and kind is not bool:
        raise RecordError(where, f"must hold JSON values only, got {kind.__name__}")


def _unknown(obj: Mapping[Any, Any], allowed: frozenset[str], prefix: str) -> None:
    key = sorted((k for k in obj if k not in allowed), key=str)[0]
    name = key if isinstance(key, str) else repr(key)
    raise RecordError(f"{prefix}{name[:MAX_STRING]}", "unknown field")


def _jtype(value: object) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _present(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: v for name in names if (v := getattr(obj, name)) is not None}


_JSON_NAMES = {
    bool: "boolean", int: "number", float: "number", str: "string", list: "array",
    dict: "object", type(None): "null",
}  # fmt: skip
_ORBIT_FIELDS = Orbit.__slots__
_PHYSICAL_FIELDS = Physical.__slots__
_NONGRAV_FIELDS = NonGrav.__slots__
_CA_FIELDS = CloseApproach.__slots__
