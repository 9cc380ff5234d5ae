"""ML workers: micro-batches from the input queue, scored off the event loop, published in order.

One worker at a time collects a batch (up to ``batch_max_size`` items, waiting at most
``batch_max_wait_ms`` after the first), so each batch is a contiguous run of the queue. The
batch is decoded, validated and scored off the event loop
(:func:`streamer.pipeline.batch.process_batch` through ``run_in_executor``, in a thread or in a
scoring process); N workers overlap scoring. Publishing then happens *in batch order* (each batch
waits for its predecessor to hand its outputs to the producer), so results for one key keep
the input order while scoring runs in parallel. Only after the broker acknowledged every
output of a record is it reported done (and its offset becomes committable).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol

from core.contract.records import NeoRecord
from core.serving.inputs import InputFormat
from streamer.errors import PublishError
from streamer.ops.logging import get_logger
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import AlertRule, InputItem, ItemOutcome, Scorer, process_batch

__all__ = [
    "BatchRunner",
    "PoolContext",
    "Publisher",
    "WorkerPool",
    "collect_batch",
    "run_in_thread",
]

log = get_logger(__name__)

# the blocks of the contract (meta is free-form: nothing in it is unknown)
_BLOCKS = frozenset(NeoRecord.__struct_fields__) - {"designation", "meta"}
_MAX_UNKNOWN_LOGGED = 1_000  # distinct unknown field paths logged per daemon, then silence


def unknown_field_block(path: str) -> str:
    """The metric label of an unknown field's path: the contract's top-level block that held
    it (``"orbit"`` for ``"orbit.sigma.tp"``, ``"close_approaches"`` for
    ``"close_approaches[2].lat"``), or ``"$"`` for the top level. A fixed set of labels, so
    that hostile field names cannot grow the metric without bound."""
    head = path.partition(".")[0].partition("[")[0]
    return head if head != path and head in _BLOCKS else "$"


TP = tuple[str, int]


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
    [asyncio.AbstractEventLoop, Executor | None, list[InputItem], Scorer, AlertRule, InputFormat],
    Awaitable[list[ItemOutcome]],
]
"""How a batch reaches :func:`process_batch` in an executor (see :func:`run_in_thread`)."""


def run_in_thread(  # noqa: PLR0917  (a BatchRunner: called positionally)
    loop: asyncio.AbstractEventLoop,
    executor: Executor | None,
    batch: list[InputItem],
    scorer: Scorer,
    rule: AlertRule,
    input_format: InputFormat = "neo",
) -> Awaitable[list[ItemOutcome]]:
    """:func:`process_batch` in a thread pool: the objects are shared, nothing is copied."""
    return loop.run_in_executor(executor, process_batch, batch, scorer, rule, input_format)


class Publisher(Protocol):
    """Hands outcomes to the broker; see :mod:`streamer.kafka.sinks`."""

    async def enqueue(self, outcomes: Sequence[ItemOutcome]) -> Awaitable[None]:
        """Start publishing (called in batch order); the awaitable completes on acknowledgement.

        Raises :class:`~streamer.errors.PublishError` (from either step) on failure.
        """
        ...


class PoolContext(Protocol):
    """What a :class:`WorkerPool` works with, in one object (the daemon's is
    :class:`streamer.app.PoolCollaborators`)."""

    @property
    def publisher(self) -> Publisher:
        """Where the outcomes go (the delivery guarantee's checkpoint)."""
        ...

    def scorer(self) -> Scorer:
        """The serving scorer, read once per batch: a hot reload swaps between batches and each
        result carries the version that scored it."""
        ...

    def accepting(self, item: InputItem) -> bool:
        """False drops the item before scoring (its partition is being revoked or is gone; it
        will be redelivered to the new owner)."""
        ...

    def live(self, item: InputItem) -> bool:
        """False drops a scored outcome before publishing."""
        ...

    async def apply_state(
        self, batch: list[InputItem], outcomes: list[ItemOutcome]
    ) -> list[ItemOutcome]:
        """The outcomes completed by the state step (the observation messages of the batch,
        :meth:`streamer.state.store.StateManager.apply`), called in batch order before
        publishing."""
        ...

    def done(self, items: Sequence[InputItem]) -> None:
        """The items whose outputs are all acknowledged."""
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
        Input items, filled by :mod:`streamer.kafka.source`.
    context : PoolContext
        The collaborators: the scorer, the publisher, the source's view of which items still
        count, the state step and where finished items are reported.
    run_batch : callable
        How a batch reaches ``executor``: :func:`run_in_thread` (the default) or
        :func:`streamer.pipeline.procpool.run_in_process`.
    """

    def __init__(
        self,
        queue: asyncio.Queue[InputItem],
        context: PoolContext,
        *,
        executor: Executor | None,
        workers: int,
        batch_max_size: int,
        batch_max_wait_s: float,
        rule: AlertRule,
        input_format: InputFormat = "neo",
        metrics: Metrics,
        retry_backoff_s: float = 1.0,
        run_batch: BatchRunner = run_in_thread,
    ) -> None:
        self._queue = queue
        self._ctx = context
        self._executor = executor
        self._n = workers
        self._max_size = batch_max_size
        self._max_wait = batch_max_wait_s
        self._rule = rule
        self._input_format: InputFormat = input_format
        self._metrics = metrics
        self._backoff = retry_backoff_s
        self._run_batch = run_batch
        self._collect_lock = asyncio.Lock()
        self._turns = _Turns()
        self._tasks: list[asyncio.Task[None]] = []
        self._active: dict[int, frozenset[TP]] = {}
        self._idle = asyncio.Condition()
        self._stopping = False
        self._unknown_logged: set[str] = set()

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
                await self._handle(loop, seq, [i for i in batch if self._ctx.accepting(i)])
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
                scorer = self._ctx.scorer()
                started = time.perf_counter()
                outcomes = await self._run_batch(
                    loop, self._executor, batch, scorer, self._rule, self._input_format
                )
                self._metrics.scoring_seconds.observe(time.perf_counter() - started)
                self._metrics.batch_size.observe(len(batch))
            await self._turns.wait(seq)
            if batch:
                # in batch order: an object's observations are applied in input order; not
                # those of a partition revoked or restarted meanwhile (they come again; their
                # outcomes are dropped by _enqueue)
                batch = [i for i in batch if self._ctx.live(i)]
                if batch:
                    outcomes = await self._ctx.apply_state(batch, outcomes)
        except BaseException:
            # never leave the successors waiting for a turn that will not come
            await self._turns.release()
            raise
        try:
            waiter, outcomes = await self._enqueue(outcomes)
        finally:
            await self._turns.release()
        while outcomes:
            try:
                await waiter
                break
            except PublishError as exc:
                self._metrics.publish_errors.inc()
                log.warning("publish failed, retrying the batch", error=str(exc), size=len(batch))
                await asyncio.sleep(self._backoff)
                waiter, outcomes = await self._enqueue(outcomes)
        self._account(outcomes)

    async def _enqueue(
        self, outcomes: list[ItemOutcome]
    ) -> tuple[Awaitable[None], list[ItemOutcome]]:
        """Enqueue with retries: a failure here (e.g. no metadata) must not lose the batch.
        Returns the waiter and the outcomes enqueued: those whose partition is still ours
        (the others' inputs are fetched again)."""
        while True:
            outcomes = [o for o in outcomes if self._ctx.live(o.item)]
            try:
                return await self._ctx.publisher.enqueue(outcomes), outcomes
            except PublishError as exc:
                if self._stopping:
                    raise
                self._metrics.publish_errors.inc()
                log.warning("publish failed, retrying the batch", error=str(exc))
                await asyncio.sleep(self._backoff)

    def _count_unknown(self, o: ItemOutcome) -> None:
        counter = self._metrics.unknown_fields
        for path in o.unknown_fields:
            counter.labels(block=unknown_field_block(path)).inc()
        if len(self._unknown_logged) < _MAX_UNKNOWN_LOGGED:
            new = [p for p in o.unknown_fields if p not in self._unknown_logged]
            if new:  # once per path: a newer producer sends the same fields in every message
                self._unknown_logged.update(new)
                log.info(
                    "unknown fields dropped",
                    fields=new,
                    topic=o.item.topic,
                    partition=o.item.partition,
                    offset=o.item.offset,
                    designation=o.designation,
                )

    def _account(self, outcomes: Sequence[ItemOutcome]) -> None:
        now_ms = time.time() * 1000.0
        m = self._metrics
        results = alerts = 0  # counted here, added once per batch (each inc takes a lock)
        observe = m.end_to_end_seconds.observe
        for o in outcomes:
            for out in o.outputs:
                if out.kind == "result":
                    results += 1
                elif out.kind == "alert":
                    alerts += 1
                elif out.kind in ("changelog", "known"):
                    continue  # state bookkeeping; a known object's copy of its result
                else:
                    m.dead_letters.labels(error_type=o.error_type or "unknown").inc()
                    log.warning(
                        "dead letter",
                        topic=o.item.topic,
                        partition=o.item.partition,
                        offset=o.item.offset,
                        key=o.key_text,
                        field=o.error_field,
                        reason=o.error_reason,
                        error_type=o.error_type,
                        designation=o.designation,
                    )
            if o.unknown_fields:
                self._count_unknown(o)
            if o.skipped is not None:
                m.alerts_skipped.labels(reason=o.skipped).inc()
            if o.item.timestamp_ms > 0:
                observe(max(0.0, now_ms - o.item.timestamp_ms) / 1000.0)
        if results:
            m.results_out.inc(results)
        if alerts:
            m.alerts_out.inc(alerts)
        self._ctx.done([o.item for o in outcomes])
