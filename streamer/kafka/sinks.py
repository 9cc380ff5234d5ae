"""Publishing of results, alerts and dead letters to Kafka.

Two publishers implement :class:`streamer.pipeline.workers.Publisher`:

* :class:`AtLeastOncePublisher`: an idempotent producer (``acks=all``); ``enqueue`` hands the
  messages to the producer and returns an awaitable that completes when the broker has
  acknowledged all of them. The input offsets are committed later, from the contiguous prefix of
  acknowledged records, by :class:`streamer.delivery.checkpoint.AtLeastOnceCheckpoint`. When the
  broker
  reports a gap in the producer's sequence numbers (batches that expired while the broker was
  away never reached it), aiokafka's producer cannot send again; the publisher then replaces it
  with a fresh producer (a new producer id, so sequences start over) before the failed batch is
  retried.
* :class:`streamer.delivery.checkpoint.TransactionalPublisher` (exactly-once): one Kafka transaction
  per batch holding its outputs *and* the consumed offsets; it lives with the rest of that
  guarantee in :mod:`streamer.delivery.checkpoint`, on top of :class:`OutputSender` here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber, UnknownProducerId

from streamer.config import AppConfig, aiokafka_security_kwargs, changelog_topic
from streamer.errors import PublishError
from streamer.kafka.access import refusal
from streamer.kafka.partitioner import KeyPartitioner
from streamer.ops.logging import get_logger
from streamer.pipeline.batch import ItemOutcome, OutputKind

log = get_logger(__name__)

# after these the idempotent producer's sequence state no longer matches the broker's
_SEQUENCE_BROKEN = (OutOfOrderSequenceNumber, UnknownProducerId)

__all__ = [
    "AtLeastOncePublisher",
    "OutputSender",
    "acknowledged",
    "build_producer",
    "nothing_to_wait",
    "producer_kwargs",
    "publish_error",
]


def producer_kwargs(cfg: AppConfig, transactional_id: str | None) -> dict[str, Any]:
    """The :class:`AIOKafkaProducer` arguments the daemon publishes with."""
    k = cfg.kafka
    return {
        "bootstrap_servers": k.bootstrap_servers,
        "client_id": f"{k.client_id}-producer",
        "acks": "all",
        "enable_idempotence": True,
        "transactional_id": transactional_id,
        "transaction_timeout_ms": k.transaction_timeout_ms,
        "request_timeout_ms": k.request_timeout_ms,
        "linger_ms": k.linger_ms,
        "max_batch_size": k.max_batch_size,
        "compression_type": None if k.compression_type == "none" else k.compression_type,
        **aiokafka_security_kwargs(k),
    }


def build_producer(cfg: AppConfig, transactional_id: str | None) -> AIOKafkaProducer:
    """An idempotent (and, given ``transactional_id``, transactional) producer; not started."""
    return AIOKafkaProducer(**producer_kwargs(cfg, transactional_id))


class OutputSender:
    """Sends a batch's outputs, one record batch per partition (shared by both publishers)."""

    def __init__(self, producer: AIOKafkaProducer, cfg: AppConfig) -> None:
        self._producer = producer
        self._cfg = cfg
        t = cfg.topics
        self._topics: dict[OutputKind, str] = {
            "result": t.results,
            "alert": t.alerts,
            "dead_letter": t.dead_letter,
            "changelog": changelog_topic(cfg),
            "known": cfg.known.topic,  # [known] routing = "topic"
        }
        self._group_id = cfg.kafka.group_id
        self._partitioner = KeyPartitioner()

    @property
    def producer(self) -> AIOKafkaProducer:
        """The producer in use (the supervisor closes it at shutdown)."""
        return self._producer

    async def _renew_producer(self, fresh: AIOKafkaProducer, what: str) -> None:
        """Start ``fresh`` and put it in place of the producer in use, which is then stopped
        (5 s at most, its errors ignored: it is broken). :meth:`_renewed` runs in between.

        Raises the :func:`publish_error` of ``what`` when ``fresh`` cannot start (it is then
        stopped and the old producer stays in place).
        """
        old = self._producer
        try:
            await fresh.start()
        except KafkaError as exc:
            with contextlib.suppress(KafkaError, OSError):
                await fresh.stop()
            raise publish_error(self._cfg, exc, what) from exc
        self._producer = fresh
        self._renewed()
        with contextlib.suppress(KafkaError, OSError, TimeoutError, AssertionError):
            await asyncio.wait_for(old.stop(), 5.0)

    def _renewed(self) -> None:
        """What a publisher resets once a fresh producer is in use (before the old one stops)."""

    async def _send_all(self, outcomes: Sequence[ItemOutcome]) -> list[asyncio.Future[Any]]:
        """Hand every output to the producer, one record batch per partition.

        The outputs are appended to per-partition batches (``create_batch``/``send_batch``)
        instead of one ``send`` each: a per-message ``send`` was the largest single cost of
        the daemon's event loop. Partitions are chosen as aiokafka's default partitioner
        chooses them (murmur2 of the key, as ``send`` and the Java client do; computed
        natively, :mod:`streamer.kafka.partitioner`), so a key always lands on the partition any
        other producer would pick, and outputs keep their order inside a
        partition. Returns one future per batch.
        """
        producer = self._producer
        partitions: dict[str, list[int]] = {}
        builders: dict[tuple[str, int], Any] = {}
        futures: list[asyncio.Future[Any]] = []
        try:
            for outcome in outcomes:
                for out in outcome.outputs:
                    topic = self._topics[out.kind]
                    parts = partitions.get(topic)
                    if parts is None:
                        parts = partitions[topic] = sorted(await producer.partitions_for(topic))
                    if out.partition is not None:
                        tp = (topic, out.partition)
                    else:
                        tp = (topic, self._partitioner(out.key, parts, parts))
                    builder = builders.get(tp)
                    if builder is None:
                        builder = builders[tp] = producer.create_batch()
                    if builder.append(key=out.key, value=out.value, timestamp=None) is None:
                        # full: send it, start the next one (a first record always fits)
                        futures.append(await producer.send_batch(builder, tp[0], partition=tp[1]))
                        builder = builders[tp] = producer.create_batch()
                        builder.append(key=out.key, value=out.value, timestamp=None)
            for (topic, partition), builder in builders.items():
                futures.append(await producer.send_batch(builder, topic, partition=partition))
        except BaseException:
            # the batch is retried whole; the outputs already handed over fail or succeed
            # unobserved, so mark their errors as seen (no "exception never retrieved" noise)
            for future in futures:
                future.add_done_callback(_observe)
            raise
        return futures


