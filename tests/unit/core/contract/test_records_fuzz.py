"""Property tests: random and hostile input to the validator gives a NeoRecord or a RecordError.

Anything else (TypeError, OverflowError, RecursionError, ...) escaping ``decode_record`` or
``record_from_obj`` would crash a daemon worker, so it is a bug. A record that is accepted must
also survive the canonical round trip and hash. 10,500 examples in all.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract.records import (
    NeoRecord,
    content_hash,
    decode_record,
    record_from_obj,
    record_to_obj,
)
from core.errors import RecordError

TC3 = "     K08T03C* C2008 10 06.27767 23 17 00.78 +07 49 22.7          18.9 Vrz9516G96"
# derandomized so CI is reproducible; database=None so runs leave no .hypothesis/ behind
FUZZ = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True, database=None
)

hostile_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -0.0, 1e300, -1e300, 1e301, 2**64, 2**63, -(2**63) - 1, 10**400, True]),
    st.floats(min_value=-400, max_value=400),
    st.floats(min_value=-1e-2, max_value=2.0),
)
hostile_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "2029-04-13T21:46:00Z", "2029-04-13", "2029-13-40", "NaN", "\ud800"]),
    st.text(alphabet="0123456789-:T.Z+ ", max_size=30),
)
scalars = st.one_of(st.none(), st.booleans(), hostile_numbers, hostile_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
        st.tuples(inner, inner),
        st.frozensets(st.integers(), max_size=2),
    ),
    max_leaves=10,
)


def _block(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    # mostly known keys (so validation gets deep), sometimes an unknown one
    return st.dictionaries(
        st.one_of(st.sampled_from(keys), st.text(max_size=6)),
        st.one_of(scalars, hostile_numbers, json_values),
        max_size=len(keys) + 1,
    )


orbit_keys = ["a_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg", "epoch_jd", "q_au",
              "moid_au", "condition_code", "source", "sigma", "covariance", "fit"]  # fmt: skip
obs80_lines = st.one_of(
    st.just(TC3),
    st.builds(
        lambda pos, text: (TC3[:pos] + text + TC3[pos + len(text) :])[: len(TC3) + 2],
        st.integers(0, 79),
        st.text(alphabet=" +-.0123456789ABCRSVsvrx\n", min_size=1, max_size=12),
    ),
    st.text(max_size=90),
)
ades_rows = st.fixed_dictionaries(
    {},
    optional={
        "obsTime": hostile_text,
        "ra": hostile_numbers,
        "dec": hostile_numbers,
        "stn": hostile_text,
        "mag": scalars,
        "band": scalars,
        "rmsRA": hostile_numbers,
        "rmsDec": hostile_numbers,
        "notes": json_values,
    },
)
orbits_with_uncertainty = st.fixed_dictionaries(
    {"e": hostile_numbers, "i_deg": hostile_numbers, "a_au": hostile_numbers},
    optional={
        "source": scalars,
        "sigma": st.one_of(_block(["a_au", "e", "i_deg"]), json_values),
        "fit": st.one_of(_block(["n_used", "rms_arcsec", "bound_to_earth"]), json_values),
        "covariance": st.fixed_dictionaries(
            {},
            optional={
                "params": st.one_of(st.lists(hostile_text, max_size=3), json_values),
                "matrix": st.lists(st.lists(hostile_numbers, max_size=3), max_size=3),
            },
        ),
    },
)
records = st.fixed_dictionaries(
    {"designation": st.one_of(st.just("2008 TC3"), hostile_text, scalars)},
    optional={
        "orbit": st.one_of(_block(orbit_keys), json_values, orbits_with_uncertainty),
        "physical": _block(["H", "diameter_km", "albedo", "rot_per_h", "spectral_type"]),
        "nongrav": _block(["A1", "A2", "A3", "A1_sigma", "A2_sigma", "A3_sigma"]),
        "close_approaches": st.lists(
            st.one_of(
                _block(["time", "dist_au", "v_rel_kms", "v_inf_kms", "body"]),
                st.fixed_dictionaries(
                    {"time": hostile_text, "dist_au": hostile_numbers},
                    optional={"subpoint": st.lists(hostile_numbers, max_size=3), "body": scalars},
                ),
            ),
            max_size=3,
        ),
        "observations": st.one_of(
            st.fixed_dictionaries({"obs80": st.lists(obs80_lines, max_size=3)}),
            st.fixed_dictionaries({"ades": st.lists(ades_rows, max_size=3)}),
            _block(["obs80", "ades"]),
        ),
        "meta": st.one_of(json_values, st.dictionaries(st.text(max_size=5), json_values)),
        "extra": json_values,
    },
)


def _check(make: Any, value: object) -> None:
    try:
        rec = make(value)
    except RecordError as exc:
        assert isinstance(exc.field, str) and exc.field
        assert isinstance(exc.reason, str) and exc.reason
        return
    assert isinstance(rec, NeoRecord)
    # an accepted record is self-consistent: canonical round trip and hash work
    canonical = record_to_obj(rec)
    assert record_from_obj(orjson.loads(orjson.dumps(canonical))) == rec
    assert len(content_hash(rec)) == 64
    if rec.orbit is not None:
        assert all(math.isfinite(v) for v in (rec.orbit.e, rec.orbit.i_deg))


@settings(FUZZ, max_examples=4000)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    _check(decode_record, data)


@settings(FUZZ, max_examples=2000)
@given(json_values)
def test_random_values(value: object) -> None:
    _check(record_from_obj, value)


@settings(FUZZ, max_examples=2500)
@given(records)
def test_record_shaped_objects(obj: dict[str, Any]) -> None:
    _check(record_from_obj, obj)


@settings(FUZZ, max_examples=2000)
@given(records, st.integers(0, 400), st.binary(max_size=6), st.booleans())
def test_mutated_json_bytes(obj: dict[str, Any], pos: int, patch: bytes, cut: bool) -> None:
    try:
        data = orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        data = b'{"designation": "2008 TC3", "orbit": {"a_au": 1.3, "e": 0.3, "i_deg": 2.5}}'
    pos = min(pos, len(data))
    data = data[:pos] if cut else data[:pos] + patch + data[pos + len(patch) :]
    _check(decode_record, data)
