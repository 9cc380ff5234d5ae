"""Faults of the per-object state on the real broker, each a row of ``docs/reliability.md``.

The stream is ``tests/data/neos_multinight_obs80.txt`` one observation per message, as in
``test_observation_stream.py`` (whose helpers these tests use). A row counts observations:
**sent** messages, **results** the distinct observations the object states hold at the end
(read from the changelog, which is what any restore reads), **lost** the distinct
observations sent that no state holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from daemon_harness import HANDED_OUT, Daemon, produce, write_config
from reliability_report import Account, add_row
from test_observation_stream import (
    PARTITIONS,
    _changelog,
    _config,
    _create_input,
    expected_states,
    first_half_then_sigterm,
    observations,
    read_states,
    stream,
)

from core.serving.arcstate import ObjectState

pytestmark = [pytest.mark.kafka]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from daemon_harness import make_registry

    root = tmp_path_factory.mktemp("registry")
    make_registry(root)
    return root


def _account(
    sent: int, got: dict[str, ObjectState | None], want: dict[str, ObjectState]
) -> Account:
    found = {k: set(observations(s)) for k, s in got.items() if s is not None}
    wanted = {k: set(observations(s)) for k, s in want.items()}
    held = sum(len(v) for v in found.values())
    lost = sum(len(v - found.get(k, set())) for k, v in wanted.items())
    extra = sum(len(v - wanted.get(k, set())) for k, v in found.items())
    return Account(sent=sent, results=held, dead_letters=0, duplicates=extra, lost=lost)


async def _committed(bootstrap: str, group: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items()}


async def test_the_state_directory_deleted_under_a_stopped_daemon_is_restored(
    tmp_path: Path, kafka_bootstrap: str, registry: Path
) -> None:
    cfg, config, messages, daemon = await first_half_then_sigterm(
        kafka_bootstrap, registry, tmp_path
    )
    half = len(messages) // 2
    want = expected_states(messages)
    try:
        stores = sorted((tmp_path / "state").glob("*/*"))
        assert stores  # the stores were there, closed cleanly ...
        shutil.rmtree(tmp_path / "state")  # ... and are gone
        await produce(kafka_bootstrap, cfg["topics"]["input"], messages[half:])
        daemon = Daemon(config, tmp_path / "d2.log").start()
        got = await read_states(kafka_bootstrap, _changelog(cfg), want)
        restored = daemon.events("state restored")
    finally:
        daemon.stop()
    acc = _account(len(messages), got, want)
    assert acc.lost == 0 and acc.duplicates == 0
    assert acc.results == sum(len(s.observations) for s in want.values())
    # rebuilt from the changelog: every partition read from its start, none incrementally
    assert restored and not any(e["incremental"] for e in restored)
    assert sum(e["changelog_records"] for e in restored) > 0
    add_row(
        "state-dir-deleted",
        "state",
        "state directory deleted under a stopped daemon",
        acc,
        f"{half:,} observations of 4 objects on 6 partitions, SIGTERM (exit 0), `rm -rf` of the "
        f"state directory ({len(stores)} stores), {len(messages) - half:,} more observations, "
        f"restart: {len(restored)} partitions rebuilt from the changelog "
        f"({sum(e['changelog_records'] for e in restored):,} records); results = distinct "
        "observations held, as the changelog has them",
    )


async def test_the_changelog_deleted_under_a_stopped_daemon_stops_it_with_the_reason(
    tmp_path: Path, kafka_bootstrap: str, registry: Path
) -> None:
    cfg, config, messages, daemon = await first_half_then_sigterm(
        kafka_bootstrap, registry, tmp_path
    )
    half = len(messages) // 2
    want = expected_states(messages)
    group = cfg["kafka"]["group_id"]
    try:
        before = await _committed(kafka_bootstrap, group)
        assert sum(before.values()) == half
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([_changelog(cfg)])
            deadline = time.monotonic() + 30
            while _changelog(cfg) in await admin.list_topics():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.5)
        finally:
            await admin.close()
        await produce(kafka_bootstrap, cfg["topics"]["input"], messages[half:])
        # the daemon recreates the (empty) topic at start, then refuses to trust its stores
        daemon = Daemon(config, tmp_path / "d2.log").start()
        code = daemon.wait(90)
        failed = daemon.events("state restore failed")
        text = daemon.tail(200)
    finally:
        daemon.stop()
    assert code == 1, text
    assert failed and "was deleted or truncated" in text and "ChangelogLostError" in text
    # nothing consumed past what was stored: the committed offsets did not move
    assert await _committed(kafka_bootstrap, group) == before
    # rebuilt from the input: a new group and state directory read the input from its start
    fresh = {
        **cfg,
        "kafka": {**cfg["kafka"], "group_id": f"{group}-rebuilt-{uuid.uuid4().hex[:6]}"},
    }
    fresh["state"] = {**cfg["state"], "dir": str(tmp_path / "state-rebuilt")}
    HANDED_OUT.append(_changelog(fresh))
    rebuilt = Daemon(write_config(tmp_path / "c2.toml", **fresh), tmp_path / "d3.log").start()
    try:
        got = await read_states(kafka_bootstrap, _changelog(fresh), want)
    finally:
        rebuilt.stop()
    acc = _account(len(messages), got, want)
    assert acc.lost == 0 and acc.duplicates == 0
    add_row(
        "state-changelog-deleted",
        "state",
        "state changelog deleted under a stopped daemon",
        acc,
        f"{half:,} observations, SIGTERM, changelog topic deleted, {len(messages) - half:,} more "
        "observations; restart: exit 1, `ChangelogLostError` naming the topic and partition "
        "(the stores were closed at offsets the recreated changelog lacks), committed offsets "
        f"unchanged ({sum(before.values()):,}); then a new group and state directory rebuilt "
        "every state from the input",
    )


async def test_a_restore_cancelled_by_a_revocation_resumes_where_it_stopped(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """The restore of a partition is cancelled (as a revocation mid-restore cancels it) after
    its first batch of changelog records is written: the store is closed with a marker at the
    offset reached, and the next assignment reads only the rest."""
    from concurrent.futures import ThreadPoolExecutor

    import msgspec
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import NewTopic

    from core.serving.arcstate import ObjectSummary
    from streamer.config import changelog_topic, load_config
    from streamer.ops.metrics import Metrics
    from streamer.state.objectstore import head_key
    from streamer.state.store import StateManager

    n = 40_000
    cfg = load_config(
        None,
        env={},
        overrides={
            "kafka.bootstrap_servers": kafka_bootstrap,
            "kafka.group_id": f"restore-cut-{uuid.uuid4().hex[:8]}",
            "state.enabled": True,
            "state.dir": str(tmp_path / "state"),
            "state.rescore": False,
        },
    )
    topic = changelog_topic(cfg)
    HANDED_OUT.append(topic)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=20)
    await producer.start()
    try:
        for i in range(n):
            value = msgspec.msgpack.encode(ObjectSummary(updated_ms=i))
            await producer.send(topic, key=head_key(f"object {i}"), value=value, partition=0)
        await producer.flush()
    finally:
        await producer.stop()
    tp = ("input", 0)

    def counting(manager: StateManager, rows: list[int], pause: float) -> None:
        write = manager._write_restored

        def counted(db: Any, records: list[Any], *args: Any) -> None:
            write(db, records, *args)
            rows.append(len(records))
            time.sleep(pause)  # room for the cancellation between two batches

        manager._write_restored = counted  # type: ignore[method-assign]

    first, second = StateManager(cfg, Metrics(), ThreadPoolExecutor(2)), None
    cut: list[int] = []
    counting(first, cut, 0.5)
    await first.start()
    try:
        task = asyncio.create_task(first.assign({tp}))
        deadline = time.monotonic() + 60
        while not cut:
            assert time.monotonic() < deadline and not task.done()
            await asyncio.sleep(0.05)
        task.cancel()  # the revocation
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert tp not in first._stores
    finally:
        await first.stop(clean=False)
    marker = tmp_path / "state" / cfg.kafka.group_id / "input-0" / "neo-streamer-clean.json"
    resume = json.loads(marker.read_text())["changelog_offset"]
    assert 0 < sum(cut) <= resume < n
    second = StateManager(cfg, Metrics(), ThreadPoolExecutor(2))
    rest: list[int] = []
    counting(second, rest, 0.0)
    await second.start()
    try:
        await second.assign({tp})
        store = second._stores[tp]
        assert store.resume_offset == resume  # resumed, not rebuilt
        assert sum(rest) == n - resume  # only what the first restore had not read
        keys = sum(1 for _ in store.db.keys())  # noqa: SIM118 (an Rdict)
    finally:
        await second.stop(clean=False)
    assert keys == n
    add_row(
        "state-restore-cancelled",
        "state",
        "restore cancelled by a revocation, then resumed",
        Account(sent=n, results=keys, dead_letters=0, duplicates=0, lost=n - keys),
        f"{n:,} changelog records on one partition; the restore cancelled after its first "
        f"batch ({sum(cut):,} records written): store closed with a marker at offset "
        f"{resume:,}; the next assignment resumed there and read {sum(rest):,} records; "
        "results = keys in the store (sent = changelog records)",
    )


def _mount_small(path: Path, size: str) -> bool:
    import subprocess

    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


async def test_the_state_disk_full_stops_the_daemon_before_any_offset_past_it(
    tmp_path: Path, kafka_bootstrap: str, registry: Path
) -> None:
    """The state directory on a 16 MiB tmpfs, filled up under the running daemon: the write of
    the next observations fails, the daemon exits 1 naming the cause, and no input offset is
    committed past an observation the changelog lacks; with space again, a restart takes up
    the stream and nothing is lost."""
    import subprocess

    disk = tmp_path / "disk"
    if not _mount_small(disk, "16m"):
        pytest.skip("needs to mount a tmpfs (root)")
    try:
        cfg = _config(kafka_bootstrap, registry, tmp_path)
        cfg["state"]["dir"] = str(disk / "state")
        await _create_input(kafka_bootstrap, cfg["topics"]["input"])
        config = write_config(tmp_path / "c.toml", **cfg)
        messages = stream()
        half = len(messages) // 2
        want = expected_states(messages)
        group = cfg["kafka"]["group_id"]
        daemon = Daemon(config, tmp_path / "d1.log").start()
        try:
            await produce(kafka_bootstrap, cfg["topics"]["input"], messages[:half])
            await read_states(kafka_bootstrap, _changelog(cfg), expected_states(messages[:half]))
            filler = disk / "filler"
            await asyncio.to_thread(
                subprocess.run,
                ["dd", "if=/dev/zero", f"of={filler}", "bs=64k"],
                capture_output=True,
                check=False,
            )
            await produce(kafka_bootstrap, cfg["topics"]["input"], messages[half:])
            code = daemon.wait(90)
            text = daemon.tail(300)
        finally:
            daemon.stop()
        assert code == 1, text
        assert "No space left on device" in text or "ENOSPC" in text, text
        committed = await _committed(kafka_bootstrap, group)
        stored = await read_states(kafka_bootstrap, _changelog(cfg), {}, to_end=True)
        held = {k: set(observations(s)) for k, s in stored.items() if s is not None}
        # every input below a committed offset has its observation in the changelog
        by_tp: dict[int, list[tuple[bytes | None, bytes]]] = {}
        sent = await _sent_by_partition(kafka_bootstrap, cfg["topics"]["input"])
        for p, offset in committed.items():
            for key, value in sent.get(p, [])[:offset]:
                by_tp.setdefault(p, []).append((key, value))
        before = expected_states([m for ms in by_tp.values() for m in ms])
        for oid, state in before.items():
            assert set(observations(state)) <= held.get(oid, set()), oid
        filler.unlink()
        daemon = Daemon(config, tmp_path / "d2.log").start()
        try:
            got = await read_states(kafka_bootstrap, _changelog(cfg), want)
        finally:
            daemon.stop()
    finally:
        await asyncio.to_thread(
            subprocess.run, ["umount", "-l", str(disk)], capture_output=True, check=False
        )
    acc = _account(len(messages), got, want)
    assert acc.lost == 0 and acc.duplicates == 0
    add_row(
        "state-disk-full",
        "state",
        "state disk full under a running daemon",
        acc,
        f"state on a 16 MiB tmpfs; {half:,} observations, the disk then filled, "
        f"{len(messages) - half:,} more: exit 1 naming 'No space left on device'; committed "
        f"offsets ({sum(committed.values()):,}) only below inputs whose observations are in "
        "the changelog; space freed, restart: every state complete",
    )


async def _sent_by_partition(
    bootstrap: str, topic: str
) -> dict[int, list[tuple[bytes | None, bytes]]]:
    """Every message of ``topic`` per partition, in offset order (key, value)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    out: dict[int, list[tuple[bytes | None, bytes]]] = {}
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                out.setdefault(tp.partition, []).extend((r.key, r.value) for r in records)
    finally:
        await consumer.stop()
    return out


