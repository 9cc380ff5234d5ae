"""Decoding of ``neo.v1`` messages that carry ADES rows, without a dict per row (private).

A message with a few hundred ADES rows spent most of its decode time building a Python dict
for every row (orjson) and then reading the dicts column by column: 700 µs for ~430 rows, 75 %
of it after the JSON parse. Here msgspec decodes the rows straight into typed structs and
checks their types and ranges in C; the columns are read from the structs. The rest of the
message is decoded by orjson, as :func:`core.contract.records.decode_record` does, and validated by
the same code.

This path only ever answers for messages it fully understands: rows holding only the fields
the features read, every value of the right type and in range (null only where an optional
field may be absent). For anything else (another ADES field, a missing, null or mistyped
required value, a value out of range, 80-column observations, an unknown key, invalid JSON)
:func:`decode_ades_message` returns None and the caller takes the reference path, which also
words the error. So it accepts a subset of what the reference accepts, and gives the same
record.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import numpy as np
import orjson

from core.contract import _obs_fast
from core.contract._checks import MAX_OBSERVATIONS
from core.contract._obs_fast import ADES_RANGES, Columns
from core.contract.observations import ades_time_jd

__all__ = ["decode_ades_message"]


def _ranged(key: str) -> Any:
    lo, hi = ADES_RANGES[key]
    return Annotated[float, msgspec.Meta(ge=lo, le=hi)]


_NAN = float("nan")


class _Row(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    # An absent optional number is NaN, as in the reference; a null one is None here (NaN
    # once in the array). Defaults are not range-checked, values are.
    obsTime: str  # noqa: N815  (the ADES field names)
    ra: _ranged("ra")  # type: ignore[valid-type]
    dec: _ranged("dec")  # type: ignore[valid-type]
    stn: str
    mag: _ranged("mag") | None = _NAN  # type: ignore[valid-type]
    band: str | None = None
    rmsRA: _ranged("rmsRA") | None = _NAN  # type: ignore[valid-type]  # noqa: N815
    rmsDec: _ranged("rmsDec") | None = _NAN  # type: ignore[valid-type]  # noqa: N815


class _Observations(msgspec.Struct, forbid_unknown_fields=True):
    ades: list[_Row]


_UNSET: Any = msgspec.UNSET


class _Message(msgspec.Struct, forbid_unknown_fields=True):
    # every top-level key of the contract; all but the observations stay raw JSON for orjson
    observations: _Observations
    designation: msgspec.Raw = _UNSET
    orbit: msgspec.Raw = _UNSET
    physical: msgspec.Raw = _UNSET
    nongrav: msgspec.Raw = _UNSET
    close_approaches: msgspec.Raw = _UNSET
    meta: msgspec.Raw = _UNSET
    trail: msgspec.Raw = _UNSET


# One pass over the message: the rows are decoded where they stand (a first pass that kept
# them as raw JSON and a second that decoded it was slower).
_MESSAGE = msgspec.json.Decoder(_Message)
_OTHER_KEYS = tuple(key for key in _Message.__struct_fields__ if key != "observations")


def decode_ades_message(data: bytes) -> tuple[dict[str, Any], Columns] | None:
    """``(obj, columns)`` of a message with ADES observations, or None.

    ``obj`` is the message as orjson decodes it, without ``observations``; ``columns`` the
    observation columns of its ADES rows, as :func:`core.contract.observations.parse_ades_rows`
    gives them for the same rows.
    """
    try:
        message = _MESSAGE.decode(data)
        rows = message.observations.ades
        obj = {
            key: orjson.loads(memoryview(raw))
            for key in _OTHER_KEYS
            if (raw := getattr(message, key)) is not _UNSET
        }
    except (msgspec.MsgspecError, ValueError):  # invalid UTF-8, JSON or rows: the reference
        return None  # path decodes the message again and words the error
    if not rows or len(rows) > MAX_OBSERVATIONS:
        return None
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
    return None if columns is None else (obj, columns)
