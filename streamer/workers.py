"""ML workers: micro-batches from the input queue, scored off the event loop, published in order.

One worker at a time collects a batch (up to ``batch_max_size`` items, waiting at most
``batch_max_wait_ms`` after the first), so each batch is a contiguous run of the queue. The
batch is decoded, validated and scored in a thread pool (:func:`process_batch` through
``run_in_executor``); N workers overlap scoring. Publishing then happens *in batch order*
(each batch waits for its predecessor to hand its outputs to the producer), so results for one
key keep the input order while scoring runs in parallel. Only after the broker acknowledged
every output of a record is it reported done (and its offset becomes committable).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson

from core.errors import RecordError
from core.records import NeoRecord, decode_record
from streamer.errors import PublishError
from streamer.logging import get_logger
from streamer.metrics import Metrics

__all__ = [
    "MAX_OUTPUT_BYTES",
    "AlertRule",
    "BatchRunner",
    "InputItem",
    "ItemOutcome",
    "Output",
    "Publisher",
    "Scorer",
    "WorkerPool",
    "collect_batch",
    "process_batch",
]

log = get_logger(__name__)

TP = tuple[str, int]

OutputKind = Literal["result", "alert", "dead_letter"]


class Scored(Protocol):
    """One scored record (:class:`core.inference.EncodedResult` is one)."""

    @property
    def document(self) -> bytes:
        """The neo.anomaly.v1 object, JSON-encoded, without ``source``."""
        ...

    @property
    def anomaly_score(self) -> float:
        """Its ``anomaly_score``."""
        ...

    @property
    def category(self) -> str:
        """Its ``category``."""
        ...

    @property
    def model_version(self) -> str:
        """The version of the model that scored it."""
        ...


class Scorer(Protocol):
    """What the workers need from :class:`core.inference.InferenceEngine`."""

    @property
    def model_version(self) -> str:
        """Version of the model that scores."""
        ...

    def predict_encoded(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> Sequence[Scored]:
        """One scored record per record, in order.

        ``cache_keys`` identify each record's whole content (the workers pass a hash of the
        message bytes they hold, far cheaper than hashing the decoded record).
        """
        ...


@dataclass(frozen=True, slots=True)
class InputItem:
    """One fetched input message; ``epoch`` is the assignment generation it was fetched in."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    epoch: int = 0

    @property
    def tp(self) -> tuple[str, int]:
        """``(topic, partition)``."""
        return (self.topic, self.partition)

    def source(self) -> dict[str, Any]:
        """The ``"source"`` object every output carries."""
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset}


@dataclass(frozen=True, slots=True)
class Output:
    """One message to publish."""

    kind: OutputKind
    key: bytes | None
    value: bytes


@dataclass(slots=True)
class ItemOutcome:
    """Everything one input produced."""

    item: InputItem
    outputs: list[Output]
    designation: str | None = None
    model_version: str | None = None
    error_type: str | None = None


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A result is an alert when its score reaches ``min_score`` or its category is listed."""

    min_score: float
    categories: frozenset[str] = frozenset()

    def matches(self, result: dict[str, Any]) -> bool:
        """Whether ``result`` (a neo.anomaly.v1 dict) goes to the alert topic."""
        return self.matches_score(float(result["anomaly_score"]), result.get("category"))

    def matches_score(self, anomaly_score: float, category: str | None) -> bool:
        """:meth:`matches` for a result's score and category."""
        return anomaly_score >= self.min_score or category in self.categories


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)


def _with_source(document: bytes, item: InputItem) -> bytes:
    """``document`` (a JSON object) with ``"source"`` appended as its last member.

    The object is the scorer's own encoding, so it ends in ``}``; splicing the member in
    spares decoding and re-encoding the whole result for one small field.
    """
    if document[-1:] != b"}" or document[:1] != b"{":
        raise ValueError("a scored document must be a JSON object")
    comma = b"," if len(document) > 2 else b""
    return b"".join((document[:-1], comma, b'"source":', _dumps(item.source()), b"}"))