def _observe(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def publish_error(cfg: AppConfig, exc: BaseException, what: str) -> Exception:
    """The error a failed publish raises: an :class:`AccessDeniedError` when no ACL lets the
    daemon write (retrying cannot help), else a retriable :class:`PublishError`."""
    return refusal(exc, cfg.kafka) or PublishError(f"{what}: {exc!r}")


async def acknowledged(cfg: AppConfig, futures: list[asyncio.Future[Any]]) -> None:
    results = await asyncio.gather(*futures, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors:
        refused = refusal(error, cfg.kafka)
        if refused is not None:
            raise refused from error
    if errors:
        raise PublishError(
            f"{len(errors)} of {len(futures)} output batches not acknowledged: {errors[0]}"
        )


def nothing_to_wait() -> asyncio.Future[None]:
    """An awaitable with nothing to wait for: an already-completed future, so a caller that
    has no outputs to wait on may drop it (a coroutine dropped unawaited warns)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


class AtLeastOncePublisher(OutputSender):
    """Publishes with the idempotent producer; see the module docstring."""

    def __init__(self, producer: AIOKafkaProducer, cfg: AppConfig) -> None:
        super().__init__(producer, cfg)
        self._broken: AIOKafkaProducer | None = None
        self._renewing = asyncio.Lock()

    async def enqueue(self, outcomes: Sequence[ItemOutcome]) -> Awaitable[None]:
        """Send every output; the returned awaitable raises :class:`PublishError` on failure."""
        if not outcomes:
            return nothing_to_wait()
        if self._broken is not None:
            await self._renew()
        producer = self._producer
        try:
            futures = await self._send_all(outcomes)
        except KafkaError as exc:
            self._check_sequence(producer, [exc])
            raise publish_error(self._cfg, exc, "cannot publish") from exc
        return self._acknowledged(producer, futures)

    async def _acknowledged(
        self, producer: AIOKafkaProducer, futures: list[asyncio.Future[Any]]
    ) -> None:
        results = await asyncio.gather(*futures, return_exceptions=True)
        self._check_sequence(producer, [r for r in results if isinstance(r, BaseException)])
        await acknowledged(self._cfg, futures)

    def _check_sequence(self, producer: AIOKafkaProducer, errors: list[BaseException]) -> None:
        if producer is self._producer and any(isinstance(e, _SEQUENCE_BROKEN) for e in errors):
            self._broken = producer

    async def _renew(self) -> None:
        """Replace a producer whose sequence numbers broke by a fresh one (once)."""
        async with self._renewing:
            old = self._broken
            if old is None or old is not self._producer:
                return
            await self._renew_producer(
                build_producer(self._cfg, None), "cannot start a new producer"
            )

    def _renewed(self) -> None:
        self._broken = None
        log.warning("producer replaced after a sequence number gap")
