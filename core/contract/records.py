"""The ``neo.v1`` record contract: frozen record types and their strict validator.

One JSON object per message; ``docs/schema.md`` holds the full contract, units and limits.
:func:`record_from_obj` is the only way in: it rejects a wrong type, a value out of range or a
missing required field with a :class:`~core.errors.RecordError` naming the field
(``"orbit.e"``, ``"close_approaches[2].subpoint"``, ``"observations.obs80[5]"``, ``"$"`` for
the whole message) and the reason. A field the contract does not know (a newer producer's) is
dropped and its path reported to the caller's ``unknown`` list, never an error.
:func:`decode_record` sits on the daemon's hot path, so the common path does type checks and
comparisons only: no regexes, no copies of the input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
import numpy as np
import orjson

from core._types import FloatArray
from core.contract import _obs_fast
from core.contract._checks import (
    H_RANGE,
    MAX_ABS_NUMBER,
    MAX_AU,
    MAX_CLOSE_APPROACHES,
    MAX_DIAMETER_KM,
    MAX_ECCENTRICITY,
    MAX_JD,
    MAX_NONGRAV,
    MAX_OBSERVATIONS,
    MAX_RECORD_BYTES,
    MAX_ROTATION_H,
    MAX_SPEED_KMS,
    MAX_STRING,
    MAX_TRAIL_ARCSEC,
    check_json,
    encodable,
    jtype,
    normal_lon,
    optional,
    ranged,
    required,
    semi_axes,
    short,
    string,
    unknown,
)
from core.contract.neo_v1 import Record, TypedApproach, TypedObservations, TypedOrbit, decode_typed
from core.contract.observations import (
    ades_time_jd,
    iso_to_jd,
    parse_ades_rows,
    parse_obs80_lines,
)
from core.contract.uncertainty import (
    Covariance,
    FitFacts,
    OrbitSigma,
    check_covariance,
    convert_block,
)
from core.errors import FormatError, RecordError

__all__ = [
    "MAX_ABS_NUMBER",
    "MAX_AU",
    "MAX_CLOSE_APPROACHES",
    "MAX_OBSERVATIONS",
    "MAX_RECORD_BYTES",
    "CloseApproach",
    "Covariance",
    "FitFacts",
    "NeoRecord",
    "NonGrav",
    "Observations",
    "Orbit",
    "OrbitSigma",
    "Physical",
    "RecordError",
    "Trail",
    "content_hash",
    "decode_record",
    "record_from_obj",
    "record_to_obj",
]


# The record types are frozen msgspec structs, not frozen dataclasses: a frozen dataclass's
# __init__ sets each field through object.__setattr__, a struct is built in C, some thirty
# times faster (docs/performance.md, "Design measurements of the contract code"). Same
# fields, order, defaults, equality, hashing and immutability; copies with
# changes go through msgspec.structs.replace. ``gc=False``: these hold numbers, strings and
# tuples of them only, never a cycle, so the collector need not track them.


class Orbit(msgspec.Struct, frozen=True, gc=False):
    """Osculating heliocentric ecliptic J2000 elements.

    ``a_au`` is None only for e >= 1 orbits given by ``q_au``; for e < 1 the validator fills
    ``a_au`` from ``q_au`` and ``q_au`` from ``a_au``. ``source`` says whether the elements
    were given (a catalogue's) or fitted to the record's astrometry; ``sigma``, ``covariance``
    and ``fit`` are their uncertainty and the facts of the fit, when known.
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
    source: Literal["given", "fit"] = "given"
    sigma: OrbitSigma | None = None
    covariance: Covariance | None = None
    fit: FitFacts | None = None


class Physical(msgspec.Struct, frozen=True, gc=False):
    """Physical properties: absolute magnitude, size, albedo, rotation, taxonomy."""

    H: float | None = None
    diameter_km: float | None = None
    albedo: float | None = None
    rot_per_h: float | None = None
    spectral_type: str | None = None


class NonGrav(msgspec.Struct, frozen=True, gc=False):
    """Marsden non-gravitational parameters and their 1-sigma uncertainties, au/d^2."""

    A1: float | None = None
    A2: float | None = None
    A3: float | None = None
    A1_sigma: float | None = None
    A2_sigma: float | None = None
    A3_sigma: float | None = None


class Trail(msgspec.Struct, frozen=True, gc=False):
    """Trail and streak cues of a detection (``trail``; Rubin alerts give them, see core.lsst)."""

    length_arcsec: float | None = None
    angle_deg: float | None = None
    streak: bool = False
    glint: bool = False


class CloseApproach(msgspec.Struct, frozen=True, gc=False):
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

    Equality uses ``source`` and ``raw`` only (arrays are derived from them).
    """

    source: Literal["obs80", "ades"]
    given: tuple[Any, ...] | bytes
    """The observations as given: the 80-column lines or ADES rows, or the JSON text of the
    whole message that holds the ADES rows (:attr:`raw` decodes them from it on first use;
    the daemon never needs them)."""
    time_jd: FloatArray
    ra_deg: FloatArray
    dec_deg: FloatArray
    mag: FloatArray
    band: tuple[str | None, ...]
    station: tuple[str, ...]
    rms_ra_arcsec: FloatArray
    rms_dec_arcsec: FloatArray

    @property
    def raw(self) -> tuple[Any, ...]:
        """The 80-column lines or ADES rows (dicts) as given."""
        given = self.given
        if type(given) is bytes:
            given = tuple(orjson.loads(given)["observations"][self.source])
            object.__setattr__(self, "given", given)  # decoded once; equal either way
        return given  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Observations):
            return NotImplemented
        return self.source == other.source and self.raw == other.raw

    def __hash__(self) -> int:
        # the arrays derive from ``raw``: equal observations have as many rows
        return hash((self.source, len(self.time_jd)))


class NeoRecord(msgspec.Struct, frozen=True):
    """One validated ``neo.v1`` record."""

    designation: str
    orbit: Orbit | None = None
    physical: Physical | None = None
    nongrav: NonGrav | None = None
    close_approaches: tuple[CloseApproach, ...] = ()
    observations: Observations | None = None
    meta: Mapping[str, Any] = msgspec.field(default_factory=dict)
    trail: Trail | None = None


# the keys each block takes, read from the record types (one list of fields per block)
_TOP_KEYS = frozenset(NeoRecord.__struct_fields__)
_TRAIL_KEYS = frozenset(Trail.__struct_fields__)
_ORBIT_KEYS = frozenset(Orbit.__struct_fields__)
_PHYSICAL_KEYS = frozenset(Physical.__struct_fields__)
_NONGRAV_NAMES = NonGrav.__struct_fields__
_NONGRAV_KEYS = frozenset(_NONGRAV_NAMES)
_CA_KEYS = frozenset(CloseApproach.__struct_fields__) - {"time_jd"}  # derived from "time"
_OBS_KEYS = frozenset(("obs80", "ades"))


def decode_record(data: object, *, unknown: list[str] | None = None) -> NeoRecord:
    """Decode and validate one ``neo.v1`` message.

    The same as ``record_from_obj(orjson.loads(data))``. A message is first decoded straight
    into the contract's declaration (:mod:`core.contract.neo_v1`: types and bounds checked by
    msgspec, the ADES rows into structs, not dicts) and checked across fields beside it; a
    message that declaration does not answer for (an unknown field, a wrong value, bad JSON)
    is read by :func:`record_from_obj`, which drops and reports unknown fields and words the
    error.

    Parameters
    ----------
    data : bytes
        UTF-8 JSON text of one object (a ``bytearray``, ``memoryview`` or ``str`` of it is
        read too).
    unknown : list of str, optional
        Receives the path of every field the contract does not know (as
        :func:`record_from_obj`).

    Raises
    ------
    RecordError
        ``field == "$"`` when ``data`` is none of those, or not UTF-8 JSON of an object (or
        too large);
        otherwise as :func:`record_from_obj`.
    """
    # exact bytes first: the daemon's case, one type test per message instead of four
    if type(data) is not bytes and not isinstance(data, (bytes, bytearray, memoryview, str)):
        raise RecordError("$", f"message must be bytes, got {type(data).__name__}")
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError("$", f"message of {len(data)} bytes exceeds {MAX_RECORD_BYTES}")
    if type(data) is bytes:
        typed = decode_typed(data)  # None: not one the declaration answers for
        if typed is not None:
            record = _typed_record(typed, data)
            if record is not None:
                return record
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RecordError("$", f"invalid JSON: {exc}") from None
    return _record(obj, None, unknown)


def _typed_record(m: Record, data: bytes) -> NeoRecord | None:
    # the checks across fields, with the functions record_from_obj uses; None at the first
    # problem (record_from_obj then words it)
    try:
        designation = string(m.designation, "designation")
        orbit = None if m.orbit is None else _typed_orbit(m.orbit)
        p = m.physical
        physical = None
        if p is not None:
            if p.spectral_type is not None:
                string(p.spectral_type, "physical.spectral_type")
            physical = Physical(p.H, p.diameter_km, p.albedo, p.rot_per_h, p.spectral_type)
        n = m.nongrav
        nongrav = (
            None if n is None else NonGrav(n.A1, n.A2, n.A3, n.A1_sigma, n.A2_sigma, n.A3_sigma)
        )
        t = m.trail
        trail = (
            None
            if t is None
            else Trail(t.length_arcsec, t.angle_deg, bool(t.streak), bool(t.glint))
        )
        approaches: tuple[CloseApproach, ...] = ()
        if m.close_approaches is not None:
            approaches = tuple(map(_typed_approach, m.close_approaches))
        observations = None
        if m.observations is not None:
            observations = _typed_observations(m.observations, data)
            if observations is None:
                return None
        meta: Any = {}
        if m.meta is not _UNSET:
            meta = orjson.loads(memoryview(m.meta))
            if meta is None:
                meta = {}
            elif type(meta) is not dict:
                return None
            elif meta:
                check_json(meta, "meta", 1)
    except (RecordError, FormatError, orjson.JSONDecodeError):
        return None
    return NeoRecord(designation, orbit, physical, nongrav, approaches, observations, meta, trail)


def _typed_observations(o: TypedObservations, data: bytes) -> Observations | None:
    if (o.obs80 is None) == (o.ades is None):
        return None  # exactly one of them
    if o.obs80 is not None:
        arrays = parse_obs80_lines(o.obs80, "observations.obs80")
        return Observations("obs80", tuple(o.obs80), *arrays)
    rows = o.ades
    assert rows is not None
    numbers = (  # None -> NaN
        np.array([row.ra for row in rows], dtype=np.float64),
        np.array([row.dec for row in rows], dtype=np.float64),
        np.array([row.mag for row in rows], dtype=np.float64),
        np.array([row.rmsRA for row in rows], dtype=np.float64),
        np.array([row.rmsDec for row in rows], dtype=np.float64),
    )
    columns = _obs_fast.ades_columns(
        [row.obsTime for row in rows],
        numbers,
        [row.stn for row in rows],
        [row.band for row in rows],
        ades_time_jd,
        typed=True,  # msgspec checked them: obsTime and stn strings, band a string or null
    )
    # the rows are decoded from the message's text only when asked for (Observations.raw)
    return None if columns is None else Observations("ades", data, *columns)


def _typed_orbit(o: TypedOrbit) -> Orbit:
    e = o.e
    a, q = semi_axes(e, o.a_au, o.q_au)
    if o.M_deg is not None and e < 1.0:
        ranged(o.M_deg, "orbit.M_deg", -360.0, 360.0)
    if o.covariance is not None:
        check_covariance(o.covariance, "orbit.covariance")
    return Orbit(
        e, o.i_deg, a, q, o.node_deg, o.peri_deg, o.M_deg, o.epoch_jd, o.moid_au,
        o.condition_code, o.source or "given", o.sigma, o.covariance, o.fit,
    )  # fmt: skip


def _typed_approach(c: TypedApproach) -> CloseApproach:
    time = string(c.time, "time")
    body = "Earth" if c.body is None else string(c.body, "body")
    point = c.subpoint
    subpoint = None if point is None else (point[0], normal_lon(point[1]))
    return CloseApproach(time, iso_to_jd(time), c.dist_au, c.v_rel_kms, c.v_inf_kms, body, subpoint)


def record_from_obj(obj: object, *, unknown: list[str] | None = None) -> NeoRecord:
    """Validate a decoded ``neo.v1`` object and build its :class:`NeoRecord`.

    Every part but ``designation`` may be missing; a null optional field counts as absent.
    Numbers may be JSON integers or floats (booleans are not numbers). ``meta`` is kept as
    given (not copied). A field the contract does not know (a newer producer's addition) is
    not an error: it is dropped, and its dotted path (``"orbit.albedo_source"``) appended to
    ``unknown`` when given, so that the caller can count it.

    Raises
    ------
    RecordError
        The first problem found (a wrong type or value, a missing required field), with its
        dotted field path and reason.
    """
    return _record(obj, None, unknown)


def _record(obj: object, observations: Observations | None, sink: list[str] | None) -> NeoRecord:
    # record_from_obj, with the observations already parsed when given
    if not isinstance(obj, dict):
        raise RecordError("$", f"a record must be a JSON object, got {jtype(obj)}")
    if obj.keys() - _TOP_KEYS:
        unknown(obj, _TOP_KEYS, "", sink)
    designation = obj.get("designation")
    if type(designation) is not str:
        if designation is None:
            raise RecordError("designation", "required")
        raise RecordError("designation", f"must be a string, got {jtype(designation)}")
    if not designation.strip():
        raise RecordError("designation", "must not be empty")
    if len(designation) > MAX_STRING:
        raise RecordError("designation", f"longer than {MAX_STRING} characters")
    if not encodable(designation):
        raise RecordError("designation", "not valid Unicode (lone surrogate)")
    get = obj.get
    value = get("orbit")
    orbit = None if value is None else _orbit(value, sink)
    value = get("physical")
    physical = None if value is None else _physical(value, sink)
    value = get("nongrav")
    nongrav = None if value is None else _nongrav(value, sink)
    value = get("close_approaches")
    approaches = () if value is None else _close_approaches(value, sink)
    if observations is None and (value := get("observations")) is not None:
        observations = _observations(value, sink)
    meta = get("meta")
    if meta is None:
        meta = {}
    elif type(meta) is not dict:
        raise RecordError("meta", f"must be an object, got {jtype(meta)}")
    elif meta:
        check_json(meta, "meta", 1)
    value = get("trail")
    trail = None if value is None else _trail(value, sink)
    return NeoRecord(designation, orbit, physical, nongrav, approaches, observations, meta, trail)


def _trail(t: object, sink: list[str] | None) -> Trail:
    if type(t) is not dict:
        raise RecordError("trail", f"must be an object, got {jtype(t)}")
    if t.keys() - _TRAIL_KEYS:
        unknown(t, _TRAIL_KEYS, "trail.", sink)
    length = optional(t.get("length_arcsec"), "trail.length_arcsec")
    if length is not None:
        ranged(length, "trail.length_arcsec", 0.0, MAX_TRAIL_ARCSEC)
    angle = optional(t.get("angle_deg"), "trail.angle_deg")
    if angle is not None:
        ranged(angle, "trail.angle_deg", -360.0, 360.0)
    flags = []
    for key in ("streak", "glint"):
        flag = t.get(key, False)
        if flag is None:
            flag = False
        if type(flag) is not bool:
            raise RecordError(f"trail.{key}", f"must be a boolean, got {jtype(flag)}")
        flags.append(flag)
    return Trail(length, angle, *flags)


def record_to_obj(rec: NeoRecord) -> dict[str, Any]:
    """The canonical ``neo.v1`` dict of a record.

    None-valued optional fields, an empty ``close_approaches`` and an empty ``meta`` are
    omitted; ``record_from_obj(record_to_obj(r)) == r``.
    """
    out: dict[str, Any] = {"designation": rec.designation}
    if rec.orbit is not None:
        out["orbit"] = _orbit_obj(rec.orbit)
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
    if rec.trail is not None:
        trail = _present(rec.trail, ("length_arcsec", "angle_deg"))
        trail.update({k: True for k in ("streak", "glint") if getattr(rec.trail, k)})
        out["trail"] = trail
    return out


def _orbit_obj(orbit: Orbit) -> dict[str, Any]:
    # "given" is the default and left out, so records without the uncertainty blocks keep
    # their canonical form and content hash
    out = _present(orbit, _ORBIT_FIELDS)
    if orbit.source != "given":
        out["source"] = orbit.source
    if orbit.sigma is not None:
        out["sigma"] = msgspec.to_builtins(orbit.sigma)
    if (cov := orbit.covariance) is not None:
        out["covariance"] = {"params": list(cov.params), "matrix": [list(r) for r in cov.matrix]}
    if orbit.fit is not None:
        out["fit"] = msgspec.to_builtins(orbit.fit)
    return out


def content_hash(rec: NeoRecord) -> str:
    """sha256 hex digest of the canonical JSON of ``rec`` (sorted keys), designation and
    ``meta`` included; the inference cache key.

    Raises
    ------
    RecordError
        The record holds something JSON cannot encode (only possible for records not built by
        :func:`record_from_obj`).
    """
    try:
        data = orjson.dumps(record_to_obj(rec), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as exc:
        raise RecordError("$", f"record cannot be encoded as JSON: {exc}") from None
    return hashlib.sha256(data).hexdigest()


# --- blocks -------------------------------------------------------------------------------


def _orbit(o: object, sink: list[str] | None) -> Orbit:
    if type(o) is not dict:
        raise RecordError("orbit", f"must be an object, got {jtype(o)}")
    if o.keys() - _ORBIT_KEYS:
        unknown(o, _ORBIT_KEYS, "orbit.", sink)
    get = o.get
    e = required(get("e"), "orbit.e")
    if e < 0.0:
        raise RecordError("orbit.e", f"must be >= 0, got {e!r}")
    if e > MAX_ECCENTRICITY:
        raise RecordError("orbit.e", f"must be <= {MAX_ECCENTRICITY:g}, got {e!r}")
    i_deg = ranged(required(get("i_deg"), "orbit.i_deg"), "orbit.i_deg", 0.0, 180.0)
    a = optional(get("a_au"), "orbit.a_au")
    q = optional(get("q_au"), "orbit.q_au")
    if q is not None and not 0.0 < q <= MAX_AU:
        raise RecordError("orbit.q_au", f"must be within (0, {MAX_AU:g}], got {q!r}")
    a, q = semi_axes(e, a, q)
    node = optional(get("node_deg"), "orbit.node_deg")
    if node is not None:
        ranged(node, "orbit.node_deg", 0.0, 360.0)
    peri = optional(get("peri_deg"), "orbit.peri_deg")
    if peri is not None:
        ranged(peri, "orbit.peri_deg", 0.0, 360.0)
    mean_anomaly = optional(get("M_deg"), "orbit.M_deg")
    if mean_anomaly is not None and e < 1.0:
        # hyperbolic mean anomalies are unbounded; elliptic ones are angles
        ranged(mean_anomaly, "orbit.M_deg", -360.0, 360.0)
    epoch = optional(get("epoch_jd"), "orbit.epoch_jd")
    if epoch is not None:
        ranged(epoch, "orbit.epoch_jd", 0.0, MAX_JD)
    moid = optional(get("moid_au"), "orbit.moid_au")
    if moid is not None:
        ranged(moid, "orbit.moid_au", 0.0, MAX_AU)
    code = get("condition_code")
    if code is not None and (type(code) is not int or not 0 <= code <= 9):
        raise RecordError("orbit.condition_code", f"must be an integer 0-9, got {short(code)}")
    given_source = get("source")
    source: Literal["given", "fit"] = "given"
    if given_source == "fit" and type(given_source) is str:
        source = "fit"
    elif given_source is not None and given_source != "given":
        raise RecordError("orbit.source", f"must be 'given' or 'fit', got {short(given_source)}")
    value = get("sigma")
    sigma = None if value is None else convert_block(value, OrbitSigma, "orbit.sigma", sink)
    value = get("covariance")
    covariance = None
    if value is not None:
        covariance = convert_block(value, Covariance, "orbit.covariance", sink)
        check_covariance(covariance, "orbit.covariance")
    value = get("fit")
    fit = None if value is None else convert_block(value, FitFacts, "orbit.fit", sink)
    return Orbit(
        e, i_deg, a, q, node, peri, mean_anomaly, epoch, moid, code, source, sigma, covariance,
        fit,
    )  # fmt: skip


def _physical(p: object, sink: list[str] | None) -> Physical:
    if type(p) is not dict:
        raise RecordError("physical", f"must be an object, got {jtype(p)}")
    if p.keys() - _PHYSICAL_KEYS:
        unknown(p, _PHYSICAL_KEYS, "physical.", sink)
    get = p.get
    h = optional(get("H"), "physical.H")
    if h is not None:
        ranged(h, "physical.H", *H_RANGE)
    diameter = optional(get("diameter_km"), "physical.diameter_km")
    if diameter is not None and not 0.0 < diameter <= MAX_DIAMETER_KM:
        raise RecordError(
            "physical.diameter_km", f"must be within (0, {MAX_DIAMETER_KM:g}], got {diameter!r}"
        )
    albedo = optional(get("albedo"), "physical.albedo")
    if albedo is not None and not 0.0 < albedo <= 1.0:
        raise RecordError("physical.albedo", f"must be within (0, 1], got {albedo!r}")
    rotation = optional(get("rot_per_h"), "physical.rot_per_h")
    if rotation is not None and not 0.0 < rotation <= MAX_ROTATION_H:
        raise RecordError(
            "physical.rot_per_h", f"must be within (0, {MAX_ROTATION_H:g}], got {rotation!r}"
        )
    spectral = get("spectral_type")
    if spectral is not None:
        string(spectral, "physical.spectral_type")
    return Physical(h, diameter, albedo, rotation, spectral)


def _nongrav(n: object, sink: list[str] | None) -> NonGrav:
    if type(n) is not dict:
        raise RecordError("nongrav", f"must be an object, got {jtype(n)}")
    if n.keys() - _NONGRAV_KEYS:
        unknown(n, _NONGRAV_KEYS, "nongrav.", sink)
    values = []
    for key in _NONGRAV_NAMES:
        value = optional(n.get(key), f"nongrav.{key}")
        if value is not None:
            if key.endswith("_sigma"):  # a sigma is >= 0; A1..A3 take either sign
                ranged(value, f"nongrav.{key}", 0.0, MAX_NONGRAV)
            elif not -MAX_NONGRAV <= value <= MAX_NONGRAV:
                raise RecordError(f"nongrav.{key}", _NONGRAV_UNITS.format(MAX_NONGRAV, value))
        values.append(value)
    return NonGrav(*values)


# The hint of docs/schema.md: values this large are a unit error, not a physical acceleration.
_NONGRAV_UNITS = (
    "must be within [-{0:g}, {0:g}] au/d², got {1!r} (MPC publishes A1/A2 in units of "
    "1e-8 au/d²: multiply by 1e-8 before sending)"
)


def _close_approaches(items: object, sink: list[str] | None) -> tuple[CloseApproach, ...]:
    if type(items) is not list:
        raise RecordError("close_approaches", f"must be an array, got {jtype(items)}")
    if len(items) > MAX_CLOSE_APPROACHES:
        raise RecordError(
            "close_approaches", f"{len(items)} entries exceed the limit of {MAX_CLOSE_APPROACHES}"
        )
    return tuple(
        _close_approach(item, f"close_approaches[{k}]", sink) for k, item in enumerate(items)
    )


def _close_approach(c: object, where: str, sink: list[str] | None) -> CloseApproach:
    if type(c) is not dict:
        raise RecordError(where, f"must be an object, got {jtype(c)}")
    if c.keys() - _CA_KEYS:
        unknown(c, _CA_KEYS, where + ".", sink)
    get = c.get
    time = get("time")
    if time is None:
        raise RecordError(where + ".time", "required")
    string(time, where + ".time")
    try:
        time_jd = iso_to_jd(time)
    except FormatError as exc:
        raise RecordError(where + ".time", str(exc)) from None
    dist = ranged(required(get("dist_au"), where + ".dist_au"), where + ".dist_au", 0.0, MAX_AU)
    v_rel = optional(get("v_rel_kms"), where + ".v_rel_kms")
    if v_rel is not None:
        ranged(v_rel, where + ".v_rel_kms", 0.0, MAX_SPEED_KMS)
    v_inf = optional(get("v_inf_kms"), where + ".v_inf_kms")
    if v_inf is not None:
        ranged(v_inf, where + ".v_inf_kms", 0.0, MAX_SPEED_KMS)
    body = get("body")
    if body is None:
        body = "Earth"
    else:
        string(body, where + ".body")
    point = get("subpoint")
    subpoint = None if point is None else _subpoint(point, where + ".subpoint")
    return CloseApproach(time, time_jd, dist, v_rel, v_inf, body, subpoint)


def _subpoint(point: object, where: str) -> tuple[float, float]:
    if type(point) is not list or len(point) != 2:
        raise RecordError(where, "must be an array [lat_deg, lon_deg]")
    lat = ranged(required(point[0], where), where, -90.0, 90.0)
    lon = ranged(required(point[1], where), where, -360.0, 360.0)
    return (lat, normal_lon(lon))


def _observations(o: object, sink: list[str] | None) -> Observations:
    if type(o) is not dict:
        raise RecordError("observations", f"must be an object, got {jtype(o)}")
    if o.keys() - _OBS_KEYS:
        unknown(o, _OBS_KEYS, "observations.", sink)
        o = {k: v for k, v in o.items() if k in _OBS_KEYS}
    if len(o) != 1:
        raise RecordError("observations", "must hold exactly one of 'obs80' or 'ades'")
    ((source, rows),) = o.items()
    where = "observations." + source
    if type(rows) is not list:
        raise RecordError(where, f"must be an array, got {jtype(rows)}")
    if not rows:
        raise RecordError(where, "must hold at least one observation")
    if len(rows) > MAX_OBSERVATIONS:
        raise RecordError(where, f"{len(rows)} entries exceed the limit of {MAX_OBSERVATIONS}")
    arrays = parse_obs80_lines(rows, where) if source == "obs80" else parse_ades_rows(rows, where)
    return Observations(source, tuple(rows), *arrays)


_UNSET: Any = msgspec.UNSET


def _present(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: v for name in names if (v := getattr(obj, name)) is not None}


_ORBIT_FIELDS = Orbit.__struct_fields__[: Orbit.__struct_fields__.index("source")]
_PHYSICAL_FIELDS = Physical.__struct_fields__
_NONGRAV_FIELDS = NonGrav.__struct_fields__
_CA_FIELDS = CloseApproach.__struct_fields__