# Every output must fit in one Kafka message: aiokafka's default max_request_size is 1,048,576
# bytes and a broker's default max.message.bytes 1,048,588. An output over the limit would be
# refused on every retry and block its partition forever, so it is never produced: an oversized
# result becomes a dead letter, and a dead letter keeps only a prefix of a huge original.
MAX_OUTPUT_BYTES = 1_000_000
_MAX_ORIGINAL_BYTES = 600_000  # base64 makes it 800,000
_MAX_TEXT = 1_024  # reason, field and key inside a dead letter


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def _dead_letter(item: InputItem, field_: str, reason: str, error_type: str) -> ItemOutcome:
    original = item.value or b""
    key = item.key if item.key is None or len(item.key) <= _MAX_TEXT else item.key[:_MAX_TEXT]
    body = {
        "schema": "neo.deadletter.v1",
        "reason": _clip(reason),
        "field": _clip(field_),
        "error_type": error_type,
        "original": base64.b64encode(original[:_MAX_ORIGINAL_BYTES]).decode("ascii"),
        "original_is_null": item.value is None,
        "original_bytes": len(original),
        "original_truncated": len(original) > _MAX_ORIGINAL_BYTES,
        "source": item.source(),
        "key": None if key is None else key.decode("utf-8", "backslashreplace"),
    }
    return ItemOutcome(item, [Output("dead_letter", key, _dumps(body))], error_type=error_type)


def process_batch(items: Sequence[InputItem], scorer: Scorer, rule: AlertRule) -> list[ItemOutcome]:
    """Decode, validate and score ``items``; pure and synchronous (runs in the executor).

    Undecodable or invalid messages become dead letters (``RecordError``'s field and reason).
    When ``predict_encoded`` raises for the batch, records are scored one by one so a single
    record that breaks the model is dead-lettered (``error_type`` = the exception's class)
    instead of taking its batch with it. A result larger than :data:`MAX_OUTPUT_BYTES` is
    dead-lettered (``ResultTooLarge``) rather than sent to a broker that would refuse it.
    """
    outcomes: list[ItemOutcome | None] = [None] * len(items)
    valid: list[tuple[int, NeoRecord]] = []
    keys: list[str] = []
    for i, item in enumerate(items):
        if item.value is None:
            outcomes[i] = _dead_letter(item, "$", "empty message (null value)", "RecordError")
            continue
        try:
            valid.append((i, decode_record(item.value)))
            keys.append(hashlib.blake2b(item.value, digest_size=16).hexdigest())
        except RecordError as exc:
            outcomes[i] = _dead_letter(item, exc.field, exc.reason, "RecordError")
        except Exception as exc:  # a decoder bug must not stop the stream: dead-letter it
            outcomes[i] = _dead_letter(item, "$", f"undecodable: {exc!r}", type(exc).__name__)
    if valid:
        try:
            scored: list[Scored | BaseException] = list(
                scorer.predict_encoded([rec for _, rec in valid], keys)
            )
        except Exception:  # retried record by record just below
            scored = []
            for (_, rec), cache_key in zip(valid, keys, strict=True):
                try:
                    scored.append(scorer.predict_encoded([rec], [cache_key])[0])
                except Exception as exc:  # the record goes to the dead letters
                    scored.append(exc)
        for (i, rec), result in zip(valid, scored, strict=True):
            item = items[i]
            if not isinstance(result, BaseException):
                try:
                    value = _with_source(result.document, item)
                except ValueError as exc:  # a scorer bug: this record goes to the dead letters
                    result = exc
            if isinstance(result, BaseException):
                reason, error_type = f"scoring failed: {result}", type(result).__name__
                outcome = _dead_letter(item, "$", reason, error_type)
                outcome.designation = rec.designation
                outcomes[i] = outcome
                continue
            key = item.key if item.key is not None else rec.designation.encode("utf-8")
            if len(value) + len(key) > MAX_OUTPUT_BYTES:
                reason = f"result of {len(value)} bytes exceeds the {MAX_OUTPUT_BYTES}-byte limit"
                outcome = _dead_letter(item, "$", reason, "ResultTooLarge")
                outcome.designation = rec.designation
                outcomes[i] = outcome
                continue
            outs = [Output("result", key, value)]
            if rule.matches_score(result.anomaly_score, result.category):
                outs.append(Output("alert", key, value))
            outcomes[i] = ItemOutcome(item, outs, rec.designation, result.model_version)
    return [o for o in outcomes if o is not None]


