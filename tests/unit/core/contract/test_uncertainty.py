"""neo.v1's orbit uncertainty blocks (core/contract/uncertainty.py): orbit.source, orbit.sigma,
orbit.covariance, orbit.fit and nongrav.A*_sigma, through both decoders and the round trip."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import orjson
import pytest

from core.contract import records
from core.contract.neo_v1 import decode_typed
from core.contract.records import (
    Covariance,
    FitFacts,
    NeoRecord,
    OrbitSigma,
    content_hash,
    decode_record,
    record_from_obj,
    record_to_obj,
)
from core.errors import RecordError

# Apophis, SBDB solution JPL 199 elements rounded; the sigmas are of the same order as SBDB's
FITTED: dict[str, Any] = {
    "designation": "99942",
    "orbit": {
        "a_au": 0.9223, "q_au": 0.7460, "e": 0.1912, "i_deg": 3.34, "node_deg": 203.9,
        "peri_deg": 126.7, "M_deg": 142.9, "epoch_jd": 2461000.5, "source": "fit",
        "sigma": {"a_au": 4.2e-10, "q_au": 1.1e-8, "e": 1.2e-8, "i_deg": 6.4e-7,
                  "node_deg": 5.6e-6, "peri_deg": 5.8e-6, "M_deg": 1.9e-6},
        "covariance": {"params": ["a_au", "e", "A2"],
                       "matrix": [[1.8e-19, -2.0e-18, 1.0e-26],
                                  [-2.0e-18, 1.4e-16, -3.0e-25],
                                  [1.0e-26, -3.0e-25, 4.0e-30]]},
        "fit": {"rms_arcsec": 0.42, "n_used": 7000, "n_rejected": 31, "arc_days": 7300.0,
                "nights": 1200, "bound_to_earth": False, "min_geo_dist_au": 0.0002,
                "v_inf_kms": 5.85},
    },
    "nongrav": {"A2": -2.9e-14, "A2_sigma": 2.0e-15, "A1_sigma": 1e-13, "A3_sigma": 0.0},
}  # fmt: skip


def _with(path: str, value: object) -> dict[str, Any]:
    obj = copy.deepcopy(FITTED)
    *parents, last = path.split(".")
    node: Any = obj
    for key in parents:
        node = node[key]
    node[last] = value
    return obj


def _error(obj: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(RecordError) as reference:
        record_from_obj(obj)
    with pytest.raises(RecordError) as decoded:  # the typed path hands it over, same error
        decode_record(orjson.dumps(obj))
    assert (decoded.value.field, decoded.value.reason) == (
        reference.value.field,
        reference.value.reason,
    )
    return reference.value.field, reference.value.reason


def test_a_fitted_orbit_decodes_the_same_both_ways_and_round_trips() -> None:
    data = orjson.dumps(FITTED)
    typed = decode_typed(data)
    assert typed is not None
    fast = records._typed_record(typed, data)
    assert fast is not None  # the typed path answers for it
    rec = record_from_obj(FITTED)
    assert fast == rec == decode_record(data)
    orbit = rec.orbit
    assert orbit is not None and orbit.source == "fit"
    assert orbit.sigma == OrbitSigma(4.2e-10, 1.1e-8, 1.2e-8, 6.4e-7, 5.6e-6, 5.8e-6, 1.9e-6)
    assert orbit.covariance is not None and orbit.covariance.params == ("a_au", "e", "A2")
    assert orbit.covariance.matrix[1] == (-2.0e-18, 1.4e-16, -3.0e-25)
    assert orbit.fit == FitFacts(0.42, 7000, 31, 7300.0, 1200, False, 0.0002, 5.85)
    assert rec.nongrav is not None
    assert (rec.nongrav.A2, rec.nongrav.A2_sigma, rec.nongrav.A3_sigma) == (-2.9e-14, 2e-15, 0.0)
    canonical = record_to_obj(rec)
    assert canonical == FITTED  # a and q both given: nothing derived, nothing lost
    assert record_from_obj(orjson.loads(orjson.dumps(canonical))) == rec
    assert content_hash(rec) != content_hash(record_from_obj({**FITTED, "nongrav": None}))


def test_given_is_the_default_and_leaves_the_canonical_form_unchanged() -> None:
    obj = {"designation": "X", "orbit": {"a_au": 2.0, "e": 0.5, "i_deg": 3.0}}
    rec = record_from_obj(obj)
    assert rec.orbit is not None and rec.orbit.source == "given"
    assert (rec.orbit.sigma, rec.orbit.covariance, rec.orbit.fit) == (None, None, None)
    explicit = record_from_obj({**obj, "orbit": {**obj["orbit"], "source": "given"}})
    assert explicit == rec
    canonical = record_to_obj(rec)
    assert "source" not in canonical["orbit"]  # so every existing record keeps its hash
    expected = orjson.dumps(
        {**obj, "orbit": {**obj["orbit"], "q_au": 1.0}}, option=orjson.OPT_SORT_KEYS
    )
    assert content_hash(rec) == hashlib.sha256(expected).hexdigest()


def test_nulls_inside_the_blocks_are_absent() -> None:
    obj = _with("orbit.sigma", {"a_au": None, "e": 1e-8})
    obj["orbit"]["fit"] = {"rms_arcsec": None, "bound_to_earth": True}
    obj["orbit"]["source"] = None
    rec = decode_record(orjson.dumps(obj))
    assert rec.orbit is not None and rec.orbit.source == "given"
    assert rec.orbit.sigma == OrbitSigma(e=1e-8)
    assert rec.orbit.fit == FitFacts(bound_to_earth=True)
    assert record_to_obj(rec)["orbit"]["sigma"] == {"e": 1e-8}


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("orbit.source", "jpl", "orbit.source", "must be 'given' or 'fit', got 'jpl'"),
        ("orbit.source", 1, "orbit.source", "must be 'given' or 'fit', got 1"),
        ("orbit.sigma", [1e-8], "orbit.sigma", "must be an object, got array"),
        ("orbit.sigma.e", -1e-9, "orbit.sigma.e", "expected `float` >= 0.0"),
        ("orbit.sigma.e", "1e-9", "orbit.sigma.e", "expected `float | null`, got `str`"),
        ("orbit.sigma.e", True, "orbit.sigma.e", "expected `float | null`, got `bool`"),
        ("orbit.sigma.e", 1e301, "orbit.sigma.e", "expected `float` <= 1e+300"),
        ("orbit.covariance.matrix", [[1.0, 0.0], [0.0, 1.0]], "orbit.covariance.matrix",
         "must be a 3 x 3 array, one row per param"),
        ("orbit.covariance.matrix", [[1.0, 0.0, 0.0], [0.0, 1.0], [0.0, 0.0, 1.0]],
         "orbit.covariance.matrix", "must be a 3 x 3 array, one row per param"),
        ("orbit.covariance.matrix", [[1.0, 0.5, 0.0], [0.4, 1.0, 0.0], [0.0, 0.0, 1.0]],
         "orbit.covariance.matrix[0][1]", "not symmetric"),
        ("orbit.covariance.matrix", [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
         "orbit.covariance.matrix[0][1]", "correlation beyond [-1, 1]"),
        ("orbit.covariance.matrix", [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
         "orbit.covariance.matrix[1][1]", "a variance must be >= 0"),
        ("orbit.covariance.matrix", [[1.0, 0.0, 0.0], [0.0, "x", 0.0], [0.0, 0.0, 1.0]],
         "orbit.covariance.matrix[1][1]", "expected `float`, got `str`"),
        ("orbit.covariance.params", ["a_au", "a_au", "e"], "orbit.covariance.params",
         "names must be distinct"),
        ("orbit.covariance.params", ["a_au", " ", "e"], "orbit.covariance.params[1]",
         "must not be empty"),
        ("orbit.covariance.params", [], "orbit.covariance.params",
         "expected `array` of length >= 1"),
        ("orbit.covariance.params", [f"p{k}" for k in range(17)], "orbit.covariance.params",
         "expected `array` of length <= 16"),
        ("orbit.covariance", {"params": ["a_au"]}, "orbit.covariance.matrix", "required"),
        ("orbit.fit.n_used", 7000.5, "orbit.fit.n_used", "expected `int | null`, got `float`"),
        ("orbit.fit.nights", -1, "orbit.fit.nights", "expected `int` >= 0"),
        ("orbit.fit.bound_to_earth", 0, "orbit.fit.bound_to_earth",
         "expected `bool | null`, got `int`"),
        ("orbit.fit.v_inf_kms", 3e5, "orbit.fit.v_inf_kms", "expected `float` <= 299792.458"),
        ("nongrav.A2_sigma", -1e-15, "nongrav.A2_sigma", "must be within [0, 0.001], got -1e-15"),
        ("nongrav.A1_sigma", 0.01, "nongrav.A1_sigma", "must be within [0, 0.001], got 0.01"),
        ("nongrav.A3_sigma", "0", "nongrav.A3_sigma", "must be a number, got string"),
    ],
)  # fmt: skip
def test_invalid_values_name_the_field(path: str, value: object, field: str, reason: str) -> None:
    assert _error(_with(path, value)) == (field, reason)


def test_the_declarations_are_the_record_types() -> None:
    # the typed path decodes straight into the record's own structs: nothing is copied
    typed = decode_typed(orjson.dumps(FITTED))
    assert typed is not None and typed.orbit is not None
    assert type(typed.orbit.sigma) is OrbitSigma and type(typed.orbit.covariance) is Covariance
    assert type(typed.orbit.fit) is FitFacts
    assert msgspec.to_builtins(typed.orbit.fit) == FITTED["orbit"]["fit"]


def test_a_record_built_in_python_round_trips() -> None:
    rec = NeoRecord(
        "X",
        records.Orbit(0.5, 3.0, 2.0, 1.0, source="fit", sigma=OrbitSigma(e=1e-3)),
        nongrav=records.NonGrav(A1=1e-12, A1_sigma=1e-13),
    )
    assert record_from_obj(record_to_obj(rec)) == rec


def test_the_docs_example_of_a_fitted_orbit_is_valid() -> None:
    text = (Path(__file__).parents[4] / "docs" / "schema.md").read_text()
    section = text[text.index("### Orbit uncertainty and fit") :]
    example = orjson.loads(section[section.index("```json") + 7 : section.index("```\n", 10)])
    rec = record_from_obj(example)
    assert rec.orbit is not None and rec.orbit.source == "fit" and rec.orbit.fit is not None
    assert rec.orbit.fit.bound_to_earth is True
    assert rec.orbit.covariance is not None and rec.orbit.covariance.params[2] == "A1"
    assert record_to_obj(rec)["orbit"]["covariance"] == example["orbit"]["covariance"]


def test_a_newer_producers_field_in_a_block_is_dropped_and_reported() -> None:
    seen: list[str] = []
    rec = decode_record(orjson.dumps(_with("orbit.sigma.epoch_jd", 1.0)), unknown=seen)
    assert seen == ["orbit.sigma.epoch_jd"]
    assert rec == record_from_obj(FITTED)


def test_numbers_of_python_subclasses_are_taken_as_the_reference_takes_them() -> None:
    # an orbit fitted in Python holds numpy floats; record_from_obj takes them everywhere
    obj = _with("orbit.sigma", {"e": np.float64(1e-8), "a_au": np.float64(2e-9)})
    obj["orbit"]["e"] = np.float64(0.1912)
    obj["orbit"]["covariance"]["matrix"] = np.array(
        FITTED["orbit"]["covariance"]["matrix"]
    ).tolist()
    rec = record_from_obj(obj)
    assert rec.orbit is not None and rec.orbit.sigma == OrbitSigma(a_au=2e-9, e=1e-8)
    assert type(rec.orbit.sigma.e) is float
    with pytest.raises(RecordError, match="n_used"):  # not an int subclass: refused, as before
        record_from_obj(_with("orbit.fit.n_used", np.int64(3)))
