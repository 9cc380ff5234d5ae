"""Typed decoding of ``neo.v1`` messages without observations (private).

Most messages carry an orbit, physical data and close approaches, and no observation block.
The reference path decodes such a message into dicts (orjson) and then checks every field in
Python: ~9 µs a message, ten times the JSON parse. Here msgspec decodes the message straight
into typed structs and checks the types and the per-field ranges in C (~0.5 µs); what depends
on several fields (a, q and e, the mean anomaly of an ellipse), the text fields and ``meta``
are then checked in Python by :func:`core.contract.records.decode_record`, with the reference path's
own functions.

The structs accept a subset of what the reference accepts: every top-level key but
``observations``, every field of the contract with its JSON type (a number for a float field,
an integer for ``condition_code``, null where the reference takes null for absent) and range.
For anything else (an observation block, an unknown key, a wrong type or a value out of range,
invalid JSON or UTF-8) :func:`decode_typed` returns None and the caller takes the reference
path, which also words the error.

The ranges are the reference's: ``tests/unit/core/contract/test_record_fast.py`` holds the two to
the same records on the sample stream, hand-picked edge cases and generated hostile messages.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from core.contract._checks import (
    H_RANGE,
    MAX_ABS_NUMBER,
    MAX_AU,
    MAX_DIAMETER_KM,
    MAX_ECCENTRICITY,
    MAX_JD,
    MAX_NONGRAV,
    MAX_ROTATION_H,
    MAX_SPEED_KMS,
    MAX_TRAIL_ARCSEC,
)
from core.contract.uncertainty import Covariance, FitFacts, OrbitSigma

__all__ = ["TypedMessage", "TypedTrail", "decode_typed"]

# (ge/gt, le): a float field of the contract, both ends as the reference checks them
_Number = Annotated[float, msgspec.Meta(ge=-MAX_ABS_NUMBER, le=MAX_ABS_NUMBER)]
_Eccentricity = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_ECCENTRICITY)]
_Inclination = Annotated[float, msgspec.Meta(ge=0.0, le=180.0)]
_Angle = Annotated[float, msgspec.Meta(ge=0.0, le=360.0)]
_Perihelion = Annotated[float, msgspec.Meta(gt=0.0, le=MAX_AU)]
_Distance = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_AU)]
_Epoch = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_JD)]
_Condition = Annotated[int, msgspec.Meta(ge=0, le=9)]
_H = Annotated[float, msgspec.Meta(ge=H_RANGE[0], le=H_RANGE[1])]
_Diameter = Annotated[float, msgspec.Meta(gt=0.0, le=MAX_DIAMETER_KM)]
_Albedo = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]
_Rotation = Annotated[float, msgspec.Meta(gt=0.0, le=MAX_ROTATION_H)]
_NonGrav = Annotated[float, msgspec.Meta(ge=-MAX_NONGRAV, le=MAX_NONGRAV)]
_NonGravSigma = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_NONGRAV)]
_Speed = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_SPEED_KMS)]
_Latitude = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
_Longitude = Annotated[float, msgspec.Meta(ge=-360.0, le=360.0)]
_TrailLength = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_TRAIL_ARCSEC)]


class TypedOrbit(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    e: _Eccentricity
    i_deg: _Inclination
    a_au: _Number | None = None
    q_au: _Perihelion | None = None
    node_deg: _Angle | None = None
    peri_deg: _Angle | None = None
    M_deg: _Number | None = None
    epoch_jd: _Epoch | None = None
    moid_au: _Distance | None = None
    condition_code: _Condition | None = None
    source: Literal["given", "fit"] | None = None
    # declared once in core.contract.uncertainty, decoded here straight into the record's types
    sigma: OrbitSigma | None = None
    covariance: Covariance | None = None
    fit: FitFacts | None = None


class TypedPhysical(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    H: _H | None = None
    diameter_km: _Diameter | None = None
    albedo: _Albedo | None = None
    rot_per_h: _Rotation | None = None
    spectral_type: str | None = None


class TypedNonGrav(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    A1: _NonGrav | None = None
    A2: _NonGrav | None = None
    A3: _NonGrav | None = None
    A1_sigma: _NonGravSigma | None = None
    A2_sigma: _NonGravSigma | None = None
    A3_sigma: _NonGravSigma | None = None


class TypedApproach(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    time: str
    dist_au: _Distance
    v_rel_kms: _Speed | None = None
    v_inf_kms: _Speed | None = None
    body: str | None = None
    subpoint: tuple[_Latitude, _Longitude] | None = None


class TypedTrail(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    length_arcsec: _TrailLength | None = None
    angle_deg: _Longitude | None = None
    streak: bool | None = None
    glint: bool | None = None


_UNSET: Any = msgspec.UNSET


class TypedMessage(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """A message without observations, typed and range-checked field by field."""

    designation: str
    orbit: TypedOrbit | None = None
    physical: TypedPhysical | None = None
    nongrav: TypedNonGrav | None = None
    close_approaches: list[TypedApproach] | None = None
    meta: msgspec.Raw = _UNSET  # any JSON: decoded and checked as the reference does
    trail: TypedTrail | None = None


_DECODER = msgspec.json.Decoder(TypedMessage)


def decode_typed(data: bytes) -> TypedMessage | None:
    """The typed message, or None where it is not one this path answers for."""
    try:
        return _DECODER.decode(data)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        # bad JSON or UTF-8, a wrong type or value, nesting deeper than msgspec reads
        return None
