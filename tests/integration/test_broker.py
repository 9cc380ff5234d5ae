"""The broker behind the session fixture really is Kafka: keys, idempotence, transactions.

These round trips are what the daemon relies on: keyed partitioning keeps all results of
one object in order, the idempotent producer writes each record once, and a
``read_committed`` reader sees committed transactions only (exactly-once mode).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

TopicFactory = Callable[..., Awaitable[str]]
TopicReader = Callable[..., Awaitable[list[ConsumerRecord[bytes, bytes]]]]


async def test_keys_keep_their_partition_and_order(
    kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader
) -> None:
    topic = await topic_factory(partitions=3, prefix="keys")
    keys = [f"2024 PT{i}".encode() for i in range(12)]
    sent = [(keys[i % len(keys)], f"v{i}".encode()) for i in range(60)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in sent:
            await producer.send(topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()

    got = await read_all(topic, 3)

    assert sorted((r.key, r.value) for r in got) == sorted(sent)
    # The Java-compatible murmur2 partitioner decides, so every client agrees where a key lives.
    partitioner = DefaultPartitioner()
    expected_partition = {k: partitioner(k, [0, 1, 2], [0, 1, 2]) for k in keys}
    assert {r.key: r.partition for r in got} == expected_partition
    assert len(set(expected_partition.values())) > 1  # the keys really were spread
    # Per key, the broker order is the send order.
    for key in keys:
        assert [r.value for r in got if r.key == key] == [v for k, v in sent if k == key]


async def test_idempotent_producer_writes_each_record_once(
    kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader
) -> None:
    topic = await topic_factory(partitions=1, prefix="idem")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, value=f"r{i}".encode()) for i in range(50)]
        offsets = [(await f).offset for f in futures]
    finally:
        await producer.stop()

    got = await read_all(topic, 1)

    assert offsets == list(range(50))
    assert [r.offset for r in got] == list(range(50))
    assert [r.value for r in got] == [f"r{i}".encode() for i in range(50)]


async def test_read_committed_sees_committed_transactions_only(
    kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader
) -> None:
    topic = await topic_factory(partitions=2, prefix="txn")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, transactional_id=f"test-txn-{uuid.uuid4().hex}"
    )
    await producer.start()
    try:
        await producer.begin_transaction()
        for i in range(5):
            await producer.send(topic, value=f"aborted-{i}".encode(), key=b"k")
        await producer.flush()  # the aborted records really reach the log
        await producer.abort_transaction()

        async with producer.transaction():
            for i in range(5):
                await producer.send(topic, value=f"committed-{i}".encode(), key=b"k")
    finally:
        await producer.stop()

    committed = await read_all(topic, 2, "read_committed")
    everything = await read_all(topic, 2, "read_uncommitted")

    assert [r.value for r in committed] == [f"committed-{i}".encode() for i in range(5)]
    assert [r.value for r in everything] == [f"aborted-{i}".encode() for i in range(5)] + [
        f"committed-{i}".encode() for i in range(5)
    ]


async def test_consumed_offsets_commit_only_with_their_transaction(
    kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader
) -> None:
    """Consume-transform-produce: the group offset moves with a commit, not with an abort."""
    source = await topic_factory(partitions=1, prefix="eos-in")
    sink = await topic_factory(partitions=1, prefix="eos-out")
    group = f"eos-{uuid.uuid4().hex}"
    tp = TopicPartition(source, 0)

    plain = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await plain.start()
    try:
        for i in range(4):
            await plain.send_and_wait(source, value=f"in-{i}".encode())
    finally:
        await plain.stop()

    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, transactional_id=f"test-eos-{uuid.uuid4().hex}"
    )
    await producer.start()
    try:
        # Offsets 0-1 are processed in an aborted transaction, then 0-3 in a committed one.
        for upto, commit in ((2, False), (4, True)):
            await producer.begin_transaction()
            for i in range(upto):
                await producer.send(sink, value=f"out-{i}".encode())
            await producer.send_offsets_to_transaction({tp: upto}, group)
            if commit:
                await producer.commit_transaction()
            else:
                await producer.abort_transaction()
                committed_after_abort = await _committed_offset(kafka_bootstrap, group, tp)
                assert committed_after_abort is None
    finally:
        await producer.stop()

    assert await _committed_offset(kafka_bootstrap, group, tp) == 4
    outputs = await read_all(sink, 1, "read_committed")
    assert [r.value for r in outputs] == [f"out-{i}".encode() for i in range(4)]


async def _committed_offset(bootstrap: str, group: str, tp: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        offset: int | None = await asyncio.wait_for(consumer.committed(tp), timeout=30)
        return offset
    finally:
        await consumer.stop()
