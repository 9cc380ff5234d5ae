"""The ``neo.v1`` record contract declared once: typed msgspec structs with their bounds.

:func:`decode_typed` decodes a message straight into these structs, every type and per-field
range checked by msgspec in C, in one pass (the ADES rows included: no dict per row). What
spans fields (a and q with e, the mean anomaly of an ellipse, the covariance, times, the text
of strings, ``meta``, the observations' columns) is checked beside them, by
:func:`core.contract.records.decode_record`. The JSON Schema ``docs/schemas/neo.v1.schema.json``
is generated from :class:`Record` (``scripts/build_schemas.py``); a test holds it current.

These structs accept a subset of what :func:`core.contract.records.record_from_obj` accepts:
every field with its JSON type (a number for a float field, an integer for
``condition_code``, null where null counts as absent) and range, and no field the contract
does not know. For anything else (an unknown key, which a newer producer may send, another
ADES field, a wrong type or a value out of range, invalid JSON or UTF-8) :func:`decode_typed`
returns None and the caller reads the message with ``record_from_obj``, which drops and
reports unknown fields and words the error where users see it.

Adding a field: declare it here with its bounds, in the record type of
:mod:`core.contract.records` (whose validator reads its keys from there) and regenerate the
schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

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
    MAX_ROTATION_H,
    MAX_SPEED_KMS,
    MAX_STRING,
    MAX_TRAIL_ARCSEC,
)
from core.contract._obs_fast import ADES_RANGES
from core.contract.uncertainty import Covariance, FitFacts, OrbitSigma

__all__ = [
    "AdesRow",
    "Record",
    "TypedApproach",
    "TypedNonGrav",
    "TypedObservations",
    "TypedOrbit",
    "TypedPhysical",
    "TypedTrail",
    "decode_typed",
]

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


def _ades(key: str) -> Any:
    lo, hi = ADES_RANGES[key]  # the ADES bounds: one source for neo.v1 and neo.obs.v1
    return Annotated[float, msgspec.Meta(ge=lo, le=hi)]


_NAN = float("nan")


class AdesRow(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """One ADES optical observation (``observations.ades[i]``): the fields the features read.

    An absent optional number is NaN, a null one None (NaN once in the columns); defaults are
    not range-checked, values are."""

    obsTime: str  # noqa: N815  (the ADES field names)
    ra: _ades("ra")  # type: ignore[valid-type]
    dec: _ades("dec")  # type: ignore[valid-type]
    stn: str
    mag: _ades("mag") | None = _NAN  # type: ignore[valid-type]
    band: str | None = None
    rmsRA: _ades("rmsRA") | None = _NAN  # type: ignore[valid-type]  # noqa: N815
    rmsDec: _ades("rmsDec") | None = _NAN  # type: ignore[valid-type]  # noqa: N815


_Obs80Line = Annotated[str, msgspec.Meta(min_length=80, max_length=80)]


class TypedObservations(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """``observations``: 80-column lines or ADES rows (exactly one of them: checked beside)."""

    obs80: (
        Annotated[list[_Obs80Line], msgspec.Meta(min_length=1, max_length=MAX_OBSERVATIONS)] | None
    ) = None
    ades: (
        Annotated[list[AdesRow], msgspec.Meta(min_length=1, max_length=MAX_OBSERVATIONS)] | None
    ) = None


_UNSET: Any = msgspec.UNSET


_Designation = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_STRING)]


class Record(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """One ``neo.v1`` message, typed and range-checked field by field."""

    designation: _Designation
    orbit: TypedOrbit | None = None
    physical: TypedPhysical | None = None
    nongrav: TypedNonGrav | None = None
    close_approaches: (
        Annotated[list[TypedApproach], msgspec.Meta(max_length=MAX_CLOSE_APPROACHES)] | None
    ) = None
    observations: TypedObservations | None = None
    meta: msgspec.Raw = _UNSET  # any JSON object: decoded and checked beside
    trail: TypedTrail | None = None


_DECODER = msgspec.json.Decoder(Record)


def decode_typed(data: bytes) -> Record | None:
    """The typed message, or None where it is not one this path answers for."""
    try:
        return _DECODER.decode(data)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        # bad JSON or UTF-8, a wrong type or value, nesting deeper than msgspec reads
        return None
