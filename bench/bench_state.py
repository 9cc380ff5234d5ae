"""The state path of observation streams: observations/s, refits/s, restore time, disk use.

Three measurements, each printed as one JSON line:

* ``apply``: :meth:`streamer.state.store.StateManager.apply`'s work (decode each
  ``neo.obs.v1`` message, merge into its object's state with deduplication: one key per
  observation and the object's summary, each a changelog output;
  :mod:`streamer.state.objectstore`) on batches of 1,024 one-observation messages, in the
  process, without Kafka: the state path's ceiling. Observations are synthetic (``--objects``
  objects, one observation each per round, real-looking values), so every message adds one.
* ``restore``: the stores' changelog written to a real broker (one record per key of the
  store after the run above), then :meth:`StateManager.assign` timed on a fresh directory:
  seconds per million stored observations.
* ``disk``: the RocksDB files after the run (flushed), bytes per million observations.
* ``refit`` (``--refits N``): :func:`streamer.state.refit.refit_and_score` on the real 2007 VV7 arc
  (21 observations, 4 nights) with the bundled model, N times: fits/s on one core.

Usage::

    .venv/bin/python -m bench.bench_state [--observations 1000000] [--objects 2000]
        [--bootstrap 127.0.0.1:9092] [--refits 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from core.contract.obsstream import jd_to_iso
from streamer.config import AppConfig, load_config
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem
from streamer.state.store import PartitionStore, StateManager

ROOT = Path(__file__).resolve().parents[1]
_BATCH = 1024


def _messages(n: int, objects: int) -> list[bytes]:
    out = []
    for i in range(n):
        obj, k = i % objects, i // objects
        out.append(
            orjson.dumps(
                {
                    "provID": f"2026 A{obj}",
                    "obsTime": jd_to_iso(2_461_000.5 + 0.0007 * k + obj * 1e-6),
                    "ra": (10.0 + 0.01 * k + obj * 0.1) % 360.0,
                    "dec": -20.0 + 0.001 * k,
                    "stn": "W68",
                    "mag": 20.1,
                    "band": "G",
                }
            )
        )
    return out


def _cfg(state_dir: Path, bootstrap: str, group: str) -> AppConfig:
    return load_config(
        None,
        env={},
        overrides={
            "kafka.bootstrap_servers": bootstrap,
            "kafka.group_id": group,
            "state.enabled": True,
            "state.dir": str(state_dir),
            "state.rescore": False,
            "state.max_observations_per_object": 1_000_000,
            "state.expire_check_interval_s": 86_400.0,
        },
    )


def bench_apply(cfg: AppConfig, n: int, objects: int) -> tuple[StateManager, dict[str, Any]]:
    manager = StateManager(cfg, Metrics(), ThreadPoolExecutor(1))
    store = PartitionStore.open(Path(cfg.state.dir) / cfg.kafka.group_id / "in-0")
    manager._stores[("in", 0)] = store
    values = _messages(n, objects)
    items = [InputItem("in", 0, i, None, v, 1_700_000_000_000) for i, v in enumerate(values)]
    started = time.perf_counter()
    rates = []
    for i in range(0, n, _BATCH):
        t0 = time.perf_counter()
        manager._apply(items[i : i + _BATCH])
        rates.append(len(items[i : i + _BATCH]) / (time.perf_counter() - t0))
    seconds = time.perf_counter() - started
    store.db.flush()
    disk = sum(p.stat().st_size for p in store.path.iterdir() if p.suffix in (".sst", ".log"))
    return manager, {
        "case": "apply",
        "observations": n,
        "objects": objects,
        "seconds": round(seconds, 2),
        "observations_per_s": round(n / seconds),
        "median_batch_observations_per_s": round(statistics.median(rates)),
        "disk_bytes": disk,
        "disk_bytes_per_million_observations": round(disk * 1e6 / n),
    }


async def bench_restore(manager: StateManager, cfg: AppConfig, n: int) -> dict[str, Any]:
    store = manager._stores[("in", 0)]
    topic = f"{cfg.kafka.group_id}.state.changelog"
    admin = AIOKafkaAdminClient(bootstrap_servers=cfg.kafka.bootstrap_servers)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})])
    producer = AIOKafkaProducer(
        bootstrap_servers=cfg.kafka.bootstrap_servers,
        max_request_size=16_000_000,
        compression_type="zstd",
        linger_ms=20,
    )
    await producer.start()
    try:
        futures = [
            await producer.send(topic, key=k, value=v, partition=0) for k, v in store.db.items()
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    await asyncio.sleep(3.0)  # the new topic's metadata reaches every client
    fresh = _cfg(
        Path(tempfile.mkdtemp(prefix="bench-restore-")),
        cfg.kafka.bootstrap_servers,
        cfg.kafka.group_id,
    )
    restorer = StateManager(fresh, Metrics(), ThreadPoolExecutor(1))
    await restorer.start()
    try:
        started = time.perf_counter()
        await restorer.assign({("in", 0)})
        seconds = time.perf_counter() - started
    finally:
        await restorer.stop(clean=False)
        await admin.delete_topics([topic])
        await admin.close()
    return {
        "case": "restore",
        "objects": len(futures),
        "observations": n,
        "seconds": round(seconds, 2),
        "seconds_per_million_observations": round(seconds * 1e6 / n, 2),
    }


def bench_refit(times: int) -> dict[str, Any]:
    from core.contract.obs import decode_obs_message
    from core.serving.inference import InferenceEngine
    from core.serving.registry import load_model
    from streamer.commands.produce import iter_observation_messages
    from streamer.state.refit import refit_and_score

    path = ROOT / "tests" / "data" / "neos_multinight_obs80.txt"
    obs = tuple(
        o
        for k, v in iter_observation_messages(path)
        if k == b"2007 VV7"
        for o in decode_obs_message(v).observations
    )
    engine = InferenceEngine(load_model(ROOT / "models"), cache_size=0)
    refit_and_score("2007 VV7", obs, engine)  # ephemeris and model loaded once
    seconds = []
    for _ in range(times):
        t0 = time.perf_counter()
        refit_and_score("2007 VV7", obs, engine)
        seconds.append(time.perf_counter() - t0)
    med = statistics.median(seconds)
    return {
        "case": "refit",
        "runs": times,
        "median_s": round(med, 3),
        "fits_per_s": round(1 / med, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--objects", type=int, default=2_000)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--refits", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp:
        cfg = _cfg(Path(tmp), args.bootstrap, f"bench-state-{uuid.uuid4().hex[:8]}")
        manager, applied = bench_apply(cfg, args.observations, args.objects)
        print(json.dumps(applied))
        print(json.dumps(asyncio.run(bench_restore(manager, cfg, args.observations))))
    if args.refits:
        print(json.dumps(bench_refit(args.refits)))


if __name__ == "__main__":
    main()
