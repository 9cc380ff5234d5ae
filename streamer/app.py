"""The daemon supervisor: start-up, the running pipeline, rebalances, signals and shutdown.

Pipeline: :class:`~streamer.kafka.source.Source` (aiokafka, manual commits) → bounded queue →
:class:`~streamer.pipeline.workers.WorkerPool` (scoring in a thread pool or scoring processes)
→ the :class:`~streamer.delivery.checkpoint.Checkpoint` of the configured delivery guarantee,
which publishes the outputs and commits the input offsets (:mod:`streamer.delivery.checkpoint`).

Exit codes (also in ``neo-streamer run --help`` and ``config.toml``): 0 clean stop, 1 an
unexpected failure, 2 invalid configuration, 3 broker unreachable after the configured retries,
4 model missing or corrupt, 5 topics missing and not creatable, 6 the broker refused access
(SASL authentication, TLS trust or a missing ACL: :mod:`streamer.kafka.access`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError

from core.errors import ModelError
from streamer.config import AppConfig
from streamer.delivery.checkpoint import Checkpoint, new_checkpoint, transactional_id
from streamer.delivery.offsets import OffsetTracker
from streamer.errors import AccessDeniedError, TopicError
from streamer.kafka.access import diagnose, refusal
from streamer.kafka.admin import ensure_topics
from streamer.kafka.sinks import build_producer
from streamer.kafka.source import TP, Source
from streamer.ops.http import HealthServer
from streamer.ops.logging import get_logger
from streamer.ops.metrics import Metrics
from streamer.ops.pages import ObjectPages
from streamer.paths import model_path_hint
from streamer.pipeline.batch import AlertRule, InputItem, ItemOutcome, Scorer, dead_letter
from streamer.pipeline.procpool import collect_less, new_process_pool, run_in_process
from streamer.pipeline.serving import ModelHost
from streamer.pipeline.workers import WorkerPool, run_in_thread
from streamer.state.store import StateManager

__all__ = [
    "EXIT_ACCESS",
    "EXIT_BROKER",
    "EXIT_CONFIG",
    "EXIT_ERROR",
    "EXIT_MODEL",
    "EXIT_OK",
    "EXIT_TOPICS",
    "Daemon",
    "run_daemon",
]

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_BROKER, EXIT_MODEL, EXIT_TOPICS = 0, 1, 2, 3, 4, 5
EXIT_ACCESS = 6

log = get_logger(__name__)

_NO_STATE = "observation messages (neo.obs.v1) need [state] enabled = true"


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        await self._daemon.partitions_revoked({(tp.topic, tp.partition) for tp in revoked})

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        await self._daemon.partitions_assigned({(tp.topic, tp.partition) for tp in assigned})


@dataclass(frozen=True)
class PoolCollaborators:
    """What the workers work with (a :class:`~streamer.pipeline.workers.PoolContext`): the
    serving model, the checkpoint, the source's view of which items still count, the state
    step and the bookkeeping of finished items."""

    daemon: Daemon
    source: Source
    checkpoint: Checkpoint

    @property
    def publisher(self) -> Checkpoint:
        return self.checkpoint

    def scorer(self) -> Scorer:
        return self.daemon.models.current()

    def accepting(self, item: InputItem) -> bool:
        return self.source.accepting(item)

    def live(self, item: InputItem) -> bool:
        return self.source.live(item)

    async def apply_state(
        self, batch: list[InputItem], outcomes: list[ItemOutcome]
    ) -> list[ItemOutcome]:
        return await self.daemon._apply_state(batch, outcomes)

    def done(self, items: Sequence[InputItem]) -> None:
        self.daemon._done(items)


class Daemon:
    """One running ``neo-streamer run``; :meth:`run` returns the process exit code."""

    def __init__(self, cfg: AppConfig) -> None:
        self.cfg = cfg
        self.metrics = Metrics()
        process_scoring = cfg.processing.executor == "process"
        self.tracker: OffsetTracker[TP] = OffsetTracker()
        self.queue: asyncio.Queue[InputItem] = asyncio.Queue()
        self.http: HealthServer | None = None
        self._executor = ThreadPoolExecutor(
            max_workers=cfg.processing.worker_count() + 1, thread_name_prefix="neo-score"
        )
        # Scoring processes (executor = "process"), which also load the models; registry polls
        # stay on the thread pool above.
        self._scoring: Executor = (
            new_process_pool(cfg.processing.scoring_processes())
            if process_scoring
            else self._executor
        )
        self.models = ModelHost(
            cfg.model,
            self.metrics,
            remote=self._scoring if process_scoring else None,
            processes=cfg.processing.scoring_processes(),
        )
        self._stop = asyncio.Event()
        self._hup = asyncio.Event()
        self._joined = False
        self._broker_ok = False
        self._input_present = True
        self._outputs_missing: list[str] = []
        self._source: Source | None = None
        self._producer: AIOKafkaProducer | None = None
        self.checkpoint: Checkpoint | None = None
        # per-object state of observation streams ([state] enabled)
        self.state: StateManager | None = None
        self.pages = ObjectPages(cfg.http.object_pages, self._scoring)  # /objects/<id>
        self._restores: set[asyncio.Task[None]] = set()
        self._failed = False
        self._pool: WorkerPool | None = None

    # -- readiness ----------------------------------------------------------------------------

    def readiness(self) -> tuple[bool, str]:
        """``(ready, reason)`` for ``/readyz``."""
        if not self.models.loaded:
            return False, "no model loaded"
        if not self._broker_ok:
            return False, "broker unreachable"
        if not self._input_present:
            return False, f"input topic {self.cfg.topics.input!r} not found on the broker"
        if self._outputs_missing:
            return (
                False,
                f"output topics not found on the broker: {', '.join(self._outputs_missing)}",
            )
        if not self._joined:
            return False, "not yet a member of the consumer group"
        if self.state is not None and self.state.restoring:
            parts = ", ".join(f"{t}[{p}]" for t, p in sorted(self.state.restoring))
            return False, f"restoring the state of {parts}"
        return True, "ready"

    def _metrics_text(self) -> bytes:
        self.metrics.ready.set(1 if self.readiness()[0] else 0)
        self.metrics.queue_depth.set(self.queue.qsize())
        self.metrics.state_restoring.set(len(self.state.restoring) if self.state else 0)
        return self.metrics.render()

    # -- lifecycle ----------------------------------------------------------------------------

    async def run(self) -> int:
        """Start, serve until SIGTERM/SIGINT, drain and stop; returns the exit code."""
        loop = asyncio.get_running_loop()
        for sig, handler in (
            (signal.SIGTERM, self.request_stop),
            (signal.SIGINT, self.request_stop),
            (signal.SIGHUP, self._hup.set),
        ):
            loop.add_signal_handler(sig, handler)
        try:
            return await self._run()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            self._executor.shutdown(wait=False, cancel_futures=True)
            if self._scoring is not self._executor:
                self._scoring.shutdown(wait=False, cancel_futures=True)

    def request_stop(self) -> None:
        """Begin a graceful stop (what SIGTERM does)."""
        log.info("stop requested")
        self._stop.set()

    async def _run(self) -> int:
        cfg = self.cfg
        if cfg.http.enabled:
            self.http = HealthServer(
                cfg.http.host, cfg.http.port, self.readiness, self._metrics_text, self.pages
            )
            await self.http.start()
        try:
            await self.models.load(self._executor, force=True)
        except ModelError as exc:
            hint = model_path_hint(cfg.model.path) or None
            log.error("model cannot be loaded", path=cfg.model.path, error=str(exc), hint=hint)
            await self._close()
            return EXIT_MODEL
        try:
            connected = await self._connect()
        except TopicError as exc:
            log.error("topics unavailable", error=str(exc))
            await self._close()
            return EXIT_TOPICS
        except AccessDeniedError as exc:
            _log_refusal(exc)
            await self._close()
            return EXIT_ACCESS
        if not connected:
            await self._close()
            return EXIT_BROKER
        return await self._serve()

    async def _connect(self) -> bool:
        """Create topics, start producer and consumer; retry unreachable brokers with backoff."""
        k = self.cfg.kafka
        delay = k.connect_backoff_s
        for attempt in range(k.connect_retries + 1):
            try:
                await ensure_topics(self.cfg)
                self._producer = build_producer(self.cfg, transactional_id(self.cfg))
                await self._producer.start()
                if self.cfg.state.enabled:
                    self.state = StateManager(
                        self.cfg,
                        self.metrics,
                        self._executor,
                        scorer=self.models.current if self.cfg.state.rescore else None,
                        fit_executor=None if self._scoring is self._executor else self._scoring,
                    )
                    await self.state.start()
                    self.pages.state = self.state
                self._source = Source(self.cfg, self.queue, self.tracker, self.metrics)
                await self._source.start(_Rebalance(self))
                self._broker_ok = True
                return True
            except (KafkaConnectionError, KafkaError, OSError) as exc:
                await self._close_clients()
                # a refusal is not an outage: no retry helps until the configuration changes
                refused = refusal(exc, k)
                if refused is None and isinstance(exc, KafkaConnectionError):
                    refused = await diagnose(k)
                if refused is not None:
                    raise refused from exc
                last = attempt == k.connect_retries
                log.error(
                    "broker unreachable" + (", giving up" if last else ", retrying"),
                    bootstrap_servers=k.bootstrap_servers,
                    attempt=attempt + 1,
                    attempts=k.connect_retries + 1,
                    retry_in_s=None if last else delay,
                    error=repr(exc),
                )
                if last or self._stop.is_set():
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, k.connect_backoff_max_s)
        return False

    async def _serve(self) -> int:
        assert self._source is not None and self._producer is not None
        cfg, source = self.cfg, self._source
        checkpoint = new_checkpoint(
            cfg,
            self._producer,
            source,
            self.tracker,
            self.metrics,
            restart=self.restart_from_committed,
        )
        self.checkpoint = checkpoint
        p = cfg.processing
        self._pool = WorkerPool(
            self.queue,
            PoolCollaborators(self, source, checkpoint),
            executor=self._scoring,
            workers=p.worker_count(),
            batch_max_size=p.batch_max_size,
            batch_max_wait_s=p.batch_max_wait_ms / 1000.0,
            rule=AlertRule(
                p.alert_min_score,
                frozenset(p.alert_categories),
                frozenset(p.alert_evidence) if p.alert_evidence else None,
            ),
            input_format=cfg.input.format,
            metrics=self.metrics,
            retry_backoff_s=p.publish_retry_backoff_s,
            run_batch=run_in_process if self._scoring is not self._executor else run_in_thread,
        )
        await self._pool.start()
        fetch = asyncio.create_task(source.run(), name="neo-fetch")
        helpers = [
            asyncio.create_task(self.models.watch(self._executor, self._hup), name="neo-reload"),
            asyncio.create_task(self._probe(), name="neo-probe"),
        ]
        helpers += [
            asyncio.create_task(work, name="neo-checkpoint") for work in checkpoint.background()
        ]
        log.info(
            "daemon started",
            input=cfg.topics.input,
            guarantee=p.processing_guarantee,
            workers=p.worker_count(),
            scoring_processes=p.scoring_processes() if self._scoring is not self._executor else 0,
            queue_capacity=p.queue_capacity(),
            model_version=self.models.current().model_version,
        )
        stop = asyncio.create_task(self._stop.wait())
        watched = {stop, fetch, *helpers, *self._pool.tasks}
        done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        code = EXIT_OK
        for task in done - {stop}:
            if task.cancelled() or task.exception() is None:
                continue
            failure = task.exception()
            if isinstance(failure, AccessDeniedError):
                code = EXIT_ACCESS
                _log_refusal(failure, task=task.get_name())
                continue
            # the supervisor boundary: anything unexpected ends the daemon with its context
            code = EXIT_ERROR
            log.error("pipeline task failed", task=task.get_name(), exc_info=failure)
        if self._failed:
            code = EXIT_ERROR
        stop.cancel()
        await self._shutdown(fetch, helpers, drain=code == EXIT_OK)
        return code

    async def _shutdown(
        self, fetch: asyncio.Task[None], helpers: list[asyncio.Task[None]], *, drain: bool
    ) -> None:
        """Stop fetching, drain in-flight work, commit, close: all within shutdown_grace_s."""
        assert self._source is not None and self._pool is not None and self.checkpoint
        deadline = time.monotonic() + self.cfg.processing.shutdown_grace_s
        self._source.stop_fetching()
        # a fetch that failed (a refusal) was reported by the supervisor already
        with contextlib.suppress(TimeoutError, KafkaError, AccessDeniedError):
            await asyncio.wait_for(fetch, 1.0)
        if drain:
            # keep a quarter of the grace period for the commit and leaving the group
            budget = max(0.0, (deadline - time.monotonic()) * 0.75)
            drained = await self._pool.wait_idle(None, within=budget)
            log.info("drained" if drained else "drain timed out", queued=self.queue.qsize())
        else:
            drained = False
        await self._pool.stop()
        for task in [*helpers, *self._restores]:
            task.cancel()
        await asyncio.gather(*helpers, *self._restores, return_exceptions=True)
        try:
            await self.checkpoint.close(deadline)
        except AccessDeniedError as exc:  # the offsets stay uncommitted: reprocessed later
            _log_refusal(exc, during="final commit")
        if self.state is not None:
            await self.state.stop(clean=drained)
            self.state = None
        await self._close(deadline)
        log.info("daemon stopped")

    async def _close(self, deadline: float | None = None) -> None:
        await self._close_clients(deadline)
        if self.http is not None:
            await self.http.stop()

    async def _close_clients(self, deadline: float | None = None) -> None:
        if self.state is not None:  # not started far enough to have applied anything
            with contextlib.suppress(KafkaError, OSError):
                await self.state.stop(clean=False)
            self.state = None
        if self.checkpoint is not None:
            # the publisher may have replaced the producer it was given
            self._producer, self.checkpoint = self.checkpoint.producer, None
        for client in (self._source, self._producer):
            if client is None:
                continue
            left = 5.0 if deadline is None else max(0.5, deadline - time.monotonic())
            with contextlib.suppress(TimeoutError, KafkaError, OSError):
                await asyncio.wait_for(client.stop(), left)
        self._source, self._producer = None, None

    # -- offsets and rebalances ---------------------------------------------------------------

    def _done(self, items: Sequence[InputItem]) -> None:
        assert self.checkpoint is not None
        self.checkpoint.done(items)
        if self.state is not None:
            self.state.done(items)

    async def _apply_state(
        self, batch: list[InputItem], outcomes: list[ItemOutcome]
    ) -> list[ItemOutcome]:
        if self.state is not None:
            outcomes = await self.state.apply(batch, outcomes)
            self.pages.remember(outcomes)
            return outcomes
        self.pages.remember(outcomes)
        if len(outcomes) == len(batch):
            return outcomes
        covered = {id(o.item) for o in outcomes}
        return outcomes + [
            dead_letter(item, "$", _NO_STATE, "StateDisabled")
            for item in batch
            if id(item) not in covered
        ]

    async def partitions_revoked(self, tps: set[TP]) -> None:
        """Finish (bounded) or abandon revoked partitions' work; never commit past a gap."""
        if self._source is None or self._pool is None or self.checkpoint is None or not tps:
            return
        for task in list(self._restores):  # a restore of partitions now going is abandoned
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._source.revoking |= tps
        drained = await self._pool.wait_idle(tps, within=self.cfg.processing.rebalance_drain_s)
        await self.checkpoint.revoked(tps)
        if self.state is not None:
            await self.state.revoke(tps, clean=drained)
        self._source.revoked(tps)
        log.info("partitions revoked", partitions=sorted(tps), drained=drained)

    async def partitions_assigned(self, tps: set[TP]) -> None:
        """New partitions: fresh offset state; their per-object state restored before their
        input is fetched."""
        self._joined = True
        if self._source is not None:
            self._source.assigned(tps)
        log.info("partitions assigned", partitions=sorted(tps))
        if self._source is not None and self.cfg.kafka.start_from and tps:
            from streamer.replay import parse_start_time

            placed = await self._source.start_at_time(
                tps, parse_start_time(self.cfg.kafka.start_from)
            )
            if placed:
                log.info(
                    "replay from a time",
                    start_from=self.cfg.kafka.start_from,
                    offsets={f"{t}-{p}": o for (t, p), o in sorted(placed.items())},
                )
        if self.state is not None and self._source is not None and tps:
            self._source.hold(tps)
            task = asyncio.create_task(self._restore(self.state, tps), name="neo-restore")
            self._restores.add(task)
            task.add_done_callback(self._restores.discard)

    async def restart_from_committed(self) -> None:
        """Fetch every owned partition again from the group's committed offsets, as if it
        had been revoked and assigned again (exactly-once, after a failed transaction): the
        queued and in-flight work of those partitions is dropped, and their per-object state
        is rebuilt from the changelog, whose committed records match the committed offsets.
        """
        source = self._source
        if source is None:
            return
        owned = source.assignment()
        if not owned:
            return
        committed = await source.committed(owned)
        for task in list(self._restores):  # restored again below
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # from here to hold(): no await, so nothing is fetched between the seek and the hold
        owned = set(committed) & source.assignment()  # a rebalance may have run meanwhile
        source.restart({tp: committed[tp] for tp in owned})
        if self.state is not None:
            source.hold(owned)
        log.warning(
            "partitions fetched again from their committed offsets",
            partitions=sorted(owned),
            committed={f"{t}-{p}": o for (t, p), o in sorted(committed.items())},
        )
        if self.state is not None:
            await self.state.revoke(owned, clean=False)
            task = asyncio.create_task(self._restore(self.state, owned), name="neo-restore")
            self._restores.add(task)
            task.add_done_callback(self._restores.discard)

    async def _restore(self, state: StateManager, tps: set[TP]) -> None:
        """Restore ``tps``' state, then let their input be fetched; a failure stops the
        daemon (exit 1): consuming without the state would lose observations."""
        try:
            await state.assign(tps)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("state restore failed", partitions=sorted(tps))
            self._failed = True
            self.request_stop()
            return
        if self._source is not None:
            self._source.release(tps & self._source.assignment())

    async def _check_outputs(self, present: set[str]) -> None:
        """Output topics deleted under the running daemon: created again with
        ``topics.create_missing`` (as at start), else reported in the log and on ``/readyz``
        until someone recreates them. Publishing to them is retried meanwhile, and no input
        offset is committed past an unpublished output."""
        t = self.cfg.topics
        missing = sorted({t.results, t.alerts, t.dead_letter} - present)
        why = "topics.create_missing is false"
        if missing and t.create_missing:
            why = await _recreate(self.cfg, missing)
            if not why:
                missing = []
        if missing != self._outputs_missing:
            if missing:
                log.error("output topics not found on the broker", topics=missing, reason=why)
            else:
                log.warning("output topics found again", topics=self._outputs_missing)
            self._outputs_missing = missing

    async def _probe(self) -> None:
        """Refresh broker reachability and the input topic's presence (for /readyz) and the
        lag gauge.

        A deleted input topic leaves the consumer quietly without records (and an
        exactly-once commit retrying): the daemon keeps running, since the topic may come
        back, but says so in the log and on ``/readyz``.
        """
        interval = self.cfg.kafka.probe_interval_s
        name = self.cfg.topics.input
        while True:
            source = self._source
            if source is not None:
                try:
                    topics = await asyncio.wait_for(source.consumer.topics(), max(1.0, interval))
                    ok = True
                except (TimeoutError, KafkaError, OSError):
                    ok = False
                if ok != self._broker_ok:
                    log.warning("broker reachable" if ok else "broker unreachable")
                self._broker_ok = ok
                if ok and (name in topics) != self._input_present:
                    self._input_present = name in topics
                    if self._input_present:
                        log.warning("input topic found again", topic=name)
                        source.refresh_metadata()  # else the group may not see it for minutes
                    else:
                        log.error("input topic not found on the broker", topic=name)
                if ok:
                    await self._check_outputs(set(topics))
                source.update_lag()
            await asyncio.sleep(interval)


async def _recreate(cfg: AppConfig, missing: list[str]) -> str:
    """Create the output topics ``missing`` again (``topics.create_missing``); returns why that
    failed, or "" when it worked."""
    try:
        created = await ensure_topics(cfg, only=missing)
    except (TopicError, AccessDeniedError, KafkaError, OSError) as exc:
        return f"cannot recreate them: {exc}"
    log.warning("output topics deleted under the daemon; recreated", topics=created)
    return ""


def _log_refusal(exc: AccessDeniedError, **where: str) -> None:
    log.error(
        "broker refused access", cause=exc.cause, error=str(exc), exit_code=EXIT_ACCESS, **where
    )


def run_daemon(cfg: AppConfig) -> int:
    """Run a :class:`Daemon` on a fresh event loop; returns its exit code."""
    collect_less()
    return asyncio.run(_main(cfg))


async def _main(cfg: AppConfig) -> int:
    return await Daemon(cfg).run()
