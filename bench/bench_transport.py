"""Transport ceiling: a passthrough consumer → producer with the daemon's aiokafka settings.

No decoding and no scoring: each input message's key and value are republished as they are.
The consumer is the one :class:`streamer.source.Source` builds and the producer comes from
:func:`streamer.sinks.build_producer` (idempotent, ``acks=all``, the configured linger), and
the loop fetches ``fetch_max_records`` at a time and commits the acknowledged prefix every
``commit_interval_ms``, as the daemon does. What the daemon adds on top is the scoring and
its result documents, so this is the most it can reach on the same broker.

Usage::

    .venv/bin/python -m bench.bench_transport [--records 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition

from bench import harness
from streamer.config import AppConfig
from streamer.metrics import Metrics
from streamer.offsets import OffsetTracker
from streamer.sinks import build_producer
from streamer.source import TP, Source


def passthrough_config(bootstrap: str, input_topic: str, output_topic: str) -> AppConfig:
    """The daemon's defaults, with this run's broker, topics and a fresh group."""
    cfg: AppConfig = harness.app_config(
        bootstrap, input_topic, "bench-pass", **{"topics.results": output_topic}
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
    try:
        while True:
            batches = await consumer.getmany(
                timeout_ms=200, max_records=cfg.kafka.fetch_max_records
            )
            futures: list[asyncio.Future[Any]] = []
            done: list[tuple[TP, int]] = []
            for tp, messages in batches.items():
                for msg in messages:
                    tracker.track((tp.topic, tp.partition), msg.offset)
                    futures.append(
                        await producer.send(cfg.topics.results, value=msg.value, key=msg.key)
                    )
                    done.append(((tp.topic, tp.partition), msg.offset))
            if futures:
                in_flight.append((futures, done))
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


async def run_transport(bootstrap: str, input_topic: str, records: int) -> dict[str, Any]:
    """Measure the passthrough over the first ``records`` messages of ``input_topic``."""
    output = f"bench-pass-out-{harness.new_tag()}"
    await harness.create_topics(bootstrap, [output])
    cfg = passthrough_config(bootstrap, input_topic, output)
    task = asyncio.create_task(passthrough(cfg))
    try:
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
    return {
        "records": records,
        "done": samples[-1][1] if samples else 0,
        "rps": rate["rps"],
        "seconds": rate["seconds"],
        "settings": {
            "fetch_max_records": cfg.kafka.fetch_max_records,
            "linger_ms": cfg.kafka.linger_ms,
            "commit_interval_ms": cfg.kafka.commit_interval_ms,
            "acks": "all",
            "idempotent": True,
        },
    }


async def _main(records: int) -> dict[str, Any]:
    bootstrap = harness.bootstrap_servers()
    topic = f"bench-in-{harness.new_tag()}"
    await harness.create_topics(bootstrap, [topic])
    try:
        await harness.bulk_produce(bootstrap, topic, harness.rekeyed_messages(records))
        return await run_transport(bootstrap, topic, records)
    finally:
        await harness.delete_topics(bootstrap, [topic])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the passthrough alone and print its rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    result = asyncio.run(_main(args.records))
    print(f"passthrough: {result['rps']:,.0f} records/s over {result['done']:,} records")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
