"""``neo-streamer tail`` output: readable lines and JSON lines for neo.anomaly.v1 results."""

from __future__ import annotations

from typing import Any

import orjson
from aiokafka import ConsumerRecord

from streamer.commands.tail import _render, format_result


def _result(**changes: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "schema": "neo.anomaly.v1",
        "designation": "2020 SO",
        "anomaly_score": 0.99731,
        "anomaly_probability": 0.98,
        "is_anomaly": True,
        "confidence": 0.9,
        "category": "artificial_candidate",
        "model": {"id": "ensemble", "version": "20251126-1"},
        "indicators": {
            "overall": 0.8,
            "categories": {"orbital": 0.7},
            "items": [
                {"name": "a", "weighted_score": 0.2, "reason": "Earth-like orbit (a=1.00 au)"},
                {"name": "b", "weighted_score": 0.0, "reason": None},
                {"name": "c", "weighted_score": 0.6, "reason": "very low delta-v (3.1 km/s)"},
                {"name": "d", "weighted_score": 0.4, "reason": "solar radiation pressure"},
                {"name": "e", "weighted_score": 0.1, "reason": "low inclination"},
            ],
        },
        "contributions": [
            {"feature": "orbit.e", "value": 0.0123456, "contribution": 0.41},
            {"feature": "orbit.a_au", "value": 1.0, "contribution": 0.2},
            {"feature": "physical.H_missing", "value": None, "contribution": 0.1},
            {"feature": "orbit.i_deg", "value": 0.5, "contribution": 0.05},
        ],
        "source": {"topic": "neo.records", "partition": 2, "offset": 17},
    }
    result.update(changes)
    return result


def test_readable_result_names_the_strongest_reasons_then_features() -> None:
    assert format_result(_result()) == (
        "2020 SO  score 0.9973  artificial_candidate  ANOMALY  model 20251126-1\n"
        "  why: very low delta-v (3.1 km/s); solar radiation pressure; "
        "Earth-like orbit (a=1.00 au); orbit.e = 0.0123 (41% of the score); "
        "orbit.a_au = 1.0000 (20% of the score); physical.H_missing: missing (10% of the score)"
    )


def test_features_are_said_in_words_with_their_units() -> None:
    # issue 23 item 10: "ng_log10_abs_a2=-12.66 (+0.648)" was feature jargon
    result = _result(
        anomaly_score=0.999917,
        indicators={"overall": 0.0, "categories": {}, "items": []},
        contributions=[
            {"feature": "ng_log10_abs_a2", "value": -12.66, "contribution": 0.648},
            {"feature": "orb_i_deg", "value": 0.52, "contribution": 0.2},
            {"feature": "phys_H__missing", "value": None, "contribution": 0.1},
        ],
    )
    assert format_result(result).splitlines()[1] == (
        "  why: transverse non-gravitational acceleration |A2| = 2.19e-13 au/d² "
        "(65% of the score); inclination i = 0.52° (20% of the score); "
        "absolute magnitude H: missing (10% of the score)"
    )


def test_scores_near_1_keep_the_digits_that_tell_them_apart() -> None:
    # issue 23 item 10: 29 of 33 alerts printed "score 1.000"
    def shown(score: float) -> str:
        return format_result(_result(anomaly_score=score)).split("  ")[1]

    assert shown(0.999777733) == "score 0.99978"
    assert shown(0.999916931) == "score 0.999917"
    assert shown(0.9994691) == "score 0.99947"
    assert shown(0.12) == "score 0.120"
    assert shown(1.0) == "score 1.000"
    assert len({shown(s) for s in (0.99971, 0.99974, 0.99978, 0.99988, 0.99991)}) == 5


def test_a_natural_result_without_reasons() -> None:
    result = _result(
        designation="433",
        anomaly_score=0.12,
        is_anomaly=False,
        category="natural",
        indicators={"overall": 0.0, "categories": {}, "items": []},
        contributions=[],
    )

    assert format_result(result) == "433  score 0.120  natural  model 20251126-1\n  why: -"


def test_partial_results_do_not_break_the_viewer() -> None:
    assert format_result({}) == "<no designation>  score ?  ?\n  why: -"
    assert format_result({"designation": "X", "anomaly_score": "high", "indicators": []}) == (
        "X  score ?  ?\n  why: -"
    )


def _message(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="neo.results",
        partition=1,
        offset=42,
        timestamp=0,
        timestamp_type=0,
        key=b"2020 SO",
        value=value,
        checksum=None,
        serialized_key_size=7,
        serialized_value_size=len(value),
        headers=(),
    )


def test_json_lines_pass_results_through_on_one_line() -> None:
    pretty = orjson.dumps(_result(), option=orjson.OPT_INDENT_2)

    line = _render(_message(pretty), as_json=True)

    assert "\n" not in line
    assert orjson.loads(line) == _result()


def test_undecodable_messages_are_reported_not_dropped() -> None:
    raw = b"\xff\xfenot json"

    assert orjson.loads(_render(_message(raw), as_json=True)) == {
        "undecodable": "\ufffd\ufffdnot json",
        "source": {"topic": "neo.results", "partition": 1, "offset": 42},
    }
    assert _render(_message(raw), as_json=False) == "<not a result: 10 bytes at neo.results[1]@42>"
    assert _render(_message(b"[1, 2]"), as_json=False) == (
        "<not a result: 6 bytes at neo.results[1]@42>"
    )


def test_dead_letters_show_their_cause_and_source() -> None:
    # issue 23 item 11: tail on the dead-letter topic printed "score ?  ?" / "why: -"
    letter = {
        "schema": "neo.deadletter.v1",
        "reason": "must be >= 0, got -1",
        "field": "orbit.e",
        "error_type": "RecordError",
        "original": "e30=",
        "original_is_null": False,
        "original_bytes": 40,
        "original_truncated": False,
        "source": {"topic": "neo.records", "partition": 3, "offset": 9},
        "key": "2020 SO",
    }
    assert _render(_message(orjson.dumps(letter)), as_json=False) == (
        "2020 SO  DEAD LETTER  RecordError  from neo.records[3]@9  40 bytes\n"
        "  why: orbit.e: must be >= 0, got -1"
    )


def test_input_records_are_shown_as_input() -> None:
    record = {
        "designation": "2024 PT5",
        "orbit": {"a_au": 1.01, "e": 0.02, "i_deg": 1.5},
        "close_approaches": [{"time": "2024-08-08T00:00:00Z", "dist_au": 0.004}],
        "observations": {"ades": [{}, {}, {}]},
    }
    assert _render(_message(orjson.dumps(record)), as_json=False) == (
        "2024 PT5  INPUT RECORD (not scored)  orbit, 1 close approach, 3 observations"
    )
