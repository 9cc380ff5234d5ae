"""Tests of the neo.v1 contract: valid records, exact error fields, round trip, content hash."""

from __future__ import annotations

import copy
import hashlib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from core.contract.records import (
    MAX_CLOSE_APPROACHES,
    MAX_OBSERVATIONS,
    MAX_RECORD_BYTES,
    CloseApproach,
    NeoRecord,
    NonGrav,
    Orbit,
    Physical,
    content_hash,
    decode_record,
    record_from_obj,
    record_to_obj,
)
from core.errors import RecordError

ROOT = Path(__file__).resolve().parents[4]
TC3_LINES = (ROOT / "tests/fixtures/obs80/2008TC3_head.txt").read_text().splitlines()
DELETE = object()


def _docs_example() -> dict[str, Any]:
    text = (ROOT / "docs/schema.md").read_text()
    match = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert match is not None
    obj: dict[str, Any] = orjson.loads(match.group(1))
    return obj


FULL = _docs_example()


def _set(obj: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A deep copy of obj with the dotted path (list indices as numbers) set or deleted."""
    out = copy.deepcopy(obj)
    *parents, last = path.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        del node[last]
    else:
        node[last] = value
    return out


def _error(obj: object) -> RecordError:
    with pytest.raises(RecordError) as err:
        record_from_obj(obj)
    return err.value


# --- valid records ---------------------------------------------------------------------------


def test_docs_example_is_valid_and_complete() -> None:
    rec = record_from_obj(FULL)
    assert rec.designation == "2008 TC3"
    assert rec.orbit == Orbit(
        e=0.31213, i_deg=2.5422, a_au=1.3082, q_au=0.89988, node_deg=194.101, peri_deg=234.449,
        M_deg=330.754, epoch_jd=2454746.5, moid_au=0.0, condition_code=1,
    )  # fmt: skip
    assert rec.physical == Physical(30.9, 0.004, 0.05, 0.0269, "F")
    assert rec.nongrav == NonGrav(0.0, 1.0e-13, 0.0)
    (ca,) = rec.close_approaches
    # 2008-10-07 0h is JD 2454746.5; 02:46 is 166 minutes later
    assert ca == CloseApproach(
        "2008-10-07T02:46:00Z", 2454746.5 + 166 / 1440, 4.26e-5, 12.8, 6.2, "Earth", (20.8, 32.2)
    )
    obs = rec.observations
    assert obs is not None and obs.source == "obs80" and obs.raw == tuple(TC3_LINES[:3])
    np.testing.assert_allclose(obs.time_jd, [2454745.77767, 2454745.78762, 2454745.79770])
    assert obs.station == ("G96",) * 3
    assert rec.meta is FULL["meta"]  # passed through, not copied
    # every field of every block is exercised by the example
    canonical = record_to_obj(rec)
    assert set(canonical) == set(FULL)
    for block in ("orbit", "physical", "nongrav"):
        assert canonical[block] == FULL[block]


def test_minimal_record() -> None:
    rec = record_from_obj({"designation": "2024 PT5"})
    assert rec == NeoRecord("2024 PT5")
    assert (rec.orbit, rec.physical, rec.nongrav, rec.observations) == (None, None, None, None)
    assert rec.close_approaches == () and rec.meta == {}


def test_nulls_mean_absent() -> None:
    obj = {"designation": "X", "orbit": None, "physical": {"H": None, "albedo": 0.2},
           "close_approaches": None, "observations": None, "meta": None}  # fmt: skip
    rec = record_from_obj(obj)
    assert rec == NeoRecord("X", physical=Physical(albedo=0.2))


def test_orbit_only_from_a() -> None:
    rec = record_from_obj(
        {"designation": "433", "orbit": {"a_au": 1.458, "e": 0.2227, "i_deg": 10}}
    )
    assert rec.orbit is not None
    assert rec.orbit.q_au == 1.458 * (1 - 0.2227)
    assert type(rec.orbit.i_deg) is float and rec.orbit.i_deg == 10.0  # ints are fine


def test_orbit_only_from_q() -> None:
    rec = record_from_obj({"designation": "A", "orbit": {"q_au": 0.9, "e": 0.1, "i_deg": 0}})
    assert rec.orbit is not None and rec.orbit.a_au == pytest.approx(1.0, rel=1e-15)


def test_numpy_floats_are_numbers() -> None:
    rec = record_from_obj(
        {"designation": "A", "orbit": {"a_au": np.float64(2.0), "e": np.float64(0.5), "i_deg": 1}}
    )
    assert rec.orbit is not None and type(rec.orbit.a_au) is float


@pytest.mark.parametrize(
    ("orbit", "a", "q"),
    [
        ({"q_au": 0.2559, "e": 1.2011, "i_deg": 122.74}, None, 0.2559),  # 1I/'Oumuamua
        ({"q_au": 0.2559, "e": 1.2011, "i_deg": 122.74, "a_au": -1.2726}, -1.2726, 0.2559),
        ({"q_au": 2.0, "e": 1, "i_deg": 90, "M_deg": 12345.0}, None, 2.0),  # parabolic
    ],
)
def test_hyperbolic_and_parabolic_orbits(orbit: dict[str, Any], a: float | None, q: float) -> None:
    rec = record_from_obj({"designation": "H", "orbit": orbit})
    assert rec.orbit is not None and (rec.orbit.a_au, rec.orbit.q_au) == (a, q)


def test_observations_only_obs80() -> None:
    rec = record_from_obj({"designation": "2008 TC3", "observations": {"obs80": TC3_LINES}})
    assert rec.orbit is None
    assert rec.observations is not None and len(rec.observations.time_jd) == 5
    np.testing.assert_allclose(rec.observations.mag, [18.9, 18.8, 18.8, 19.1, 18.8])


def test_observations_only_ades() -> None:
    row = {"obsTime": "1997-03-04T05:06:21.600Z", "ra": 138.93912, "dec": 17.23753, "stn": "704",
           "provID": "119839", "rmsCorr": None}  # fmt: skip
    rec = record_from_obj({"designation": "2002 CX17", "observations": {"ades": [row]}})
    obs = rec.observations
    assert obs is not None and obs.source == "ades" and obs.raw == (row,)
    assert obs.ra_deg[0] == 138.93912 and obs.station == ("704",)


def test_subpoint_longitude_normalised() -> None:
    def lon(value: float) -> float:
        ca = {"time": "2029-04-13", "dist_au": 0.0002547, "subpoint": [0, value]}
        (rec_ca,) = record_from_obj({"designation": "A", "close_approaches": [ca]}).close_approaches
        assert rec_ca.subpoint is not None
        return rec_ca.subpoint[1]

    assert [lon(x) for x in (0, 179.5, 180, 190, -180, -190, 360, -360)] == [
        0.0, 179.5, -180.0, -170.0, -180.0, 170.0, 0.0, 0.0,
    ]  # fmt: skip


def test_empty_blocks_are_valid() -> None:
    obj = {"designation": "A", "physical": {}, "nongrav": {}, "close_approaches": [], "meta": {}}
    rec = record_from_obj(obj)
    assert rec.physical == Physical() and rec.nongrav == NonGrav() and rec.close_approaches == ()


def test_close_approach_limit() -> None:
    ca = {"time": "2029-04-13T21:46:00Z", "dist_au": 0.00025}
    rec = record_from_obj({"designation": "A", "close_approaches": [ca] * 10_000})
    assert len(rec.close_approaches) == 10_000
    err = _error({"designation": "A", "close_approaches": [ca] * (MAX_CLOSE_APPROACHES + 1)})
    assert err.field == "close_approaches"
    assert "100001 entries exceed the limit of 100000" in err.reason


def test_observation_limit() -> None:
    err = _error({"designation": "A", "observations": {"obs80": TC3_LINES * 20_001}})
    assert MAX_OBSERVATIONS < 100_005
    assert (err.field, err.reason) == (
        "observations.obs80",
        "100005 entries exceed the limit of 100000",
    )


# --- invalid records: exact field and reason ------------------------------------------------

INVALID: list[tuple[str, object, str, str]] = [
    # (path to change, new value or DELETE, expected field, reason substring)
    ("designation", DELETE, "designation", "required"),
    ("designation", 5, "designation", "must be a string, got number"),
    ("designation", "   ", "designation", "must not be empty"),
    ("designation", "x" * 257, "designation", "longer than 256"),
    ("designation", "2008 \ud800", "designation", "not valid Unicode (lone surrogate)"),
    ("orbit", [1, 2], "orbit", "must be an object, got array"),
    ("orbit.e", DELETE, "orbit.e", "required"),
    ("orbit.e", True, "orbit.e", "must be a number, got boolean"),
    ("orbit.e", "0.3", "orbit.e", "must be a number, got string"),
    ("orbit.e", -0.1, "orbit.e", "must be >= 0"),
    ("orbit.e", math.nan, "orbit.e", "got NaN"),
    ("orbit.e", math.inf, "orbit.e", "magnitude exceeds 1e+300"),
    ("orbit.e", 101, "orbit.e", "must be <= 100"),
    ("orbit.i_deg", DELETE, "orbit.i_deg", "required"),
    ("orbit.i_deg", 180.5, "orbit.i_deg", "must be within [0, 180], got 180.5"),
    ("orbit.i_deg", -1, "orbit.i_deg", "must be within [0, 180]"),
    ("orbit.a_au", -1, "orbit.a_au", "must be > 0 when e < 1, got -1.0"),
    ("orbit.a_au", 0, "orbit.a_au", "must be > 0 when e < 1"),
    ("orbit.a_au", 2e6, "orbit.a_au", "must be <= 1e+06"),
    ("orbit.a_au", 1e301, "orbit.a_au", "magnitude exceeds 1e+300"),
    ("orbit.a_au", 10**400, "orbit.a_au", "magnitude exceeds 1e+300"),
    ("orbit.q_au", 0, "orbit.q_au", "must be within (0, 1e+06]"),
    ("orbit.q_au", 0.5, "orbit.q_au", "disagrees with a_au*(1 - e)"),
    ("orbit.node_deg", 361, "orbit.node_deg", "must be within [0, 360]"),
    ("orbit.peri_deg", -0.5, "orbit.peri_deg", "must be within [0, 360]"),
    ("orbit.M_deg", 400, "orbit.M_deg", "must be within [-360, 360]"),
    ("orbit.epoch_jd", -1, "orbit.epoch_jd", "must be within [0, 1e+07]"),
    ("orbit.moid_au", -0.01, "orbit.moid_au", "must be within [0, 1e+06]"),
    ("orbit.condition_code", 1.0, "orbit.condition_code", "must be an integer 0-9"),
    ("orbit.condition_code", 10, "orbit.condition_code", "must be an integer 0-9"),
    ("orbit.condition_code", True, "orbit.condition_code", "must be an integer 0-9"),
    ("physical", "big", "physical", "must be an object, got string"),
    ("physical.H", 41, "physical.H", "must be within [-10, 40]"),
    ("physical.diameter_km", -0.1, "physical.diameter_km", "must be within (0, 100000]"),
    ("physical.diameter_km", 0, "physical.diameter_km", "must be within (0,"),
    ("physical.albedo", 0, "physical.albedo", "must be within (0, 1], got 0.0"),
    ("physical.albedo", 1.5, "physical.albedo", "must be within (0, 1], got 1.5"),
    ("physical.rot_per_h", 0, "physical.rot_per_h", "must be within (0,"),
    ("physical.spectral_type", "", "physical.spectral_type", "must not be empty"),
    ("physical.spectral_type", 3, "physical.spectral_type", "must be a string, got number"),
    ("nongrav", [], "nongrav", "must be an object, got array"),
    ("nongrav.A2", 3.5, "nongrav.A2", "must be within [-0.001, 0.001]"),
    ("nongrav.A1", "x", "nongrav.A1", "must be a number, got string"),
    ("close_approaches", {}, "close_approaches", "must be an array, got object"),
    ("close_approaches.0", "2029", "close_approaches[0]", "must be an object, got string"),
    ("close_approaches.0.time", DELETE, "close_approaches[0].time", "required"),
    ("close_approaches.0.time", "2029-13-40", "close_approaches[0].time", "not an ISO-8601"),
    ("close_approaches.0.time", 2029, "close_approaches[0].time", "must be a string"),
    ("close_approaches.0.time", "", "close_approaches[0].time", "must not be empty"),
    ("close_approaches.0.dist_au", DELETE, "close_approaches[0].dist_au", "required"),
    ("close_approaches.0.dist_au", -1e-5, "close_approaches[0].dist_au", "must be within [0,"),
    ("close_approaches.0.v_rel_kms", -1, "close_approaches[0].v_rel_kms", "must be within [0,"),
    ("close_approaches.0.v_inf_kms", 4e5, "close_approaches[0].v_inf_kms", "within [0, 299792"),
    ("close_approaches.0.body", "", "close_approaches[0].body", "must not be empty"),
    ("close_approaches.0.body", 3, "close_approaches[0].body", "must be a string"),
    ("close_approaches.0.subpoint", [91, 0], "close_approaches[0].subpoint", "[-90, 90]"),
    ("close_approaches.0.subpoint", [0, 361], "close_approaches[0].subpoint", "[-360, 360]"),
    ("close_approaches.0.subpoint", [1], "close_approaches[0].subpoint", "[lat_deg, lon_deg]"),
    ("close_approaches.0.subpoint", "N", "close_approaches[0].subpoint", "[lat_deg, lon_deg]"),
    ("close_approaches.0.subpoint", [0, "E"], "close_approaches[0].subpoint", "got string"),
    ("observations", [], "observations", "must be an object, got array"),
    ("observations", {}, "observations", "exactly one of 'obs80' or 'ades'"),
    ("observations.ades", [], "observations", "exactly one of 'obs80' or 'ades'"),
    ("observations.obs80", [], "observations.obs80", "at least one observation"),
    ("observations.obs80", "line", "observations.obs80", "must be an array, got string"),
    ("observations.obs80.1", "too short", "observations.obs80[1]", "exactly 80 characters"),
    ("observations.obs80.2", None, "observations.obs80[2]", "must be a string, got null"),
    ("observations.obs80.0", "é" + TC3_LINES[0][1:], "observations.obs80[0]", "must be ASCII"),
    ("meta", [], "meta", "must be an object, got array"),
    ("meta.trace", {"id": math.nan}, "meta.trace.id", "must be a finite number, got nan"),
    ("meta.tags", {"a", "b"}, "meta.tags", "JSON values only, got set"),
    ("meta.pair", (1, 2), "meta.pair", "JSON values only, got tuple"),
    ("meta.big", 2**70, "meta.big", "64-bit"),
    ("meta.odd", {1: "x"}, "meta.odd", "keys must be strings"),
    ("meta.note", "\udc00", "meta.note", "not valid Unicode"),
]


# a newer producer's added fields: accepted, dropped and reported (these were dead letters
# before the contract learnt to evolve)
UNKNOWN: list[tuple[str, object, str]] = [
    # (path to add, its value, the path reported)
    ("", 1, "''"),
    ("colour", "red", "colour"),
    ("schema", "neo.v1", "schema"),
    ("orbit.Omega", 3.0, "orbit.Omega"),
    ("orbit.sigma.tp", 1e-6, "orbit.sigma.tp"),
    ("orbit.fit.chi2", {"dof": 3}, "orbit.fit.chi2"),
    ("physical.mass_kg", 1e9, "physical.mass_kg"),
    ("nongrav.A4", 0.0, "nongrav.A4"),
    ("nongrav.DT", "x", "nongrav.DT"),
    ("close_approaches.0.lat", 3, "close_approaches[0].lat"),
    ("observations.radar", [], "observations.radar"),
]


@pytest.mark.parametrize(("path", "value", "reported"), UNKNOWN, ids=[c[0] for c in UNKNOWN])
def test_unknown_fields_are_dropped_and_reported(path: str, value: object, reported: str) -> None:
    base = _set(FULL, "orbit.sigma", {"e": 1e-8}) if path.startswith("orbit.") else FULL
    if path.startswith("orbit.fit"):
        base = _set(base, "orbit.fit", {"n_used": 3})
    obj = _set(base, path, value)
    seen: list[str] = []
    rec = record_from_obj(obj, unknown=seen)
    assert seen == [reported]
    assert rec == record_from_obj(base)  # dropped: the record is the one without it
    assert content_hash(rec) == content_hash(record_from_obj(base))
    seen_decoded: list[str] = []
    assert decode_record(orjson.dumps(obj), unknown=seen_decoded) == rec
    assert seen_decoded == [reported]
    record_from_obj(obj)  # no sink: accepted all the same


def test_every_unknown_field_of_a_message_is_reported_once() -> None:
    obj = {
        "designation": "X",
        "zeta": 1,
        "alpha": None,
        "orbit": {"a_au": 1.5, "e": 0.1, "i_deg": 2, "z": 1, "y": 2},
        "close_approaches": [
            {"time": "2029-04-13", "dist_au": 0.1, "note": "a"},
            {"time": "2029-04-14", "dist_au": 0.2, "note": "b"},
        ],
        "observations": {"ades": [{"obsTime": "2024-01-01T00:00:00Z", "ra": 1.0, "dec": 2.0,
                                   "stn": "G96"}], "extra": 1},
    }  # fmt: skip
    seen: list[str] = []
    rec = decode_record(orjson.dumps(obj), unknown=seen)
    assert seen == [
        "alpha",
        "zeta",
        "orbit.y",
        "orbit.z",
        "close_approaches[0].note",
        "close_approaches[1].note",
        "observations.extra",
    ]
    assert rec.orbit is not None and len(rec.close_approaches) == 2
    assert rec.observations is not None and len(rec.observations.time_jd) == 1


def test_a_wrong_value_beside_an_unknown_field_is_still_an_error() -> None:
    seen: list[str] = []
    obj = _set(_set(FULL, "colour", "red"), "orbit.e", -1)
    with pytest.raises(RecordError, match=r"orbit\.e: must be >= 0"):
        decode_record(orjson.dumps(obj), unknown=seen)
    obj = _set(_set(FULL, "orbit.Omega", 3.0), "orbit.i_deg", DELETE)
    with pytest.raises(RecordError, match=r"orbit\.i_deg: required"):
        record_from_obj(obj)


@pytest.mark.parametrize(("path", "value", "field", "reason"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid(path: str, value: object, field: str, reason: str) -> None:
    err = _error(_set(FULL, path, value))
    assert err.field == field
    assert reason in err.reason
    assert str(err) == f"{field}: {err.reason}"


@pytest.mark.parametrize(
    ("orbit", "field", "reason"),
    [
        ({"e": 0.5, "i_deg": 1}, "orbit.a_au", "required: give a_au or q_au"),
        ({"e": 1.2, "i_deg": 1, "a_au": -5.0}, "orbit.q_au", "required when e >= 1"),
        ({"e": 1.2, "i_deg": 1, "a_au": 5.0, "q_au": 1.0}, "orbit.a_au", "must be < 0 when e > 1"),
        (
            {"e": 1.0, "i_deg": 1, "a_au": -5.0, "q_au": 1.0},
            "orbit.a_au",
            "must be absent when e = 1",
        ),
        ({"e": 1.5, "i_deg": 1, "a_au": -5.0, "q_au": 1.0}, "orbit.q_au", "disagrees"),
        ({"e": 0.75, "i_deg": 1, "q_au": 5e5}, "orbit.q_au", "implies a_au = 2e+06 > 1e+06"),
        ({"e": 2.0, "i_deg": 1, "q_au": 1.0, "a_au": -2e6}, "orbit.a_au", "must be >= -1e+06"),
    ],
)
def test_invalid_orbit_geometry(orbit: dict[str, Any], field: str, reason: str) -> None:
    err = _error({"designation": "A", "orbit": orbit})
    assert err.field == field
    assert reason in err.reason


def test_second_close_approach_is_named() -> None:
    ca = FULL["close_approaches"][0]
    err = _error({"designation": "A", "close_approaches": [ca, {**ca, "dist_au": -1}]})
    assert err.field == "close_approaches[1].dist_au"


def test_bad_ades_row_inside_record() -> None:
    row = {"obsTime": "1997-03-04T05:06:21.600Z", "ra": 400.0, "dec": 17.2, "stn": "704"}
    err = _error({"designation": "A", "observations": {"ades": [row]}})
    assert (err.field, err.reason) == (
        "observations.ades[0].ra",
        "must be within [0, 360], got 400.0",
    )


def test_meta_depth_limit() -> None:
    deep: Any = "leaf"
    for _ in range(64):
        deep = {"k": deep}
    assert record_from_obj({"designation": "A", "meta": deep["k"]}).meta == deep["k"]
    err = _error({"designation": "A", "meta": deep})
    assert err.field.startswith("meta.k.k") and "nested deeper than 64" in err.reason


@pytest.mark.parametrize("obj", [[], "x", 1, None, True, 2.5])
def test_non_object_record(obj: object) -> None:
    err = _error(obj)
    assert err.field == "$" and err.reason.startswith("a record must be a JSON object, got ")


# --- decode_record ---------------------------------------------------------------------------


def test_decode_record_valid() -> None:
    data = orjson.dumps(FULL)
    assert decode_record(data) == record_from_obj(FULL)
    assert decode_record(bytearray(data)).designation == "2008 TC3"
    assert decode_record(memoryview(data)).designation == "2008 TC3"
    assert decode_record(data.decode()).designation == "2008 TC3"


@pytest.mark.parametrize("data", [None, 17, [b"{}"], {"designation": "2008 TC3"}])
def test_decode_record_rejects_what_is_not_text(data: object) -> None:
    with pytest.raises(RecordError) as err:
        decode_record(data)
    assert err.value.field == "$"
    assert err.value.reason == f"message must be bytes, got {type(data).__name__}"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "invalid JSON"),
        (b"{", "invalid JSON"),
        (b"\xff\xfe{}", "invalid JSON"),  # not UTF-8
        (b'{"designation": "\xed\xa0\x80"}', "invalid JSON"),  # lone surrogate
        (b'{"designation": "A", "orbit": {"e": NaN, "i_deg": 1, "a_au": 1}}', "invalid JSON"),
        (b'{"designation": "A", "orbit": {"e": 1e400, "i_deg": 1, "a_au": 1}}', "invalid JSON"),
        (b"[" * 5000 + b"]" * 5000, "invalid JSON"),
        (b'{"designation": "A", "meta": ' + b'{"a":' * 2000 + b"1" + b"}" * 2001, "invalid JSON"),
        (b"[1, 2]", "a record must be a JSON object, got array"),
        (b'"2008 TC3"', "a record must be a JSON object, got string"),
        (b"null", "a record must be a JSON object, got null"),
    ],
)
def test_decode_record_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(RecordError) as err:
        decode_record(data)
    assert err.value.field == "$"
    assert reason in err.value.reason


def test_decode_record_size_limit() -> None:
    with pytest.raises(RecordError) as err:
        decode_record(b" " * (MAX_RECORD_BYTES + 1))
    assert err.value.field == "$" and "exceeds" in err.value.reason


def test_decode_record_field_errors_pass_through() -> None:
    with pytest.raises(RecordError) as err:
        decode_record(b'{"designation": "A", "orbit": {"e": -1, "i_deg": 1, "a_au": 1}}')
    assert err.value.field == "orbit.e"


# --- round trip and content hash -------------------------------------------------------------

ROUND_TRIP = [
    FULL,
    {"designation": "2024 PT5"},
    {"designation": "Q", "orbit": {"q_au": 0.3, "e": 0.7, "i_deg": 5}},
    {"designation": "H", "orbit": {"q_au": 0.2559, "e": 1.2011, "i_deg": 122.74}},
    {"designation": "S", "close_approaches": [{"time": "2029-04-13", "dist_au": 1e-4,
                                               "subpoint": [-10, 200]}]},
    {"designation": "O", "observations": {"ades": [{"obsTime": "2020-01-01T00:00:00Z", "ra": 1,
                                                    "dec": -2, "stn": "500", "x": None}]}},
]  # fmt: skip


@pytest.mark.parametrize("obj", ROUND_TRIP)
def test_round_trip(obj: dict[str, Any]) -> None:
    rec = record_from_obj(obj)
    canonical = record_to_obj(rec)
    again = record_from_obj(orjson.loads(orjson.dumps(canonical)))
    assert again == rec
    assert record_to_obj(again) == canonical
    assert content_hash(again) == content_hash(rec)


def test_canonical_form_omits_none_and_derived() -> None:
    rec = record_from_obj(ROUND_TRIP[4])
    assert record_to_obj(rec) == {
        "designation": "S",
        "close_approaches": [
            {"time": "2029-04-13", "dist_au": 1e-4, "body": "Earth", "subpoint": [-10.0, -160.0]}
        ],
    }


def test_content_hash_is_sha256_of_sorted_canonical_json() -> None:
    rec = record_from_obj({"designation": "2024 PT5"})
    expected = hashlib.sha256(b'{"designation":"2024 PT5"}').hexdigest()
    assert content_hash(rec) == expected
    assert expected == "791325288573de2fe24f3ba5c994b3b3cbea0091c7117ffe06d20b4465169a01"


def test_content_hash_stability() -> None:
    reordered = dict(reversed(list(FULL.items())))
    reordered["orbit"] = dict(reversed(list(FULL["orbit"].items())))
    assert content_hash(record_from_obj(reordered)) == content_hash(record_from_obj(FULL))
    # ints and floats of the same value hash the same (values are stored as floats)
    one = record_from_obj({"designation": "A", "orbit": {"a_au": 2, "e": 0, "i_deg": 1}})
    two = record_from_obj({"designation": "A", "orbit": {"a_au": 2.0, "e": 0.0, "i_deg": 1.0}})
    assert content_hash(one) == content_hash(two)
    # everything counts: designation, meta, an observation line
    base = content_hash(record_from_obj(FULL))
    assert content_hash(record_from_obj(_set(FULL, "designation", "2008 TC4"))) != base
    assert content_hash(record_from_obj(_set(FULL, "meta.trace_id", "abc-124"))) != base
    lines = FULL["observations"]["obs80"]
    assert content_hash(record_from_obj(_set(FULL, "observations.obs80", lines[:2]))) != base


def test_observations_equality_by_source_and_raw() -> None:
    a = record_from_obj({"designation": "A", "observations": {"obs80": TC3_LINES}})
    b = record_from_obj({"designation": "A", "observations": {"obs80": list(TC3_LINES)}})
    c = record_from_obj({"designation": "A", "observations": {"obs80": TC3_LINES[:4]}})
    assert a == b and a != c
    assert a.observations is not None and b.observations is not None
    assert hash(a.observations) == hash(b.observations)
    assert not a.observations.time_jd.flags.writeable


@pytest.mark.parametrize("key", ["A1", "A2", "A3"])
def test_an_out_of_range_nongrav_value_gets_the_unit_hint(key: str) -> None:
    # issue 23 item 14: docs/schema.md says why the cap exists (MPC's 1e-8 au/d² units); the
    # error said only "must be within [-0.001, 0.001]"
    message = orjson.dumps({"designation": "2024 PT5", "nongrav": {key: -2.9}})
    for decode in (decode_record, lambda m: record_from_obj(orjson.loads(m))):
        with pytest.raises(RecordError) as info:
            decode(message)
        assert info.value.field == f"nongrav.{key}"
        assert info.value.reason == (
            "must be within [-0.001, 0.001] au/d², got -2.9 (MPC publishes A1/A2 in units "
            "of 1e-8 au/d²: multiply by 1e-8 before sending)"
        )
