"""The uncertainty blocks of ``neo.v1``: ``orbit.sigma``, ``orbit.covariance``, ``orbit.fit``.

Each block is declared once, here, as a typed msgspec struct with its constraints
(``msgspec.Meta`` bounds). Both decoders of :mod:`core.contract.records` use these declarations: the
typed path decodes a message straight into them (msgspec checks the types and bounds in C), the
reference path converts the block's dict with :func:`convert_block`, which words msgspec's
complaint as a :class:`~core.errors.RecordError` naming the field. What depends on several
fields (a square, symmetric covariance) is :func:`check_covariance`, called by both.

Units are those of the element (``docs/schema.md``, section "Orbit uncertainty and fit").
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

import msgspec

from core.contract._checks import (
    MAX_ABS_NUMBER,
    MAX_AU,
    MAX_JD,
    MAX_SPEED_KMS,
    jtype,
    string,
    unknown,
)
from core.contract._errors import validation_error
from core.errors import RecordError

__all__ = [
    "COVARIANCE_RTOL",
    "MAX_COUNT",
    "MAX_COVARIANCE_PARAMS",
    "Covariance",
    "FitFacts",
    "OrbitSigma",
    "check_covariance",
    "convert_block",
]

MAX_COVARIANCE_PARAMS = 16
"""Most parameters of a covariance (6 elements, A1-A3 and some to spare)."""
COVARIANCE_RTOL = 1e-6
"""Tolerance of the symmetry and correlation checks, relative to sqrt(C_ii C_jj)."""
MAX_COUNT = 1_000_000_000
"""Largest observation or night count in ``orbit.fit``."""

_Sigma = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_ABS_NUMBER)]
_Number = Annotated[float, msgspec.Meta(ge=-MAX_ABS_NUMBER, le=MAX_ABS_NUMBER)]
_Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
_Name = Annotated[str, msgspec.Meta(min_length=1)]
_Row = Annotated[tuple[_Number, ...], msgspec.Meta(max_length=MAX_COVARIANCE_PARAMS)]


class OrbitSigma(
    msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True, omit_defaults=True
):
    """1-sigma uncertainty of each element of ``orbit``, in the element's unit; each >= 0."""

    a_au: _Sigma | None = None
    q_au: _Sigma | None = None
    e: _Sigma | None = None
    i_deg: _Sigma | None = None
    node_deg: _Sigma | None = None
    peri_deg: _Sigma | None = None
    M_deg: _Sigma | None = None


class Covariance(
    msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True, omit_defaults=True
):
    """Covariance matrix of the named parameters (square, symmetric; units of the parameters:
    element names as in ``orbit``, ``A1``/``A2``/``A3`` in au/d^2)."""

    params: Annotated[
        tuple[_Name, ...], msgspec.Meta(min_length=1, max_length=MAX_COVARIANCE_PARAMS)
    ]
    matrix: Annotated[tuple[_Row, ...], msgspec.Meta(max_length=MAX_COVARIANCE_PARAMS)]


class FitFacts(
    msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True, omit_defaults=True
):
    """Facts of the least-squares fit behind an ``orbit.source = "fit"`` orbit; all optional."""

    rms_arcsec: _Sigma | None = None
    n_used: _Count | None = None
    n_rejected: _Count | None = None
    arc_days: Annotated[float, msgspec.Meta(ge=0.0, le=MAX_JD)] | None = None
    nights: _Count | None = None
    bound_to_earth: bool | None = None
    min_geo_dist_au: Annotated[float, msgspec.Meta(ge=0.0, le=MAX_AU)] | None = None
    v_inf_kms: Annotated[float, msgspec.Meta(ge=0.0, le=MAX_SPEED_KMS)] | None = None
    # issue 28: a tracklet's verdict, the trial orbits through the Earth/Moon, a failure's cause
    geocentric_score: Annotated[float, msgspec.Meta(ge=0.0, le=100.0)] | None = None
    distance_min_au: Annotated[float, msgspec.Meta(ge=0.0, le=MAX_AU)] | None = None
    distance_max_au: Annotated[float, msgspec.Meta(ge=0.0, le=MAX_AU)] | None = None
    n_through_body: _Count | None = None
    failed: Annotated[str, msgspec.Meta(max_length=500)] | None = None


_T = TypeVar("_T", OrbitSigma, Covariance, FitFacts)
_FIELDS: dict[type[Any], frozenset[str]] = {
    cls: frozenset(cls.__struct_fields__) for cls in (OrbitSigma, Covariance, FitFacts)
}


def convert_block(value: object, cls: type[_T], where: str, sink: list[str] | None) -> _T:
    """``value`` (a decoded JSON object) as ``cls``, checked against its declaration.

    Keys ``cls`` does not declare are dropped, their paths appended to ``sink`` (see
    :func:`core.contract._checks.unknown`).

    Raises
    ------
    RecordError
        ``value`` is not an object, or holds a value of the wrong type or out of bounds, or
        lacks a required one; ``field`` is ``where`` plus the path msgspec reports.
    """
    if type(value) is not dict:
        raise RecordError(where, f"must be an object, got {jtype(value)}")
    fields = _FIELDS[cls]
    if value.keys() - fields:
        unknown(value, fields, where + ".", sink)
        value = {k: v for k, v in value.items() if k in fields}
    try:
        return msgspec.convert(_plain(value), cls)
    except msgspec.ValidationError as exc:
        raise validation_error(exc, where) from None


def check_covariance(cov: Covariance, where: str) -> Covariance:
    """Check what the declaration cannot: distinct names, an n x n matrix for n names, a
    non-negative diagonal, symmetry and correlations within [-1, 1] (each to
    :data:`COVARIANCE_RTOL` of sqrt(C_ii C_jj)).

    Raises
    ------
    RecordError
        At the first problem, ``field`` under ``where``.
    """
    params = cov.params
    n = len(params)
    for k, name in enumerate(params):
        string(name, f"{where}.params[{k}]")
    if len(set(params)) != n:
        raise RecordError(where + ".params", "names must be distinct")
    matrix = cov.matrix
    if len(matrix) != n or any(len(row) != n for row in matrix):
        raise RecordError(where + ".matrix", f"must be a {n} x {n} array, one row per param")
    for k in range(n):
        if not matrix[k][k] >= 0.0:
            raise RecordError(f"{where}.matrix[{k}][{k}]", "a variance must be >= 0")
    sigmas = [math.sqrt(matrix[k][k]) for k in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            bound = sigmas[i] * sigmas[j]  # |C_ij| <= sigma_i sigma_j (Cauchy-Schwarz)
            scale = COVARIANCE_RTOL * bound
            if abs(matrix[i][j] - matrix[j][i]) > scale:
                raise RecordError(f"{where}.matrix[{i}][{j}]", "not symmetric")
            if abs(matrix[i][j]) > bound + scale:
                raise RecordError(f"{where}.matrix[{i}][{j}]", "correlation beyond [-1, 1]")
    return cov


def _plain(value: Any) -> Any:
    # numbers as the reference walker takes them (core.contract._checks.number): a float or int
    # subclass (numpy.float64, an IntEnum) as the builtin it is; msgspec takes only exact types
    kind = type(value)
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    if kind is not float and isinstance(value, float):
        return float(value)
    if kind is not int and isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value
