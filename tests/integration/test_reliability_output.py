"""The results topic becomes unwritable under a running daemon (its size limit below every
result, or the topic deleted with ``topics.create_missing = false``): the daemon keeps running,
reports the failure (log and ``neo_streamer_publish_errors_total``), commits no input offset
whose result is unpublished, and publishes everything once the topic is writable again.

The alerts and dead-letter topics deleted under a running daemon with ``topics.create_missing``
(the default): the daemon creates them again, as it does at start, and loses nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from daemon_harness import (
    Daemon,
    base_config,
    make_registry,
    new_topics,
    produce,
    registry_and_config,
    sample_records,
    write_config,
)
from reliability_report import Tally, account, add_row, sources_of

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

TopicFactory = Callable[..., Awaitable[str]]
Reader = Callable[..., Awaitable[list[Any]]]
Source = tuple[int, int]


def _publish_errors(daemon: Daemon) -> float:
    _, body = daemon.http_get("/metrics")
    for line in body.decode().splitlines():
        if line.startswith("neo_streamer_publish_errors_total "):
            return float(line.split()[1])
    raise AssertionError("no publish error metric")


async def _committed(admin: AIOKafkaAdminClient, group: str, topic: str) -> dict[int, int]:
    offsets = await admin.list_consumer_group_offsets(group)
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


async def _assert_commits_stop_before(
    admin: AIOKafkaAdminClient, group: str, topic: str, unpublished: set[Source]
) -> dict[int, int]:
    """No partition's committed offset is past its first input whose result is unpublished."""
    committed = await _committed(admin, group, topic)
    for part, off in committed.items():
        first = min((o for p, o in unpublished if p == part), default=None)
        if first is not None:
            assert off <= first, f"partition {part} committed {off} past unpublished {first}"
    return committed


async def _wait_failing(daemon: Daemon, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while _publish_errors(daemon) < 3:
        assert time.monotonic() < deadline, "publishing never failed"
        await asyncio.sleep(0.5)
    assert daemon.events("publish failed, retrying the batch")


@pytest.mark.parametrize("fault", ["over-size-limit", "topic-deleted"])
async def test_unwritable_results_topic_blocks_commits_then_recovers(
    tmp_path: Path,
    kafka_bootstrap: str,
    topic_factory: TopicFactory,
    read_all: Reader,
    fault: str,
) -> None:
    root = tmp_path / "registry"
    make_registry(root)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    # the results topic is the test's own, so its size limit can be set and changed
    small = {"max.message.bytes": "600"} if fault == "over-size-limit" else {}
    topics["results"] = await topic_factory(partitions=3, prefix="res", config=small)
    cfg = base_config(kafka_bootstrap, root, topics)
    cfg["kafka"]["request_timeout_ms"] = 5000  # a send to a vanished topic fails sooner
    # the operator recreates a deleted topic here; with create_missing the daemon would
    # (test_deleted_alerts_and_dead_letter_topics_are_recreated)
    cfg["topics"]["create_missing"] = False
    for key, prefix in (("alerts", "alr"), ("dead_letter", "dlq")):
        cfg["topics"][key] = await topic_factory(partitions=3, prefix=prefix)
    group = cfg["kafka"]["group_id"]
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    tally = None
    try:
        daemon.wait_event("daemon started")
        before: list[Source] = []
        if fault == "topic-deleted":
            # a first wave goes through, then the topic disappears under the daemon
            before = await produce(
                kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(300)]
            )
            tally = await Tally(kafka_bootstrap, [topics["results"]], read_committed=False).start()
            await tally.wait_covering(set(before), len(before), within=120)
            await tally.stop()
            tally = None
            await admin.delete_topics([topics["results"]])
        wave = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(300, 300)]
        )
        await _wait_failing(daemon)
        await asyncio.sleep(2 * cfg["kafka"]["commit_interval_ms"] / 1000 + 1)
        assert daemon.proc is not None and daemon.proc.poll() is None
        if fault == "topic-deleted":
            missing = f"output topics not found on the broker: {topics['results']}\n"
            assert daemon.http_get("/readyz") == (503, missing.encode())
        stuck = await _assert_commits_stop_before(admin, group, topics["input"], set(wave))
        # restore the topic
        if fault == "over-size-limit":
            resource = ConfigResource(
                ConfigResourceType.TOPIC, topics["results"], {"max.message.bytes": "1048588"}
            )
            await admin.alter_configs([resource])
        else:
            await admin.create_topics([NewTopic(topics["results"], 3, 1)])
        tally = await Tally(kafka_bootstrap, [topics["results"]], read_committed=False).start()
        await tally.wait_covering(set(wave), len(wave), within=120)
        # the commits catch up with the end of the input
        ends = {p: o + 1 for p, o in _max_per_partition([*before, *wave]).items()}
        deadline = time.monotonic() + 30
        while await _committed(admin, group, topics["input"]) != ends:
            assert time.monotonic() < deadline, "commits never caught up"
            await asyncio.sleep(0.5)
        results = sources_of(r.value for r in await read_all(topics["results"], 3))
        acc = account(wave, results, [])
        failed = _publish_errors(daemon)
        what = (
            "results topic max.message.bytes = 600 (every result larger), raised to 1 MB"
            if fault == "over-size-limit"
            else "results topic deleted after 300 inputs (create_missing = false: reported on "
            "/readyz), recreated by the test"
        )
        add_row(
            f"output-{fault}",
            "fault",
            f"results topic unwritable: {fault.replace('-', ' ')}",
            acc,
            f"{what}; {failed:.0f} failed publish attempts reported (log + metric); committed "
            f"offsets held at {sum(stuck.values())} of {len(before) + len(wave)} inputs "
            "until then",
        )
        assert acc.lost == 0
        assert acc.results >= len(wave)
        assert daemon.proc.poll() is None
    finally:
        if tally is not None:
            await tally.stop()
        await admin.close()
        daemon.stop()


