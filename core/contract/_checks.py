"""Limits and checks of the ``neo.v1`` validator (private to :mod:`core`): the scalar checks,
and the cross-field ones that the reference validator and the typed path of
:mod:`core.contract.records` share (an orbit's semi-major axis and perihelion, a longitude's range).

The limits are re-exported by :mod:`core.contract.records` and documented in ``docs/schema.md``.
Checks are written as ``not lo <= x <= hi`` so that NaN fails them too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.errors import RecordError

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
MAX_TRAIL_ARCSEC = 1e6  # a trail's length: far beyond any field of view
"""Largest |A1|, |A2|, |A3| in au/d^2: solar gravity at 1 au is 3e-4 au/d^2, so larger values
mean a unit error (e.g. MPC's 1e-8 au/d^2 units given as au/d^2)."""
MAX_SPEED_KMS = 299_792.458
"""Speeds above the speed of light are rejected."""
MAX_CLOSE_APPROACHES = 100_000
MAX_OBSERVATIONS = 100_000
"""Most obs80 lines or ADES rows in one record (the full history of (433) Eros is ~19,000 lines)."""
MAX_STRING = 256
"""Longest designation, body, spectral type or time string."""
MAX_META_DEPTH = 64
"""Deepest nesting inside ``meta`` (orjson itself stops encoding at 255)."""
AQ_TOLERANCE = 1e-2
"""Largest relative mismatch between a given q_au and a_au·(1 - e) when both are given."""
INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1
"""Integers orjson can encode."""


def number(value: object, where: str) -> float:
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
        raise RecordError(where, f"magnitude exceeds {MAX_ABS_NUMBER:g}: {short(value)}")
    raise RecordError(where, f"must be a number, got {jtype(value)}")


def required(value: object, where: str) -> float:
    if value is None:
        raise RecordError(where, "required")
    return number(value, where)


def optional(value: object, where: str) -> float | None:
    return None if value is None else number(value, where)


def ranged(value: float, where: str, lo: float, hi: float) -> float:
    if not lo <= value <= hi:
        raise RecordError(where, f"must be within [{lo:g}, {hi:g}], got {value!r}")
    return value


def string(value: object, where: str) -> str:
    if type(value) is not str:
        raise RecordError(where, f"must be a string, got {jtype(value)}")
    if not value.strip():
        raise RecordError(where, "must not be empty")
    if len(value) > MAX_STRING:
        raise RecordError(where, f"longer than {MAX_STRING} characters")
    if not encodable(value):
        raise RecordError(where, "not valid Unicode (lone surrogate)")
    return value


def encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (Python strings may hold lone surrogates that
    JSON cannot carry); the ASCII test makes the common case cheap."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scalar(value: object) -> bool:
    """Whether ``value`` is a JSON scalar orjson encodes back unchanged (so that
    ``content_hash`` never fails): a string, finite number, boolean or None."""
    kind = type(value)
    if kind is str:
        return len(value) <= MAX_STRING and encodable(value)  # type: ignore[arg-type]
    if kind is float:
        return -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER  # type: ignore[operator]
    if kind is int:
        return INT64_MIN <= value <= UINT64_MAX  # type: ignore[operator]
    return value is None or kind is bool


def key_name(key: object) -> str:
    """``key`` as it appears in a field path: plain when printable, else its repr."""
    if type(key) is str and key and key.isprintable() and len(key) <= MAX_STRING:
        return key
    return short(key)


def check_json(value: object, where: str, depth: int) -> None:
    """Raise :class:`RecordError` at the first value in ``value`` (at nesting ``depth``) that
    is not plain JSON orjson encodes back unchanged, ``where`` being its path."""
    if json_ok(value, depth):
        return
    _first_problem(value, where, depth)  # raises, naming the field
    raise RecordError(where, "not a plain JSON value")  # the two never disagree (tested)


def json_ok(value: object, depth: int) -> bool:
    """Whether :func:`check_json` accepts ``value``: the same checks, without building the
    path of every member (cheaper: docs/performance.md, "Design measurements of the daemon's
    hot path")."""
    if depth > MAX_META_DEPTH:
        return False
    kind = type(value)
    if kind is str:
        return encodable(value)  # type: ignore[arg-type]
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str or not encodable(key) or not json_ok(item, depth + 1):
                return False
        return True
    if kind is list:
        return all(json_ok(item, depth + 1) for item in value)  # type: ignore[attr-defined]
    if kind is int:
        return INT64_MIN <= value <= UINT64_MAX  # type: ignore[operator]
    if kind is float:
        return -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER  # type: ignore[operator]
    return value is None or kind is bool


def _first_problem(value: object, where: str, depth: int) -> None:
    if depth > MAX_META_DEPTH:
        raise RecordError(where, f"nested deeper than {MAX_META_DEPTH} levels")
    kind = type(value)
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str or not encodable(key):
                raise RecordError(where, f"keys must be strings, got {short(key)}")
            _first_problem(item, f"{where}.{key_name(key)}", depth + 1)
    elif kind is list:
        for k, item in enumerate(value):  # type: ignore[arg-type]
            _first_problem(item, f"{where}[{k}]", depth + 1)
    elif kind is int:
        if not INT64_MIN <= value <= UINT64_MAX:  # type: ignore[operator]
            raise RecordError(where, "integer outside the 64-bit range")
    elif kind is float:
        if not -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER:  # type: ignore[operator]
            raise RecordError(where, f"must be a finite number, got {value!r}")
    elif kind is str:
        if not encodable(value):  # type: ignore[arg-type]
            raise RecordError(where, "not valid Unicode (lone surrogate)")
    elif value is not None and kind is not bool:
        raise RecordError(where, f"must hold JSON values only, got {kind.__name__}")


def unknown(
    obj: Mapping[Any, Any], allowed: frozenset[str], prefix: str, sink: list[str] | None
) -> None:
    """Note the keys of ``obj`` not in ``allowed`` (a newer producer's added fields): their
    paths, sorted, are appended to ``sink`` when one is given. The fields are not an error:
    the validators read only the keys they know, so the others are dropped."""
    if sink is not None:
        sink.extend(sorted(prefix + key_name(k) for k in obj if k not in allowed))


def jtype(value: object) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_JSON_NAMES = {
    bool: "boolean", int: "number", float: "number", str: "string", list: "array",
    dict: "object", type(None): "null",
}  # fmt: skip


# --- checks shared by the reference validator and the typed path (core.contract.records) ----------


def semi_axes(e: float, a: float | None, q: float | None) -> tuple[float | None, float | None]:
    """``(a_au, q_au)`` of an orbit of eccentricity ``e``: for e < 1 the one not given is
    filled in, and a pair given together must agree (``q`` is already range-checked).

    Raises
    ------
    RecordError
        The values do not describe an orbit of that eccentricity.
    """
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
    return a, q


def _check_aq(a: float, q: float, e: float) -> None:
    implied = a * (1.0 - e)
    if abs(q - implied) > AQ_TOLERANCE * q:
        raise RecordError("orbit.q_au", f"{q!r} disagrees with a_au*(1 - e) = {implied:.6g}")


def normal_lon(lon: float) -> float:
    """A longitude in [-360, 360] as the same one in [-180, 180)."""
    if not -180.0 <= lon < 180.0:  # normalise only when needed so the result is stable
        lon = (lon + 180.0) % 360.0 - 180.0
        if lon >= 180.0:
            lon = -180.0
    return lon
