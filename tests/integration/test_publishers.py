"""The publishers on the real broker: batches per partition land where ``send`` would put them.

:class:`~streamer.kafka.sinks.AtLeastOncePublisher` and
:class:`~streamer.delivery.checkpoint.TransactionalPublisher` build one record batch per partition
(``create_batch``/``send_batch``) instead of sending each output alone. Whatever the batching,
every output must arrive once, on the partition aiokafka's default (murmur2) partitioner picks
for its key, in order per key; a null key is allowed (dead letters keep a null input key).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiokafka import ConsumerRecord
from aiokafka.partitioner import DefaultPartitioner

from streamer.config import load_config
from streamer.delivery.checkpoint import TransactionalPublisher
from streamer.kafka.sinks import AtLeastOncePublisher, build_producer
from streamer.pipeline.batch import InputItem, ItemOutcome, Output

TopicFactory = Callable[..., Awaitable[str]]
TopicReader = Callable[..., Awaitable[list[ConsumerRecord[bytes, bytes]]]]


def _outcomes(source: str, start: int, n: int) -> list[ItemOutcome]:
    out = []
    for i in range(start, start + n):
        key = None if i % 17 == 0 else f"2024 PT{i % 23}".encode()
        value = f'{{"seq":{i},"pad":"{"x" * 300}"}}'.encode()
        outputs = [Output("result", key, value)]
        if i % 5 == 0:
            outputs.append(Output("alert", key, value))
        out.append(ItemOutcome(InputItem(source, 0, i, key, b"{}", 0), outputs))
    return out


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
async def test_batched_outputs_keep_partition_and_order_per_key(
    kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader, guarantee: str
) -> None:
    source = await topic_factory(partitions=1, prefix="in")  # exactly-once commits its offsets
    results = await topic_factory(partitions=3, prefix="res")
    alerts = await topic_factory(partitions=2, prefix="alr")
    cfg = load_config(
        None,
        env={},
        overrides={
            "kafka.bootstrap_servers": kafka_bootstrap,
            "kafka.group_id": f"pub-{results}",
            "kafka.max_batch_size": 2048,  # ~6 outputs per batch: several batches per partition
            "topics.results": results,
            "topics.alerts": alerts,
        },
    )
    exactly_once = guarantee == "exactly_once"
    producer = build_producer(cfg, f"tx-{results}" if exactly_once else None)
    await producer.start()
    try:
        publisher = (
            TransactionalPublisher(producer, cfg)
            if exactly_once
            else AtLeastOncePublisher(producer, cfg)
        )
        sent: list[ItemOutcome] = []
        for start in (0, 100, 250):  # three enqueues, as three worker batches in turn
            batch = _outcomes(source, start, 100 if start < 250 else 60)
            sent += batch
            await (await publisher.enqueue(batch))
    finally:
        await producer.stop()

    level = "read_committed" if exactly_once else "read_uncommitted"
    partitioner = DefaultPartitioner()
    for topic, parts, kind in ((results, 3, "result"), (alerts, 2, "alert")):
        got = await read_all(topic, parts, isolation_level=level)
        wanted = [(out.key, out.value) for o in sent for out in o.outputs if out.kind == kind]
        assert sorted((r.key or b"", r.value) for r in got) == sorted(
            (k or b"", v) for k, v in wanted
        )  # each output exactly once
        keyed = {k for k, _ in wanted if k is not None}
        where = {r.key: r.partition for r in got if r.key is not None}
        assert where == {k: partitioner(k, list(range(parts)), list(range(parts))) for k in keyed}
        for key in keyed:  # per key, the broker order is the publishing order
            assert [r.value for r in got if r.key == key] == [v for k, v in wanted if k == key]