def _max_per_partition(placed: list[Source]) -> dict[int, int]:
    out: dict[int, int] = {}
    for p, o in placed:
        out[p] = max(out.get(p, -1), o)
    return out


_BAD = [b"{not json", b"\xff\xfe", b'{"orbit":{"e":0.1,"i_deg":3,"a_au":1.1}}']


def _wave(n: int, offset: int) -> list[tuple[bytes | None, bytes | None]]:
    """``n`` sample records with an invalid one (a dead letter) after every 50th."""
    out: list[tuple[bytes | None, bytes | None]] = []
    for i, value in enumerate(sample_records(n, offset)):
        out.append((None, value))
        if i % 50 == 0:
            out.append((None, _BAD[i % len(_BAD)]))
    return out


async def test_deleted_alerts_and_dead_letter_topics_are_recreated(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, read_all: Reader
) -> None:
    topics, cfg = await registry_and_config(tmp_path, kafka_bootstrap, topic_factory)
    cfg["kafka"]["request_timeout_ms"] = 5000
    # alerts from about a third of the inputs, so the deleted alerts topic is written to soon
    cfg["processing"].update(alert_min_score=0.9, alert_categories=[], alert_evidence=[])
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    outputs = [topics["results"], topics["dead_letter"]]
    tally = None
    try:
        daemon.wait_event("daemon started")
        first = await produce(kafka_bootstrap, topics["input"], _wave(300, 0))
        tally = await Tally(kafka_bootstrap, outputs, read_committed=False).start()
        await tally.wait_covering(set(first), len(first), within=120)
        await tally.stop()
        tally = None
        await admin.delete_topics([topics["alerts"], topics["dead_letter"]])
        second = await produce(kafka_bootstrap, topics["input"], _wave(300, 300))
        recreated = daemon.wait_event("output topics deleted under the daemon; recreated", 60)
        assert set(recreated["topics"]) <= {topics["alerts"], topics["dead_letter"]}
        # every input of the second wave ends with a result or a dead letter, and alerts
        # arrive on the recreated alerts topic
        tally = await Tally(kafka_bootstrap, outputs, read_committed=False).start()
        await tally.wait_covering(set(second), len(second), within=120)
        await tally.stop()
        tally = None
        results = sources_of(r.value for r in await read_all(topics["results"], 3))
        letters = sources_of(r.value for r in await read_all(topics["dead_letter"], 3))
        alerts = sources_of(r.value for r in await read_all(topics["alerts"], 3))
        acc = account(second, results, letters)
        assert acc.lost == 0
        assert acc.dead_letters >= 6
        assert set(alerts) & set(second), "no alert reached the recreated alerts topic"
        assert daemon.proc is not None and daemon.proc.poll() is None
        events = daemon.events("output topics deleted under the daemon; recreated")
        names = sorted({n for e in events for n in e["topics"]})
        add_row(
            "output-alerts-dead-letter-deleted",
            "fault",
            "alerts and dead-letter topics deleted",
            acc,
            f"both deleted under the daemon after 306 inputs; {len(second):,} more inputs "
            f"({acc.dead_letters} invalid); the daemon recreated {len(names)} of 2 "
            f"(topics.create_missing); {len(set(alerts) & set(second))} alerts on the new "
            "alerts topic; same daemon process throughout",
        )
    finally:
        if tally is not None:
            await tally.stop()
        await admin.close()
        daemon.stop()


