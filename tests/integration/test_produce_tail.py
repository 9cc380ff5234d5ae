"""``neo-streamer produce`` and ``tail`` as real processes against the real broker."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord

from core.formats import read_records

TopicFactory = Callable[..., Awaitable[str]]
TopicReader = Callable[..., Awaitable[list[ConsumerRecord[bytes, bytes]]]]

ROOT = Path(__file__).resolve().parents[2]
MIXED_OBS80 = ROOT / "tests" / "fixtures" / "mpc80" / "mixed_objects.txt"


async def _cli(*args: str) -> tuple[int, str, str]:
    """Run ``neo-streamer ARGS`` in a fresh interpreter; (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "streamer.cli",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_produce_jsonl_sends_every_line_keyed_by_designation(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader
) -> None:
    topic = await topic_factory(partitions=3, prefix="produce")
    lines = [
        orjson.dumps({"designation": f"2024 PT{i}", "orbit": {"a_au": 1.0 + i / 10}})
        for i in range(8)
    ] + [b"{broken json", b'{"orbit": {"a_au": 2.0}}']
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    code, out, err = await _cli(
        "produce", "--input", str(path), "--topic", topic, "--bootstrap-servers", kafka_bootstrap
    )

    assert code == 0, err
    assert out.startswith(f"produced 10 records to {topic} on {kafka_bootstrap}")
    got = await read_all(topic, 3)
    assert sorted((r.key or b"", r.value) for r in got) == sorted(
        [(f"2024 PT{i}".encode(), lines[i]) for i in range(8)] + [(b"", lines[8]), (b"", lines[9])]
    )
    # The summary's per-partition counts are what the broker holds.
    per_partition = {p: sum(1 for r in got if r.partition == p) for p in range(3)}
    assert out.rstrip().endswith(
        "per partition: " + " ".join(f"{p}={n}" for p, n in per_partition.items() if n)
    )


async def test_produce_observations_one_record_per_object_with_repeat_and_limit(
    kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader
) -> None:
    topic = await topic_factory(partitions=1, prefix="obs")
    expected = [orjson.dumps(obj) for obj in read_records(MIXED_OBS80)]

    code, out, err = await _cli(
        "produce",
        *("--input", str(MIXED_OBS80), "--topic", topic, "--bootstrap-servers", kafka_bootstrap),
        *("--repeat", "2", "--limit", "6", "--rate", "200"),
    )

    assert code == 0, err
    assert out.startswith(f"produced 6 records to {topic}")
    got = await read_all(topic, 1)
    assert [r.value for r in got] == (expected * 2)[:6]
    objects = [b"99942", b"2010 JV181", b"2020 NB1", b"101955"]
    assert [r.key for r in got] == objects + objects[:2]


async def test_produce_and_tail_refuse_a_missing_topic(kafka_bootstrap: str) -> None:
    missing = "no-such-topic-for-neo-streamer"

    produced = await _cli(
        "produce", "--input", "sample", "--topic", missing, "--bootstrap-servers", kafka_bootstrap
    )
    tailed = await _cli(
        "tail", "--topic", missing, "--timeout", "1", "--bootstrap-servers", kafka_bootstrap
    )

    assert produced[0] == 5
    assert f"topic {missing!r} does not exist on {kafka_bootstrap}" in produced[2]
    # issue 23 item 13: it pointed to kafka-topics, which is not installed here
    assert "--create-topic" in produced[2]
    assert f"tools/kafka/kafka.sh topics --create --topic {missing} --partitions 6" in produced[2]
    assert "kafka-topics" not in produced[2]
    assert tailed[0] == 5
    assert f"topic {missing!r} does not exist on {kafka_bootstrap}" in tailed[2]


async def _fill(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, value=value, key=b"k")
        await producer.flush()
    finally:
        await producer.stop()


def _result(designation: str, score: float, category: str) -> dict[str, object]:
    return {
        "schema": "neo.anomaly.v1",
        "designation": designation,
        "anomaly_score": score,
        "is_anomaly": score >= 0.99,
        "category": category,
        "model": {"id": "ensemble", "version": "7"},
        "indicators": {
            "overall": 0.5,
            "categories": {},
            "items": [{"name": "dv", "weighted_score": 0.5, "reason": "very low delta-v"}],
        },
        "contributions": [{"feature": "orbit.e", "value": 0.01, "contribution": 0.3}],
    }


async def test_tail_json_prints_the_first_n_messages_in_order(
    kafka_bootstrap: str, topic_factory: TopicFactory
) -> None:
    topic = await topic_factory(partitions=1, prefix="tail")
    results = [_result(f"2024 A{i}", i / 10, "natural") for i in range(5)]
    await _fill(kafka_bootstrap, topic, [orjson.dumps(r) for r in results] + [b"\xffraw"])

    code, out, err = await _cli(
        *("tail", "--topic", topic, "--json", "--from-beginning", "--max-messages", "3"),
        *("--bootstrap-servers", kafka_bootstrap),
    )

    assert code == 0, err
    assert [orjson.loads(line) for line in out.splitlines()] == results[:3]

    code, out, err = await _cli(
        *("tail", "--topic", topic, "--json", "--from-beginning", "--timeout", "3"),
        *("--bootstrap-servers", kafka_bootstrap),
    )

    assert code == 0, err
    printed = [orjson.loads(line) for line in out.splitlines()]
    assert printed[:5] == results
    assert printed[5] == {
        "undecodable": "\ufffdraw",
        "source": {"topic": topic, "partition": 0, "offset": 5},
    }
    assert len(printed) == 6


async def test_tail_alerts_reads_the_configured_alerts_topic_readably(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory
) -> None:
    alerts = await topic_factory(partitions=1, prefix="alerts")
    results = await topic_factory(partitions=1, prefix="results")
    await _fill(kafka_bootstrap, alerts, [orjson.dumps(_result("2020 SO", 0.997, "suspicious"))])
    await _fill(kafka_bootstrap, results, [orjson.dumps(_result("433", 0.1, "natural"))])
    config = tmp_path / "config.toml"
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{kafka_bootstrap}"\n'
        f'[topics]\nresults = "{results}"\nalerts = "{alerts}"\n'
    )

    code, out, err = await _cli(
        "tail", "--config", str(config), "--alerts", "--from-beginning", "--max-messages", "1"
    )

    assert code == 0, err
    # issue 23 item 14: tail was silent while it waited
    assert f"neo-streamer tail: waiting on {alerts!r} at {kafka_bootstrap} from its oldest " \
        "message (Ctrl-C stops)" in err  # fmt: skip
    assert out == (
        "2020 SO  score 0.9970  suspicious  ANOMALY  model 7\n"
        "  why: very low delta-v; orbit.e = 0.0100 (30% of the score)\n"
    )


