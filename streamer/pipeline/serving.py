"""The serving model: loaded from the registry, hot-reloaded beside the old one, swapped atomically.

``[model] path`` is either a registry root (a directory with a ``CURRENT`` file naming the
active version) or one model version directory. Only a registry root is polled for changes;
SIGHUP reloads either. A model that fails to load is refused (logged, counted) and the model
already serving keeps serving.

With scoring processes (``[processing] executor = "process"``) the parent never loads a model:
a scoring process loads and verifies each version (:func:`streamer.pipeline.procpool.load_ref`) and
the parent serves the :class:`~streamer.pipeline.procpool.ModelRef` it returns, so the parent holds
neither the model nor the libraries that score it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from core.errors import ModelError
from streamer.config import ModelConfig
from streamer.ops.logging import get_logger
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import Scorer
from streamer.pipeline.procpool import load_ref, warm

__all__ = ["ModelHost"]

log = get_logger(__name__)

_WARM_HOLD_S = 0.2  # see streamer.pipeline.procpool.warm


def _load_engine(cfg: ModelConfig) -> Any:
    """Load the model and wrap it in an inference engine (blocking; run in an executor).

    Raises :class:`~core.errors.ModelError` whatever is wrong with the model files, so a
    damaged model is a refusal, never a crash of the serving daemon.
    """
    from core.serving.inference import InferenceEngine
    from core.serving.registry import load_model

    model = load_model(cfg.path)
    return InferenceEngine(model, cache_size=cfg.cache_size, cache_ttl_s=cfg.cache_ttl_s)


def _freeze_heap() -> None:
    """Move the long-lived heap (the model's many small objects) out of the cyclic GC's sight.

    Without this every full collection re-scans the whole model — measured at 10-30 % of the
    CPU per scored record. ``unfreeze`` + ``collect`` first, so a replaced model's cycles are
    still freed after a hot reload.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class ModelHost:
    """Holds the serving :class:`~core.serving.inference.InferenceEngine`.

    Workers call :meth:`current` once per batch; a swap is a single reference assignment on
    the event loop, so a batch is scored entirely by one model and the result says which.
    """

    def __init__(
        self,
        cfg: ModelConfig,
        metrics: Metrics,
        *,
        remote: Executor | None = None,
        processes: int = 1,
    ) -> None:
        self._cfg = cfg
        self._metrics = metrics
        self._remote = remote  # the scoring process pool, which loads the models
        self._processes = processes
        self._engine: Scorer | None = None
        self._seen: str | None = None  # the registry CURRENT value last acted on
        self.is_registry = (Path(cfg.path) / "CURRENT").is_file()

    @property
    def loaded(self) -> bool:
        """Whether a model is serving."""
        return self._engine is not None

    def current(self) -> Scorer:
        """The serving engine; with ``remote``, the
        :class:`~streamer.pipeline.procpool.ModelRef` that scoring processes score with."""
        if self._engine is None:
            raise ModelError("no model loaded")
        return self._engine

    def _registry_current(self) -> str | None:
        if not self.is_registry:
            return None
        from core.serving.registry import current_version

        return current_version(Path(self._cfg.path))

    async def load(self, executor: Executor | None, *, force: bool = False) -> bool:
        """Load the registry's current model beside the serving one and swap it in.

        Without ``force`` nothing happens unless the registry's ``CURRENT`` changed. The first
        load raises :class:`ModelError`; later failures are refused and logged (returns False).
        """
        loop = asyncio.get_running_loop()
        try:
            seen = await loop.run_in_executor(executor, self._registry_current)
        except (ModelError, OSError) as exc:
            if self._engine is None:
                raise ModelError(f"cannot read the registry at {self._cfg.path}: {exc}") from exc
            log.error("model registry unreadable; keeping the serving model", error=str(exc))
            return False
        if not force and self._engine is not None and seen == self._seen:
            return False
        old = None if self._engine is None else self._engine.model_version
        cfg = self._cfg
        try:
            engine: Scorer
            if self._remote is not None:
                ref = await loop.run_in_executor(
                    self._remote, load_ref, cfg.path, cfg.cache_size, cfg.cache_ttl_s
                )
                # every scoring process loads the version before it serves: no batch waits
                # for a cold process to load it (the processes start on demand)
                warmed = await asyncio.gather(
                    *(
                        loop.run_in_executor(self._remote, warm, ref, _WARM_HOLD_S)
                        for _ in range(self._processes)
                    )
                )
                log.debug("scoring processes warm", processes=len(set(warmed)))
                engine = ref
            else:
                engine = await loop.run_in_executor(executor, _load_engine, cfg)
        except ModelError as exc:
            self._seen = seen  # do not retry the same broken version every interval
            self._metrics.model_reloads.labels(outcome="refused").inc()
            if self._engine is None:
                raise
            log.error(
                "model refused; keeping the serving model",
                error=str(exc),
                error_type=type(exc).__name__,
                current=seen,
                model_version=old,
            )
            return False
        self._engine, self._seen = engine, seen
        if self._remote is None:
            _freeze_heap()
        self._metrics.model_reloads.labels(outcome="loaded").inc()
        self._metrics.set_model(str(getattr(engine, "model_id", "")), engine.model_version)
        log.info("model serving", model_version=engine.model_version, previous=old)
        return True

    async def watch(self, executor: Executor | None, hup: asyncio.Event) -> None:
        """Poll ``CURRENT`` every ``reload_interval_s`` (0: never) and reload on SIGHUP."""
        interval = self._cfg.reload_interval_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hup.wait(), interval if interval > 0 else None)
            forced = hup.is_set()
            hup.clear()
            if forced or self.is_registry:
                await self.load(executor, force=forced)