async def collect_batch(
    queue: asyncio.Queue[InputItem], max_size: int, max_wait_s: float
) -> list[InputItem]:
    """Wait for one item, then take more until ``max_size`` or ``max_wait_s`` have passed."""
    batch = [await queue.get()]
    deadline = time.monotonic() + max_wait_s
    while len(batch) < max_size:
        # take what is already queued without yielding, then wait only for the remainder
        while len(batch) < max_size and not queue.empty():
            batch.append(queue.get_nowait())
        remaining = deadline - time.monotonic()
        if len(batch) >= max_size or remaining <= 0:
            break
        try:
            batch.append(await asyncio.wait_for(queue.get(), remaining))
        except TimeoutError:
            break
    return batch


BatchRunner = Callable[
    [asyncio.AbstractEventLoop, Executor | None, list[InputItem], Scorer, AlertRule],
    Awaitable[list[ItemOutcome]],
]
"""How a batch reaches :func:`process_batch` in an executor (see :func:`run_in_thread`)."""


def run_in_thread(
    loop: asyncio.AbstractEventLoop,
    executor: Executor | None,
    batch: list[InputItem],
    scorer: Scorer,
    rule: AlertRule,
) -> Awaitable[list[ItemOutcome]]:
    """:func:`process_batch` in a thread pool: the objects are shared, nothing is copied."""
    return loop.run_in_executor(executor, process_batch, batch, scorer, rule)


class Publisher(Protocol):
    """Hands outcomes to the broker; see :mod:`streamer.sinks`."""

    async def enqueue(self, outcomes: Sequence[ItemOutcome]) -> Awaitable[None]:
        """Start publishing (called in batch order); the awaitable completes on acknowledgement.

        Raises :class:`~streamer.errors.PublishError` (from either step) on failure.
        """
        ...


@dataclass
class _Turns:
    """Hands out batch sequence numbers and lets batch n publish only after batch n-1."""

    issued: int = 0
    served: int = 0
    cond: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait(self, seq: int) -> None:
        async with self.cond:
            await self.cond.wait_for(lambda: self.served == seq)

    async def release(self) -> None:
        async with self.cond:
            self.served += 1
            self.cond.notify_all()


