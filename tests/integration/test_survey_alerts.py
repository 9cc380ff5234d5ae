"""Survey alerts and replay on the real broker.

* A mixed topic read with ``[input] format = "auto"``: the real ZTF 3.2 and Fink-redistributed
  Rubin 9.0 alerts of tests/fixtures/alerts (SOURCE.txt), edited copies of a ZTF alert (one
  naming no asteroid, one with a negative ``ssdistnr``, one broken: made here, said so below),
  Rubin wire-format alerts (data/lsst_alerts.avro), neo.v1 records and neo.obs.v1 observations.
  Every input is a result, a dead letter or a counted skip (or observations for the state);
  each ZTF asteroid's and each broker Rubin object's detection is in its per-object state; a
  SIGKILL mid-stream loses nothing.
* Replay: a new group started ``--from`` a time reads exactly the messages whose (produced)
  timestamps are at or after it, and ``tail --since`` shows exactly those.
"""

from __future__ import annotations

import asyncio
import copy
import io
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from daemon_harness import (
    HANDED_OUT,
    NEO_STREAMER,
    ROOT,
    Daemon,
    base_config,
    make_registry,
    new_topics,
    produce,
    read_topic,
    sample_records,
    write_config,
)
from test_observation_stream import _create_input, _metric, read_states

from core.lsst.files import wire_messages
from core.serving.arcstate import ObjectState
from streamer.commands.produce import iter_messages, iter_observation_messages

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]

FIXTURES = ROOT / "tests" / "fixtures" / "alerts"
PARTITIONS = 6


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry")
    make_registry(root)
    return root


def _ztf_container(alert: dict[str, Any]) -> bytes:
    path = next(FIXTURES.glob("fink_ztf_*.avro"))
    schema = fastavro.reader(io.BytesIO(path.read_bytes())).writer_schema
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), [alert])
    return buf.getvalue()


def _mixed() -> tuple[list[tuple[bytes | None, bytes]], dict[str, int]]:
    """The mixed stream and what each kind of input must become."""
    ztf = [m for p in sorted(FIXTURES.glob("fink_ztf_*.avro")) for m in iter_messages(p, "ztf")]
    rubin = [m for p in sorted(FIXTURES.glob("fink_rubin_*.avro")) for m in iter_messages(p)]
    wire = list(wire_messages(ROOT / "data" / "lsst_alerts.avro"))[:20]
    records = [(None, v) for v in sample_records(20)]
    obs = list(iter_observation_messages(ROOT / "tests" / "data" / "neos_multinight_obs80.txt"))
    obs = obs[:40]
    first = fastavro.reader(io.BytesIO(ztf[0][1]))
    alert = next(iter(first))
    assert isinstance(alert, dict)
    unassociated = copy.deepcopy(alert)  # edited copy: names no asteroid
    unassociated["candidate"].update(ssnamenr="null", ssdistnr=-999.0)
    negative = copy.deepcopy(alert)  # edited copy: a negative distance with a name
    negative["candidate"]["ssdistnr"] = -3.0
    broken = ztf[1][1][:-3000]  # edited copy: its one block cut short
    bad = [(b"x", _ztf_container(negative)), (b"y", broken)]
    stream = ztf + rubin + wire + records + obs + [(b"z", _ztf_container(unassociated))] + bad
    want = {
        "results": len(rubin) + len(wire) + len(records),
        "dead_letters": len(bad),
        "skipped": 1,
        "state_inputs": len(ztf) + len(obs),
    }
    return stream, want


def _config(bootstrap: str, registry: Path, tmp: Path, **processing: Any) -> dict[str, Any]:
    cfg = base_config(bootstrap, registry, new_topics())
    cfg["topics"]["partitions"] = PARTITIONS
    cfg["processing"].update(processing)
    cfg["input"] = {"format": "auto"}
    cfg["state"] = {"enabled": True, "dir": str(tmp / "state"), "rescore": False}
    HANDED_OUT.append(f"{cfg['kafka']['group_id']}.state.changelog")
    return cfg


ZTF_OBJECTS = {"45538", "183318", "29153", "95496", "86371"}
RUBIN_OBJECTS = {"2013 LL24", "2012 JD69"}  # the broker's Rubin alerts: scored, and their state


