"""Scoring in worker processes: the daemon's way past one interpreter lock.

With ``[processing] executor = "process"`` the workers hand each batch (the raw message
bytes) to a :class:`~concurrent.futures.ProcessPoolExecutor`; the child decodes, scores and
encodes, and sends back the encoded outputs. Both directions travel as plain tuples
(:func:`run_in_process`), the outputs inside them as msgspec structs, which pickle in C:
pickling slotted dataclasses cost the parent more CPU than the Kafka I/O of the same records
(input items as structs still cost more than tuples, conversions included: docs/performance.md,
"Design measurements of the daemon's hot path"). What crosses the process boundary is a
:class:`ModelRef` — the serving version's directory, not the model — so every child loads
that version once (lazily, on its first batch) and a hot reload is a new reference: children
load the new version on their next batch. A scoring process loads and verifies each version
first (:func:`load_ref`: hashes, schema) before the parent serves it, so the parent itself
never loads a model.

The scoring processes are forked from a fork server that imported the scoring code
once (:mod:`streamer.pipeline._preload`), so they share those pages instead of holding a copy each.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.contract.records import NeoRecord
from core.serving.inputs import InputFormat
from streamer.pipeline.batch import (
    AlertRule,
    InputItem,
    ItemOutcome,
    Output,
    Scored,
    Scorer,
    process_batch,
)

__all__ = [
    "GC_THRESHOLDS",
    "ModelRef",
    "collect_less",
    "die_with_parent",
    "load_ref",
    "new_process_pool",
    "run_in_process",
    "warm",
]

# what crosses the process boundary: an input as (topic, partition, offset, key, value,
# timestamp_ms); an outcome as (index in the batch, its outputs, designation, model_version,
# error_type, unknown_fields). Outputs are msgspec structs: they (un)pickle in C, nothing to
# rebuild.
_Row = tuple[str, int, int, bytes | None, bytes | None, int]
# index, then ItemOutcome's fields after ``item``, in order
_Packed = tuple[
    int,
    list[Output],
    str | None,
    str | None,
    str | None,
    tuple[str, ...],
    str | None,
    str | None,
    str | None,
    str | None,
    bytes | None,
]

# Engines per child process, by version directory: the serving version and, during a hot
# reload, the one before it (batches already on their way still name it).
_ENGINES: dict[str, Any] = {}
_KEEP = 2


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A picklable stand-in for the serving engine (the :class:`Scorer` of a child)."""

    model_dir: str
    model_version: str
    cache_size: int
    cache_ttl_s: float
    model_id: str = ""

    def engine(self) -> Any:
        """This version's :class:`~core.serving.inference.InferenceEngine` in the calling process,
        loaded on first use (:func:`~core.serving.registry.load_model` raises
        :class:`~core.errors.ModelError` for a damaged model)."""
        engine = _ENGINES.get(self.model_dir)
        if engine is None:
            from core.serving.inference import InferenceEngine
            from core.serving.registry import load_model

            replaced = False
            while len(_ENGINES) >= _KEEP:  # the oldest version goes first
                del _ENGINES[next(iter(_ENGINES))]
                replaced = True
            engine = InferenceEngine(
                load_model(Path(self.model_dir)),
                cache_size=self.cache_size,
                cache_ttl_s=self.cache_ttl_s,
            )
            _ENGINES[self.model_dir] = engine
            if replaced:
                # a dropped version's cycles are freed; this writes to every object once (so
                # the pages shared with the fork server are copied), only on hot reloads
                gc.unfreeze()
            gc.collect()
            gc.freeze()  # as in the parent: keep the model out of the GC's full scans
        return engine

    def predict_encoded(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> Sequence[Scored]:
        """Score with this version's engine in the calling process."""
        results: Sequence[Scored] = self.engine().predict_encoded(records, cache_keys)
        return results


def load_ref(path: str, cache_size: int, cache_ttl_s: float) -> ModelRef:
    """Runs in a scoring process: load the model ``path`` names (a registry root or a version
    directory) there, fully verified, and return the reference the parent serves with.

    The parent never loads a model itself (nor scikit-learn): a version is accepted
    once a scoring process has loaded it, and that process keeps it for its batches.
    Whatever a damaged model raises comes back as :class:`~core.errors.ModelError`.
    """
    from core.serving.registry import resolve_model_dir

    directory = str(resolve_model_dir(Path(path)))
    engine = ModelRef(directory, "", cache_size, cache_ttl_s).engine()
    return ModelRef(directory, engine.model_version, cache_size, cache_ttl_s, engine.model_id)


def warm(ref: ModelRef, hold_s: float) -> int:
    """Runs in a scoring process: load ``ref``'s version there now, then hold the process for
    ``hold_s`` so that the other warm-up calls submitted beside this one go to the other
    processes. Returns the process id."""
    ref.engine()
    time.sleep(hold_s)
    return os.getpid()


# The cyclic collector's thresholds in the daemon and its scoring processes. CPython's default,
# (700, 10, 10), starts a young collection every 700 net allocations: some 30 per 1,024-record
# batch, each scanning the batch's live objects, and a full collection (the result cache's
# entries, aiokafka's buffers: every object not frozen) every few batches. Our objects die by
# reference counting; the collector finds next to nothing and costs a measurable share of
# `process_batch` with the result cache in use. Cyclic garbage still goes, a young collection
# every 50,000 allocations; waiting longer for it costs memory (the largest PSS of all
# processes grows: bench/bench_daemon.py reports it).
GC_THRESHOLDS = (50_000, 20, 20)


def collect_less() -> None:
    """Set :data:`GC_THRESHOLDS` in this process (the daemon and each scoring process)."""
    gc.set_threshold(*GC_THRESHOLDS)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere a no-op).

    Without it a daemon killed with SIGKILL (or by the OOM killer) leaves its fork server and
    scoring processes behind: they wait forever on a queue whose other end the dead daemon
    held, each holding a model. The fork server sets it against the daemon, each scoring
    process against the fork server, so the whole tree goes with the daemon.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() == 1:  # the parent died before the line above took effect
        os._exit(1)


