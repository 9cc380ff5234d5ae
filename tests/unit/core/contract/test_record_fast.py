"""The declaration of neo.v1 (core/contract/neo_v1.py), for messages without observations,
gives exactly what the reference path (orjson + record_from_obj) gives, or hands over to it.

For every message below ``decode_record`` must answer as it does with the typed path switched
off: the same record (compared as records and as canonical JSON bytes, so 1 and 1.0 or 0.0
and -0.0 would differ) or the same error (field and reason). And the typed path must really
answer for the valid messages, or these comparisons would test the reference against itself.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract import records
from core.contract.neo_v1 import decode_typed
from core.contract.records import NeoRecord, content_hash, decode_record, record_to_obj
from core.errors import RecordError

SAMPLE = Path(__file__).parents[4] / "data" / "sample_stream.jsonl.gz"

ORBIT = {"a_au": 1.3, "e": 0.3, "i_deg": 2.5, "node_deg": 10.0, "peri_deg": 20.0}
APPROACH = {"time": "2029-04-13T21:46:00Z", "dist_au": 0.00025, "v_rel_kms": 7.42}


@contextmanager
def _reference_only() -> Iterator[None]:
    with mock.patch.object(records, "decode_typed", lambda data: None):
        yield


def _outcome(data: bytes) -> tuple[Any, ...]:
    try:
        rec = decode_record(data)
    except RecordError as exc:
        return ("error", exc.field, exc.reason)
    return ("record", rec, orjson.dumps(record_to_obj(rec), option=orjson.OPT_SORT_KEYS))


def _typed_answers(data: bytes) -> bool:
    typed = decode_typed(data)
    return typed is not None and records._typed_record(typed, data) is not None


def _assert_same(data: bytes) -> tuple[Any, ...]:
    got = _outcome(data)
    with _reference_only():
        want = _outcome(data)
    assert got == want
    if got[0] == "record":
        assert content_hash(got[1]) == content_hash(want[1])
    return got


def _message(**top: Any) -> bytes:
    obj: dict[str, Any] = {"designation": "2008 TC3"}
    obj.update(top)
    return orjson.dumps(obj)


def test_every_sample_record_without_observations_takes_the_typed_path_and_agrees() -> None:
    with gzip.open(SAMPLE) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    plain = [line for line in lines if b'"observations"' not in line]
    assert len(plain) > 3000
    for line in plain:
        assert _typed_answers(line), line[:200]
        assert _assert_same(line)[0] == "record"


# messages the typed path must answer for, each with the same record as the reference
VALID = {
    "orbit only": _message(orbit=ORBIT),
    "integers for floats": _message(orbit={"a_au": 2, "e": 0, "i_deg": 10, "epoch_jd": 2460000}),
    "negative zero": _message(orbit={**ORBIT, "node_deg": -0.0, "M_deg": -0.0}),
    "integer minus zero is zero": b'{"designation":"x","orbit":{"a_au":1.5,"e":-0,"i_deg":-0}}',
    "q only, ellipse": _message(orbit={"q_au": 0.9, "e": 0.5, "i_deg": 3.0}),
    "a and q agree": _message(orbit={"a_au": 2.0, "q_au": 1.0, "e": 0.5, "i_deg": 3.0}),
    "hyperbola": _message(
        orbit={"a_au": -1.0, "q_au": 2.36, "e": 3.36, "i_deg": 44.0, "M_deg": 9000.0}
    ),
    "parabola": _message(orbit={"q_au": 1.0, "e": 1.0, "i_deg": 90.0}),
    "nulls are absent": _message(
        orbit={**ORBIT, "moid_au": None, "condition_code": None},
        physical=None,
        nongrav=None,
        close_approaches=None,
        meta=None,
    ),
    "condition code": _message(orbit={**ORBIT, "condition_code": 9}),
    "integer above 2**53, rounded as float() rounds it": _message(
        orbit={"q_au": 2.0, "e": 1.5, "i_deg": 10.0, "M_deg": 2**53 + 1}
    ),
    "edges of ranges": _message(
        orbit={
            "a_au": 1e6,
            "e": 0.0,
            "i_deg": 180.0,
            "node_deg": 360.0,
            "peri_deg": 0.0,
            "M_deg": -360.0,
            "epoch_jd": 0.0,
            "moid_au": 1e6,
        },
        physical={"H": -10.0, "diameter_km": 1e5, "albedo": 1.0, "rot_per_h": 1e6},
        nongrav={"A1": -1e-3, "A2": 1e-3, "A3": 0},
    ),
    "physical": _message(
        physical={
            "H": 22.1,
            "diameter_km": 0.34,
            "albedo": 0.3,
            "rot_per_h": 30.4,
            "spectral_type": "Sq",
        }
    ),
    "empty blocks": _message(physical={}, nongrav={}, close_approaches=[]),
    "fitted orbit with its uncertainty": _message(
        orbit={
            **ORBIT,
            "source": "fit",
            "sigma": {"a_au": 1e-8, "e": 0, "M_deg": 2},
            "covariance": {"params": ["a_au", "e"], "matrix": [[1e-16, -1e-17], [-1e-17, 4e-18]]},
            "fit": {"rms_arcsec": 0.5, "n_used": 12, "nights": 3, "bound_to_earth": True},
        },
        nongrav={"A1": 1e-12, "A1_sigma": 2e-13, "A2_sigma": None},
    ),
    "empty uncertainty blocks": _message(
        orbit={**ORBIT, "source": "given", "sigma": {}, "fit": {}}
    ),
    "close approaches": _message(
        close_approaches=[
            APPROACH,
            {**APPROACH, "body": "Moon", "v_inf_kms": 5, "subpoint": [10.5, 190.0]},
            {**APPROACH, "time": "2029-04-13T21:46:00.123456Z", "subpoint": [-90, -360]},
            {**APPROACH, "subpoint": [0.0, 180.0], "body": None},
            {**APPROACH, "subpoint": [0.0, -180.0]},
        ]
    ),
    "meta": _message(meta={"source": "sbdb", "tags": [1, 2.5, None, True, {"k": "é"}]}),
    "empty meta": _message(meta={}),
    "meta integer beyond 64 bits (a float, as orjson reads it)": b'{"designation":"x",'
    b'"meta":{"n":18446744073709551616}}',
    "duplicate keys: the last wins": b'{"designation":"a","orbit":{"e":0.1,"i_deg":1,'
    b'"a_au":1,"a_au":2},"designation":"b"}',
    "non-ASCII designation": _message(designation="(99942) Apophis – 2004 MN4"),
    "whitespace around": b' \n{"designation": "x", "orbit": {"a_au": 1.1, "e": 0.1, '
    b'"i_deg": 1}}\n ',
}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_messages_take_the_typed_path_and_agree(name: str) -> None:
    data = VALID[name]
    assert _typed_answers(data)
    assert _assert_same(data)[0] == "record"


# messages the typed path must hand over; the reference accepts some and words the others
HANDED_OVER = {
    "observations": _message(observations={"obs80": ["x" * 80]}),
    "unknown top-level key": _message(extra=1),
    "unknown orbit key": _message(orbit={**ORBIT, "w": 1}),
    "missing e": _message(orbit={"a_au": 1.0, "i_deg": 2.0}),
    "null e": _message(orbit={**ORBIT, "e": None}),
    "boolean for a number": _message(orbit={**ORBIT, "e": True}),
    "string for a number": _message(orbit={**ORBIT, "i_deg": "2.5"}),
    "float condition code": _message(orbit={**ORBIT, "condition_code": 3.0}),
    "condition code out of range": _message(orbit={**ORBIT, "condition_code": 10}),
    "e out of range": _message(orbit={**ORBIT, "e": 101}),
    "i out of range": _message(orbit={**ORBIT, "i_deg": 180.000001}),
    "q zero": _message(orbit={"q_au": 0.0, "e": 0.5, "i_deg": 1.0}),
    "a and q disagree": _message(orbit={"a_au": 2.0, "q_au": 1.5, "e": 0.5, "i_deg": 3.0}),
    "no a or q": _message(orbit={"e": 0.5, "i_deg": 3.0}),
    "a with a parabola": _message(orbit={"a_au": 1.0, "q_au": 1.0, "e": 1.0, "i_deg": 3.0}),
    "positive a, hyperbola": _message(orbit={"a_au": 1.0, "q_au": 1.0, "e": 2.0, "i_deg": 3.0}),
    "q implies a too large": _message(orbit={"q_au": 1.0, "e": 0.9999999999, "i_deg": 3.0}),
    "elliptic M out of range": _message(orbit={**ORBIT, "M_deg": 361.0}),
    "number too large": _message(orbit={**ORBIT, "M_deg": 1e301}),
    "integer beyond a double": b'{"designation":"x","orbit":{"e":0.1,"i_deg":1,"a_au":1e400}}',
    "H out of range": _message(physical={"H": 40.5}),
    "diameter zero": _message(physical={"diameter_km": 0}),
    "albedo zero": _message(physical={"albedo": 0.0}),
    "blank spectral type": _message(physical={"spectral_type": "  "}),
    "A2 too large": _message(nongrav={"A2": 0.0011}),
    "negative A1 sigma": _message(nongrav={"A1_sigma": -1e-15}),
    "unknown orbit source": _message(orbit={**ORBIT, "source": "mpc"}),
    "negative element sigma": _message(orbit={**ORBIT, "sigma": {"i_deg": -1.0}}),
    "covariance not square": _message(
        orbit={**ORBIT, "covariance": {"params": ["e", "a_au"], "matrix": [[1, 0], [0]]}}
    ),
    "covariance not symmetric": _message(
        orbit={**ORBIT, "covariance": {"params": ["e", "a_au"], "matrix": [[1, 0.5], [0, 1]]}}
    ),
    "fit count not an integer": _message(orbit={**ORBIT, "fit": {"n_used": 3.5}}),
    "approach without time": _message(close_approaches=[{"dist_au": 0.1}]),
    "approach with a bad time": _message(close_approaches=[{**APPROACH, "time": "2029-13-40"}]),
    "approach with a blank body": _message(close_approaches=[{**APPROACH, "body": ""}]),
    "subpoint of three": _message(close_approaches=[{**APPROACH, "subpoint": [1, 2, 3]}]),
    "subpoint latitude out of range": _message(
        close_approaches=[{**APPROACH, "subpoint": [90.5, 0]}]
    ),
    "speed above c": _message(close_approaches=[{**APPROACH, "v_rel_kms": 3e5}]),
    "blank designation": _message(designation=" "),
    "long designation": _message(designation="x" * 257),
    "null designation": _message(designation=None),
    "no designation": b'{"orbit":{"a_au":1.3,"e":0.3,"i_deg":2.5}}',
    "meta not an object": _message(meta=[1, 2]),
    "meta too deep": _message(meta=orjson.loads("[" * 70 + "]" * 70)),
    "meta deeper than the decoders read": b'{"designation": "A", "meta": '
    + b'{"a":' * 2000
    + b"1"
    + b"}" * 2001,
    "lone surrogate": b'{"designation":"\\ud800"}',
    "invalid UTF-8": b'{"designation":"\xff"}',
    "not an object": b'["designation"]',
    "trailing data": b'{"designation":"x"} x',
    "truncated": b'{"designation":"x","orbit":{"e":0.1',
}


@pytest.mark.parametrize("name", list(HANDED_OVER))
def test_other_messages_are_handed_over_and_agree(name: str) -> None:
    data = HANDED_OVER[name]
    assert not _typed_answers(data)
    _assert_same(data)


# generated messages: mostly well-formed blocks with hostile values, so both paths get deep
numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-400, max_value=400),
    st.floats(min_value=-1e-2, max_value=2.0),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -0.0, 1e300, -1e300, 1e301, 2**53 + 1, True, None, "1"]),
)
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "2029-04-13T21:46:00Z", "2029-04-13", "2029-13-40", None, 5]),
)


def _block(keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.dictionaries(st.sampled_from(keys), values, max_size=len(keys))


messages = st.fixed_dictionaries(
    {"designation": st.one_of(st.just("2008 TC3"), texts)},
    optional={
        "orbit": _block(
            [
                "a_au",
                "e",
                "i_deg",
                "node_deg",
                "peri_deg",
                "M_deg",
                "epoch_jd",
                "q_au",
                "moid_au",
                "condition_code",
            ],
            numbers,
        ).flatmap(
            lambda orbit: st.fixed_dictionaries(
                {},
                optional={
                    "source": st.sampled_from(["given", "fit", "x", None, 1]),
                    "sigma": _block(["a_au", "q_au", "e", "i_deg", "M_deg"], numbers),
                    "fit": _block(["rms_arcsec", "n_used", "bound_to_earth"], numbers),
                    "covariance": st.fixed_dictionaries(
                        {
                            "params": st.lists(st.sampled_from(["a_au", "e", " "]), max_size=3),
                            "matrix": st.lists(st.lists(numbers, max_size=3), max_size=3),
                        }
                    ),
                },
            ).map(lambda extra: {**orbit, **extra})
        ),
        "physical": _block(["H", "diameter_km", "albedo", "rot_per_h"], numbers),
        "nongrav": _block(["A1", "A2", "A3", "A1_sigma", "A2_sigma", "A3_sigma"], numbers),
        "close_approaches": st.lists(
            st.fixed_dictionaries(
                {"time": texts, "dist_au": numbers},
                optional={
                    "v_rel_kms": numbers,
                    "body": texts,
                    "subpoint": st.lists(numbers, min_size=2, max_size=2),
                },
            ),
            max_size=3,
        ),
        "meta": st.one_of(
            st.none(), st.dictionaries(st.text(max_size=4), st.one_of(numbers, texts))
        ),
    },
)


@settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(messages)
def test_generated_messages_agree(obj: dict[str, Any]) -> None:
    try:
        data = orjson.dumps(obj)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: written out by hand
        data = repr(obj).encode()  # not JSON (None, True): both paths must say so alike
    _assert_same(data)


def test_typed_records_are_the_reference_types() -> None:
    rec = decode_record(VALID["integers for floats"])
    assert isinstance(rec, NeoRecord) and rec.orbit is not None
    assert all(type(v) is float for v in (rec.orbit.a_au, rec.orbit.e, rec.orbit.i_deg))
    assert type(rec.orbit.epoch_jd) is float


def test_the_typed_blocks_take_the_fields_of_the_record_types() -> None:
    from core.contract import neo_v1 as fast

    pairs = [
        (fast.TypedOrbit, records.Orbit),
        (fast.TypedPhysical, records.Physical),
        (fast.TypedNonGrav, records.NonGrav),
        (fast.TypedTrail, records.Trail),
    ]
    for typed, record_type in pairs:
        assert set(typed.__struct_fields__) == set(record_type.__struct_fields__), typed
    approach = set(records.CloseApproach.__struct_fields__) - {"time_jd"}  # derived from time
    assert set(fast.TypedApproach.__struct_fields__) == approach
