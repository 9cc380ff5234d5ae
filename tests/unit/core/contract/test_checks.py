"""The meta check: the fast yes/no and the worded walk that names the field always agree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.contract._checks import MAX_META_DEPTH, _first_problem, check_json, json_ok
from core.errors import RecordError

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),  # both ends of the 64-bit range
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e300, max_value=1e300),
    st.text(max_size=8),  # includes lone surrogates
    st.binary(max_size=4),  # not JSON
    st.just(object()),
)
_KEYS = st.one_of(st.text(max_size=6), st.integers(0, 3), st.none())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_KEYS, inner, max_size=4),
        st.tuples(inner),  # not JSON
    ),
    max_leaves=12,
)


def _worded_accepts(value: object, depth: int) -> bool:
    try:
        _first_problem(value, "meta", depth)
    except RecordError:
        return False
    return True


@settings(max_examples=1500)
@given(value=_VALUES, depth=st.sampled_from([1, 2, MAX_META_DEPTH - 2, MAX_META_DEPTH]))
def test_the_fast_check_and_the_worded_one_agree(value: object, depth: int) -> None:
    ok = json_ok(value, depth)
    assert ok == _worded_accepts(value, depth)
    if ok:
        check_json(value, "meta", depth)
    else:
        with pytest.raises(RecordError):
            check_json(value, "meta", depth)


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ({"a": [1, {"b": float("inf")}]}, "meta.a[1].b", "must be a finite number"),
        ({"a": {"\ud800": 1}}, "meta.a", "keys must be strings"),
        ({"x": "ok", "y": 2**64}, "meta.y", "integer outside the 64-bit range"),
        ({"s": ["fine", "\udfff"]}, "meta.s[1]", "lone surrogate"),
        ({"t": (1,)}, "meta.t", "JSON values only, got tuple"),
    ],
)
def test_a_rejected_meta_names_its_first_bad_field(value: object, field: str, reason: str) -> None:
    with pytest.raises(RecordError) as err:
        check_json(value, "meta", 1)
    assert err.value.field == field
    assert reason in err.value.reason


def test_nesting_is_limited_at_the_same_depth_both_ways() -> None:
    value: object = 1
    for _ in range(MAX_META_DEPTH):
        value = [value]
    assert json_ok(value, 1) is False  # the innermost 1 sits at depth MAX_META_DEPTH + 1
    with pytest.raises(RecordError, match="nested deeper"):
        check_json(value, "meta", 1)
    assert json_ok(value[0], 1) is True  # type: ignore[index]
    check_json(value[0], "meta", 1)  # type: ignore[index]