def _child_init() -> None:
    die_with_parent()
    collect_less()
    # The parent owns shutdown: Ctrl-C in a terminal (SIGINT to the whole process group) must
    # not kill a child in the middle of a batch the parent is waiting for. SIGTERM keeps its
    # default: the pool terminates its processes with it when one of them died, and a child
    # that ignored it would hang the daemon's exit. (Under systemd, KillMode=mixed sends the
    # stop signal to the daemon only; see the README.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def new_process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` scoring processes, forked from a ``forkserver`` that preloads
    :mod:`streamer.pipeline._preload` (never fork the daemon itself: it holds event-loop and
    executor threads). The fork server starts from a fresh interpreter with the parent's
    environment, including the native thread limits that ``neo-streamer run`` sets."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["streamer.pipeline._preload"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_child_init)


def _score_rows(
    rows: list[_Row], scorer: Scorer, rule: AlertRule, input_format: InputFormat = "neo"
) -> list[_Packed]:
    """Runs in the child: :func:`process_batch` on rebuilt inputs, outcomes as tuples."""
    items = [InputItem(*row) for row in rows]
    index = {id(item): i for i, item in enumerate(items)}
    return [
        (
            index[id(o.item)],
            o.outputs,
            o.designation,
            o.model_version,
            o.error_type,
            o.unknown_fields,
            o.error_field,
            o.error_reason,
            o.key_text,
            o.skipped,
            o.observations,
        )
        for o in process_batch(items, scorer, rule, input_format)
    ]


async def run_in_process(  # noqa: PLR0917  (a BatchRunner: called positionally)
    loop: asyncio.AbstractEventLoop,
    executor: Executor | None,
    batch: list[InputItem],
    scorer: Scorer,
    rule: AlertRule,
    input_format: InputFormat = "neo",
) -> list[ItemOutcome]:
    """:func:`~streamer.pipeline.batch.process_batch` in a scoring process (a
    :data:`~streamer.pipeline.workers.BatchRunner`); the outcomes refer to the parent's own
    items."""
    rows = [(i.topic, i.partition, i.offset, i.key, i.value, i.timestamp_ms) for i in batch]
    packed = await loop.run_in_executor(executor, _score_rows, rows, scorer, rule, input_format)
    return [ItemOutcome(batch[p[0]], *p[1:]) for p in packed]
