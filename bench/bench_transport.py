"""Transport ceiling: a passthrough consumer → producer with the daemon's aiokafka settings.

No decoding and no scoring: each input message's key and value are republished as they are.
The consumer is the one :class:`streamer.kafka.source.Source` builds, the producer comes from
:func:`streamer.kafka.sinks.build_producer` (idempotent, ``acks=all``, the configured linger, batch
size and compression) and publishes through the daemon's
:class:`~streamer.kafka.sinks.AtLeastOncePublisher` (one record batch per partition), and the loop
fetches ``fetch_max_records`` at a time and commits the acknowledged prefix every
``commit_interval_ms``, as the daemon does. What the daemon adds on top is the scoring and
its result documents, so this is the most it can reach on the same broker.

``run_all`` measures it with the shipped compression (zstd) and without any, before the
daemon cases and again after them. The ceiling the daemon is judged against is the fastest
run with the shipped compression, the same settings as the daemon's, as the issue defines it;
the runs without compression are reported beside it. The passthrough republishes the
*inputs*, which are twice the size of the results on average (observation blocks), so
compressing costs it more than it costs the daemon.

Usage::

    .venv/bin/python -m bench.bench_transport [--records 100000] [--compression none]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition

from bench import harness
from streamer.config import AppConfig
from streamer.delivery.offsets import OffsetTracker
from streamer.kafka.sinks import AtLeastOncePublisher, build_producer
from streamer.kafka.source import TP, Source
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem, ItemOutcome, Output


def passthrough_config(
    bootstrap: str, input_topic: str, output_topic: str, **keys: object
) -> AppConfig:
    """The daemon's defaults (``keys``: dotted overrides), with this run's broker, topics and
    a fresh group."""
    cfg: AppConfig = harness.app_config(
        bootstrap, input_topic, "bench-pass", **{"topics.results": output_topic, **keys}
    )
    return cfg


async def passthrough(cfg: AppConfig) -> None:
    """Republish the input topic to the results topic until cancelled."""
    tracker: OffsetTracker[TP] = OffsetTracker()
    consumer = Source(cfg, asyncio.Queue(), tracker, Metrics()).consumer
    producer = build_producer(cfg, None)
    await producer.start()
    await consumer.start()
    consumer.subscribe([cfg.topics.input])
    interval = cfg.kafka.commit_interval_ms / 1000.0
    in_flight: deque[tuple[list[asyncio.Future[Any]], list[tuple[TP, int]]]] = deque()
    next_commit = time.monotonic() + interval
    # the daemon's own publisher: one record batch per partition, acknowledged as a whole
    publisher = AtLeastOncePublisher(producer, cfg)
    try:
        while True:
            batches = await consumer.getmany(
                timeout_ms=200, max_records=cfg.kafka.fetch_max_records
            )
            outcomes: list[ItemOutcome] = []
            done: list[tuple[TP, int]] = []
            for tp, messages in batches.items():
                for msg in messages:
                    key = (tp.topic, tp.partition)
                    tracker.track(key, msg.offset)
                    item = InputItem(tp.topic, tp.partition, msg.offset, msg.key, msg.value, 0)
                    outcomes.append(ItemOutcome(item, [Output("result", msg.key, msg.value)]))
                    done.append((key, msg.offset))
            if outcomes:
                waiter = asyncio.ensure_future(await publisher.enqueue(outcomes))
                in_flight.append(([waiter], done))
            # acknowledged batches, oldest first, make their offsets committable
            while in_flight and all(f.done() for f in in_flight[0][0]):
                for key, offset in in_flight.popleft()[1]:
                    tracker.mark_done(key, offset)
            if time.monotonic() >= next_commit:
                offsets = tracker.committable()
                if offsets:
                    await consumer.commit({TopicPartition(*k): o for k, o in offsets.items()})
                    tracker.mark_committed(offsets)
                next_commit = time.monotonic() + interval
    finally:
        await consumer.stop()
        await producer.stop()


async def run_transport(
    bootstrap: str, input_topic: str, records: int, compression: str | None = None
) -> dict[str, Any]:
    """Measure the passthrough over the first ``records`` messages of ``input_topic``, with
    the daemon's producer settings (``compression``: another ``compression_type``)."""
    output = f"bench-pass-out-{harness.new_tag()}"
    await harness.create_topics(bootstrap, [output])
    keys = {} if compression is None else {"kafka.compression_type": compression}
    cfg = passthrough_config(bootstrap, input_topic, output, **keys)
    task = asyncio.create_task(passthrough(cfg))
    broker = harness.broker_pid()
    try:
        # CPU of this process (the passthrough, and the counter polling end offsets) and of
        # the broker, per record, over the same window as the rate
        with (
            harness.RssSampler(os.getpid(), pss_interval_s=float("inf")) as own,
            harness.MachineSampler() as machine,
            contextlib.ExitStack() as stack,
        ):
            broker_cpu = None if broker is None else stack.enter_context(harness.RssSampler(broker))
            async with harness.TopicCounter(bootstrap, output) as counter:
                samples = await harness.poll_progress(
                    counter.count,
                    records,
                    timeout_s=max(60.0, records / 500),
                    alive=lambda: not task.done(),
                )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await harness.delete_topics(bootstrap, [output])
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise RuntimeError("passthrough failed") from task.exception()
    rate = harness.sustained_rate(samples)
    since, until, counted = harness.steady_window(samples, records)

    steady = (since, until, counted)
    own_cores = own.cores_between(since, until, own=True)
    broker_cores = None if broker_cpu is None else broker_cpu.cores_between(since, until)
    # where all the machine's cores went: this process is the passthrough (``harness``),
    # nothing is a daemon
    rates = machine.rates(since, until)
    cores = None if rates is None else harness.core_shares(rates, 0.0, broker_cores)
    return {
        "records": records,
        "done": samples[-1][1] if samples else 0,
        "rps": rate["rps"],
        "seconds": rate["seconds"],
        "cpu_us_per_record": harness.us_per_record(own_cores, steady),
        "broker_cpu_us_per_record": (
            None if broker_cores is None else harness.us_per_record(broker_cores, steady)
        ),
        "cores": cores,
        "settings": {
            "fetch_max_records": cfg.kafka.fetch_max_records,
            "linger_ms": cfg.kafka.linger_ms,
            "max_batch_size": cfg.kafka.max_batch_size,
            "compression_type": cfg.kafka.compression_type,
            "commit_interval_ms": cfg.kafka.commit_interval_ms,
            "acks": "all",
            "idempotent": True,
        },
    }


async def _main(records: int, compression: str | None) -> dict[str, Any]:
    bootstrap = harness.bootstrap_servers()
    topic = f"bench-in-{harness.new_tag()}"
    await harness.create_topics(bootstrap, [topic])
    try:
        await harness.bulk_produce(bootstrap, topic, harness.rekeyed_messages(records))
        return await run_transport(bootstrap, topic, records, compression)
    finally:
        await harness.delete_topics(bootstrap, [topic])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the passthrough alone and print its rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--compression", default=None, help="default: the shipped setting")
    args = parser.parse_args(argv)
    result = asyncio.run(_main(args.records, args.compression))
    cpu, broker = result["cpu_us_per_record"], result["broker_cpu_us_per_record"]
    print(
        f"passthrough: {result['rps']:,.0f} records/s over {result['done']:,} records; CPU "
        f"{'n/a' if cpu is None else f'{cpu:,.1f}'} us/record in this process, broker "
        f"{'n/a' if broker is None else f'{broker:,.1f}'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