async def _check_outputs(
    bootstrap: str, cfg: dict[str, Any], sent: list[tuple[int, int]], want: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    t = cfg["topics"]
    results = await read_topic(
        bootstrap, t["results"], until=lambda m: len({_src(r) for r in m}) >= want["results"]
    )
    dead = await read_topic(
        bootstrap,
        t["dead_letter"],
        until=lambda m: len({_src(r) for r in m}) >= want["dead_letters"],
    )
    assert len({_src(r) for r in results}) == want["results"]
    assert len({_src(r) for r in dead}) == want["dead_letters"]
    assert not {_src(r) for r in results} & {_src(r) for r in dead}
    assert {_src(r) for r in results} | {_src(r) for r in dead} <= set(sent)
    stations = {**dict.fromkeys(ZTF_OBJECTS, "I41"), **dict.fromkeys(RUBIN_OBJECTS, "X05")}
    want_states = {k: ObjectState() for k in stations}
    changelog = f"{cfg['kafka']['group_id']}.state.changelog"
    states = await read_states(bootstrap, changelog, want_states)
    for key, station in stations.items():
        state = states.get(key)
        assert state is not None, key
        assert [o.stn for o in state.observations] == [station], key
    return results, dead


def _src(r: dict[str, Any]) -> tuple[int, int]:
    return (r["source"]["partition"], r["source"]["offset"])


async def test_a_mixed_topic_with_auto_loses_nothing(
    tmp_path: Path, kafka_bootstrap: str, registry: Path
) -> None:
    cfg = _config(kafka_bootstrap, registry, tmp_path)
    await _create_input(kafka_bootstrap, cfg["topics"]["input"])
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        stream, want = _mixed()
        sent = await produce(kafka_bootstrap, cfg["topics"]["input"], stream)
        assert want["results"] + want["dead_letters"] + want["skipped"] + want[
            "state_inputs"
        ] == len(stream)
        _, dead = await _check_outputs(kafka_bootstrap, cfg, sent, want)
        reasons = sorted(d["field"] + ": " + d["reason"] for d in dead)
        assert any(r.startswith("candidate.ssdistnr: negative") for r in reasons), reasons
        assert any("block 0 unreadable" in r for r in reasons), reasons
        deadline = time.monotonic() + 30
        while True:
            text = daemon.http_get("/metrics")[1].decode()
            skipped = _metric(text, "neo_streamer_alerts_skipped_total")
            if skipped >= 1 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert skipped == 1
        assert _metric(text, "neo_streamer_records_in_total") == len(stream)
        # the broker's own fields of the two Rubin alerts: ignored and counted
        assert _metric(text, "neo_streamer_unknown_fields_total") == 4
    finally:
        daemon.stop()


@pytest.mark.slow
async def test_sigkill_mid_mixed_stream_loses_nothing(
    tmp_path: Path, kafka_bootstrap: str, registry: Path
) -> None:
    cfg = _config(kafka_bootstrap, registry, tmp_path, batch_max_size=8)
    await _create_input(kafka_bootstrap, cfg["topics"]["input"])
    config = write_config(tmp_path / "c.toml", **cfg)
    stream, want = _mixed()
    daemon = Daemon(config, tmp_path / "d1.log").start()
    try:
        daemon.wait_event("daemon started")
        half = len(stream) // 2
        sent = await produce(kafka_bootstrap, cfg["topics"]["input"], stream[:half])
        await asyncio.sleep(1.0)
        daemon.kill()  # mid-stream
        sent += await produce(kafka_bootstrap, cfg["topics"]["input"], stream[half:])
        daemon = Daemon(config, tmp_path / "d2.log").start()
        await _check_outputs(kafka_bootstrap, cfg, sent, want)
    finally:
        daemon.stop()


# --- replay from a time -----------------------------------------------------------------------


async def _produce_at(
    bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]], stamps: list[int]
) -> list[tuple[int, int]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value=v, key=k, timestamp_ms=ts)
            for (k, v), ts in zip(messages, stamps, strict=True)
        ]
        metas = await asyncio.gather(*futures)
        return [(m.partition, m.offset) for m in metas]
    finally:
        await producer.stop()


async def test_a_group_started_from_a_time_reads_exactly_what_is_at_or_after_it(
    tmp_path: Path, kafka_bootstrap: str, registry: Path
) -> None:
    cfg = base_config(kafka_bootstrap, registry, new_topics())
    await _create_input(kafka_bootstrap, cfg["topics"]["input"])
    start = datetime(2025, 9, 6, 7, 0, tzinfo=UTC)
    start_ms = int(start.timestamp() * 1000)
    records = [(None, v) for v in sample_records(60)]
    # a night of messages a minute apart, the start in its middle; one exactly at it
    stamps = [start_ms + (k - 30) * 60_000 for k in range(60)]
    sent = await _produce_at(kafka_bootstrap, cfg["topics"]["input"], records, stamps)
    wanted = {s for s, ts in zip(sent, stamps, strict=True) if ts >= start_ms}
    assert len(wanted) == 30
    cfg["kafka"]["start_from"] = "2025-09-06T07:00:00Z"
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        results = await read_topic(
            kafka_bootstrap,
            cfg["topics"]["results"],
            until=lambda m: {_src(r) for r in m} >= wanted,
            within=150.0,  # the daemon's start, on a loaded machine
        )
        await asyncio.sleep(2.0)  # anything before the start would have come by now
        results += await read_topic(
            kafka_bootstrap, cfg["topics"]["results"], until=lambda m: False, within=2.0
        )
        assert {_src(r) for r in results} == wanted
    finally:
        daemon.stop()
    args = [str(NEO_STREAMER), "tail", "--topic", cfg["topics"]["input"], "--json",
            "--bootstrap-servers", kafka_bootstrap, "--since", "2025-09-06T07:00:00Z",
            "--timeout", "5"]  # fmt: skip
    tail = await asyncio.to_thread(
        subprocess.run, args, capture_output=True, timeout=60, cwd=ROOT, check=True
    )
    shown = [orjson.loads(line) for line in tail.stdout.splitlines() if line.strip()]
    assert len(shown) == 30
