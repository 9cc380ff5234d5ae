"""Observation → result latency of the per-object state, through the daemon on a real broker.

One daemon (shipped defaults, ``[state] enabled`` with refits, at-least-once) serves fresh
topics. Real astrometry goes in one observation per message, in time order, objects
interleaved, keyed by object, as a survey would send it: ``tests/data/neos_multinight_obs80.txt``
(Apophis, Bennu, 2005 TM173, 2007 VV7: 752 observations) and 2023 QR6's WISE and ground
observations with the spacecraft's positions (``tests/fixtures/orbits/2023qr6.txt``), paced at
``--rate`` messages/s. The send time of each message is taken when the broker acknowledges it
(``(partition, offset)`` known); each result names its input in ``source``, and its latency is
the time a consumer reading the results topic gets it minus that send time. Only observations
that change an object's refit (the policy in the README) produce a result; the others are
counted as applied. Prints one JSON line: p50/p95/p99 ms, results, refits by kind (from
``/metrics``), nights gained and results per object.

Usage::

    .venv/bin/python -m bench.bench_obs_latency [--rate 200] [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench import harness

ROOT = Path(__file__).resolve().parents[1]
MULTINIGHT = ROOT / "tests" / "data" / "neos_multinight_obs80.txt"
QR6 = ROOT / "tests" / "fixtures" / "orbits" / "2023qr6.txt"


def observation_stream() -> list[tuple[bytes, bytes, float]]:
    """(key, value, time) of each observation message, every object merged in time order."""
    from core.contract.obs import decode_obs_message, observation_to_obj
    from streamer.commands.produce import iter_observation_messages

    out: list[tuple[bytes, bytes, float]] = []
    for key, value in iter_observation_messages(MULTINIGHT):
        (obs,) = decode_obs_message(value).observations
        out.append((key or b"", value, obs.time_jd_utc))
    lines = QR6.read_text().splitlines()
    k = 0
    while k < len(lines):
        two = lines[k][14] in "SV"
        msg = decode_obs_message("\n".join(lines[k : k + (2 if two else 1)]).encode())
        k += 2 if two else 1
        (obs,) = msg.observations
        value = orjson.dumps(observation_to_obj(obs))
        out.append((msg.object_id.encode(), value, obs.time_jd_utc))
    out.sort(key=lambda m: m[2])
    return out


def _metric(text: str, name: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name):
            labels = re.search(r'kind="([^"]+)"', line)
            found[labels.group(1) if labels else ""] = float(line.rsplit(" ", 1)[1])
    return found


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:
        return bytes(response.read())


def _http_port(log: Path) -> int:
    for line in log.read_text(errors="replace").splitlines():
        if '"http listening"' in line:
            return int(orjson.loads(line)["port"])
    raise RuntimeError("the daemon logged no HTTP port")


async def run(bootstrap: str, model: Path, rate: float) -> dict[str, object]:
    topics = harness.daemon_topics("bench-obslat")
    await harness.create_topics(bootstrap, list(topics.values()))
    messages = observation_stream()
    sent_at: dict[tuple[int, int], float] = {}
    latencies: list[float] = []
    per_object: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="neo-bench-obs-") as tmp:
        group = f"{topics['input']}-group"
        cfg = harness.daemon_config(bootstrap, model, topics, group)
        cfg["state"] = {"enabled": True, "dir": str(Path(tmp) / "state")}
        daemon = harness.DaemonProcess(Path(tmp), cfg).start()
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
        reading: asyncio.Task[None] | None = None

        async def read() -> None:
            while True:
                batches = await consumer.getmany(timeout_ms=100)
                now = time.time()
                for records in batches.values():
                    for r in records:
                        doc = orjson.loads(r.value)
                        src = (doc["source"]["partition"], doc["source"]["offset"])
                        latencies.append(now - sent_at[src])
                        per_object[doc["designation"]] = per_object.get(doc["designation"], 0) + 1

        try:
            await daemon.wait_event("partitions assigned")
            await producer.start()
            await consumer.start()
            tps = [TopicPartition(topics["results"], p) for p in range(harness.PARTITIONS)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            reading = asyncio.create_task(read())
            t0 = time.perf_counter()
            for n, (key, value, _) in enumerate(messages):
                delay = t0 + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                meta = await (await producer.send(topics["input"], value=value, key=key))
                sent_at[(meta.partition, meta.offset)] = time.time()
            offered = len(messages) / (time.perf_counter() - t0)
            await asyncio.sleep(30.0)  # the last refits
            port = _http_port(daemon.log_path)
            text = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/metrics")
        finally:
            if reading is not None:
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
            await consumer.stop()
            await producer.stop()
            daemon.stop()
            await harness.delete_topics(bootstrap, list(topics.values()))
    metrics = text.decode()
    return {
        "case": "observation-latency",
        "observations": len(messages),
        "offered_per_s": round(offered, 1),
        "results": len(latencies),
        "latency_ms": harness.percentiles_ms(latencies),
        "refits": _metric(metrics, "neo_streamer_refits_total"),
        "applied": _metric(metrics, "neo_streamer_observations_applied_total").get("", 0.0),
        "results_per_object": per_object,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--model", type=Path, default=harness.DEFAULT_MODEL)
    args = parser.parse_args(argv)
    result = asyncio.run(run(harness.bootstrap_servers(), args.model, args.rate))
    print(json.dumps({"machine": harness.machine_info(), **result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