async def test_a_second_daemon_joining_while_the_first_restores(
    tmp_path: Path, kafka_bootstrap: str, registry: Path
) -> None:
    """Daemon A restores a changelog of 900,000 records (other objects' summaries, written
    by the test); daemon B starts and joins the group meanwhile. Neither daemon crashes,
    every partition ends owned by one daemon alone, and the observation stream then fed ends
    in the states it should. Whether the rebalance lands inside A's restore (which is then
    cut and resumed, :func:`test_a_restore_cancelled_by_a_revocation_resumes_where_it_stopped`)
    or only after it depends on timing; the row says which happened."""
    import msgspec
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import NewTopic

    from core.serving.arcstate import ObjectSummary
    from streamer.state.objectstore import head_key

    cfg = _config(kafka_bootstrap, registry, tmp_path)
    await _create_input(kafka_bootstrap, cfg["topics"]["input"])
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        compacted = {"cleanup.policy": "compact"}
        await admin.create_topics(
            [NewTopic(_changelog(cfg), PARTITIONS, 1, topic_configs=compacted)]
        )
    finally:
        await admin.close()
    now_ms = int(time.time() * 1000)
    value = msgspec.msgpack.encode(ObjectSummary(updated_ms=now_ms))
    filler = 900_000  # seconds of restore: longer than a second daemon takes to join
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, linger_ms=50, max_batch_size=1 << 20
    )
    await producer.start()
    try:
        for i in range(filler):
            key = head_key(f"other {i}")
            await producer.send(_changelog(cfg), key=key, value=value, partition=i % PARTITIONS)
        await producer.flush()
    finally:
        await producer.stop()
    cfg_b = {**cfg, "state": {**cfg["state"], "dir": str(tmp_path / "state-b")}}
    a = Daemon(write_config(tmp_path / "a.toml", **cfg), tmp_path / "a.log").start()
    b: Daemon | None = None
    messages = stream()
    want = expected_states(messages)
    try:
        a.wait_event("partitions assigned")
        assert not a.events("state restored")  # A is restoring ...
        b = Daemon(write_config(tmp_path / "b.toml", **cfg_b), tmp_path / "b.log").start()
        deadline = time.monotonic() + 120  # ... and B joins: both end up owning partitions
        while not (_final(a) and _final(b)) or _restoring(a) or _restoring(b):
            assert _alive(a) and _alive(b), a.tail() + b.tail()
            assert time.monotonic() < deadline, a.tail() + b.tail()
            await asyncio.sleep(0.5)
        owned_a, owned_b = _final(a), _final(b)
        assert not owned_a & owned_b and owned_a | owned_b == set(range(PARTITIONS))
        interrupted = a.events("state restore interrupted")
        await produce(kafka_bootstrap, cfg["topics"]["input"], messages)
        got = await read_states(kafka_bootstrap, _changelog(cfg), want, within=180)
        restored = a.events("state restored") + b.events("state restored")
        assert _alive(a) and _alive(b)
    finally:
        a.stop()
        if b is not None:
            b.stop()
    # B was up (listening) before A's restore ended: it joined while A restored
    assert b is not None
    b_up = b.events("http listening")[0]["timestamp"]
    a_restored = min(e["timestamp"] for e in a.events("state restored"))
    assert b_up < a_restored
    cut = (
        f"A's restore cut ({len(interrupted)} partitions, resumed from their markers)"
        if interrupted
        else "A's restore finished before the group's rebalance took effect"
    )
    acc = _account(len(messages), got, want)
    assert acc.lost == 0 and acc.duplicates == 0
    add_row(
        "state-join-during-restore",
        "state",
        "second daemon joining while the first restores",
        acc,
        f"changelog of {filler:,} records on {PARTITIONS} partitions; daemon B started while A "
        f"restored: {cut}; no crash, partitions {sorted(owned_a)} / {sorted(owned_b)} "
        "(disjoint); "
        f"{len(restored)} restores in all; then {len(messages):,} observations",
    )


def _alive(daemon: Daemon) -> bool:
    return daemon.proc is not None and daemon.proc.poll() is None


def _final(daemon: Daemon) -> set[int]:
    events = daemon.events("partitions assigned")
    return {p for _, p in events[-1]["partitions"]} if events else set()


def _restoring(daemon: Daemon) -> bool:
    # assigned partitions not yet restored since the last assignment
    assigned = daemon.events("partitions assigned")
    if not assigned:
        return True
    done = {e["partition"] for e in daemon.events("state restored")}
    return not _final(daemon) <= done