async def test_produce_counts_invalid_records_and_skips_them_on_request(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader
) -> None:
    # issue 23 item 9
    topic = await topic_factory(partitions=1, prefix="invalid")
    good = orjson.dumps(
        {"designation": "2024 PT5", "orbit": {"a_au": 1.0, "e": 0.02, "i_deg": 1.5}}
    )
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join([good, b"{broken json", b'{"physical": {"H": 20.0}}']) + b"\n")
    common = ("--input", str(path), "--topic", topic, "--bootstrap-servers", kafka_bootstrap)

    code, out, err = await _cli("produce", *common)
    assert code == 0, err
    assert out.startswith("produced 3 records")
    assert "sent 2 records that are not valid neo.v1" in err
    assert "record 3: designation: required" in err

    code, out, err = await _cli("produce", *common, "--skip-invalid")
    assert code == 0, err
    assert (
        out.startswith("produced 1 record to")
        and "skipped 2 records that are not valid neo.v1 (not sent)" in err
    )
    assert [r.value for r in await read_all(topic, 1)][3:] == [good]


async def test_produce_create_topic_creates_a_missing_topic(
    tmp_path: Path, kafka_bootstrap: str, read_all: TopicReader
) -> None:
    import uuid

    from aiokafka.admin import AIOKafkaAdminClient

    topic = f"create-{uuid.uuid4().hex}"
    config = tmp_path / "c.toml"
    config.write_text("[topics]\npartitions = 2\n")
    try:
        code, out, err = await _cli(
            "produce",
            *("--input", str(MIXED_OBS80), "--topic", topic, "--create-topic"),
            *("--config", str(config), "--bootstrap-servers", kafka_bootstrap),
        )
        assert code == 0, err
        assert f"created topic {topic!r} with 2 partitions" in err
        assert out.startswith(f"produced 4 records to {topic}")
        assert len(await read_all(topic, 2)) == 4
    finally:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()


async def test_produce_per_observation_streams_wise_records_with_their_positions(
    kafka_bootstrap: str, topic_factory: TopicFactory, read_all: TopicReader
) -> None:
    # the MPC's 80-column file of 2020 NB1 (with 2014 AA): 7 NEOWISE (C51) two-line records
    nb1 = ROOT / "tests" / "fixtures" / "orbits" / "nb1_and_2014aa.txt"
    topic = await topic_factory(partitions=2, prefix="obs-wise")
    lines = nb1.read_text().splitlines()
    optical = sum(1 for line in lines if line[14] not in "sRr")

    code, out, err = await _cli(
        "produce",
        *("--input", str(nb1), "--per", "observation", "--topic", topic),
        *("--bootstrap-servers", kafka_bootstrap),
    )

    assert code == 0, err
    assert out.startswith(f"produced {optical} records to {topic}")
    got = [orjson.loads(r.value) for r in await read_all(topic, 2)]
    assert len(got) == optical
    from_space = [m for m in got if m["stn"] == "C51"]
    assert len(from_space) == 7
    for m in from_space:
        assert (m["sys"], m["ctr"]) == ("ICRF_KM", 399)
        assert all(isinstance(m[k], float) for k in ("pos1", "pos2", "pos3"))
    assert all("sys" not in m for m in got if m["stn"] != "C51")  # ground stations
