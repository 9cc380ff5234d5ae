"""Batching, scoring fallbacks, dead letters and in-order publishing of the worker pool.

The scorer here is a tiny deterministic stand-in for the inference engine (pure logic under
test; the integration tests use the real engine and broker).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
import pytest

from core.contract.records import NeoRecord, decode_record
from core.serving.inference import EncodedResult
from streamer.errors import PublishError
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import AlertRule, InputItem, ItemOutcome, message_key, process_batch
from streamer.pipeline.workers import WorkerPool, collect_batch, unknown_field_block

RULE = AlertRule(min_score=0.8, categories=frozenset({"artificial_candidate"}))


class EccentricityScorer:
    """anomaly_score = orbit.e (0 without an orbit); raises for designations starting 'BOOM'."""

    def __init__(self, version: str = "v1") -> None:
        self.model_version = version
        self.calls: list[int] = []

    def predict_batch(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        self.calls.append(len(records))
        if any(r.designation.startswith("BOOM") for r in records):
            raise ValueError("model cannot score this")
        return [
            {
                "designation": r.designation,
                "anomaly_score": r.orbit.e if r.orbit else 0.0,
                "category": "artificial_candidate" if r.designation == "ART" else "natural",
                "model": {"id": "m", "version": self.model_version},
            }
            for r in records
        ]

    def predict_encoded(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[EncodedResult]:
        """What the engine does: the dicts of :meth:`predict_batch`, encoded."""
        return [
            EncodedResult(orjson.dumps(r), r["anomaly_score"], r["category"], self.model_version)
            for r in self.predict_batch(records, cache_keys)
        ]


def _rec(designation: str, e: float | None = None) -> bytes:
    obj: dict[str, Any] = {"designation": designation}
    if e is not None:
        obj["orbit"] = {"e": e, "i_deg": 5.0, "a_au": 1.5}
    return orjson.dumps(obj)


def _item(offset: int, value: bytes | None, key: bytes | None = None, part: int = 0) -> InputItem:
    return InputItem("in", part, offset, key, value, 1_000, 0)


def test_results_carry_source_key_and_version() -> None:
    items = [_item(7, _rec("2024 AB", 0.3), key=b"2024 AB"), _item(8, _rec("2024 CD", 0.9))]
    out = process_batch(items, EccentricityScorer("v9"), RULE)
    assert [o.item.offset for o in out] == [7, 8]
    first = orjson.loads(out[0].outputs[0].value)
    assert first["source"] == {"topic": "in", "partition": 0, "offset": 7}
    assert first["model"]["version"] == "v9"
    assert out[0].outputs[0].key == b"2024 AB"
    # a null input key is replaced by the designation so one object's results stay ordered
    assert out[1].outputs[0].key == b"2024 CD"
    assert [o.kind for o in out[0].outputs] == ["result"]
    assert [o.kind for o in out[1].outputs] == ["result", "alert"]  # 0.9 >= 0.8
    assert out[1].model_version == "v9"


def test_source_is_appended_to_the_scored_document_as_its_last_member() -> None:
    item = _item(7, _rec("2024 AB", 0.3))
    (out,) = process_batch([item], EccentricityScorer("v9"), RULE)
    expected = EccentricityScorer("v9").predict_batch([decode_record(item.value or b"")])[0]
    expected["source"] = {"topic": "in", "partition": 0, "offset": 7}
    assert out.outputs[0].value == orjson.dumps(expected)  # byte for byte, key order included
    assert list(orjson.loads(out.outputs[0].value))[-1] == "source"


class DocumentScorer(EccentricityScorer):
    """Returns the given documents instead of the encoded results."""

    def __init__(self, documents: list[bytes]) -> None:
        super().__init__()
        self.documents = documents

    def predict_encoded(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[EncodedResult]:
        return [
            e._replace(document=d)
            for e, d in zip(super().predict_encoded(records), self.documents, strict=False)
        ]


def test_an_empty_object_gets_source_and_a_non_object_is_a_dead_letter() -> None:
    (empty,) = process_batch([_item(0, _rec("A", 0.1))], DocumentScorer([b"{}"]), RULE)
    assert orjson.loads(empty.outputs[0].value) == {
        "source": {"topic": "in", "partition": 0, "offset": 0}
    }
    (bad,) = process_batch([_item(1, _rec("B", 0.1))], DocumentScorer([b"[1]"]), RULE)
    letter = orjson.loads(bad.outputs[0].value)
    assert bad.outputs[0].kind == "dead_letter" and letter["error_type"] == "ValueError"
    assert "must be a JSON object" in letter["reason"] and bad.designation == "B"


def test_alert_rule_by_score_and_category() -> None:
    assert RULE.matches({"anomaly_score": 0.8, "category": "natural"})
    assert not RULE.matches({"anomaly_score": 0.79, "category": "natural"})
    assert RULE.matches({"anomaly_score": 0.1, "category": "artificial_candidate"})


def test_invalid_messages_become_dead_letters_with_reasons() -> None:
    bad_orbit = b'{"designation":"X","orbit":{"e":-1,"i_deg":3,"a_au":1.2}}'
    items = [
        _item(0, b"\xff\xfe not utf-8", key=b"k"),
        _item(1, b"[1, 2]"),
        _item(2, None),
        _item(3, bad_orbit),
        _item(4, _rec("OK", 0.1)),
    ]
    out = process_batch(items, EccentricityScorer(), RULE)
    assert [o.item.offset for o in out] == [0, 1, 2, 3, 4]
    letters = [orjson.loads(o.outputs[0].value) for o in out[:4]]
    assert all(o.outputs[0].kind == "dead_letter" for o in out[:4])
    assert [d["field"] for d in letters] == ["$", "$", "$", "orbit.e"]
    assert all(d["error_type"] == "RecordError" and d["reason"] for d in letters)
    assert base64.b64decode(letters[0]["original"]) == b"\xff\xfe not utf-8"
    assert letters[0]["key"] == "k"
    assert letters[1]["key"] is None
    assert letters[2]["original_is_null"] is True
    assert letters[3]["source"] == {"topic": "in", "partition": 0, "offset": 3}
    assert out[4].outputs[0].kind == "result"


def test_a_record_that_breaks_the_model_is_isolated() -> None:
    scorer = EccentricityScorer()
    items = [_item(0, _rec("A", 0.1)), _item(1, _rec("BOOM-1", 0.2)), _item(2, _rec("C", 0.3))]
    out = process_batch(items, scorer, RULE)
    assert scorer.calls == [3, 1, 1, 1]  # the batch, then one by one
    assert [o.outputs[0].kind for o in out] == ["result", "dead_letter", "result"]
    letter = orjson.loads(out[1].outputs[0].value)
    assert letter["error_type"] == "ValueError"
    assert "model cannot score this" in letter["reason"]


async def test_collect_batch_respects_max_size_and_wait() -> None:
    queue: asyncio.Queue[InputItem] = asyncio.Queue()
    for i in range(5):
        queue.put_nowait(_item(i, b"{}"))
    batch = await collect_batch(queue, max_size=3, max_wait_s=10.0)
    assert [i.offset for i in batch] == [0, 1, 2]  # full: returns without waiting
    batch = await collect_batch(queue, max_size=3, max_wait_s=0.01)
    assert [i.offset for i in batch] == [3, 4]  # partial after the wait
    assert queue.empty()


class RecordingPublisher:
    """Records publish order; fails the first ``failures`` enqueues."""

    def __init__(self, failures: int = 0) -> None:
        self.published: list[int] = []
        self.failures = failures

    async def enqueue(self, outcomes: Sequence[ItemOutcome]) -> Awaitable[None]:
        if self.failures:
            self.failures -= 1
            raise PublishError("broker said no")
        self.published.extend(o.item.offset for o in outcomes)

        async def ack() -> None:
            await asyncio.sleep(0)

        return ack()


class SlowFirstScorer(EccentricityScorer):
    """The first batch scores slowly so later batches finish scoring first."""

    def predict_batch(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        if not self.calls:
            import time

            time.sleep(0.2)
        return super().predict_batch(records)


class Context:
    """The pool's collaborators: a scorer, a publisher, the partitions that count (all unless
    ``accepting`` says otherwise), no state, and the offsets reported done."""

    def __init__(
        self,
        scorer: EccentricityScorer,
        publisher: RecordingPublisher,
        accepting: Callable[[InputItem], bool] = lambda _: True,
    ) -> None:
        self._scorer, self.publisher, self._accepting = scorer, publisher, accepting
        self.offsets: list[int] = []

    def scorer(self) -> EccentricityScorer:
        return self._scorer

    def accepting(self, item: InputItem) -> bool:
        return self._accepting(item)

    def live(self, item: InputItem) -> bool:
        return True

    async def apply_state(
        self, batch: list[InputItem], outcomes: list[ItemOutcome]
    ) -> list[ItemOutcome]:
        return outcomes

    def done(self, items: Sequence[InputItem]) -> None:
        self.offsets.extend(i.offset for i in items)


async def _run_pool(
    items: list[InputItem],
    scorer: EccentricityScorer,
    publisher: RecordingPublisher,
    accepting: Callable[[InputItem], bool] = lambda _: True,
) -> tuple[list[int], Metrics]:
    queue: asyncio.Queue[InputItem] = asyncio.Queue()
    context = Context(scorer, publisher, accepting)
    metrics = Metrics()
    pool = WorkerPool(
        queue,
        context,
        executor=None,
        workers=3,
        batch_max_size=2,
        batch_max_wait_s=0.0,
        rule=RULE,
        metrics=metrics,
        retry_backoff_s=0.0,
    )
    for item in items:
        queue.put_nowait(item)
    await pool.start()
    assert await pool.wait_idle(None, within=10.0)
    await pool.stop()
    return context.offsets, metrics


@pytest.mark.timeout(30)
async def test_pool_publishes_in_input_order_although_scoring_overlaps() -> None:
    items = [_item(i, _rec(f"D{i}", 0.5)) for i in range(10)]
    publisher = RecordingPublisher()
    done, metrics = await _run_pool(items, SlowFirstScorer(), publisher)
    assert publisher.published == list(range(10))
    assert sorted(done) == list(range(10))
    assert metrics.results_out._value.get() == 10


@pytest.mark.timeout(30)
async def test_pool_retries_failed_publishes_without_losing_records() -> None:
    items = [_item(i, _rec(f"D{i}", 0.95 if i == 3 else 0.1)) for i in range(6)]
    items.append(_item(6, b"not json"))
    publisher = RecordingPublisher(failures=2)
    done, metrics = await _run_pool(items, EccentricityScorer(), publisher)
    assert publisher.published == list(range(7))
    assert sorted(done) == list(range(7))
    assert metrics.publish_errors._value.get() == 2
    assert metrics.alerts_out._value.get() == 1
    assert metrics.dead_letters.labels(error_type="RecordError")._value.get() == 1


def test_a_newer_producers_fields_are_dropped_and_reported_not_dead_lettered() -> None:
    newer = b'{"designation":"N","orbit":{"e":0.2,"i_deg":3,"a_au":1.2,"w":1},"colour":"red"}'
    bad = b'{"designation":"B","orbit":{"e":-1,"i_deg":3,"a_au":1.2},"colour":"red"}'
    out = process_batch(
        [_item(0, newer), _item(1, bad), _item(2, _rec("OK", 0.2))], EccentricityScorer(), RULE
    )
    assert [o.outputs[0].kind for o in out] == ["result", "dead_letter", "result"]
    assert out[0].unknown_fields == ("colour", "orbit.w")
    assert orjson.loads(out[0].outputs[0].value)["anomaly_score"] == 0.2
    assert out[1].unknown_fields == () and out[2].unknown_fields == ()  # a wrong value still is
    assert orjson.loads(out[1].outputs[0].value)["field"] == "orbit.e"


@pytest.mark.parametrize(
    ("path", "block"),
    [
        ("colour", "$"),
        ("orbit.w", "orbit"),
        ("orbit.sigma.tp", "orbit"),
        ("close_approaches[3].lat", "close_approaches"),
        ("observations.radar", "observations"),
        ("trail.width", "trail"),
        ("orbit", "$"),  # cannot happen (orbit is known), but stays bounded
        ("a.b", "$"),
        ("physical[1]", "physical"),
    ],
)
def test_unknown_field_blocks_are_a_fixed_set(path: str, block: str) -> None:
    assert unknown_field_block(path) == block


@pytest.mark.timeout(30)
async def test_pool_counts_unknown_fields_in_the_metric() -> None:
    newer = b'{"designation":"N","orbit":{"e":0.2,"i_deg":3,"a_au":1.2,"w":1},"colour":"red"}'
    items = [_item(i, newer if i % 2 else _rec(f"D{i}", 0.1)) for i in range(6)]
    publisher = RecordingPublisher()
    done, metrics = await _run_pool(items, EccentricityScorer(), publisher)
    assert sorted(done) == list(range(6))
    assert metrics.results_out._value.get() == 6
    assert metrics.unknown_fields.labels(block="$")._value.get() == 3
    assert metrics.unknown_fields.labels(block="orbit")._value.get() == 3
    assert b'neo_streamer_unknown_fields_total{block="orbit"} 3.0' in metrics.render()


@pytest.mark.timeout(30)
async def test_pool_drops_items_of_revoked_partitions() -> None:
    items = [_item(i, _rec(f"D{i}"), part=i % 2) for i in range(8)]
    publisher = RecordingPublisher()
    done, _ = await _run_pool(
        items, EccentricityScorer(), publisher, accepting=lambda i: i.partition == 0
    )
    assert publisher.published == [0, 2, 4, 6]
    assert done == [0, 2, 4, 6]  # partition 1 is never reported done, so never committed


class MetaScorer(EccentricityScorer):
    """Passes ``meta`` through, as the inference engine does."""

    def predict_batch(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        out = super().predict_batch(records)
        return [{**res, "meta": dict(r.meta)} for res, r in zip(out, records, strict=True)]


def test_oversized_outputs_never_reach_the_producer() -> None:
    from streamer.pipeline.batch import MAX_OUTPUT_BYTES

    pad = "x" * (MAX_OUTPUT_BYTES + 10)
    big_valid = orjson.dumps({"designation": "BIG", "meta": {"pad": pad}})
    huge_invalid = b"{" + b"7" * (MAX_OUTPUT_BYTES + 10)
    out = process_batch(
        [_item(0, big_valid, key=b"k" * 5000), _item(1, huge_invalid)],
        MetaScorer(),
        RULE,
    )
    assert [o.outputs[0].kind for o in out] == ["dead_letter", "dead_letter"]
    assert all(len(o.outputs[0].value) < MAX_OUTPUT_BYTES for o in out)
    big, huge = (orjson.loads(o.outputs[0].value) for o in out)
    assert big["error_type"] == "ResultTooLarge"
    assert "exceeds the 1000000-byte limit" in big["reason"]
    assert out[0].designation == "BIG"
    assert len(big["key"]) == 1024 and len(out[0].outputs[0].key or b"") == 1024
    assert huge["error_type"] == "RecordError"
    assert huge["original_bytes"] == len(huge_invalid)
    assert huge["original_truncated"] is True
    assert base64.b64decode(huge["original"]) == huge_invalid[:600_000]


class KeyRecordingScorer(EccentricityScorer):
    """Remembers the cache keys it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[list[str] | None] = []

    def predict_batch(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        self.keys.append(None if cache_keys is None else list(cache_keys))
        return super().predict_batch(records, cache_keys)


def test_cache_keys_are_hashes_of_the_message_bytes_of_valid_records() -> None:
    import hashlib

    same = _rec("2020 SO", 0.03)
    items = [_item(0, same), _item(1, b"not json"), _item(2, _rec("433", 0.22)), _item(3, same)]
    scorer = KeyRecordingScorer()
    process_batch(items, scorer, RULE)
    (keys,) = scorer.keys
    assert keys is not None and len(keys) == 3  # the invalid message is not scored
    expected = [hashlib.sha256(items[i].value or b"").hexdigest() for i in (0, 2, 3)]
    assert keys == [message_key(items[i].value or b"") for i in (0, 2, 3)]
    assert keys == expected
    assert keys[0] == keys[2] != keys[1]  # same bytes, same key: a repeat is a cache hit


@pytest.mark.timeout(30)
async def test_the_dead_letter_log_line_carries_reason_field_key_and_source() -> None:
    # issue 23 item 8: it gave only {"event": "dead letter", "designation": null, ...}
    from structlog.testing import capture_logs

    items = [
        _item(0, _rec("D0", 0.1)),
        _item(1, b'{"designation": "X", "orbit": {"e": -1}}', key=b"X"),
        _item(2, b"not json", key=b"k\xff"),
    ]
    with capture_logs() as logs:
        await _run_pool(items, EccentricityScorer(), RecordingPublisher())
    dead = sorted((e for e in logs if e["event"] == "dead letter"), key=lambda e: e["offset"])
    assert [(e["field"], e["key"], e["topic"], e["partition"], e["offset"]) for e in dead] == [
        ("orbit.e", "X", "in", 0, 1),
        ("$", "k\\xff", "in", 0, 2),
    ]
    assert dead[0]["reason"].startswith("must be >= 0")
    assert dead[1]["reason"].startswith("invalid JSON")
    assert dead[1]["error_type"] == "RecordError"
