"""Damaged or foreign models: a model file corrupted on disk, or a model built for another
feature schema, is refused with a clear error at start (exit code 4, nothing consumed) and at
hot reload (the serving model keeps serving; results keep its version)."""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
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


def _corrupt(version_dir: Path) -> str:
    """Flip one byte of an artifact; returns the expected error text."""
    target = version_dir / "member-iforest.skops"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return "member-iforest.skops"


def _foreign_schema(version_dir: Path) -> str:
    """Make the model claim another feature schema; returns the expected error text."""
    path = version_dir / "manifest.json"
    manifest = orjson.loads(path.read_bytes())
    manifest["feature_schema"]["hash"] = "f" * 64
    path.write_bytes(orjson.dumps(manifest))
    return "retrain"


DAMAGE = {"corrupt": _corrupt, "schema": _foreign_schema}


@pytest.mark.parametrize("damage", ["corrupt", "schema"])
async def test_damaged_model_at_start_exits_4_and_consumes_nothing(
    tmp_path: Path,
    kafka_bootstrap: str,
    topic_factory: TopicFactory,
    read_all: Reader,
    damage: str,
) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    (version,) = make_registry(bad)
    make_registry(good)
    expected = DAMAGE[damage](bad / version)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    placed = await produce(
        kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(200)]
    )
    cfg = base_config(kafka_bootstrap, bad, topics)
    daemon = Daemon(write_config(tmp_path / "bad.toml", **cfg), tmp_path / "d.log").start()
    try:
        assert daemon.wait(90) == 4
        (event,) = daemon.events("model cannot be loaded")
        assert expected in event["error"], event
        assert daemon.events("daemon started") == []
    finally:
        daemon.stop()
    # the same group with a sound model: every input is still there to be scored
    cfg["model"]["path"] = str(good)
    daemon = Daemon(write_config(tmp_path / "good.toml", **cfg), tmp_path / "d2.log").start()
    tally = None
    try:
        daemon.wait_event("daemon started")
        tally = await Tally(kafka_bootstrap, [topics["results"]], read_committed=False).start()
        await tally.wait_covering(set(placed), len(placed), within=120)
        results = sources_of(r.value for r in await read_all(topics["results"], 3))
        acc = account(placed, results, [])
        label = "model file corrupted" if damage == "corrupt" else "model for another schema"
        add_row(
            f"model-{'corrupt' if damage == 'corrupt' else 'schema'}-at-start",
            "fault",
            f"{label}, at start",
            acc,
            f"exit code 4, error names {expected!r}; nothing consumed; a sound model then "
            "scored every input",
        )
        assert acc.lost == 0 and acc.duplicates == 0
    finally:
        if tally is not None:
            await tally.stop()
        daemon.stop()


async def test_damaged_models_refused_at_hot_reload_old_one_keeps_serving(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, read_all: Reader
) -> None:
    from core.serving.registry import activate

    root = tmp_path / "registry"
    v1, v2, v3 = make_registry(root, versions=3)
    corrupt_text = _corrupt(root / v2)
    schema_text = _foreign_schema(root / v3)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    cfg = base_config(kafka_bootstrap, root, topics)
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    tally = None
    try:
        daemon.wait_event("daemon started")
        tally = await Tally(kafka_bootstrap, [topics["results"]], read_committed=False).start()
        placed = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(200)]
        )
        await tally.wait_covering(set(placed), len(placed), within=120)
        for version, text, n in ((v2, corrupt_text, 1), (v3, schema_text, 2)):
            activate(root, version)
            wait_refusals(daemon, n)
            refusal = daemon.events("model refused; keeping the serving model")[-1]
            assert text in refusal["error"] and refusal["model_version"] == v1, refusal
            more = await produce(
                kafka_bootstrap,
                topics["input"],
                [(None, v) for v in sample_records(100, 200 * n)],
            )
            placed += more
            await tally.wait_covering(set(placed), len(placed), within=120)
        records = await read_all(topics["results"], 3)
        assert {orjson.loads(r.value)["model"]["version"] for r in records} == {v1}
        acc = account(placed, sources_of(r.value for r in records), [])
        _, metrics = daemon.http_get("/metrics")
        assert 'neo_streamer_model_reloads_total{outcome="refused"} 2.0' in metrics.decode()
        add_row(
            "model-refused-at-reload",
            "fault",
            "corrupted / foreign-schema model at hot reload",
            acc,
            "CURRENT switched to a corrupted version, then to one for another feature schema, "
            "under load: both refused (logged, counted); every result carries the old version",
        )
        assert acc.lost == 0 and acc.duplicates == 0
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if tally is not None:
            await tally.stop()
        daemon.stop()


def wait_refusals(daemon: Daemon, n: int, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while len(daemon.events("model refused; keeping the serving model")) < n:
        assert time.monotonic() < deadline, daemon.tail()
        time.sleep(0.2)
