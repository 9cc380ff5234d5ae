"""The input consumer: aiokafka with manual commits, feeding the bounded work queue.

The fetch loop never blocks on the queue: when it holds its capacity
(:meth:`~streamer.config.ProcessingConfig.queue_capacity`) the assigned partitions are
paused and ``getmany`` keeps being called (it returns nothing for paused partitions), so the
consumer keeps polling and ``max_poll_interval_ms`` is never exceeded however slow scoring
is; fetching resumes when the queue is half empty.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError

from streamer.config import AppConfig, aiokafka_security_kwargs
from streamer.delivery.guarantee import isolation_level
from streamer.delivery.offsets import OffsetTracker
from streamer.kafka.access import refusal
from streamer.ops.logging import get_logger
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem

__all__ = ["Source"]

log = get_logger(__name__)

TP = tuple[str, int]


class Source:
    """Fetches the input topic into ``queue`` and tracks every fetched offset.

    Assignment state lives here: ``epoch(tp)`` is the generation a partition was assigned in
    (None when not assigned), and ``revoking`` holds partitions whose queued work must no
    longer be started.
    """

    def __init__(
        self,
        cfg: AppConfig,
        queue: asyncio.Queue[InputItem],
        tracker: OffsetTracker[TP],
        metrics: Metrics,
    ) -> None:
        k = cfg.kafka
        self._cfg = cfg
        self._queue = queue
        self._tracker = tracker
        self._metrics = metrics
        self._queue_max = cfg.processing.queue_capacity()
        self._fetching = True
        self._paused = False
        self._generation = 0
        self._epochs: dict[TP, int] = {}
        self.revoking: set[TP] = set()
        self.restoring: set[TP] = set()  # paused until their state is restored
        self._next_fetch: dict[TP, int] = {}
        self._first_fetch: dict[TP, int] = {}  # the first offset delivered since assignment
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=k.bootstrap_servers,
            group_id=k.group_id,
            client_id=k.client_id,
            enable_auto_commit=False,
            auto_offset_reset=k.auto_offset_reset,
            isolation_level=isolation_level(cfg),
            session_timeout_ms=k.session_timeout_ms,
            heartbeat_interval_ms=k.heartbeat_interval_ms,
            max_poll_interval_ms=k.max_poll_interval_ms,
            request_timeout_ms=k.request_timeout_ms,
            **aiokafka_security_kwargs(k),
        )

    async def start(self, listener: ConsumerRebalanceListener) -> None:
        """Connect and subscribe; raises aiokafka connection errors (the caller retries)."""
        await self.consumer.start()
        self.consumer.subscribe([self._cfg.topics.input], listener=listener)

    async def stop(self) -> None:
        """Leave the group and close the consumer (idempotent)."""
        self._fetching = False
        await self.consumer.stop()

    def refresh_metadata(self) -> None:
        """Ask the consumer for fresh cluster metadata now.

        A subscribed topic that was deleted and created again is noticed only at the next
        metadata refresh; once the group has rebalanced to no partitions nothing asks for one
        before ``metadata.max.age`` (5 min). aiokafka has no public call for this, hence the
        private client.
        """
        update = self.consumer._client.force_metadata_update()
        # nobody awaits it: observe a failure (the next refresh retries) so none is reported
        update.add_done_callback(lambda f: f.cancelled() or f.exception())

    def stop_fetching(self) -> None:
        """Make :meth:`run` return after its current poll."""
        self._fetching = False

    # -- assignment bookkeeping, driven by the supervisor's rebalance listener --------------

    def assigned(self, tps: set[TP]) -> None:
        """Partitions newly assigned: a fresh epoch, fresh offset state."""
        self._generation += 1
        for tp in tps:
            self._epochs[tp] = self._generation
            self.revoking.discard(tp)
            self._tracker.forget(tp)
            self._first_fetch.pop(tp, None)

    def hold(self, tps: set[TP]) -> None:
        """Fetch nothing of ``tps`` until :meth:`release` (their state is being restored)."""
        self.restoring |= tps
        self.consumer.pause(*(TopicPartition(*tp) for tp in tps))

    def release(self, tps: set[TP]) -> None:
        """Fetch ``tps`` again (unless backpressure holds every partition)."""
        self.restoring -= tps
        if not self._paused:
            self.consumer.resume(*(TopicPartition(*tp) for tp in tps))

    def revoked(self, tps: set[TP]) -> None:
        """Partitions gone: queued items of theirs become stale, their offsets forgotten."""
        for tp in tps:
            self._epochs.pop(tp, None)
            self.revoking.discard(tp)
            self._tracker.forget(tp)
            self._first_fetch.pop(tp, None)
            if self._next_fetch.pop(tp, None) is not None:
                self._metrics.consumer_lag.remove(tp[0], str(tp[1]))

    async def start_at_time(self, tps: set[TP], start_ms: int) -> dict[TP, int | None]:
        """``run --from``: each of ``tps`` the group has committed nothing for starts at its
        first message at or after ``start_ms`` (:mod:`streamer.replay`); returns where."""
        from streamer.replay import seek_to_time

        parts = [TopicPartition(*tp) for tp in sorted(tps)]
        self.consumer.pause(*parts)  # nothing fetched from the old position meanwhile
        try:
            committed = await self.committed(tps)
            fresh = [TopicPartition(*tp) for tp, offset in committed.items() if offset is None]
            placed = await seek_to_time(self.consumer, fresh, start_ms)
        finally:
            if not self._paused:
                self.consumer.resume(
                    *(tp for tp in parts if (tp.topic, tp.partition) not in self.restoring)
                )
        return {(tp.topic, tp.partition): offset for tp, offset in placed.items()}

    async def committed(self, tps: set[TP]) -> dict[TP, int | None]:
        """The group's committed offset of each of ``tps`` (None: nothing committed yet).

        Only offsets of completed transactions count: a transactional commit still pending
        on the broker is not returned.
        """
        return {tp: await self.consumer.committed(TopicPartition(*tp)) for tp in sorted(tps)}

    def restart(self, committed: dict[TP, int | None]) -> None:
        """Fetch each partition of ``committed`` again from its committed offset (where
        nothing is committed: from the first offset fetched since its assignment), as if it
        had been revoked and assigned again: its queued and in-flight items become stale.

        Synchronous, so that no fetched record is delivered between the seek and the new
        epoch; aiokafka drops what it fetched from the old position.
        """
        tps = set(committed) & set(self._epochs)
        for tp in tps:
            offset = committed[tp]
            if offset is None:
                offset = self._first_fetch.get(tp)
            if offset is not None:
                # being revoked by a rebalance (assigned again, it starts at the committed)
                with contextlib.suppress(IllegalStateError):
                    self.consumer.seek(TopicPartition(*tp), offset)
        self.revoked(tps)
        self.assigned(tps)

    def accepting(self, item: InputItem) -> bool:
        """Whether a queued item may still be scored."""
        return self._epochs.get(item.tp) == item.epoch and item.tp not in self.revoking

    def live(self, item: InputItem) -> bool:
        """Whether a scored item may still be published (its partition is still ours)."""
        return self._epochs.get(item.tp) == item.epoch

    def assignment(self) -> set[TP]:
        """Partitions currently owned."""
        return set(self._epochs)

    # -- the fetch loop -----------------------------------------------------------------------

    async def run(self) -> None:
        """Fetch until :meth:`stop_fetching`; returns normally."""
        fetch_max = self._cfg.kafka.fetch_max_records
        while self._fetching:
            self._backpressure()
            room = max(1, min(fetch_max, self._queue_max - self._queue.qsize()))
            try:
                batches = await self.consumer.getmany(timeout_ms=200, max_records=room)
            except KafkaError as exc:
                refused = refusal(exc, self._cfg.kafka)
                if refused is not None:
                    raise refused from exc  # no ACL for the group or the input topic
                # aiokafka reconnects by itself; keep polling so the group membership survives
                log.warning("fetch failed", error=repr(exc))
                await asyncio.sleep(0.5)
                continue
            for tp, messages in batches.items():
                key = (tp.topic, tp.partition)
                epoch = self._epochs.get(key)
                if epoch is None:
                    continue  # revoked between fetch and delivery; will be redelivered
                for msg in messages:
                    if not self._tracker.track(key, msg.offset):
                        log.warning(
                            "consumer position moved backwards; offset state restarted",
                            topic=tp.topic,
                            partition=tp.partition,
                            offset=msg.offset,
                        )
                    self._queue.put_nowait(
                        InputItem(
                            tp.topic,
                            tp.partition,
                            msg.offset,
                            msg.key,
                            msg.value,
                            msg.timestamp,
                            epoch,
                        )
                    )
                if messages:
                    self._first_fetch.setdefault(key, messages[0].offset)
                    self._next_fetch[key] = messages[-1].offset + 1
                    self._metrics.records_in.labels(topic=tp.topic).inc(len(messages))
            self._metrics.queue_depth.set(self._queue.qsize())
            self.update_lag()

    def _backpressure(self) -> None:
        size = self._queue.qsize()
        parts = self.consumer.assignment()
        if size >= self._queue_max:
            if parts:
                self.consumer.pause(*parts)  # idempotent; covers partitions assigned meanwhile
            self._paused = True
        elif self._paused and size <= self._queue_max // 2:
            self.consumer.resume(
                *(tp for tp in parts if (tp.topic, tp.partition) not in self.restoring)
            )
            self._paused = False

    def update_lag(self) -> None:
        """Set the per-partition lag gauge from the last fetch's highwater marks."""
        for key, nxt in self._next_fetch.items():
            high = self.consumer.highwater(TopicPartition(*key))
            if high is not None:
                self._metrics.consumer_lag.labels(topic=key[0], partition=str(key[1])).set(
                    max(0, high - nxt)
                )
