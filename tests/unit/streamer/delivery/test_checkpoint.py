"""The delivery guarantees in :mod:`streamer.delivery.checkpoint`, with a stand-in consumer.

The real broker cases (SIGKILL under either guarantee, rebalances) are
``tests/integration/test_daemon.py`` and ``tests/integration/test_reliability_kill.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError, OutOfOrderSequenceNumber

import streamer.delivery.checkpoint as checkpoint_mod
from streamer.config import AppConfig, load_config
from streamer.delivery.checkpoint import (
    AtLeastOnceCheckpoint,
    ExactlyOnceCheckpoint,
    isolation_level,
    new_checkpoint,
    transactional_id,
)
from streamer.delivery.offsets import OffsetTracker
from streamer.errors import PublishError
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem, ItemOutcome


class FakeConsumer:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail:
            raise KafkaConnectionError("down")
        self.commits.append(offsets)


class FakeSource:
    def __init__(self, owned: set[tuple[str, int]], consumer: FakeConsumer) -> None:
        self.owned = owned
        self.consumer = consumer

    def assignment(self) -> set[tuple[str, int]]:
        return set(self.owned)


def _cfg(guarantee: str) -> AppConfig:
    return load_config(
        None,
        env={},
        overrides={
            "processing.processing_guarantee": guarantee,
            "kafka.group_id": "g",
            "kafka.instance_id": "r1",
        },
    )


def _at_least_once(
    owned: set[tuple[str, int]], consumer: FakeConsumer
) -> tuple[AtLeastOnceCheckpoint, OffsetTracker[tuple[str, int]], Metrics]:
    tracker: OffsetTracker[tuple[str, int]] = OffsetTracker()
    metrics = Metrics()
    source: Any = FakeSource(owned, consumer)
    producer: Any = object()
    return (
        AtLeastOnceCheckpoint(producer, _cfg("at_least_once"), source, tracker, metrics),
        (tracker),
        metrics,
    )


def _item(partition: int, offset: int) -> InputItem:
    return InputItem("in", partition, offset, None, b"{}", 0)


async def test_at_least_once_commits_the_delivered_prefix_of_owned_partitions() -> None:
    consumer = FakeConsumer()
    checkpoint, tracker, _ = _at_least_once({("in", 0), ("in", 1)}, consumer)
    for p in (0, 1, 2):
        for off in range(3):
            tracker.track(("in", p), off)
    # 0:0 and 0:2 delivered (0:1 not yet), all of 1, partition 2 is no longer owned
    checkpoint.done([_item(0, 0), _item(0, 2), *(_item(1, o) for o in range(3)), _item(2, 0)])
    await checkpoint.commit()
    assert consumer.commits == [{TopicPartition("in", 0): 1, TopicPartition("in", 1): 3}]
    await checkpoint.commit()  # nothing moved: nothing committed
    assert len(consumer.commits) == 1
    checkpoint.done([_item(0, 1)])
    await checkpoint.revoked({("in", 0)})
    assert consumer.commits[-1] == {TopicPartition("in", 0): 3}


async def test_at_least_once_failed_commit_is_retried_next_time() -> None:
    consumer = FakeConsumer(fail=True)
    checkpoint, tracker, metrics = _at_least_once({("in", 0)}, consumer)
    tracker.track(("in", 0), 0)
    checkpoint.done([_item(0, 0)])
    await checkpoint.commit()
    assert metrics.commits.labels(outcome="failed")._value.get() == 1
    consumer.fail = False
    await checkpoint.close(deadline=float("inf"))
    assert consumer.commits == [{TopicPartition("in", 0): 1}]


async def test_exactly_once_never_commits_through_the_consumer() -> None:
    consumer = FakeConsumer()
    tracker: OffsetTracker[tuple[str, int]] = OffsetTracker()
    source: Any = FakeSource({("in", 0)}, consumer)
    producer: Any = object()
    checkpoint = new_checkpoint(_cfg("exactly_once"), producer, source, tracker, Metrics())
    assert isinstance(checkpoint, ExactlyOnceCheckpoint)
    assert checkpoint.background() == []
    tracker.track(("in", 0), 0)
    checkpoint.done([_item(0, 0)])
    await checkpoint.revoked({("in", 0)})
    await checkpoint.close(deadline=float("inf"))
    assert consumer.commits == []  # the offsets went into each batch's transaction


@pytest.mark.parametrize(
    ("guarantee", "tx_id", "level"),
    [("at_least_once", None, "read_uncommitted"), ("exactly_once", "g-r1", "read_committed")],
)
def test_the_guarantee_decides_transactional_id_and_isolation(
    guarantee: str, tx_id: str | None, level: str
) -> None:
    cfg = _cfg(guarantee)
    assert transactional_id(cfg) == tx_id
    assert isolation_level(cfg) == level


class FakeTxProducer:
    """The transactional calls the publisher makes, recorded."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def begin_transaction(self) -> None:
        self.calls.append("begin")

    async def send_offsets_to_transaction(self, offsets: Any, group_id: str) -> None:
        self.calls.append("offsets")

    async def commit_transaction(self) -> None:
        self.calls.append("commit")

    async def abort_transaction(self) -> None:
        self.calls.append("abort")

    async def start(self) -> None:
        self.calls.append("start")

    async def stop(self) -> None:
        self.calls.append("stop")


