"""Rubin/LSST alerts on the real broker: a topic of wire-format Avro alerts mixed with neo.v1
JSON, read by one daemon with ``[input] format = "auto"``: every alert and record scored, every
hostile Avro message dead-lettered with its reason, nothing lost or doubled."""

from __future__ import annotations

import random
import signal
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from daemon_harness import (
    ROOT,
    Daemon,
    base_config,
    covers,
    make_registry,
    new_topics,
    produce,
    read_topic,
    sample_records,
    write_config,
)

from core.lsst.files import wire_messages

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

TopicFactory = Callable[..., Awaitable[str]]
LIMIT = 20 * 1024 * 1024  # the input topic takes one message above the decoder's 16 MiB limit


def _hostile(valid: bytes) -> list[tuple[str, bytes, str]]:
    rng = random.Random(11)
    noise = bytes(rng.randrange(256) for _ in range(300))
    return [
        ("truncated", valid[: len(valid) // 3], "truncated"),
        ("random bytes after a valid header", valid[:5] + noise, "schema 11.1"),
        ("schema id not installed", struct.pack(">bI", 0, 650) + valid[5:], "6.50"),
        ("over the size limit", valid + b"\x00" * (17 * 1024 * 1024), "exceeds"),
    ]


async def test_a_topic_of_rubin_alerts_and_neo_records_is_scored_end_to_end(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory
) -> None:
    root = tmp_path / "registry"
    make_registry(root)
    topics = new_topics()
    topics["input"] = await topic_factory(
        partitions=3, prefix="in", config={"max.message.bytes": str(LIMIT)}
    )
    cfg = base_config(kafka_bootstrap, root, topics)
    cfg["input"] = {"format": "auto"}
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        alerts = list(wire_messages(ROOT / "data" / "lsst_alerts.avro"))[:60]
        records = [(None, v) for v in sample_records(40)]
        hostile = _hostile(alerts[0][1])
        at_alerts = await produce(kafka_bootstrap, topics["input"], alerts)
        at_records = await produce(kafka_bootstrap, topics["input"], records)
        at_hostile = await _produce_large(
            kafka_bootstrap, topics["input"], [(b"bad", v) for _, v, _ in hostile]
        )
        daemon.wait_event("daemon started")
        everything = set(at_alerts) | set(at_records) | set(at_hostile)
        wanted_results = set(at_alerts) | set(at_records)
        results = await read_topic(
            kafka_bootstrap, topics["results"], until=covers(wanted_results), within=180
        )
        letters = await read_topic(
            kafka_bootstrap, topics["dead_letter"], until=covers(set(at_hostile)), within=60
        )
        res_by = _by_source(results)
        dlq_by = _by_source(letters)
        assert set(res_by) == wanted_results  # every alert and record scored once
        assert set(dlq_by) == set(at_hostile)  # every hostile message dead-lettered once
        assert not (set(res_by) & set(dlq_by)) and set(res_by) | set(dlq_by) == everything
        # what subscribers receive holds to the published contracts (docs/schemas/)
        results_ok, letters_ok = _validator("neo.anomaly.v1"), _validator("neo.deadletter.v1")
        for result in res_by.values():
            results_ok.validate({k: v for k, v in result.items() if k != "_key"})
        for letter in dlq_by.values():
            letters_ok.validate({k: v for k, v in letter.items() if k != "_key"})
        for (key, _value), src in zip(alerts, at_alerts, strict=True):
            result = res_by[src]
            assert result["_key"] == key  # keyed on the solar-system object
            assert result["anomaly_score"] is not None
        for (_, value), src in zip(records, at_records, strict=True):
            assert res_by[src]["designation"] == orjson.loads(value)["designation"]
        for (label, _, reason), src in zip(hostile, at_hostile, strict=True):
            letter = dlq_by[src]
            assert reason in letter["reason"], (label, letter["reason"])
            assert letter["error_type"] == "RecordError" and letter["key"] == "bad", label
        assert daemon.proc is not None and daemon.proc.poll() is None
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        daemon.stop()


async def _produce_large(
    bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]
) -> list[tuple[int, int]]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=LIMIT)
    await producer.start()
    try:
        metas = [await (await producer.send(topic, value=v, key=k)) for k, v in messages]
        return [(m.partition, m.offset) for m in metas]
    finally:
        await producer.stop()


def _validator(name: str) -> Any:
    import jsonschema

    schema = orjson.loads((ROOT / "docs" / "schemas" / f"{name}.schema.json").read_bytes())
    return jsonschema.validators.validator_for(schema)(schema)


def _by_source(messages: list[dict[str, Any]]) -> dict[tuple[int, int], dict[str, Any]]:
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for m in messages:
        src = (m["source"]["partition"], m["source"]["offset"])
        assert src not in out, f"two outputs for input {src}"
        out[src] = m
    return out
