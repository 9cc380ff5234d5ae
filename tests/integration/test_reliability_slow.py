"""Slow scoring: one batch takes longer to score than ``kafka.max_poll_interval_ms``.

Induced without any test hook: the smallest allowed poll interval (1 s), one worker and one
batch sized from the engine's speed measured in the test (about 3 s of scoring); the test
checks from the daemon's own scoring histogram that at least one batch did take longer than
the interval.
The fetch loop keeps polling while the worker scores, so the consumer never leaves the group:
one assignment, no revocation, no rebalance loop, every input scored exactly once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from daemon_harness import (
    Daemon,
    base_config,
    make_registry,
    new_topics,
    produce,
    sample_records,
    write_config,
)
from reliability_report import Tally, account, add_row, sources_of

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

TopicFactory = Callable[..., Awaitable[str]]
Reader = Callable[..., Awaitable[list[Any]]]

POLL_INTERVAL_MS = 1000


def _records_for(seconds: float) -> int:
    """How many records the bundled model scores in about ``seconds`` (measured here)."""
    import time

    from daemon_harness import trained_model

    from core.contract.records import decode_record
    from core.serving.inference import InferenceEngine

    engine = InferenceEngine(trained_model(), cache_size=0)
    records = [decode_record(v) for v in sample_records(1000)]
    engine.predict_batch(records[:10])  # warm-up
    started = time.perf_counter()
    engine.predict_batch(records)
    rate = len(records) / (time.perf_counter() - started)
    return max(3000, min(90_000, int(rate * seconds)))


def _histogram(text: str, name: str) -> dict[str, float]:
    """``{le: cumulative count}`` plus ``"count"`` of a Prometheus histogram."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket{{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[le] = float(line.rsplit(" ", 1)[1])
        elif line.startswith(f"{name}_count "):
            out["count"] = float(line.rsplit(" ", 1)[1])
    return out


async def test_scoring_slower_than_max_poll_interval_causes_no_rebalance_and_no_loss(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, read_all: Reader
) -> None:
    root = tmp_path / "registry"
    make_registry(root)
    records = _records_for(3.0)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    placed = await produce(
        kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(records)]
    )
    cfg = base_config(kafka_bootstrap, root, topics)
    cfg["kafka"].update(max_poll_interval_ms=POLL_INTERVAL_MS, fetch_max_records=records)
    cfg["processing"].update(
        workers=1,
        batch_max_size=records,
        batch_max_wait_ms=5000,  # the whole backlog in one batch
        queue_max_size=2 * records,
    )
    cfg["model"]["cache_size"] = 0  # every record is really scored
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    tally = None
    try:
        daemon.wait_event("daemon started")
        tally = await Tally(kafka_bootstrap, [topics["results"]], read_committed=False).start()
        await tally.wait_covering(set(placed), len(placed), within=180)
        _, body = daemon.http_get("/metrics")
        scoring = _histogram(body.decode(), "neo_streamer_scoring_seconds")
        slow_batches = scoring["count"] - scoring["1.0"]
        assert slow_batches >= 1, f"no batch took over {POLL_INTERVAL_MS} ms: {scoring}"
        results = sources_of(r.value for r in await read_all(topics["results"], 3))
        acc = account(placed, results, [])
        assigned = daemon.events("partitions assigned")
        revoked = daemon.events("partitions revoked")
        add_row(
            "slow-scoring",
            "fault",
            "scoring slower than max_poll_interval",
            acc,
            f"max_poll_interval_ms = {POLL_INTERVAL_MS}, one worker, batches up to {records:,}: "
            f"{slow_batches:.0f} of {scoring['count']:.0f} batches took over 1 s; "
            f"{len(assigned)} assignment, {len(revoked)} revocations",
        )
        assert len(assigned) == 1 and revoked == []
        assert acc.lost == 0 and acc.duplicates == 0 and acc.results == records
        assert daemon.proc is not None and daemon.proc.poll() is None
    finally:
        if tally is not None:
            await tally.stop()
        daemon.stop()
