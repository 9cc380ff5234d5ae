"""Scoring in worker processes: the daemon's way past one interpreter lock.

With ``[processing] executor = "process"`` the workers hand each batch (the raw message
bytes) to a :class:`~concurrent.futures.ProcessPoolExecutor`; the child decodes, scores and
encodes, and sends back the encoded outputs. What crosses the process boundary is a
:class:`ModelRef` — the serving version's directory, not the model — so every child loads
that version once (lazily, on its first batch) and a hot reload is a new reference: children
load the new version on their next batch. The parent still loads and verifies each version
first (hashes, schema), so a child only ever loads a model that was accepted.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.records import NeoRecord

__all__ = ["ModelRef", "new_process_pool"]

# One engine per child process, for the version it last scored with.
_ENGINES: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A picklable stand-in for the serving engine (the :class:`Scorer` of a child)."""

    model_dir: str
    model_version: str
    cache_size: int
    cache_ttl_s: float

    def _engine(self) -> Any:
        engine = _ENGINES.get(self.model_dir)
        if engine is None:
            from core.inference import InferenceEngine
            from core.registry import load_model

            _ENGINES.clear()  # a replaced version is not kept alive in the child
            engine = InferenceEngine(
                load_model(Path(self.model_dir)),
                cache_size=self.cache_size,
                cache_ttl_s=self.cache_ttl_s,
            )
            _ENGINES[self.model_dir] = engine
            gc.collect()
            gc.freeze()  # as in the parent: keep the model out of the GC's full scans
        return engine

    def predict_batch(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Score with this version's engine in the calling process."""
        results: list[dict[str, Any]] = self._engine().predict_batch(records, cache_keys)
        return results


def _child_init() -> None:
    # The parent owns shutdown: SIGINT/SIGTERM sent to the process group must not kill a
    # child in the middle of a batch the parent is waiting for.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def new_process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` scoring processes, started with ``spawn`` (never fork a process
    that holds torch, BLAS and event-loop threads). Children inherit the parent's environment,
    including the native thread limits that ``neo-streamer run`` sets."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_child_init,
    )
