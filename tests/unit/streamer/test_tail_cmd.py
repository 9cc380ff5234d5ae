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
        "2020 SO  score 0.997  artificial_candidate  ANOMALY  model 20251126-1\n"
        "  why: very low delta-v (3.1 km/s); solar radiation pressure; "
        "Earth-like orbit (a=1.00 au); orbit.e=0.0123 (+0.410); orbit.a_au=1.0000 (+0.200); "
        "physical.H_missing=? (+0.100)"
    )


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
