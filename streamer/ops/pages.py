"""``/objects/<id>``: the daemon serves each object's page from its latest result and its state.

:class:`ObjectPages` remembers the latest result of the most recent ``[http] object_pages``
objects (the result of each scored outcome, as the workers hand the batch to be published:
it may be on its way to the broker when the page is asked for; and the input record, whose
orbit is drawn when the result has no fit) and, with ``[state] enabled``,
reads the object's observations from its partition's store. The page itself
(:func:`core.report.build_page`) is drawn by :func:`render_object_page` in the scoring
executor (a scoring process by default: the fitted orbit's predictions need ASSIST, which the
daemon process never loads), so the event loop never waits on it. ``/objects/`` lists the
remembered objects, most suspicious first. Only what the daemon already holds is read; nothing
is written. Results of an earlier run of the daemon are not remembered: after a restart an
object has a page once it has a new result (or, with state, observations alone).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from core.contract.obs import Observation
from streamer.pipeline.batch import ItemOutcome

if TYPE_CHECKING:
    from streamer.state.store import StateManager

__all__ = ["MAX_RECORD_BYTES", "ObjectPages", "render_object_index", "render_object_page"]

MAX_RECORD_BYTES = 16_384
"""Input records kept beside their result up to this size (the orbit of a record without a fit
is drawn from it); larger ones (long observation blocks) are not kept."""


def render_object_page(
    object_id: str,
    result: bytes | None,
    observations: Sequence[Observation],
    record: bytes | None = None,
) -> bytes:
    """The page (UTF-8 HTML) of one object: its result (JSON bytes, None: none yet), its
    observations from state, and the neo.v1 record it was scored from (its orbit is drawn
    when the result has no fit). Runs in the scoring executor."""
    from core.report import build_page
    from streamer.state.refit import to_astrometry

    doc: dict[str, Any] = (
        orjson.loads(result)
        if result is not None
        else {"designation": object_id, "category": "undetermined", "evidence": "not scored yet"}
    )
    astrometry = to_astrometry(object_id, observations) if observations else None
    orbit = None
    if record is not None:
        try:
            orbit = orjson.loads(record).get("orbit")
        except (orjson.JSONDecodeError, AttributeError):
            orbit = None
    return build_page(doc, astrometry, orbit if isinstance(orbit, dict) else None).encode()


def render_object_index(results: Sequence[bytes]) -> bytes:
    """The ``/objects/`` page: the remembered objects, linked to ``/objects/<id>``."""
    from core.report.index import render_index

    docs = [orjson.loads(r) for r in results]
    return render_index(
        docs, "Objects of this daemon", link=lambda d: "/objects/" + quote(d, safe="")
    ).encode("utf-8")


class ObjectPages:
    """The latest results, the state to read observations from, the executor to draw in.

    Parameters
    ----------
    capacity : int
        Objects whose latest result is kept (least recently updated dropped first); 0: no
        pages (``/objects/`` answers 404).
    executor : Executor
        Where pages are drawn (the daemon's scoring executor).
    """

    def __init__(self, capacity: int, executor: Executor) -> None:
        self.capacity = capacity
        self._executor = executor
        self._latest: OrderedDict[str, tuple[bytes, bytes | None]] = OrderedDict()
        self.state: StateManager | None = None

    def remember(self, outcomes: Sequence[ItemOutcome]) -> None:
        """Keep the result of each outcome that has one, keyed by the object's designation."""
        if not self.capacity:
            return
        latest = self._latest
        for o in outcomes:
            for out in o.outputs:
                if out.kind != "result" or out.value is None:
                    continue
                name = o.designation or (out.key or b"").decode("utf-8", "replace")
                if not name:
                    continue
                record = o.item.value  # the input: a neo.v1 record's orbit is drawn
                small = record is not None and len(record) <= MAX_RECORD_BYTES
                latest[name] = (out.value, record if small else None)
                latest.move_to_end(name)
        while len(latest) > self.capacity:
            latest.popitem(last=False)

    async def page(self, object_id: str) -> bytes | None:
        """The page of ``object_id``, None when the daemon holds nothing of it."""
        if not self.capacity:
            return None
        result, record = self._latest.get(object_id, (None, None))
        observations: Sequence[Observation] = ()
        if self.state is not None:
            stored = await self.state.lookup(object_id)
            observations = tuple(stored) if stored is not None else ()
        if result is None and not observations:
            return None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, render_object_page, object_id, result, observations, record
        )

    async def index(self) -> bytes | None:
        """The ``/objects/`` page (None when pages are off)."""
        if not self.capacity:
            return None
        results = [result for result, _ in self._latest.values()]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, render_object_index, results)
