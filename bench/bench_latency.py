"""End-to-end latency under an offered load: produce time → result readable by a consumer.

One daemon (shipped defaults: three workers per scoring process, one scoring process per CPU,
batches of up to 1024 closed after 50 ms, at-least-once) serves fresh topics. For each offered
rate a paced producer sends re-keyed sample records for a warm-up second and then ``seconds``
more; each message's key carries its send time (``time.time_ns()`` taken just before
``send``), and the daemon keys its result like its input. A consumer reading the results topic
takes the latency of each measured result when ``getmany`` hands it over. Keys are parsed,
payloads are not, so the reader stays cheap.

Usage::

    .venv/bin/python -m bench.bench_latency [--rates 100 1000 5000] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench import harness

WARMUP_S = 1.0
TICK_S = 0.005


class _Receiver:
    """Reads the results topic and files latencies by the phase tag in each key."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._topic = topic
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.latencies: dict[bytes, list[float]] = {}

    async def start(self) -> None:
        await self._consumer.start()
        tps = [TopicPartition(self._topic, p) for p in range(harness.PARTITIONS)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)

    async def run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=10_000)
            now_ns = time.time_ns()
            for messages in batches.values():
                for msg in messages:
                    phase, sent, _ = msg.key.split(b"|", 2)
                    self.latencies.setdefault(phase, []).append((now_ns - int(sent)) / 1e9)

    async def stop(self) -> None:
        await self._consumer.stop()


async def _offer(
    producer: AIOKafkaProducer,
    *,
    topic: str,
    messages: Sequence[harness.Message],
    start: int,
    rate: float,
    seconds: float,
    phase: bytes,
) -> int:
    """Send at ``rate`` records/s for ``seconds``; returns how many were sent."""
    t0 = time.perf_counter()
    sent = 0
    total = int(rate * seconds)
    while sent < total:
        due = min(total, int(rate * (time.perf_counter() - t0)) + 1)
        while sent < due:
            key, value = messages[(start + sent) % len(messages)]
            stamped = b"%s|%d|%s" % (phase, time.time_ns(), key)
            await producer.send(topic, value=value, key=stamped)
            sent += 1
        await asyncio.sleep(TICK_S)
    await producer.flush()
    return sent


async def run_latency(
    bootstrap: str, model: Path, rates: Sequence[int], seconds: float
) -> dict[str, dict[str, float]]:
    """Latency percentiles (ms) per offered rate, plus the rate actually offered."""
    topics = harness.daemon_topics("bench-lat")
    await harness.create_topics(bootstrap, list(topics.values()))
    needed = int(sum(r * (seconds + WARMUP_S) for r in rates))
    messages = harness.rekeyed_messages(needed)
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="neo-bench-") as tmp:
        cfg = harness.daemon_config(bootstrap, model, topics, f"{topics['input']}-group")
        daemon = harness.DaemonProcess(Path(tmp), cfg).start()
        receiver = _Receiver(bootstrap, topics["results"])
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        reading: asyncio.Task[None] | None = None
        try:
            await daemon.wait_event("partitions assigned")
            await producer.start()
            await receiver.start()
            reading = asyncio.create_task(receiver.run())
            start = 0
            for rate in rates:
                phase = b"r%d" % rate
                for label, span in ((b"w%d" % rate, WARMUP_S), (phase, seconds)):
                    t0 = time.perf_counter()
                    n = await _offer(
                        producer,
                        topic=topics["input"],
                        messages=messages,
                        start=start,
                        rate=rate,
                        seconds=span,
                        phase=label,
                    )
                    offered = n / (time.perf_counter() - t0)
                    start += n
                deadline = time.monotonic() + 60
                while len(receiver.latencies.get(phase, [])) < n and time.monotonic() < deadline:
                    if not daemon.alive():
                        raise RuntimeError(f"daemon exited:\n{daemon.tail()}")
                    await asyncio.sleep(0.1)
                stats = harness.percentiles_ms(receiver.latencies.get(phase, []))
                stats["offered_rps"] = offered
                stats["sent"] = n
                out[str(rate)] = stats
                print(
                    f"  latency @ {rate:>5}/s: p50 {stats['p50']:7.1f} ms  p95 {stats['p95']:7.1f}"
                    f" ms  p99 {stats['p99']:7.1f} ms  ({stats['n']}/{n} results)",
                    flush=True,
                )
        finally:
            if reading is not None:
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
            await receiver.stop()
            await producer.stop()
            daemon.stop()
            await harness.delete_topics(bootstrap, list(topics.values()))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the latency measurement alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--model", type=Path, default=harness.DEFAULT_MODEL)
    args = parser.parse_args(argv)
    asyncio.run(run_latency(harness.bootstrap_servers(), args.model, args.rates, args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
