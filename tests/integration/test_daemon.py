"""The daemon as a subprocess on the real broker with the real model.

Every test accounts for each input offset: it must have a result (or, for invalid input, a
dead letter) carrying its ``source``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from daemon_harness import (
    Daemon,
    alive,
    base_config,
    count_at_least,
    covers,
    designation_of,
    gone,
    make_registry,
    new_topics,
    parent_of,
    produce,
    read_topic,
    sample_records,
    sources,
    write_config,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry")
    make_registry(root)
    return root


async def _setup(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, model: Path, **changes: Any
) -> tuple[dict[str, str], Path]:
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    cfg = base_config(kafka_bootstrap, model, topics)
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        cfg[section][key] = value
    return topics, write_config(tmp_path / "config.toml", **cfg)


@pytest.mark.parametrize("executor", ["thread", "process"])
async def test_end_to_end_results_alerts_dead_letters_and_http(
    tmp_path: Path,
    kafka_bootstrap: str,
    topic_factory: TopicFactory,
    registry: Path,
    executor: str,
) -> None:
    topics, config = await _setup(
        tmp_path,
        kafka_bootstrap,
        topic_factory,
        registry,
        processing__alert_min_score=0.9,
        processing__alert_categories=[],
        processing__alert_evidence=[],
        processing__executor=executor,
    )
    good = sample_records(300)
    # a newer producer's messages: added fields are dropped and counted, never dead letters
    good[0] = good[0][:-1] + b',"producer_version":2}'
    good.append(b'{"designation":"N2","orbit":{"e":0.1,"i_deg":3,"a_au":1.1,"tp_jd":2.46e6}}')
    bad = [
        (b"bad-json", b"{not json"),
        (None, b"\xff\xfe\x00"),
        (b"neg-a", b'{"designation":"X1","orbit":{"e":0.1,"i_deg":3,"a_au":-1}}'),
        (b"no-desig", b'{"orbit":{"e":0.1,"i_deg":3,"a_au":1.1}}'),
        (b"empty", b""),
    ]
    # half the good records keep their designation as key, half have a null key
    messages = [(designation_of(v) if i % 2 else None, v) for i, v in enumerate(good)]
    daemon = Daemon(config, tmp_path / "daemon.log").start()
    try:
        placed = await produce(kafka_bootstrap, topics["input"], [*messages, *bad])
        good_at, bad_at = set(placed[: len(good)]), set(placed[len(good) :])
        results = await read_topic(kafka_bootstrap, topics["results"], until=covers(good_at))
        letters = await read_topic(kafka_bootstrap, topics["dead_letter"], until=covers(bad_at))

        # every good input has exactly one result, keyed by its designation, with its source
        assert Counter(sources(results)) == Counter(good_at)
        by_source = {(r["source"]["partition"], r["source"]["offset"]): r for r in results}
        for (_key, value), at in zip(messages, placed, strict=False):
            result = by_source[at]
            assert result["designation"] == orjson.loads(value)["designation"]
            assert result["_key"] == designation_of(value)
            assert result["source"]["topic"] == topics["input"]
            assert result["schema"] == "neo.anomaly.v1"
            assert 0.0 <= result["anomaly_score"] <= 1.0

        # alerts: exactly the results at or over the threshold
        over = {at for at, r in by_source.items() if r["anomaly_score"] >= 0.9}
        assert 0 < len(over) < len(good)
        alerts = await read_topic(kafka_bootstrap, topics["alerts"], until=covers(over))
        assert Counter(sources(alerts)) == Counter(over)

        # invalid inputs: one dead letter each, with the reason and the original bytes
        assert Counter(sources(letters)) == Counter(bad_at)
        by_letter = {(d["source"]["partition"], d["source"]["offset"]): d for d in letters}
        expected_fields = ["$", "$", "orbit.a_au", "designation", "$"]
        for (key, value), at, fld in zip(bad, placed[len(good) :], expected_fields, strict=True):
            letter = by_letter[at]
            assert letter["field"] == fld, letter
            assert letter["reason"]
            assert letter["error_type"] == "RecordError"
            assert letter["key"] == (None if key is None else key.decode())
            assert base64.b64decode(letter["original"]) == value

        # the read-only HTTP endpoint
        assert daemon.http_get("/healthz") == (200, b"ok\n")
        assert daemon.http_get("/readyz")[0] == 200
        status, body = daemon.http_get("/metrics")
        text = body.decode()
        assert status == 200
        assert f"neo_streamer_results_out_total {float(len(good))}" in text
        assert f"neo_streamer_alerts_out_total {float(len(over))}" in text
        assert 'neo_streamer_dead_letters_total{error_type="RecordError"} 5.0' in text
        assert "neo_streamer_model_info{" in text
        assert "neo_streamer_consumer_lag{" in text
        assert f"neo_streamer_end_to_end_seconds_count {float(len(good) + 5)}" in text
        assert 'neo_streamer_unknown_fields_total{block="$"} 1.0' in text
        assert 'neo_streamer_unknown_fields_total{block="orbit"} 1.0' in text

        # with scoring processes the daemon's own process never loads the model (nor
        # scikit-learn); torch is loaded by neither (the autoencoder scores in numpy)
        maps = daemon.maps()
        assert ("/sklearn/" in maps) == (executor == "thread")
        assert "libtorch_cpu" not in maps

        daemon.signal(signal.SIGTERM)
        assert daemon.wait(20) == 0
    finally:
        daemon.stop()


async def test_restart_after_sigterm_and_sigkill_loses_nothing(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, registry: Path
) -> None:
    topics, config = await _setup(tmp_path, kafka_bootstrap, topic_factory, registry)
    records = sample_records(1500)
    log = tmp_path / "daemon.log"
    placed = await produce(kafka_bootstrap, topics["input"], [(None, v) for v in records])
    wanted = set(placed)

    daemon = Daemon(config, log).start()
    await read_topic(kafka_bootstrap, topics["results"], until=count_at_least(200), within=90)
    daemon.signal(signal.SIGTERM)  # mid-stream: drains, commits, exits 0
    assert daemon.wait(20) == 0
    assert daemon.events("daemon stopped")

    daemon = Daemon(config, log).start()
    await read_topic(kafka_bootstrap, topics["results"], until=count_at_least(900), within=90)
    below = await daemon.wait_descendants(3)  # the fork server and its scoring processes
    daemon.kill()  # no chance to commit what it was doing
    # nothing outlives the daemon: its fork server and scoring processes die with it
    assert await gone(below, within=15.0), f"left behind: {alive(below)}"

    await _restart_scores_everything(config, log, kafka_bootstrap, topics["results"], wanted)


async def test_a_killed_scoring_process_stops_the_daemon_and_a_restart_loses_nothing(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, registry: Path
) -> None:
    # e.g. the OOM killer picks a scoring process: the pool is broken, the daemon exits 1
    # without committing what it had not published, and its restart (a container's restart
    # policy, systemd) scores every input
    topics, config = await _setup(tmp_path, kafka_bootstrap, topic_factory, registry)
    log = tmp_path / "daemon.log"
    first = await produce(
        kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(600)]
    )
    daemon = Daemon(config, log).start()
    try:
        await read_topic(kafka_bootstrap, topics["results"], until=covers(set(first)), within=90)
        assert daemon.proc is not None
        below = await daemon.wait_descendants(3)
        scoring = [p for p in below if parent_of(p) != daemon.proc.pid]  # the fork server's
        assert scoring
        os.kill(scoring[0], signal.SIGKILL)
        second = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(600, 600)]
        )
        assert daemon.wait(60) == 1  # and it does exit: the other processes are terminated
        failed = daemon.events("pipeline task failed")
        assert failed and "BrokenProcessPool" in str(failed[0])
        assert await gone(below, within=15.0), f"left behind: {alive(below)}"
    finally:
        daemon.stop()

    wanted = set(first) | set(second)
    await _restart_scores_everything(config, log, kafka_bootstrap, topics["results"], wanted)


async def _restart_scores_everything(
    config: Path, log: Path, bootstrap: str, results_topic: str, wanted: set[tuple[int, int]]
) -> None:
    """Start the daemon again: at-least-once, every input gets a result."""
    daemon = Daemon(config, log).start()
    try:
        results = await read_topic(bootstrap, results_topic, until=covers(wanted), within=120)
        assert set(sources(results)) == wanted
    finally:
        daemon.stop()


async def test_exactly_once_survives_sigkill_without_duplicates(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, registry: Path
) -> None:
    topics, config = await _setup(
        tmp_path,
        kafka_bootstrap,
        topic_factory,
        registry,
        processing__processing_guarantee="exactly_once",
        kafka__instance_id="eos-replica-0",
        kafka__transaction_timeout_ms=20000,
    )
    records = sample_records(1500, offset=500)
    bad = [(b"bad", b"[]")]
    placed = await produce(kafka_bootstrap, topics["input"], [*[(None, v) for v in records], *bad])
    wanted = set(placed)
    log = tmp_path / "daemon.log"

    daemon = Daemon(config, log).start()
    await read_topic(
        kafka_bootstrap, topics["results"], until=count_at_least(300), read_committed=True
    )
    daemon.kill()

    daemon = Daemon(config, log).start()
    try:

        def done(msgs: list[dict[str, Any]]) -> bool:
            return len(msgs) >= len(records)

        results = await read_topic(
            kafka_bootstrap, topics["results"], until=done, within=120, read_committed=True
        )
        letters = await read_topic(
            kafka_bootstrap, topics["dead_letter"], until=count_at_least(1), read_committed=True
        )
        # give a late duplicate the chance to show up before counting
        await asyncio.sleep(2)
        results = await read_topic(
            kafka_bootstrap,
            topics["results"],
            until=lambda _: False,
            within=8,
            read_committed=True,
        )
        counts = Counter([*sources(results), *sources(letters)])
        assert set(counts) == wanted
        duplicated = {at: n for at, n in counts.items() if n > 1}
        assert duplicated == {}
    finally:
        daemon.stop()


@pytest.mark.parametrize("executor", ["thread", "process"])
async def test_hot_reload_under_load_switches_versions_without_loss(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, executor: str
) -> None:
    from core.serving.registry import activate

    root = tmp_path / "registry"
    v1, v2 = make_registry(root, versions=2)
    # with scoring processes a child loads and verifies each version, not the daemon itself
    topics, config = await _setup(
        tmp_path, kafka_bootstrap, topic_factory, root, processing__executor=executor
    )
    daemon = Daemon(config, tmp_path / "daemon.log").start()
    try:
        first = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(400)]
        )
        await read_topic(kafka_bootstrap, topics["results"], until=covers(set(first)))

        def swapped() -> bool:
            return any(e.get("previous") == v1 for e in daemon.events("model serving"))

        # keep feeding while the new version loads beside the old one and is swapped in
        activate(root, v2)
        during: list[tuple[int, int]] = []
        wave = 0
        while not swapped():
            assert wave < 200, "the new version was never swapped in"
            during += await produce(
                kafka_bootstrap,
                topics["input"],
                [(None, v) for v in sample_records(20, offset=400 + 20 * wave)],
            )
            wave += 1
            await asyncio.sleep(0.1)
        after = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(200, 2000)]
        )
        wanted = set(first) | set(during) | set(after)
        results = await read_topic(kafka_bootstrap, topics["results"], until=covers(wanted))
        assert Counter(sources(results)) == Counter(wanted)  # nothing lost, nothing repeated
        versions = {_at(r): r["model"]["version"] for r in results}
        assert {versions[at] for at in first} == {v1}
        assert {versions[at] for at in after} == {v2}
        # per partition the version switches once, from v1 to v2, never back
        for part in {p for p, _ in wanted}:
            seq = [versions[at] for at in sorted(at for at in wanted if at[0] == part)]
            assert seq == sorted(seq, key=[v1, v2].index)
        swap = next(e for e in daemon.events("model serving") if e.get("previous") == v1)
        assert swap["model_version"] == v2
        # a broken version is refused and v2 keeps serving
        broken = root / "broken"
        shutil.copytree(root / v2, broken)
        with (broken / "preprocessor.skops").open("ab") as fh:
            fh.write(b"tampered")
        (root / "CURRENT").write_text("broken\n")
        daemon.wait_event("model refused; keeping the serving model")
        more = await produce(kafka_bootstrap, topics["input"], [(None, sample_records(1)[0])])
        late = await read_topic(kafka_bootstrap, topics["results"], until=covers(set(more)))
        assert {r["model"]["version"] for r in late if _at(r) in set(more)} == {v2}
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(20) == 0
    finally:
        daemon.stop()


def _at(message: dict[str, Any]) -> tuple[int, int]:
    return (message["source"]["partition"], message["source"]["offset"])


async def _until_readyz(daemon: Daemon, status: int, within: float = 30.0) -> str:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        code, body = daemon.http_get("/readyz")
        if code == status:
            return body.decode().strip()
        assert asyncio.get_running_loop().time() < deadline, f"/readyz stayed {code}: {body!r}"
        await asyncio.sleep(0.3)


async def test_a_deleted_input_topic_makes_the_daemon_unready_until_it_is_back(
    tmp_path: Path, kafka_bootstrap: str, registry: Path
) -> None:
    # the consumer alone goes quiet when its topic is deleted: the daemon must say so (log,
    # /readyz) and keep running, since the topic may come back
    topics = new_topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topics["input"], 3, 1)])
    cfg = base_config(kafka_bootstrap, registry, topics)
    daemon = Daemon(write_config(tmp_path / "config.toml", **cfg), tmp_path / "d.log").start()
    try:
        first = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(30)]
        )
        await read_topic(kafka_bootstrap, topics["results"], until=covers(set(first)))
        assert await _until_readyz(daemon, 200) == "ready"
        assert not daemon.events("input topic not found on the broker")

        await admin.delete_topics([topics["input"]])
        reason = await _until_readyz(daemon, 503)
        assert reason == f"input topic {topics['input']!r} not found on the broker"
        event = daemon.wait_event("input topic not found on the broker")
        assert event["topic"] == topics["input"] and event["level"] == "error"
        assert daemon.proc is not None and daemon.proc.poll() is None

        await admin.create_topics([NewTopic(topics["input"], 3, 1)])
        assert await _until_readyz(daemon, 200) == "ready"
        assert daemon.wait_event("input topic found again")["topic"] == topics["input"]
        # and what is written to the new topic is scored (its offsets start at 0 again, so
        # the results are counted, not matched by source)
        second = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(10, 30)]
        )
        wanted = len(first) + len(second)
        results = await read_topic(kafka_bootstrap, topics["results"], until=count_at_least(wanted))
        assert len(results) >= wanted  # at-least-once: a repeat would not be a failure
        assert daemon.proc.poll() is None
    finally:
        daemon.stop()
        await admin.delete_topics(list(topics.values()))
        await admin.close()


@pytest.mark.parametrize("executor", ["thread", "process"])
async def test_missing_model_exits_4(tmp_path: Path, kafka_bootstrap: str, executor: str) -> None:
    cfg = base_config(kafka_bootstrap, tmp_path / "no-such-registry", new_topics())
    cfg["processing"]["executor"] = executor
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        assert daemon.wait(60) == 4
        assert daemon.events("model cannot be loaded")
    finally:
        daemon.stop()


async def test_unreachable_broker_retries_then_exits_3(tmp_path: Path, registry: Path) -> None:
    cfg = base_config("127.0.0.1:1", registry, new_topics())
    cfg["kafka"].update(connect_retries=2, connect_backoff_s=0.1, request_timeout_ms=2000)
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        assert daemon.wait(90) == 3
        attempts = [
            e for e in daemon.logs() if str(e.get("event", "")).startswith("broker unreachable")
        ]
        assert [e["attempt"] for e in attempts] == [1, 2, 3]
        assert attempts[-1]["event"] == "broker unreachable, giving up"
        assert [e["retry_in_s"] for e in attempts] == [0.1, 0.2, None]  # exponential backoff
    finally:
        daemon.stop()


async def test_config_error_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", topics={"input": "x", "partitons": 3})
    daemon = Daemon(path, tmp_path / "d.log").start()
    assert daemon.wait(60) == 2
    assert "topics.partitons" in daemon.tail()