class Restartable(FakeSource):
    """A source whose restart makes every item fetched before it stale (a new epoch)."""

    def __init__(self) -> None:
        super().__init__({("in", 0)}, FakeConsumer())
        self.epoch = 0
        self.restarts = 0

    def live(self, item: InputItem) -> bool:
        return item.epoch == self.epoch

    async def restart(self) -> None:
        self.restarts += 1
        self.epoch += 1


def _failing_send(bad: Any) -> Any:
    async def send_all(self: Any, outcomes: Any) -> list[asyncio.Future[Any]]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.producer is bad:
            future.set_exception(OutOfOrderSequenceNumber("sequence gap"))
        else:
            future.set_result(None)
        return [future]

    return send_all


def _exactly_once(
    monkeypatch: pytest.MonkeyPatch,
    first: FakeTxProducer,
    fresh: Any,
    restart: Any,
    metrics: Metrics | None = None,
) -> tuple[Any, Restartable]:
    """An exactly-once checkpoint whose sends with ``first`` fail (a sequence gap) and whose
    renewals build ``fresh`` (a producer, or a callable returning the next one)."""
    build = fresh if callable(fresh) else (lambda cfg, tid: fresh)
    monkeypatch.setattr(checkpoint_mod, "build_producer", build)
    monkeypatch.setattr(checkpoint_mod.TransactionalPublisher, "_send_all", _failing_send(first))
    source = Restartable()
    checkpoint = new_checkpoint(
        _cfg("exactly_once"),
        first,  # type: ignore[arg-type]
        source,  # type: ignore[arg-type]
        OffsetTracker(),
        metrics or Metrics(),
        restart=restart or source.restart,
    )
    return checkpoint, source


async def test_a_failed_transaction_replaces_the_producer_and_restarts_from_committed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Seen on the broker outage test under exactly_once: a single-replica broker stopped
    # mid-stream recorded a transaction as committed without writing its markers; its
    # outputs were aborted with the next failed transaction while its offsets stayed
    # committed, and retrying the failed batch from memory lost those 64 inputs. A failed
    # transaction now replaces the producer and fetches every partition again from the
    # committed offsets; the failed batch's outcomes are never sent again from memory.
    first, fresh = FakeTxProducer(), FakeTxProducer()
    metrics = Metrics()
    checkpoint, source = _exactly_once(monkeypatch, first, fresh, None, metrics)
    stale = ItemOutcome(_item(0, 5), [])
    with pytest.raises(PublishError, match="OutOfOrderSequenceNumber"):
        await checkpoint.enqueue([stale])
    assert first.calls == ["begin", "stop"]  # no offsets, no commit; fenced by the new one
    assert checkpoint.producer is fresh and fresh.calls == ["start"]
    assert source.restarts == 1
    assert metrics.transaction_restarts._value.get() == 1
    # the worker's retry: the outcome is stale, nothing is sent (its input comes again)
    await checkpoint.enqueue([stale])
    assert fresh.calls == ["start"]
    again = ItemOutcome(msgspec.structs.replace(_item(0, 5), epoch=1), [])
    await checkpoint.enqueue([again])
    assert fresh.calls == ["start", "begin", "offsets", "commit"]


async def test_a_renewal_that_fails_is_tried_again_before_the_next_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, down, fresh = FakeTxProducer(), FakeTxProducer(), FakeTxProducer()

    async def refused() -> None:
        raise KafkaConnectionError("broker down")

    down.start = refused  # type: ignore[method-assign]
    producers = iter([down, fresh])
    checkpoint, source = _exactly_once(monkeypatch, first, lambda cfg, tid: next(producers), None)
    outcome = ItemOutcome(_item(0, 5), [])
    with pytest.raises(PublishError, match="OutOfOrderSequenceNumber"):
        await checkpoint.enqueue([outcome])
    assert checkpoint.producer is first and source.restarts == 0  # still broken
    await checkpoint.enqueue([outcome])  # renewed and restarted first: the outcome is stale
    assert checkpoint.producer is fresh and source.restarts == 1
    assert fresh.calls == ["start"] and first.calls == ["begin", "stop"]


async def test_committed_offsets_unreadable_keep_the_checkpoint_recovering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, fresh = FakeTxProducer(), FakeTxProducer()
    failures = [KafkaConnectionError("coordinator away")]

    async def restart() -> None:
        if failures:
            raise failures.pop()
        await source.restart()

    checkpoint, source = _exactly_once(monkeypatch, first, fresh, restart)
    outcome = ItemOutcome(_item(0, 5), [])
    with pytest.raises(PublishError, match="OutOfOrderSequenceNumber"):
        await checkpoint.enqueue([outcome])
    assert checkpoint.producer is fresh and source.restarts == 0
    # never retried from memory with the new producer: the restart comes first
    await checkpoint.enqueue([outcome])
    assert source.restarts == 1 and fresh.calls == ["start"]
