"""Hostile input against one running daemon: every bad message ends in the dead-letter topic with
a field and a reason, every valid one (however odd) is scored, and the daemon keeps running.

The decoder/validator is also fuzzed without a broker:
``tests/unit/core/contract/test_records_fuzz.py`` (hypothesis, 10,500 examples).
"""

from __future__ import annotations

import base64
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from daemon_harness import Daemon, base_config, make_registry, new_topics, write_config
from reliability_report import account, add_row

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

TopicFactory = Callable[..., Awaitable[str]]
Reader = Callable[..., Awaitable[list[Any]]]

# the input topic's size limit; the test sends one message exactly this large
INPUT_LIMIT = 1_048_576

_ORBIT = {"e": 0.3, "i_deg": 10.0, "a_au": 1.5}


def _obj(**fields: Any) -> bytes:
    return orjson.dumps({"designation": "2099 HX1", **fields})


def _orbit(**changes: Any) -> bytes:
    return _obj(orbit={**_ORBIT, **changes})


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    for _ in range(depth):
        node = {"a": node}
    return node


def _approaches(n: int) -> list[dict[str, Any]]:
    return [
        {"time": f"2030-01-{1 + k % 28:02d}T00:00", "dist_au": 0.01 + k * 1e-6, "v_rel_kms": 7.5}
        for k in range(n)
    ]


@dataclass(frozen=True)
class Case:
    """One input class: messages of it, and whether each must be scored or dead-lettered."""

    label: str
    messages: list[tuple[bytes | None, bytes | None]]
    scored: bool
    field: str | None = None  # the dead letter's field, where one is expected
    error_type: str = "RecordError"


def _padded(size: int) -> bytes:
    """A valid record of exactly ``size`` bytes (padding in ``meta``)."""
    bare = len(_obj(meta={"pad": ""}))
    return _obj(meta={"pad": "p" * (size - bare)})


CASES = [
    Case("non-UTF-8 bytes", [(b"k", b"\xff\xfe\xfa\x80 not text")], False, "$"),
    Case("invalid JSON", [(b"k", b'{"designation": "X",'), (b"k", b"{'a': 1}")], False, "$"),
    Case(
        "JSON that is not an object",
        [(None, b"[1, 2, 3]"), (None, b'"2024 AB"'), (None, b"42"), (None, b"null")],
        False,
        "$",
    ),
    Case("missing designation", [(None, orjson.dumps({"orbit": _ORBIT}))], False, "designation"),
    Case(
        "wrong types",
        [(None, orjson.dumps({"designation": 42})), (None, _orbit(e="0.3"))],
        False,
    ),
    Case(
        "NaN / Infinity",
        [
            (None, b'{"designation":"X","orbit":{"e":NaN,"i_deg":1,"a_au":1}}'),
            (None, b'{"designation":"X","orbit":{"e":0.1,"i_deg":1,"a_au":Infinity}}'),
            (None, b'{"designation":"X","orbit":{"e":0.1,"i_deg":1,"a_au":1e999}}'),
        ],
        False,
        "$",
    ),
    Case(
        "huge numbers",
        [
            (None, _orbit(a_au=1e300)),
            (None, b'{"designation":"X","orbit":{"e":0.1,"i_deg":1,"a_au":1' + b"0" * 40 + b"}}"),
        ],
        False,
        "orbit.a_au",
    ),
    Case(
        "semi-major axis <= 0",
        [(None, _orbit(a_au=-1.0)), (None, _orbit(a_au=0.0))],
        False,
        "orbit.a_au",
    ),
    Case("e < 0", [(None, _orbit(e=-0.01))], False, "orbit.e"),
    Case("i > 180", [(None, _orbit(i_deg=180.5))], False, "orbit.i_deg"),
    Case(
        "deeply nested JSON",
        [(None, _obj(meta=_nested(100))), (None, b"[" * 100_000 + b"]" * 100_000)],
        False,
    ),
    Case("empty message", [(b"k", b"")], False, "$"),
    Case("null value (tombstone)", [(b"k", None)], False, "$"),
    # a valid record as large as the input topic accepts (found by probing, below); its result
    # would be larger than any broker accepts, so it is dead-lettered, truncated
    Case("message at the size limit", [(b"big", None)], False, "$", "ResultTooLarge"),
    Case(
        "hyperbolic orbit (valid)",
        [
            (None, _obj(orbit={"e": 1.2, "i_deg": 122.7, "q_au": 0.25})),
            (None, _obj(orbit={"e": 1.5, "i_deg": 20.0, "q_au": 0.8, "a_au": -1.6})),
        ],
        True,
    ),
    Case(
        "10,000 close approaches (valid)",
        [(None, _obj(close_approaches=_approaches(10_000)))],
        True,
    ),
    Case("only a designation (valid)", [(None, b'{"designation": "2099 ZZ9"}')], True),
    Case("null key (valid)", [(None, _orbit())], True),
    Case("duplicate records (valid)", [(b"2099 HX1", _orbit(e=0.31))] * 3, True),
]


