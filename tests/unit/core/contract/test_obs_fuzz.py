"""Property tests: any input to decode_obs_message gives an ObsMessage or a RecordError.

Anything else escaping (TypeError, OverflowError, ValueError, ...) would crash a daemon worker
reading an observation stream, so it is a bug. An accepted message must round-trip through
observation_to_obj. Derandomized, no example database.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract.obs import ObsMessage, decode_obs_message, is_obs_message, observation_to_obj
from core.errors import RecordError

TC3 = "     K08T03C* C2008 10 06.27767 23 17 00.78 +07 49 22.7          18.9 Vrz9516G96"
SATELLITE = (
    "00433         S2011 10 23.34124006 53 03.495+46 43 06.69               X~7lwF275\n"
    "00433         s2011 10 23.3412401 + 4353.0030 -  481.6100 + 1382.3400   ~7lwF275"
)
FUZZ = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True, database=None
)

numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-400, max_value=400),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -0.0, 360, 360.0000001, 90, -90.5, 1e300, True, None, "1"]),
)
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "G96", "ZZZ", "2008-10-06T06:39:50Z", "2008-13-06", "x", None, 3]),
)
rows = st.fixed_dictionaries(
    {},
    optional={
        "obsTime": texts,
        "ra": numbers,
        "dec": numbers,
        "stn": st.one_of(st.just("G96"), texts),
        "provID": st.one_of(st.just("2008 TC3"), texts),
        "permID": texts,
        "trkSub": texts,
        "rmsRA": numbers,
        "mag": numbers,
        "band": texts,
        "sys": st.sampled_from(["ICRF_KM", "ICRF_AU", "WGS84", "X", None, 1]),
        "ctr": numbers,
        "pos1": numbers,
        "pos2": numbers,
        "pos3": numbers,
        "time_jd_utc": numbers,
        "extra": st.one_of(numbers, texts, st.lists(numbers, max_size=2)),
    },
)
messages = st.one_of(rows, st.fixed_dictionaries({"observations": st.lists(rows, max_size=4)}))


def _check(data: bytes | str) -> None:
    try:
        msg = decode_obs_message(data)
    except RecordError as exc:
        assert isinstance(exc.field, str) and exc.field
        assert isinstance(exc.reason, str) and exc.reason
        return
    assert isinstance(msg, ObsMessage) and msg.object_id and msg.observations
    for obs in msg.observations:
        assert math.isfinite(obs.time_jd_utc) and 0.0 <= obs.ra <= 360.0
    again = decode_obs_message(
        orjson.dumps({"observations": [observation_to_obj(o) for o in msg.observations]})
    )
    assert again.observations == msg.observations
    is_obs_message(data)  # never raises for bytes or text


@settings(FUZZ, max_examples=1500)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@settings(FUZZ, max_examples=1500)
@given(messages)
def test_message_shaped_objects(obj: dict[str, Any]) -> None:
    try:
        data = orjson.dumps(obj)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: written by hand
        data = repr(obj).encode()
    _check(data)


@settings(FUZZ, max_examples=1500)
@given(
    st.sampled_from([TC3, SATELLITE]),
    st.integers(0, 160),
    st.text(alphabet=" +-.0123456789ABCSVsvR\n\r", min_size=1, max_size=8),
    st.booleans(),
)
def test_mutated_80_column_text(text: str, pos: int, patch: str, cut: bool) -> None:
    pos = min(pos, len(text))
    _check(text[:pos] if cut else text[:pos] + patch + text[pos + len(patch) :])
