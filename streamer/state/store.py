"""Per-object state of observation streams: RocksDB stores backed by a compacted changelog.

Keyed state as Kafka Streams and Quix Streams keep it. Messages are keyed by object id, so
all of an object's observations land on one input partition; the daemon keeps, for each
assigned partition, a RocksDB store (``rocksdict``) under ``[state] dir`` holding each
object's summary and its observations, one key each (:mod:`streamer.state.objectstore`: an
observation costs the same at any arc length), and writes every changed key to the compacted
topic ``<group>.state.changelog`` (partition p = state of input partition p; a deletion is a
tombstone).

Applying (:meth:`StateManager.apply`, called by the workers in batch order, run in a thread):
observation messages are decoded (:func:`core.contract.obs.decode_obs_message`; bad ones
become dead letters and change nothing), merged per object (duplicates dropped, the oldest trimmed
beyond ``max_observations_per_object``), each new observation written to the store as its own
key and each changed object's summary once per batch; every key written or deleted becomes a
changelog output of the input that caused it (the partition's store is marked untrusted first,
until those outputs are delivered). The changelog records
therefore go through the :class:`~streamer.delivery.checkpoint.Checkpoint` with the batch's other
outputs: acknowledged before the input offsets are committed (at-least-once) or in the same
transaction (exactly-once).

Restoring (:meth:`StateManager.assign`, from the rebalance listener, before the partition's
input is consumed): a store closed cleanly holds a marker with the changelog offset it is
complete up to, and only the records after it are read; any other store (the daemon was
killed, a revocation abandoned work, the files are missing or damaged) is wiped and rebuilt
from the start of the changelog. The marker is removed when a store is opened, so a store is
only ever trusted after a clean close. Why that is enough: a change is in the local store as
soon as it is applied but in the changelog only once delivered; after a crash the local store
may hold changes the changelog lacks, so it is rebuilt from the changelog, and the inputs
whose offsets were not committed are delivered again and applied again (duplicates dropped).

Expiry: an object without a new observation for ``expire_days`` (by input message time) is
deleted, with a tombstone, when its partition's next batch is applied (checked at most every
``expire_check_interval_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from rocksdict import Options, Rdict, WriteBatch

from core.alerts.route import StateInput, Unassociated, decode_state_input
from core.contract.obs import Observation, ObsMessage
from core.errors import RecordError
from core.serving.arcstate import ArcSummary, ObjectSummary
from core.serving.categories import CATEGORY_RANK
from streamer.config import AppConfig, aiokafka_security_kwargs, changelog_topic
from streamer.delivery.checkpoint import isolation_level
from streamer.errors import StreamerError
from streamer.ops.logging import get_logger
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import AlertRule, InputItem, ItemOutcome, Output, Scorer, dead_letter
from streamer.pipeline.known import KnownObjects, known_category
from streamer.state.fitcause import fit_failure_cause
from streamer.state.launch import PendingAlert, link_alerts
from streamer.state.objectstore import ObjectStore, Row, check_layout, head_key
from streamer.state.refit import RefitJob, Rescored, refit_kind, refit_many, result_document

__all__ = ["ChangelogLostError", "PartitionStore", "StateManager"]

log = get_logger(__name__)

TP = tuple[str, int]

_MARKER = "neo-streamer-clean.json"
REFIT_GROUP = 8
"""Objects refitted per task sent to a scoring process (one hop for the group)."""
_DAY_MS = 86_400_000.0


def _options() -> Options:
    opts = Options(raw_mode=True)
    opts.create_if_missing(True)
    opts.set_paranoid_checks(True)
    return opts


@dataclass
class PartitionStore:
    """The RocksDB store of one input partition (keys: object ids, values: encoded states).

    Use :meth:`open`; every method runs in a thread or the event loop, never both at once
    (the :class:`StateManager`'s lock).
    """

    path: Path
    db: Rdict
    resume_offset: int | None  # the changelog offset a clean close left, None: rebuild
    last_expiry: float = field(default_factory=time.monotonic)

    @classmethod
    def open(cls, path: Path) -> PartitionStore:
        """Open (or create) the store at ``path``; a damaged one is wiped and reopened empty,
        with a warning. The clean-close marker is consumed: until the next clean close the
        store must be rebuilt after a crash."""
        marker = path / _MARKER
        resume: int | None = None
        expected_keys: int | None = None
        if marker.is_file():
            with contextlib.suppress(ValueError, OSError, KeyError, TypeError):
                info = json.loads(marker.read_text())
                resume, expected_keys = int(info["changelog_offset"]), int(info["keys"])
            marker.unlink()
        try:
            db = Rdict(str(path), _options())
        except Exception as exc:  # rocksdict raises a bare Exception for corruption
            return cls._rebuilt(path, f"cannot open: {exc}")
        if expected_keys is not None:
            found = _count(db)
            if found != expected_keys:
                db.close()
                return cls._rebuilt(path, f"{found} objects where {expected_keys} were closed")
        if resume is None and _count(db, stop_at=1):
            # not closed cleanly (a crash, or work abandoned at a revocation): the changelog
            # is the truth, the local files may be ahead of it
            log.info(
                "state store not closed cleanly, rebuilding it from the changelog", path=str(path)
            )
            db.close()
            Rdict.destroy(str(path), _options())
            db = Rdict(str(path), _options())
        return cls(path, db, resume)

    @classmethod
    def _rebuilt(cls, path: Path, reason: str) -> PartitionStore:
        log.warning(
            "state store damaged, rebuilding it from the changelog", path=str(path), reason=reason
        )
        shutil.rmtree(path, ignore_errors=True)
        return cls(path, Rdict(str(path), _options()), None)

    def close(self, changelog_offset: int | None) -> None:
        """Flush and close; with ``changelog_offset`` (the store is complete up to it) leave
        the clean-close marker that lets the next :meth:`open` resume from there."""
        keys = _count(self.db) if changelog_offset is not None else 0
        self.db.flush()
        self.db.close()
        if changelog_offset is not None:
            tmp = self.path / (_MARKER + ".tmp")
            tmp.write_text(json.dumps({"changelog_offset": changelog_offset, "keys": keys}))
            tmp.replace(self.path / _MARKER)

    def size_bytes(self) -> int:
        """Live data on disk and in memory tables (RocksDB's estimates)."""
        total = 0
        for name in ("rocksdb.total-sst-files-size", "rocksdb.cur-size-all-mem-tables"):
            total += self.db.property_int_value(name) or 0
        return total


class StateManager:
    """The stores of the assigned partitions, their restore and the state step of each batch.

    Parameters
    ----------
    cfg : AppConfig
    metrics : Metrics
    executor : Executor
        Threads for the store work (never the event loop).
    scorer : callable, optional
        Returns the serving :class:`~streamer.pipeline.batch.Scorer`; without it objects are never
        re-scored (the state alone is kept).
    fit_executor : Executor, optional
        The scoring processes, where refits run (:mod:`streamer.state.refit`); None: in the state
        thread.
    """

    def __init__(
        self,
        cfg: AppConfig,
        metrics: Metrics,
        executor: Executor,
        *,
        scorer: Callable[[], Scorer] | None = None,
        fit_executor: Executor | None = None,
    ) -> None:
        self._cfg = cfg
        self._scorer = scorer
        self._fit_executor = fit_executor
        p = cfg.processing
        self._rule = AlertRule(
            p.alert_min_score,
            frozenset(p.alert_categories),
            frozenset(p.alert_evidence) if p.alert_evidence else None,
        )
        self._state = cfg.state
        self._input = StateInput(cfg.input.format, cfg.input.ztf_max_ssdistnr_arcsec)
        self._metrics = metrics
        self._executor = executor
        self._root = Path(cfg.state.dir) / cfg.kafka.group_id
        self._topic = changelog_topic(cfg)
        self._stores: dict[TP, PartitionStore] = {}
        self._pending: dict[TP, set[int]] = {}  # applied, outputs not yet delivered
        self._lock = threading.Lock()
        self.restoring: set[TP] = set()
        self._consumer: AIOKafkaConsumer | None = None
        # known artificial objects ([known]): checked before a re-scored object alerts
        self._known = KnownObjects(cfg.known, metrics) if cfg.known.enabled else None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the changelog reader (raises aiokafka connection errors)."""
        k = self._cfg.kafka
        self._root.mkdir(parents=True, exist_ok=True)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=k.bootstrap_servers,
            client_id=f"{k.client_id}-restore",
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level=isolation_level(self._cfg),
            request_timeout_ms=k.request_timeout_ms,
            **aiokafka_security_kwargs(k),
        )
        await self._consumer.start()

    async def stop(self, clean: bool) -> None:
        """Close every store (``clean``: nothing applied is undelivered), then the reader."""
        await self.revoke(set(self._stores), clean=clean)
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    # -- assignment ---------------------------------------------------------------------

    async def assign(self, tps: set[TP]) -> None:
        """Open the stores of newly assigned partitions and restore them from the changelog,
        all partitions in one pass (run as a task beside the fetch loop: a restore inside the
        rebalance callback would hold up aiokafka's heartbeats). Cancelled (the partitions
        revoked meanwhile) or failed, each store opened so far is closed with a marker at the
        changelog offset its restore reached (it holds the changelog, in order, up to there),
        so that the next restore resumes from that offset; a store that read nothing keeps
        the marker it was opened with, or none."""
        assert self._consumer is not None
        todo = sorted(tp for tp in tps if tp not in self._stores)
        if not todo:
            return
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        self.restoring |= set(todo)
        opened: dict[TP, PartitionStore] = {}
        reached: dict[TP, int] = {}  # the changelog offset each store holds records up to
        consumer = self._consumer
        try:
            for tp in todo:
                path = self._root / f"{tp[0]}-{tp[1]}"
                opened[tp] = await loop.run_in_executor(self._executor, PartitionStore.open, path)
            ctps = {TopicPartition(self._topic, tp[1]): tp for tp in todo}
            consumer.assign(list(ctps))
            ends = await consumer.end_offsets(list(ctps))
            for ctp, tp in ctps.items():
                _check_changelog(opened[tp], ctp, ends[ctp])
            rebuild = [ctp for ctp, tp in ctps.items() if opened[tp].resume_offset is None]
            for ctp, tp in ctps.items():
                resume = opened[tp].resume_offset
                if resume is not None:
                    consumer.seek(ctp, min(resume, ends[ctp]))
            if rebuild:
                # explicitly to offset 0 rather than seek_to_beginning: mixed with seek() on
                # other partitions, the reset of the first rebuilt partition was lost (it read
                # nothing); on a compacted topic a position below the log start is reset
                # forward by the consumer (auto_offset_reset = earliest)
                for ctp in rebuild:
                    consumer.seek(ctp, 0)
            read = dict.fromkeys(todo, 0)
            while True:
                # the end offsets are read again once the partitions are drained: under a
                # broker's leadership change one lookup came back short (a restore that read
                # nothing of a full partition), and a second agreeing read ends the restore
                left = {ctp for ctp in ctps if await consumer.position(ctp) < ends[ctp]}
                if not left:
                    again = await consumer.end_offsets(list(ctps))
                    if all(again[ctp] <= ends[ctp] for ctp in ctps):
                        break
                    ends = again
                    continue
                while left:
                    batches = await consumer.getmany(*left, timeout_ms=500, max_records=10_000)
                    for ctp, records in batches.items():
                        tp = ctps[ctp]
                        rows = [(r.key, r.value) for r in records]
                        upto = (tp, records[-1].offset + 1)
                        await loop.run_in_executor(
                            self._executor, self._write_restored, opened[tp].db, rows, reached, upto
                        )
                        read[tp] += len(records)
                    left = {ctp for ctp in left if await consumer.position(ctp) < ends[ctp]}
        except BaseException:
            for tp, store in opened.items():
                # shielded: a second cancellation must not leave a store open
                resume = await asyncio.shield(
                    loop.run_in_executor(self._executor, self._close_restore, tp, store, reached)
                )
                log.info(
                    "state restore interrupted", topic=tp[0], partition=tp[1], resume_from=resume
                )
            raise
        finally:
            consumer.assign([])
            self.restoring -= set(todo)
        seconds = time.perf_counter() - started
        self._metrics.state_restore_seconds.observe(seconds)
        for tp, store in opened.items():
            self._stores[tp] = store
            self._pending[tp] = set()
            self._metrics.state_bytes.labels(partition=str(tp[1])).set(store.size_bytes())
            log.info(
                "state restored",
                topic=tp[0],
                partition=tp[1],
                changelog_records=read[tp],
                incremental=store.resume_offset is not None,
                seconds=round(seconds, 3),
            )

    async def revoke(self, tps: set[TP], *, clean: bool) -> None:
        """Close the stores of ``tps``; each is marked complete only when ``clean`` and none
        of its applied changes is still undelivered."""
        loop = asyncio.get_running_loop()
        for tp in sorted(tps):
            store = self._stores.pop(tp, None)
            pending = self._pending.pop(tp, set())
            if store is None:
                continue
            offset: int | None = None
            if clean and not pending and self._consumer is not None:
                ctp = TopicPartition(self._topic, tp[1])
                with contextlib.suppress(Exception):  # no marker: a full restore next time
                    offset = (await self._consumer.end_offsets([ctp]))[ctp]
            await loop.run_in_executor(self._executor, self._close, store, offset)
            self._metrics.state_bytes.remove(str(tp[1]))
            log.info("state closed", topic=tp[0], partition=tp[1], resumable=offset is not None)

    def _write_restored(
        self,
        db: Rdict,
        records: list[tuple[bytes | None, bytes | None]],
        reached: dict[TP, int],
        upto: tuple[TP, int],
    ) -> None:
        # under the lock, with the offset it reaches: the close of an interrupted restore
        # (_close_restore) waits for a write under way and then sees where it got to
        with self._lock:
            _write_restored(db, records)
            reached[upto[0]] = upto[1]

    def _close_restore(self, tp: TP, store: PartitionStore, reached: dict[TP, int]) -> int | None:
        with self._lock:
            resume = reached.get(tp, store.resume_offset)
            store.close(resume)
            return resume

    def _close(self, store: PartitionStore, offset: int | None) -> None:
        with self._lock:  # not while a batch is being applied to it
            store.close(offset)

    # -- the state step of a batch ------------------------------------------------------

    async def apply(
        self, batch: Sequence[InputItem], outcomes: list[ItemOutcome]
    ) -> list[ItemOutcome]:
        """``outcomes`` plus the outcomes of the batch's observation messages (the inputs
        ``outcomes`` does not cover); called in batch order. A scored Rubin alert's detections
        (its outcome's ``observations``) are applied too, in batch order, their changelog
        records joining that outcome."""
        by_item = {id(o.item): o for o in outcomes}
        todo: list[InputItem] = []
        joins: dict[int, ItemOutcome] = {}  # id of a detections item -> the alert's outcome
        for item in batch:
            known = by_item.get(id(item))
            if known is None:
                todo.append(item)
            elif known.observations is not None:
                detections = msgspec.structs.replace(item, value=known.observations)
                joins[id(detections)] = known
                todo.append(detections)
        if not todo:
            return outcomes
        loop = asyncio.get_running_loop()
        applied = await loop.run_in_executor(self._executor, self._apply, todo)
        for o in applied:
            target = joins.get(id(o.item))
            if target is not None:
                target.outputs += o.outputs
                target.error_type = target.error_type or o.error_type
        return outcomes + [o for o in applied if id(o.item) not in joins]

    def done(self, items: Sequence[InputItem]) -> None:
        """Outputs of ``items`` delivered: their changes are in the changelog."""
        for item in items:
            pending = self._pending.get(item.tp)
            if pending:
                pending.discard(item.offset)

    def _apply(self, items: list[InputItem]) -> list[ItemOutcome]:
        with self._lock:
            by_tp: dict[TP, list[InputItem]] = {}
            for item in items:
                by_tp.setdefault(item.tp, []).append(item)
            out: list[ItemOutcome] = []
            for tp, tp_items in by_tp.items():
                store = self._stores.get(tp)
                if store is None:
                    continue  # revoked meanwhile: no outcome, the input is delivered again
                out += self._apply_partition(tp, store, tp_items)
            return out

    def _apply_partition(
        self, tp: TP, store: PartitionStore, items: list[InputItem]
    ) -> list[ItemOutcome]:
        s, m = self._state, self._metrics
        objects = ObjectStore(store.db)
        # written at once, delivered later: the store is untrusted until the outputs are
        self._pending.setdefault(tp, set()).update(item.offset for item in items)
        outcomes: dict[int, ItemOutcome] = {}
        changed: dict[str, tuple[ObjectSummary, InputItem]] = {}
        loaded: dict[str, ObjectSummary] = {}
        rows: dict[str, list[Row]] = {}
        for item in items:
            message = self._decode(item)
            if isinstance(message, ItemOutcome):
                outcomes[id(item)] = message
                continue
            outcomes[id(item)] = ItemOutcome(item, [])
            oid = message.object_id
            summary = loaded.get(oid)
            if summary is None:
                summary = loaded[oid] = objects.summary(oid)
            mine = rows.setdefault(oid, [])
            before = len(mine)
            merged = objects.merge(
                oid,
                summary,
                message.observations,
                mine,
                time_tol_s=s.dedup_time_ms / 1000.0,
                pos_tol_arcsec=s.dedup_arcsec,
                max_observations=s.max_observations_per_object,
            )
            outputs = outcomes[id(item)].outputs
            outputs += (Output("changelog", k, v, tp[1]) for k, v in mine[before:])
            m.observations_applied.inc(merged.added)
            if merged.duplicates:
                m.duplicates_dropped.inc(merged.duplicates)
            if merged.added or merged.trimmed:
                summary.updated_ms = max(summary.updated_ms, item.timestamp_ms)
                changed[oid] = (summary, item)
        if self._scorer is not None and changed:
            self._rescore(objects, changed, outcomes)
        for oid, (summary, item) in changed.items():
            key, value = objects.put_summary(oid, summary)
            outcomes[id(item)].outputs.append(Output("changelog", key, value, tp[1]))
        gone: list[Row] = []
        self._expire(store, objects, items[-1], changed, gone)
        outcomes[id(items[-1])].outputs += (Output("changelog", k, v, tp[1]) for k, v in gone)
        if changed or gone:
            m.state_bytes.labels(partition=str(tp[1])).set(store.size_bytes())
        return list(outcomes.values())

    def _rescore(
        self,
        objects: ObjectStore,
        changed: dict[str, tuple[ObjectSummary, InputItem]],
        outcomes: dict[int, ItemOutcome],
    ) -> None:
        """Refit and score the changed objects the policy picks (:func:`refit_kind`), in
        groups of :data:`REFIT_GROUP` objects per task to the scoring processes; their
        results and alerts join the outcome of each object's last changed input. Only these
        objects' observations are read from the store."""
        assert self._scorer is not None
        todo: list[tuple[str, ObjectSummary, InputItem, ArcSummary]] = []
        jobs: list[RefitJob] = []
        for oid, (state, item) in changed.items():
            arc = state.arc()
            kind = refit_kind(state, arc, self._state)
            if kind is None:
                continue
            start = None
            if state.fit_state6 is not None:
                start = (tuple(state.fit_state6), state.fit_epoch_jd)
            jobs.append(RefitJob(oid, tuple(objects.observations(oid)), kind, start))
            todo.append((oid, state, item, arc))
        if not todo:
            return
        scorer = self._scorer()
        pool = self._fit_executor
        groups = [jobs[i : i + REFIT_GROUP] for i in range(0, len(jobs), REFIT_GROUP)]
        runs: list[Rescored | Exception] = []
        if pool is None:
            for group in groups:
                runs += refit_many(group, scorer)
        else:
            futures = [pool.submit(refit_many, group, scorer) for group in groups]
            for future, group in zip(futures, groups, strict=True):
                try:
                    runs += future.result()
                except Exception as exc:  # the task itself failed (a process lost)
                    runs += [exc] * len(group)
        physics_alerts: list[PendingAlert] = []  # finished by launch linkage, below
        for (oid, state, item, arc), job, rescored in zip(todo, jobs, runs, strict=True):
            outcome = outcomes[id(item)]
            if isinstance(rescored, Exception):  # a dead letter, the rest goes on
                self._metrics.fits.labels(outcome="error").inc()
                reason, name = f"re-scoring failed: {rescored}", type(rescored).__name__
                failed = dead_letter(item, "$", reason, name)
                outcome.outputs += failed.outputs
                outcome.error_type = failed.error_type
                continue
            self._metrics.fits.labels(outcome="failed" if rescored.failed else "ok").inc()
            self._metrics.refits.labels(kind=rescored.kind).inc()
            state.update += 1
            state.fit_observations, state.fit_nights = arc.observations, arc.nights
            state.fit_arc_days = arc.days
            orbit = rescored.orbit
            state.fit_state6 = None if orbit is None else list(orbit.state6)
            if orbit is not None:
                state.fit_epoch_jd, state.fit_q_au = orbit.epoch_jd, orbit.q_au
                state.fit_moid_au, state.fit_sigma_a_rel = orbit.moid_au, orbit.sigma_a_rel
            rank = CATEGORY_RANK.get(rescored.category, -1)  # an alert goes out when it rises
            # a light refit that changes the verdict is followed by a full one
            state.full_due = rescored.kind == "light" and rank != state.category_rank
            state.category_rank = rank
            arc_obj = {"observations": arc.observations, "nights": arc.nights, "days": arc.days}
            members: tuple[tuple[str, Any], ...] = (
                ("arc", arc_obj),
                ("update", state.update),
                ("source", item.source()),
            )
            if rescored.failed:
                failed_reason = orjson.loads(rescored.fit).get("failed", "")
                self._metrics.fit_failures.labels(cause=fit_failure_cause(str(failed_reason))).inc()
            review = None
            if self._known is not None:  # a known object is published with its match, no alert
                checked: dict[str, Any] = {"fit": orjson.loads(rescored.fit)}
                review = self._known.review(oid, job.observations, checked)
                del checked["fit"]
                members = (*members[:2], *checked.items(), members[2])
                if review.recategorise:  # [known] routing = "category"
                    document = known_category(rescored.document)
                    rescored = msgspec.structs.replace(rescored, document=document)
            key, value = oid.encode(), result_document(rescored, members)
            outcome.outputs.append(Output("result", key, value))
            if review is not None and review.to_known_topic:
                outcome.outputs.append(Output("known", key, value))
            outcome.designation, outcome.model_version = oid, rescored.model_version
            alerting = self._rule.matches_score(
                rescored.anomaly_score, rescored.category, rescored.evidence
            )
            alerting = alerting and not (review is not None and review.matched)
            if alerting and rank > state.alert_rank:
                # first reaching an alerting category, or rising to a higher one
                state.alert_rank = rank
                outcome.outputs.append(Output("alert", key, value))
                if rescored.evidence == "physics":
                    fit = orjson.loads(rescored.fit)
                    physics_alerts.append(PendingAlert(oid, outcome, len(outcome.outputs) - 1, fit))
        if physics_alerts:  # bounded by [linkage] wait_s; an alert is never lost
            link_alerts(physics_alerts, pool, self._cfg.linkage)

    async def lookup(self, object_id: str) -> list[Observation] | None:
        """The stored observations of ``object_id`` in any assigned partition, in time order
        (read in a thread; None when no store holds it). For the object pages
        (:mod:`streamer.ops.pages`)."""

        def read() -> list[Observation] | None:
            key = head_key(object_id)
            with self._lock:
                for store in self._stores.values():
                    if store.db.get(key) is not None:
                        return ObjectStore(store.db).observations(object_id)
            return None

        return await asyncio.get_running_loop().run_in_executor(self._executor, read)

    def _decode(self, item: InputItem) -> ObsMessage | ItemOutcome:
        assert item.value is not None  # process_batch dead-letters null values
        try:
            decoded = decode_state_input(item.value, self._input)
            if isinstance(decoded, Unassociated):  # counted, not an error
                return ItemOutcome(item, [], skipped=decoded.reason)
            return decoded
        except RecordError as exc:
            return dead_letter(item, exc.field, exc.reason, "RecordError")
        except Exception as exc:  # a decoder bug must not stop the stream: dead-letter it
            return dead_letter(item, "$", f"undecodable: {exc!r}", type(exc).__name__)

    def _expire(
        self,
        store: PartitionStore,
        objects: ObjectStore,
        item: InputItem,
        changed: dict[str, tuple[ObjectSummary, InputItem]],
        rows: list[Row],
    ) -> None:
        s = self._state
        now = time.monotonic()
        if now - store.last_expiry < s.expire_check_interval_s:
            return
        store.last_expiry = now
        reference_ms = item.timestamp_ms if item.timestamp_ms > 0 else time.time() * 1000.0
        cutoff_ms = reference_ms - s.expire_days * _DAY_MS
        gone = [
            oid
            for oid, summary in objects.summaries()
            if oid not in changed and summary.updated_ms < cutoff_ms
        ]
        for oid in gone:
            objects.delete(oid, rows)
        if gone:
            self._metrics.objects_expired.inc(len(gone))


class ChangelogLostError(StreamerError):
    """The changelog holds less than a store closed cleanly was complete up to: it was
    deleted or truncated under a stopped daemon. Going on would keep the local state while
    the changelog, which every other restore reads, lacks it: a silent divergence."""


def _check_changelog(store: PartitionStore, ctp: TopicPartition, end: int) -> None:
    if store.resume_offset is not None and end < store.resume_offset:
        raise ChangelogLostError(
            f"state changelog {ctp.topic} partition {ctp.partition} ends at offset {end}, "
            f"below the {store.resume_offset} its local store was closed at: the changelog "
            "was deleted or truncated. The state cannot be trusted; to rebuild it from the "
            "input, start with a new kafka.group_id and state.dir (input read from the "
            "beginning)"
        )


def _count(db: Rdict, stop_at: int | None = None) -> int:
    """Keys in ``db`` (up to ``stop_at``): a full scan, done only when a store opens or
    closes."""
    n = 0
    for _ in db.keys():  # noqa: SIM118 (an Rdict, not a dict)
        n += 1
        if stop_at is not None and n >= stop_at:
            break
    return n


def _write_restored(db: Rdict, records: list[tuple[bytes | None, bytes | None]]) -> None:
    """Write changelog records into a store, in order, in one batch."""
    wb = WriteBatch(raw_mode=True)
    for key, value in records:
        if key is None:
            continue
        check_layout(key)  # an older version's changelog stops the restore, with its reason
        if value is None:
            wb.delete(key)
        else:
            wb.put(key, value)
    db.write(wb)