async def _produce_all(
    bootstrap: str, topic: str
) -> tuple[list[list[tuple[int, int]]], list[Case]]:
    """Send every case's messages in order; returns their positions and the cases as sent."""
    from aiokafka.errors import MessageSizeTooLargeError

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=2 * INPUT_LIMIT
    )
    await producer.start()
    try:
        placed, sent = [], []
        for case in CASES:
            messages = case.messages
            if case.label == "message at the size limit":
                # the largest message the broker takes: one byte more is refused
                size, refused = INPUT_LIMIT, 0
                while True:
                    try:
                        meta = await (await producer.send(topic, value=_padded(size), key=b"big"))
                        break
                    except MessageSizeTooLargeError:
                        size, refused = size - 1, size
                assert refused == size + 1, "the first probe must be over the limit"
                messages = [(b"big", _padded(size))]
                metas = [meta]
            else:
                metas = [await (await producer.send(topic, value=v, key=k)) for k, v in messages]
            placed.append([(m.partition, m.offset) for m in metas])
            sent.append(Case(case.label, messages, case.scored, case.field, case.error_type))
        return placed, sent
    finally:
        await producer.stop()


async def test_hostile_input_is_dead_lettered_or_scored_and_the_daemon_survives(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: TopicFactory, read_all: Reader
) -> None:
    root = tmp_path / "registry"
    make_registry(root)
    topics = new_topics()
    # one partition: the daemon must get past every bad message in turn, in order
    topics["input"] = await topic_factory(
        partitions=1, prefix="in", config={"max.message.bytes": str(INPUT_LIMIT)}
    )
    cfg = base_config(kafka_bootstrap, root, topics)
    cfg["topics"]["partitions"] = 1
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        placed, cases = await _produce_all(kafka_bootstrap, topics["input"])
        everything = {at for group in placed for at in group}
        last = max(everything)
        # a sentinel after everything: once it is scored every earlier message was handled
        sentinel = await _produce_one(kafka_bootstrap, topics["input"], _orbit(e=0.29))
        assert sentinel > last
        daemon.wait_event("daemon started")
        from reliability_report import Tally

        tally = await Tally(
            kafka_bootstrap, [topics["results"], topics["dead_letter"]], read_committed=False
        ).start()
        try:
            await tally.wait_covering({sentinel}, 1, within=180)
        finally:
            await tally.stop()
        results = await read_all(topics["results"], 1)
        letters = await read_all(topics["dead_letter"], 1)
        res_by, dlq_by = _by_source(results), _by_source(letters)
        res_at, dlq_at = list(res_by), list(dlq_by)
        assert daemon.proc is not None and daemon.proc.poll() is None  # still running
        status, _ = daemon.http_get("/readyz")
        assert status == 200
        for case, at in zip(cases, placed, strict=True):
            acc = account(at, res_at, dlq_at)
            add_row(f"input:{case.label}", "input", case.label, acc, _detail(case, at, dlq_by))
            assert acc.lost == 0 and acc.duplicates == 0, case.label
            if case.scored:
                assert acc.results == len(at), case.label
                for (key, value), src in zip(case.messages, at, strict=True):
                    result = res_by[src]
                    assert result["designation"] == orjson.loads(value or b"{}")["designation"]
                    assert result["_key"] == (key or result["designation"].encode())
            else:
                assert acc.dead_letters == len(at), case.label
                for (key, value), src in zip(case.messages, at, strict=True):
                    letter = dlq_by[src]
                    assert letter["reason"], case.label
                    assert letter["error_type"] == case.error_type, letter
                    if case.field is not None:
                        assert letter["field"] == case.field, (case.label, letter)
                    assert letter["key"] == (None if key is None else key.decode())
                    assert letter["original_is_null"] is (value is None)
                    original = base64.b64decode(letter["original"])
                    assert original == (value or b"")[: len(original)]
                    assert letter["original_bytes"] == len(value or b"")
        assert res_by[sentinel]["designation"] == "2099 HX1"
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        daemon.stop()


async def _produce_one(bootstrap: str, topic: str, value: bytes) -> tuple[int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        meta = await (await producer.send(topic, value=value))
        return (meta.partition, meta.offset)
    finally:
        await producer.stop()


def _detail(case: Case, at: list[tuple[int, int]], dlq_by: dict[Any, dict[str, Any]]) -> str:
    """What the table says about one case: the dead letters' fields and error types."""
    sizes = sorted({len(v or b"") for _, v in case.messages})
    size = f"{sizes[0]:,} bytes" if len(sizes) == 1 else f"{sizes[0]:,}-{sizes[-1]:,} bytes"
    if case.scored:
        return f"scored ({size})"
    letters = [dlq_by[src] for src in at if src in dlq_by]
    fields = sorted({f"`{d['field'][:24]}{'…' if len(d['field']) > 24 else ''}`" for d in letters})
    kinds = sorted({d["error_type"] for d in letters})
    text = f"dead letter: {', '.join(kinds)} at {', '.join(fields)} ({size})"
    if case.error_type == "ResultTooLarge":
        text += "; the largest message the topic accepts (1 byte more is refused)"
    return text


def _by_source(records: list[Any]) -> dict[tuple[int, int], dict[str, Any]]:
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for r in records:
        obj = orjson.loads(r.value)
        obj["_key"] = r.key
        src = (obj["source"]["partition"], obj["source"]["offset"])
        assert src not in out, f"two outputs for input {src}"
        out[src] = obj
    return out
