"""The declaration of neo.v1 (core/contract/neo_v1.py), for messages with ADES rows, gives what
the reference path (orjson + record_from_obj) gives, or hands over to it.

``decode_record`` takes the fast path when it can; the reference is
``record_from_obj(orjson.loads(data))``. For every message below both must agree on the
outcome: the same record (arrays bit for bit, NaN included) or the same error (field and
reason). Where the fast path answers at all, the reference must accept the message.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract import records
from core.contract.neo_v1 import decode_typed
from core.contract.records import (
    NeoRecord,
    content_hash,
    decode_record,
    record_from_obj,
    record_to_obj,
)
from core.errors import RecordError

SAMPLE = Path(__file__).parents[4] / "data" / "sample_stream.jsonl.gz"
_ARRAYS = ("time_jd", "ra_deg", "dec_deg", "mag", "rms_ra_arcsec", "rms_dec_arcsec")

ROWS = [
    {"obsTime": "2000-12-22T09:07:26.688Z", "ra": 133.35717, "dec": 13.99581, "stn": "699"},
    {"obsTime": "2001-01-03T08:58:50.88Z", "ra": 131.99225, "dec": 14.84169, "stn": "704",
     "rmsRA": 0.5, "rmsDec": 0.4},
    {"obsTime": "2001-01-03T09:20:40Z", "ra": 131, "dec": -14, "stn": "G96", "mag": 19.5,
     "band": "V"},
]  # fmt: skip


def _message(rows: list[dict[str, Any]] | None = None, **top: Any) -> bytes:
    obj: dict[str, Any] = {"designation": "2001 AB", "observations": {"ades": rows or ROWS}}
    obj.update(top)
    return orjson.dumps(obj)


def _outcome(decode: Any, data: bytes) -> tuple[Any, ...]:
    try:
        return ("record", decode(data))
    except RecordError as exc:
        return ("error", exc.field, exc.reason)


def _reference(data: bytes) -> NeoRecord:
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RecordError("$", f"invalid JSON: {exc}") from None
    return record_from_obj(obj)


def _assert_same(fast: NeoRecord, ref: NeoRecord) -> None:
    assert fast == ref
    a, b = fast.observations, ref.observations
    if a is None or b is None:
        assert a is b
        return
    for name in _ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert np.array_equal(x, y, equal_nan=True), name
        assert np.array_equal(np.signbit(x), np.signbit(y)), name  # -0.0 stays -0.0
        assert not x.flags.writeable, name
    assert (a.band, a.station, a.raw) == (b.band, b.station, b.raw)
    assert hash(a) == hash(b)
    assert record_to_obj(fast) == record_to_obj(ref)
    assert content_hash(fast) == content_hash(ref)


def _check(data: bytes) -> bool:
    """Both paths agree on ``data``; returns whether the fast path answered."""
    typed = decode_typed(data)
    answered = typed is not None and records._typed_record(typed, data) is not None
    got, want = _outcome(decode_record, data), _outcome(_reference, data)
    assert got[0] == want[0], (got, want)
    if want[0] == "record":
        _assert_same(got[1], want[1])
    else:
        assert got == want
        assert not (answered and got[1].startswith("observations")), "it accepted bad rows"
    return answered


def test_every_ades_record_of_the_sample_stream_takes_the_fast_path_and_decodes_the_same() -> None:
    lines = gzip.decompress(SAMPLE.read_bytes()).splitlines()
    ades = [line for line in lines if b'"ades"' in line]
    assert len(ades) >= 100
    assert all(_check(line) for line in ades)


def _row(i: int, **change: Any) -> list[dict[str, Any]]:
    rows = [dict(r) for r in ROWS]
    rows[i].update(change)
    return [{k: v for k, v in r.items() if v is not _DROP} for r in rows]


_DROP = object()

ANSWERED = {
    "plain": _message(),
    "boundaries": _message(_row(0, ra=360.0, dec=-90.0, rmsRA=0.0, rmsDec=1e6, mag=-30.0)),
    "negative zero": _message(_row(0, ra=-0.0, dec=-0.0)),
    "integers": _message(_row(1, ra=12, dec=0, rmsRA=1)),
    "null optional numbers": _message(_row(2, mag=None, rmsRA=None, band=None)),
    "other iso shapes": _message(_row(0, obsTime="2000-12-22T09:07:26.6Z")),
    "with orbit and meta": _message(
        orbit={"a_au": 1.5, "e": 0.2, "i_deg": 3.0}, meta={"ades": ["x"], "n": 1}
    ),
    "null parts": _message(orbit=None, meta=None),
    "duplicate row key, last wins": _message().replace(b'"ra":133.35717', b'"ra":1,"ra":2.5'),
}

HANDED_OVER = {
    "another ADES field": _message(_row(0, mode="CCD", prog="01")),
    "a nested field": _message(_row(1, extra={"a": 1})),
    "ra above range": _message(_row(0, ra=360.0001)),
    "dec below range": _message(_row(2, dec=-90.5)),
    "mag out of range": _message(_row(2, mag=41.0)),
    "negative rms": _message(_row(1, rmsRA=-1.0)),
    "boolean number": _message(_row(0, ra=True)),
    "string number": _message(_row(0, dec="12.5")),
    "null required": _message(_row(0, ra=None)),
    "missing required": _message(_row(1, stn=_DROP)),
    "blank station": _message(_row(1, stn="  ")),
    "numeric station": _message(_row(1, stn=699)),
    "long station": _message(_row(1, stn="x" * 300)),
    "numeric band": _message(_row(2, band=5)),
    "bad time": _message(_row(0, obsTime="2000-13-01T00:00:00Z")),
    "numeric time": _message(_row(0, obsTime=5)),
    "empty rows": _message().replace(orjson.dumps(ROWS), b"[]"),
    "rows not a list": _message().replace(orjson.dumps(ROWS), b"null"),
    "both kinds": _message().replace(b'{"ades":', b'{"obs80":["x"],"ades":'),
    "unknown top-level key": _message(colour="red"),
    "trailing garbage": _message() + b" x",
    "truncated": _message()[:-5],
    "huge number": _message().replace(b'"ra":133.35717', b'"ra":1e400'),
}


@pytest.mark.parametrize("name", sorted(ANSWERED))
def test_messages_the_fast_path_answers_decode_as_the_reference_does(name: str) -> None:
    assert _check(ANSWERED[name]), f"{name}: expected the fast path to answer"


@pytest.mark.parametrize("name", sorted(HANDED_OVER))
def test_messages_it_does_not_answer_get_the_reference_outcome(name: str) -> None:
    assert not _check(HANDED_OVER[name]), f"{name}: expected a hand-over"


# valid rows in a record rejected elsewhere: worded as the reference words it
REJECTED_ELSEWHERE = {
    "bad designation": _message(designation=5),
    "bad orbit": _message(orbit={"a_au": -1.0, "e": 0.2, "i_deg": 3.0}),
    "deep meta": _message().replace(
        b'"designation"', b'"meta":' + b'{"a":' * 80 + b"1" + b"}" * 80 + b',"designation"'
    ),
    "orbit not an object": _message(orbit=[1, 2]),
}


@pytest.mark.parametrize("name", sorted(REJECTED_ELSEWHERE))
def test_a_record_rejected_outside_its_rows_gets_the_reference_error(name: str) -> None:
    data = REJECTED_ELSEWHERE[name]
    _check(data)  # the declaration hands it over or agrees
    assert _outcome(decode_record, data)[0] == "error"


def test_raw_rows_are_decoded_only_when_asked_for() -> None:
    rec = decode_record(_message())
    obs = rec.observations
    assert obs is not None and type(obs.given) is bytes  # the daemon never decodes them
    assert obs.raw == tuple(ROWS)
    assert type(obs.given) is tuple and obs.raw is obs.given  # decoded once


_values = st.one_of(
    st.sampled_from([0.0, -0.0, 360.0, 360.0001, -90.0, 90.0, 1e6, 1e6 + 1, -30.0, 40.0, 41.0]),
    st.floats(-400.0, 400.0, allow_nan=False),
    st.integers(-400, 400),
    st.booleans(),
    st.none(),
    st.sampled_from(["2000-12-22T09:07:26.688Z", "2001-01-03T09:20:40Z", "2000-02-30T00:00:00Z",
                     "2000-12-22 09:07:26Z", "699", "G96", "  ", "", "V", "x" * 300, "\u00e9"]),
    st.dictionaries(st.sampled_from(["a"]), st.integers(-9, 9), max_size=1),
)  # fmt: skip
_keys = st.sampled_from(["obsTime", "ra", "dec", "stn", "mag", "band", "rmsRA", "rmsDec", "mode"])
_valid_row = st.fixed_dictionaries(
    {
        "obsTime": st.sampled_from(["2000-12-22T09:07:26.688Z", "2001-01-03T09:20:40Z"]),
        "ra": st.floats(0.0, 360.0),
        "dec": st.floats(-90.0, 90.0),
        "stn": st.sampled_from(["699", "G96", "I41"]),
    },
    optional={"mag": st.floats(-30.0, 40.0), "rmsRA": st.floats(0.0, 1e6), "band": st.just("V")},
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_valid_row, min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), _keys, _values), max_size=3),
)
def test_hostile_rows_decode_as_the_reference_decodes_them(
    rows: list[dict[str, Any]], changes: list[tuple[int, str, Any]]
) -> None:
    for i, key, value in changes:
        rows[i % len(rows)][key] = value
    _check(_message(rows))


def test_a_message_with_a_trail_takes_the_fast_path_and_decodes_the_same() -> None:
    # trail was missing from the fast path's top-level keys: such messages went the slow way
    data = _message(trail={"length_arcsec": 12.5, "angle_deg": -30.0, "streak": True})
    assert _check(data)
    assert decode_record(data).trail is not None


def test_the_declaration_knows_every_top_level_key_of_the_record() -> None:
    from core.contract.neo_v1 import Record

    assert set(Record.__struct_fields__) == set(NeoRecord.__struct_fields__)
