"""The naive design, same broker and data: one record at a time, end to end.

This is the loop the original aNEOS ``StreamingMLProcessor`` sketched (its ``_ml_worker``
takes one item, runs ``inference_engine.predict(neo_data)`` in the default executor and hands
the result on): for each message, decode it, ``engine.predict_batch([record])`` in the
executor, publish the result and wait for the acknowledgement, then commit that message's
offset. Same model, same consumer and producer settings as the daemon, same alert rule; only
the batching and pipelining are missing. It is slow, so it runs for a bounded time.

Usage::

    .venv/bin/python -m bench.bench_naive [--seconds 30] [--model models]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from aiokafka import TopicPartition

from bench import harness
from core.contract.records import decode_record
from core.serving.inference import InferenceEngine
from core.serving.registry import load_model
from streamer.delivery.offsets import OffsetTracker
from streamer.kafka.sinks import build_producer
from streamer.kafka.source import TP, Source
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import AlertRule

WARMUP_RECORDS = 20


async def run_naive(
    bootstrap: str, model: Path, input_topic: str, *, seconds: float, max_records: int
) -> dict[str, Any]:
    """Process ``input_topic`` one record at a time for ``seconds`` (or ``max_records``)."""
    tag = harness.new_tag()
    results, alerts = f"bench-naive-res-{tag}", f"bench-naive-alr-{tag}"
    await harness.create_topics(bootstrap, [results, alerts])
    cfg = harness.app_config(
        bootstrap,
        input_topic,
        "bench-naive",
        **{"topics.results": results, "topics.alerts": alerts},
    )
    p, m = cfg.processing, cfg.model
    engine = InferenceEngine(load_model(model), cache_size=m.cache_size, cache_ttl_s=m.cache_ttl_s)
    rule = AlertRule(p.alert_min_score, frozenset(p.alert_categories))
    tracker: OffsetTracker[TP] = OffsetTracker()
    consumer = Source(cfg, asyncio.Queue(), tracker, Metrics()).consumer
    producer = build_producer(cfg, None)
    loop = asyncio.get_running_loop()
    await producer.start()
    await consumer.start()
    consumer.subscribe([input_topic])
    done = 0
    started = time.perf_counter()
    try:
        while True:
            msg = await consumer.getone()
            record = decode_record(msg.value)
            result = (await loop.run_in_executor(None, engine.predict_batch, [record]))[0]
            result["source"] = {
                "topic": msg.topic,
                "partition": msg.partition,
                "offset": msg.offset,
            }
            value = orjson.dumps(result, option=orjson.OPT_SERIALIZE_NUMPY)
            await producer.send_and_wait(results, value=value, key=msg.key)
            if rule.matches(result):
                await producer.send_and_wait(alerts, value=value, key=msg.key)
            await consumer.commit({TopicPartition(msg.topic, msg.partition): msg.offset + 1})
            done += 1
            if done == WARMUP_RECORDS:
                started = time.perf_counter()
            elapsed = time.perf_counter() - started
            if done > WARMUP_RECORDS and (elapsed >= seconds or done >= max_records):
                break
    finally:
        await consumer.stop()
        await producer.stop()
        await harness.delete_topics(bootstrap, [results, alerts])
    measured = done - WARMUP_RECORDS
    return {"records": measured, "seconds": elapsed, "rps": measured / elapsed}


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    bootstrap = harness.bootstrap_servers()
    topic = f"bench-in-{harness.new_tag()}"
    await harness.create_topics(bootstrap, [topic])
    try:
        await harness.bulk_produce(bootstrap, topic, harness.rekeyed_messages(args.max_records))
        return await run_naive(
            bootstrap, args.model, topic, seconds=args.seconds, max_records=args.max_records
        )
    finally:
        await harness.delete_topics(bootstrap, [topic])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the naive loop alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-records", type=int, default=20_000)
    parser.add_argument("--model", type=Path, default=harness.DEFAULT_MODEL)
    result = asyncio.run(_main(parser.parse_args(argv)))
    print(f"naive: {result['rps']:,.1f} records/s over {result['records']:,} records")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
