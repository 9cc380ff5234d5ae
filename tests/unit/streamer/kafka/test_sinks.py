"""The at-least-once publisher replaces a producer whose sequence numbers broke.

aiokafka's idempotent producer stops for good after ``OutOfOrderSequenceNumber`` (batches that
expired while the broker was away left a gap). The producer here is a small stand-in that
records sends and fails them as told; the real broker case is
``tests/integration/test_reliability_broker.py``.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest
from aiokafka.errors import MessageSizeTooLargeError, OutOfOrderSequenceNumber

import streamer.kafka.sinks
from streamer.config import AppConfig
from streamer.delivery.checkpoint import TransactionalPublisher
from streamer.errors import PublishError
from streamer.kafka.sinks import AtLeastOncePublisher
from streamer.pipeline.batch import InputItem, ItemOutcome, Output


class FakeProducer:
    def __init__(self, fail_with: type[Exception] | None = None) -> None:
        self.fail_with = fail_with
        self.sent: list[tuple[str, bytes]] = []
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def create_batch(self) -> FakeBatch:
        return FakeBatch()

    async def send_batch(
        self, batch: FakeBatch, topic: str, *, partition: int
    ) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.fail_with is not None:
            future.set_exception(self.fail_with())
        else:
            self.sent.extend((topic, value) for _key, value in batch.records)
            future.set_result(None)
        return future


class FakeBatch:
    def __init__(self) -> None:
        self.records: list[tuple[bytes | None, bytes]] = []

    def append(self, *, key: bytes | None, value: bytes, timestamp: int | None) -> object:
        self.records.append((key, value))
        return object()


def _outcome(offset: int) -> ItemOutcome:
    item = InputItem("in", 0, offset, None, b"{}", 0)
    return ItemOutcome(item, [Output("result", b"k", b"r%d" % offset)])


async def test_sequence_gap_replaces_the_producer_before_the_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken, fresh = FakeProducer(OutOfOrderSequenceNumber), FakeProducer()
    built: list[str | None] = []

    def build(cfg: AppConfig, transactional_id: str | None) -> FakeProducer:
        built.append(transactional_id)
        return fresh

    monkeypatch.setattr(streamer.kafka.sinks, "build_producer", build)
    publisher = AtLeastOncePublisher(broken, AppConfig())
    with pytest.raises(PublishError, match="OutOfOrderSequenceNumber"):
        await (await publisher.enqueue([_outcome(1)]))
    assert built == []  # replaced lazily, by the retry
    await (await publisher.enqueue([_outcome(1)]))
    assert built == [None]  # one fresh idempotent (not transactional) producer
    assert fresh.started and broken.stopped
    assert publisher.producer is fresh
    assert fresh.sent == [("neo.results", b"r1")]
    await (await publisher.enqueue([_outcome(2)]))
    assert built == [None]  # a working producer is kept


async def test_other_publish_errors_keep_the_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    producer = FakeProducer(MessageSizeTooLargeError)
    monkeypatch.setattr(streamer.kafka.sinks, "build_producer", lambda *_: pytest.fail("rebuilt"))
    publisher = AtLeastOncePublisher(producer, AppConfig())
    for _ in range(2):
        with pytest.raises(PublishError, match="MessageSizeTooLarge"):
            await (await publisher.enqueue([_outcome(1)]))
    assert publisher.producer is producer and not producer.stopped


@pytest.mark.parametrize("publisher_class", [AtLeastOncePublisher, TransactionalPublisher])
async def test_nothing_to_publish_needs_no_awaiting(
    publisher_class: type[AtLeastOncePublisher | TransactionalPublisher],
) -> None:
    # the workers skip the wait when every outcome of a batch was dropped (its partition
    # revoked, e.g. the input topic deleted): what they drop must not be a pending coroutine,
    # which Python reports as "coroutine ... was never awaited"
    producer = FakeProducer()
    publisher = publisher_class(producer, AppConfig())  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        waiter = await publisher.enqueue([])
        assert isinstance(waiter, asyncio.Future) and waiter.done()
        del waiter
        gc.collect()
    assert producer.sent == []


async def test_a_fresh_producer_that_cannot_start_leaves_the_broken_one_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The renewal both publishers share (``OutputSender._renew_producer``): a fresh producer
    that cannot reach the broker is stopped, and the next retry builds another."""
    from aiokafka.errors import KafkaConnectionError

    class Unreachable(FakeProducer):
        async def start(self) -> None:
            raise KafkaConnectionError("no broker")

    broken, dead, fresh = FakeProducer(OutOfOrderSequenceNumber), Unreachable(), FakeProducer()
    candidates = [dead, fresh]
    monkeypatch.setattr(streamer.kafka.sinks, "build_producer", lambda *_: candidates.pop(0))
    publisher = AtLeastOncePublisher(broken, AppConfig())
    with pytest.raises(PublishError):
        await (await publisher.enqueue([_outcome(1)]))
    with pytest.raises(PublishError, match="cannot start a new producer"):
        await publisher.enqueue([_outcome(1)])
    assert dead.stopped and publisher.producer is broken and not broken.stopped
    await (await publisher.enqueue([_outcome(1)]))
    assert publisher.producer is fresh and broken.stopped
