"""The delivery guarantee, in one place: when a batch's outputs count as delivered and when the
input offsets they came from are committed.

A checkpoint is the point after which an input is never processed again. Each guarantee is
one class here, and everything that differs between the two lives in it: the producer's
``transactional_id``, the consumer's isolation level, how outputs are published and how and
when offsets are committed.

* :class:`AtLeastOnceCheckpoint`: *outputs delivered, then offsets committed*. Outputs go out
  through the idempotent :class:`~streamer.kafka.sinks.AtLeastOncePublisher`; an input is marked
  done in the :class:`~streamer.delivery.offsets.OffsetTracker` once the broker acknowledged all its
  outputs, and the contiguous done prefix of each owned partition is committed every
  ``kafka.commit_interval_ms``, before a partition is revoked and at shutdown. A crash between
  delivery and commit delivers the uncommitted inputs' outputs again.
* :class:`ExactlyOnceCheckpoint`: *outputs and offsets in one transaction*. One Kafka
  transaction per batch holds its outputs and the consumed offsets
  (``send_offsets_to_transaction``), committed before ``enqueue`` returns; batches arrive in
  input order, so each transaction commits a contiguous prefix. Consumers read with
  ``read_committed``, so an aborted transaction's outputs are never seen.

Every output of an :class:`~streamer.pipeline.batch.ItemOutcome` (results, alerts, dead letters and
any other record a batch produces, e.g. a state changelog record) goes through the same
``enqueue``: it is therefore acknowledged before the offset is committed (at-least-once) or
part of the same transaction (exactly-once).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, ClassVar

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError, ProducerFenced

from streamer.config import AppConfig, Guarantee
from streamer.delivery.guarantee import isolation_level
from streamer.delivery.offsets import OffsetTracker
from streamer.errors import PublishError
from streamer.kafka.access import refusal
from streamer.kafka.sinks import (
    AtLeastOncePublisher,
    OutputSender,
    build_producer,
    nothing_to_wait,
    publish_error,
)
from streamer.kafka.source import TP, Source
from streamer.ops.logging import get_logger
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem, ItemOutcome

__all__ = [
    "AtLeastOnceCheckpoint",
    "Checkpoint",
    "ExactlyOnceCheckpoint",
    "TransactionalPublisher",
    "isolation_level",
    "new_checkpoint",
    "transactional_id",
]

log = get_logger(__name__)


def transactional_id(cfg: AppConfig) -> str | None:
    """The producer's ``transactional_id``: None under at-least-once.

    Stable across restarts of the same replica: the restarted producer fences its predecessor
    and aborts the transaction it left open.
    """
    if cfg.processing.processing_guarantee != "exactly_once":
        return None
    return f"{cfg.kafka.group_id}-{cfg.kafka.instance_id or socket.gethostname()}"


def _fatal(exc: BaseException) -> PublishError:
    err = PublishError(f"producer fenced by a newer instance: {exc}")
    err.retriable = False
    return err


class TransactionalPublisher(OutputSender):
    """One transaction per batch holding its outputs and consumed offsets (see the module
    docstring); ``enqueue`` returns once it is committed.

    The outputs' acknowledgements are awaited *before* the offsets join the transaction: a
    batch whose records the broker refused is never committed with its offsets. A failed
    transaction leaves the publisher :attr:`broken`: its producer may be in any state (a
    sequence gap after a broker restart, a fatal client state, a transaction the broker
    still holds open), so it is never used again; :meth:`renew` replaces it.
    """

    def __init__(self, producer: AIOKafkaProducer, cfg: AppConfig) -> None:
        super().__init__(producer, cfg)
        self.broken = False

    async def enqueue(self, outcomes: Sequence[ItemOutcome]) -> Awaitable[None]:
        """Publish and commit ``outcomes`` atomically before returning; raises
        :class:`PublishError` (the publisher is then :attr:`broken`) if that failed."""
        if self.broken:
            raise PublishError("the transactional producer failed and was not renewed")
        if not outcomes:
            return nothing_to_wait()
        offsets: dict[TopicPartition, int] = {}
        for o in outcomes:
            tp = TopicPartition(o.item.topic, o.item.partition)
            offsets[tp] = max(offsets.get(tp, 0), o.item.offset + 1)
        try:
            await self._producer.begin_transaction()
            futures = await self._send_all(outcomes)
            results = await asyncio.gather(*futures, return_exceptions=True)
            failed = [r for r in results if isinstance(r, BaseException)]
            if failed:
                raise failed[0]
            await self._producer.send_offsets_to_transaction(offsets, self._group_id)
            await self._producer.commit_transaction()
        except ProducerFenced as exc:
            raise _fatal(exc) from exc
        except (KafkaError, AssertionError) as exc:
            # AssertionError: aiokafka's transaction state machine refused a transition (its
            # sender died on an unexpected broker error): the producer is as unusable
            self.broken = True
            raise publish_error(self._cfg, exc, "transaction failed") from exc
        return nothing_to_wait()

    async def renew(self) -> None:
        """Replace the producer by a fresh one with the same ``transactional_id``.

        Starting it (``InitProducerId``) fences the old one: the broker aborts the
        transaction it left open and waits until every earlier transaction of this id has
        ended, so the group's committed offsets are final once this returns. Raises
        :class:`PublishError` when the broker cannot be reached (the publisher stays
        :attr:`broken`).
        """
        fresh = build_producer(self._cfg, transactional_id(self._cfg))
        await self._renew_producer(fresh, "cannot start a new transactional producer")

    def _renewed(self) -> None:
        self.broken = False


class Checkpoint(abc.ABC):
    """One delivery guarantee; the supervisor drives it, the workers publish through it.

    Parameters
    ----------
    producer : AIOKafkaProducer
        Started, built with :func:`transactional_id` of the same configuration.
    cfg : AppConfig
    source : Source
        The input consumer (its assignment and commits).
    tracker : OffsetTracker
        The offsets fetched by ``source`` and their completion.
    metrics : Metrics
    restart : async callable, optional
        Fetches every owned partition again from its committed offset, as after a
        rebalance (the supervisor's ``restart_from_committed``); exactly-once calls it after
        a failed transaction.
    """

    guarantee: ClassVar[Guarantee]
    _publisher_class: ClassVar[type[AtLeastOncePublisher] | type[TransactionalPublisher]]

    def __init__(
        self,
        producer: AIOKafkaProducer,
        cfg: AppConfig,
        source: Source,
        tracker: OffsetTracker[TP],
        metrics: Metrics,
        *,
        restart: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._cfg = cfg
        self._source = source
        self._tracker = tracker
        self._metrics = metrics
        self._restart = restart
        self._publisher = self._publisher_class(producer, cfg)

    @property
    def producer(self) -> AIOKafkaProducer:
        """The producer in use (the publisher may have replaced the one it was given)."""
        return self._publisher.producer

    async def enqueue(self, outcomes: Sequence[ItemOutcome]) -> Awaitable[None]:
        """Deliver ``outcomes`` (called in batch order): the
        :class:`~streamer.pipeline.workers.Publisher` the workers use."""
        return await self._publisher.enqueue(outcomes)

    def done(self, items: Sequence[InputItem]) -> None:
        """Every output of ``items`` is delivered: their offsets may be committed."""
        mark = self._tracker.mark_done
        for item in items:
            mark(item.tp, item.offset)

    def background(self) -> list[Coroutine[Any, Any, None]]:
        """Tasks the supervisor runs beside the pipeline (cancelled at shutdown)."""
        return []

    @abc.abstractmethod
    async def revoked(self, tps: set[TP]) -> None:
        """``tps`` are being revoked and their in-flight work drained (or abandoned)."""

    @abc.abstractmethod
    async def close(self, deadline: float) -> None:
        """The pipeline has stopped: checkpoint what is delivered, before ``deadline``
        (:func:`time.monotonic`)."""


class AtLeastOnceCheckpoint(Checkpoint):
    """Outputs delivered, then offsets committed (see the module docstring)."""

    guarantee = "at_least_once"
    _publisher_class = AtLeastOncePublisher

    async def commit(self, only: set[TP] | None = None) -> None:
        """Commit the contiguous acknowledged prefix of owned partitions (of ``only``)."""
        owned = self._source.assignment()
        offsets = {
            tp: off
            for tp, off in self._tracker.committable().items()
            if tp in owned and (only is None or tp in only)
        }
        if not offsets:
            return
        try:
            await self._source.consumer.commit(
                {TopicPartition(*tp): o for tp, o in offsets.items()}
            )
        except KafkaError as exc:
            refused = refusal(exc, self._cfg.kafka)
            if refused is not None:  # no ACL lets the group commit: retrying cannot help
                raise refused from exc
            # not fatal: the same (or a later) prefix is committed next time
            self._metrics.commits.labels(outcome="failed").inc()
            log.warning("commit failed", error=repr(exc), partitions=len(offsets))
            return
        self._tracker.mark_committed(offsets)
        self._metrics.commits.labels(outcome="ok").inc()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self._commit_loop()]

    async def _commit_loop(self) -> None:
        interval = self._cfg.kafka.commit_interval_ms / 1000.0
        while True:
            await asyncio.sleep(interval)
            await self.commit()

    async def revoked(self, tps: set[TP]) -> None:
        await self.commit(only=tps)

    async def close(self, deadline: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.commit(), max(0.1, deadline - time.monotonic()))


class ExactlyOnceCheckpoint(Checkpoint):
    """Outputs and offsets in one transaction per batch (see the module docstring).

    A failed transaction is never retried from memory. Its producer is replaced (which
    fences it and lets the broker finish every earlier transaction of this id), then every
    owned partition is fetched again from the group's committed offsets, which are exactly
    the inputs whose outputs were committed: the failed batch and everything after it are
    processed again, nothing twice. Retrying the same outputs instead trusted the
    producer's view of which transactions had committed, and that view can be wrong: a
    single-replica broker stopped mid-stream recorded a transaction as committed without
    writing its commit markers (Kafka skips markers for partitions it finds no leader for);
    its outputs were then aborted with the next failed transaction while its offsets
    stayed committed, and 64 inputs were lost.
    """

    guarantee = "exactly_once"
    _publisher_class = TransactionalPublisher
    _publisher: TransactionalPublisher

    _recovering = False

    async def enqueue(self, outcomes: Sequence[ItemOutcome]) -> Awaitable[None]:
        if self._recovering:
            await self._recover()  # raises PublishError while the broker is unreachable
        # outcomes fetched before a restart are stale: their inputs come again
        live = [o for o in outcomes if self._source.live(o.item)]
        try:
            return await self._publisher.enqueue(live)
        except PublishError:
            if self._publisher.broken:
                self._recovering = True
                with contextlib.suppress(PublishError):  # else the next enqueue recovers
                    await self._recover()
            raise

    async def _recover(self) -> None:
        if self._restart is None:
            raise TypeError("ExactlyOnceCheckpoint needs the supervisor's restart callable")
        if self._publisher.broken:
            await self._publisher.renew()
        try:
            await self._restart()
        except KafkaError as exc:  # the committed offsets could not be read: tried again
            raise publish_error(self._cfg, exc, "cannot read the committed offsets") from exc
        self._recovering = False
        self._metrics.transaction_restarts.inc()
        log.warning(
            "transaction failed: producer replaced, partitions fetched again from their"
            " committed offsets"
        )

    async def revoked(self, tps: set[TP]) -> None:
        return None  # each delivered batch's offsets were committed in its transaction

    async def close(self, deadline: float) -> None:
        return None  # likewise


def new_checkpoint(
    cfg: AppConfig,
    producer: AIOKafkaProducer,
    source: Source,
    tracker: OffsetTracker[TP],
    metrics: Metrics,
    *,
    restart: Callable[[], Awaitable[None]] | None = None,
) -> Checkpoint:
    """The checkpoint of ``processing.processing_guarantee``."""
    cls: type[Checkpoint] = (
        ExactlyOnceCheckpoint
        if cfg.processing.processing_guarantee == "exactly_once"
        else AtLeastOnceCheckpoint
    )
    return cls(producer, cfg, source, tracker, metrics, restart=restart)