def _metric(daemon: Daemon, name: str) -> float:
    _, body = daemon.http_get("/metrics")
    for line in body.decode().splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


async def test_exactly_once_failed_transactions_restart_from_the_committed_offsets(
    tmp_path: Path,
    kafka_bootstrap: str,
    topic_factory: TopicFactory,
    read_all: Reader,
) -> None:
    """Under exactly-once every transaction fails while the results topic refuses the
    results (size limit): each failure replaces the producer and fetches the partitions
    again from the committed offsets, which stay where they were; once the topic accepts
    them every input's result is there exactly once (read with ``read_committed``)."""
    root = tmp_path / "registry"
    make_registry(root)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    small = {"max.message.bytes": "600"}
    topics["results"] = await topic_factory(partitions=3, prefix="res", config=small)
    for key, prefix in (("alerts", "alr"), ("dead_letter", "dlq")):
        topics[key] = await topic_factory(partitions=3, prefix=prefix)
    cfg = base_config(kafka_bootstrap, root, topics)
    cfg["processing"]["processing_guarantee"] = "exactly_once"
    cfg["topics"]["create_missing"] = False
    group = cfg["kafka"]["group_id"]
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        daemon.wait_event("daemon started")
        wave = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(300)]
        )
        deadline = time.monotonic() + 90
        while _metric(daemon, "neo_streamer_transaction_restarts_total") < 3:
            assert time.monotonic() < deadline, "no transaction failed:\n" + daemon.tail()
            await asyncio.sleep(0.5)
        replaced = "transaction failed: producer replaced, partitions fetched again from their"
        assert daemon.events(replaced + " committed offsets")
        assert daemon.events("partitions fetched again from their committed offsets")
        assert await _committed(admin, group, topics["input"]) in ({}, {0: 0, 1: 0, 2: 0})
        resource = ConfigResource(
            ConfigResourceType.TOPIC, topics["results"], {"max.message.bytes": "1048588"}
        )
        await admin.alter_configs([resource])
        ends = {p: o + 1 for p, o in _max_per_partition(wave).items()}
        deadline = time.monotonic() + 120
        while await _committed(admin, group, topics["input"]) != ends:
            assert time.monotonic() < deadline, "commits never caught up:\n" + daemon.tail()
            await asyncio.sleep(0.5)
        records = await read_all(topics["results"], 3, "read_committed")
        acc = account(wave, sources_of(r.value for r in records), [])
        failed = _metric(daemon, "neo_streamer_transaction_restarts_total")
        add_row(
            "output-over-size-limit-exactly-once",
            "fault",
            "results topic unwritable: over size limit, exactly-once",
            acc,
            f"results topic max.message.bytes = 600 (every result larger), raised to 1 MB; "
            f"{failed:.0f} failed transactions, each followed by a new producer and the "
            "partitions fetched again from their committed offsets (held at 0 meanwhile); "
            "counted with read_committed",
        )
        assert acc.lost == 0 and acc.duplicates == 0
        assert daemon.proc is not None and daemon.proc.poll() is None
    finally:
        await admin.close()
        daemon.stop()