class WorkerPool:
    """N asyncio workers feeding ``process_batch`` through ``executor``.

    Parameters
    ----------
    queue : asyncio.Queue
        Input items, filled by :mod:`streamer.source`.
    scorer : callable
        Returns the serving :class:`Scorer` (read once per batch, so a hot reload swaps
        between batches and each result carries the version that scored it).
    publisher : Publisher
    on_done : callable
        Called with the items whose outputs are all acknowledged.
    accepting : callable
        ``accepting(item)``: False drops the item before scoring (its partition is being
        revoked or is gone; it will be redelivered to the new owner).
    live : callable
        ``live(item)``: False drops a scored outcome before publishing.
    run_batch : callable
        How a batch reaches ``executor``: :func:`run_in_thread` (the default) or
        :func:`streamer.procpool.run_in_process`.
    """

    def __init__(
        self,
        queue: asyncio.Queue[InputItem],
        scorer: Callable[[], Scorer],
        publisher: Publisher,
        *,
        executor: Executor | None,
        workers: int,
        batch_max_size: int,
        batch_max_wait_s: float,
        rule: AlertRule,
        metrics: Metrics,
        on_done: Callable[[Sequence[InputItem]], None],
        accepting: Callable[[InputItem], bool] = lambda _: True,
        live: Callable[[InputItem], bool] = lambda _: True,
        retry_backoff_s: float = 1.0,
        run_batch: BatchRunner = run_in_thread,
    ) -> None:
        self._queue = queue
        self._scorer = scorer
        self._publisher = publisher
        self._executor = executor
        self._n = workers
        self._max_size = batch_max_size
        self._max_wait = batch_max_wait_s
        self._rule = rule
        self._metrics = metrics
        self._on_done = on_done
        self._accepting = accepting
        self._live = live
        self._backoff = retry_backoff_s
        self._run_batch = run_batch
        self._collect_lock = asyncio.Lock()
        self._turns = _Turns()
        self._tasks: list[asyncio.Task[None]] = []
        self._active: dict[int, frozenset[TP]] = {}
        self._idle = asyncio.Condition()
        self._stopping = False

    async def start(self) -> None:
        """Start the worker tasks (idempotent)."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._run(), name=f"neo-worker-{i}") for i in range(self._n)
            ]

    async def stop(self) -> None:
        """Cancel the workers; unfinished items are not reported done (idempotent)."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        """The running worker tasks (the supervisor watches them)."""
        return list(self._tasks)

    def busy_partitions(self) -> set[TP]:
        """Partitions that have a batch between collection and acknowledgement."""
        return set().union(*self._active.values()) if self._active else set()

    async def wait_idle(self, partitions: set[TP] | None = None, within: float = 0.0) -> bool:
        """Wait until no batch holds any of ``partitions``; with None, until no batch is in
        flight and the queue is empty. Returns False when ``within`` seconds pass first."""

        def done() -> bool:
            busy = self.busy_partitions()
            if partitions is None:
                return not busy and self._queue.empty()
            return not (busy & partitions)

        try:
            async with self._idle:
                await asyncio.wait_for(self._idle.wait_for(done), within)
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            async with self._collect_lock:
                batch = await collect_batch(self._queue, self._max_size, self._max_wait)
                seq = self._turns.issued
                self._turns.issued += 1
                self._active[seq] = frozenset(i.tp for i in batch)
            self._metrics.queue_depth.set(self._queue.qsize())
            try:
                await self._handle(loop, seq, [i for i in batch if self._accepting(i)])
            except Exception:
                # re-raised to the supervisor; logged here where the records are known
                first = batch[0]
                log.exception(
                    "worker failed",
                    topic=first.topic,
                    partition=first.partition,
                    offset=first.offset,
                    batch_size=len(batch),
                )
                raise
            finally:
                self._active.pop(seq, None)
                async with self._idle:
                    self._idle.notify_all()

    async def _handle(
        self, loop: asyncio.AbstractEventLoop, seq: int, batch: list[InputItem]
    ) -> None:
        outcomes: list[ItemOutcome] = []
        try:
            if batch:
                scorer = self._scorer()
                started = time.perf_counter()
                outcomes = await self._run_batch(loop, self._executor, batch, scorer, self._rule)
                self._metrics.scoring_seconds.observe(time.perf_counter() - started)
                self._metrics.batch_size.observe(len(batch))
            await self._turns.wait(seq)
        except BaseException:
            # never leave the successors waiting for a turn that will not come
            await self._turns.release()
            raise
        outcomes = [o for o in outcomes if self._live(o.item)]
        try:
            waiter = await self._enqueue(outcomes)
        finally:
            await self._turns.release()
        if not outcomes:
            return
        while True:
            try:
                await waiter
                break
            except PublishError as exc:
                self._metrics.publish_errors.inc()
                log.warning("publish failed, retrying the batch", error=str(exc), size=len(batch))
                await asyncio.sleep(self._backoff)
                outcomes = [o for o in outcomes if self._live(o.item)]
                waiter = await self._enqueue(outcomes)
        self._account(outcomes)

    async def _enqueue(self, outcomes: Sequence[ItemOutcome]) -> Awaitable[None]:
        """Enqueue with retries: a failure here (e.g. no metadata) must not lose the batch."""
        while True:
            try:
                return await self._publisher.enqueue(outcomes)
            except PublishError as exc:
                if self._stopping:
                    raise
                self._metrics.publish_errors.inc()
                log.warning("publish failed, retrying the batch", error=str(exc))
                await asyncio.sleep(self._backoff)
                outcomes = [o for o in outcomes if self._live(o.item)]

    def _account(self, outcomes: Sequence[ItemOutcome]) -> None:
        now_ms = time.time() * 1000.0
        m = self._metrics
        for o in outcomes:
            for out in o.outputs:
                if out.kind == "result":
                    m.results_out.inc()
                elif out.kind == "alert":
                    m.alerts_out.inc()
                else:
                    m.dead_letters.labels(error_type=o.error_type or "unknown").inc()
                    log.warning(
                        "dead letter",
                        topic=o.item.topic,
                        partition=o.item.partition,
                        offset=o.item.offset,
                        designation=o.designation,
                        error_type=o.error_type,
                    )
            if o.item.timestamp_ms > 0:
                m.end_to_end_seconds.observe(max(0.0, now_ms - o.item.timestamp_ms) / 1000.0)
        self._on_done([o.item for o in outcomes])
