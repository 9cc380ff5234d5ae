"""Known artificial objects in the daemon: the catalogue, kept current, and the check every
re-scored object goes through before its result is published (``[known]``).

:class:`KnownObjects` loads the catalogue at start (:func:`core.known.catalogue.load_catalogue`;
a bad file stops the start with a :class:`~streamer.errors.ConfigError` naming ``known.paths``,
the file and the line) and reloads it when a file's modification time changes, checked at most
every ``reload_interval_s`` from the thread that matches. A reload that fails (a file
half-written, invalid or gone) is logged once with the file and line, and the previous catalogue
keeps serving; it is tried again when the files change again.

:meth:`KnownObjects.review` matches one object's observations
(:func:`core.known.match.match_astrometry`) and edits its result: a matched object gets
``known_match`` (the best match) and ``known_matches`` (all), and must not alert; an unmatched
one gets ``known_match: null`` and ``known_check``, whose ``message`` says
``no known object within ...`` with the catalogue's size and date (every unmatched result
carries it; a physics-backed alert also says it in ``physics.summary``:
:mod:`streamer.state.launch`). The score is never changed: a known object is still what the
model says it is; its category too, except under ``routing = "category"``, where a matched
object's result category becomes ``known_artificial`` (:func:`known_category`; the model's
category stays as ``model_category``).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

from core.serving.verdict import KNOWN_ARTIFICIAL
from streamer.config import KnownConfig
from streamer.errors import ConfigError
from streamer.ops.logging import get_logger
from streamer.ops.metrics import Metrics

if TYPE_CHECKING:
    from core.contract.obs import Observation
    from core.known.catalogue import KnownCatalogue

__all__ = ["KnownObjects", "Review", "known_category"]

log = get_logger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Review:
    """What the check decided: ``matched`` (no alert), ``to_known_topic`` (routing "topic"),
    ``recategorise`` (routing "category": the result's category becomes known_artificial)."""

    matched: bool
    to_known_topic: bool
    recategorise: bool = False


def known_category(document: bytes) -> bytes:
    """A scored ``neo.anomaly.v1`` document with ``category`` ``known_artificial`` and the
    model's own category as ``model_category`` (``[known] routing = "category"``)."""
    doc = orjson.loads(document)
    doc["model_category"] = doc.get("category")
    doc["category"] = KNOWN_ARTIFICIAL
    return orjson.dumps(doc)


def _tolerances(cfg: KnownConfig) -> Any:
    from core.known.tolerances import Tolerances

    names = {f.name for f in dataclasses.fields(Tolerances)}
    return Tolerances(**{k: getattr(cfg, k) for k in names if hasattr(cfg, k)})


class KnownObjects:
    """The catalogue and the check (thread-safe: the state thread uses it)."""

    def __init__(self, cfg: KnownConfig, metrics: Metrics) -> None:
        from core.known.errors import CatalogueError

        self._cfg = cfg
        self._metrics = metrics
        self._tolerances = _tolerances(cfg)
        self._lock = threading.Lock()
        try:
            self._catalogue = self._load()
        except CatalogueError as exc:
            raise ConfigError("known.paths", f"the catalogue cannot be read: {exc}") from None
        self._failed_signature: tuple[tuple[str, int | None], ...] | None = None
        self._next_check = time.monotonic() + cfg.reload_interval_s
        self._announce("known-object catalogue loaded")

    @property
    def catalogue(self) -> KnownCatalogue:
        """The catalogue serving now."""
        return self._catalogue

    def _load(self) -> KnownCatalogue:
        from core.known.catalogue import load_catalogue

        return load_catalogue(list(self._cfg.paths), bundled=self._cfg.bundled)

    def _announce(self, event: str) -> None:
        cat = self._catalogue
        self._metrics.known_catalogue_size.set(cat.size)
        log.info(
            event,
            element_sets=len(cat.element_sets),
            heliocentric=len(cat.heliocentric),
            files=[path for path, _ in cat.files],
        )

    def _signature(self) -> tuple[tuple[str, int | None], ...]:
        out: list[tuple[str, int | None]] = []
        for path, _ in self._catalogue.files:
            try:
                out.append((path, os.stat(path).st_mtime_ns))
            except OSError:
                out.append((path, None))
        return tuple(out)

    def maybe_reload(self, now: float | None = None) -> None:
        """Reload when a file changed (at most every ``reload_interval_s``)."""
        from core.known.errors import CatalogueError

        now = time.monotonic() if now is None else now
        with self._lock:
            if now < self._next_check:
                return
            self._next_check = now + self._cfg.reload_interval_s
            signature = self._signature()
            if signature == tuple(self._catalogue.files) or signature == self._failed_signature:
                return
            try:
                fresh = self._load()
            except CatalogueError as exc:
                self._failed_signature = signature
                self._metrics.known_reloads.labels(outcome="error").inc()
                log.error(
                    "known-object catalogue not reloaded: the previous one keeps serving",
                    file=exc.path,
                    line=exc.line,
                    reason=exc.reason,
                    serving=self._catalogue.size,
                )
                return
            self._catalogue, self._failed_signature = fresh, None
            self._metrics.known_reloads.labels(outcome="ok").inc()
        self._announce("known-object catalogue reloaded")

    def review(
        self, object_id: str, observations: Sequence[Observation], document: dict[str, Any]
    ) -> Review:
        """Match the object and add ``known_match`` / ``known_check`` to ``document``.

        An error of the match itself (an observation from a station it cannot place) leaves
        ``known_check`` saying so and the result otherwise as it was.
        """
        from core.known.match import match_astrometry
        from streamer.state.refit import to_astrometry

        self.maybe_reload()
        catalogue = self._catalogue
        fit = document.get("fit")
        elements = fit.get("elements") if isinstance(fit, dict) else None
        try:
            report = match_astrometry(
                catalogue,
                to_astrometry(object_id, observations),
                self._tolerances,
                fitted_elements=elements if isinstance(elements, dict) else None,
            )
        except Exception as exc:  # one object's check failing must not stop the stream
            self._metrics.known_checks.labels(outcome="error").inc()
            document["known_match"] = None
            document["known_check"] = {
                "catalogue_size": catalogue.size,
                "catalogue_date": _date(catalogue),
                "message": f"not checked against known objects: {exc}",
            }
            return Review(matched=False, to_known_topic=False)
        best = report.best
        document["known_match"] = msgspec.to_builtins(best)
        if best is not None:
            self._metrics.known_checks.labels(outcome="matched").inc()
            document["known_matches"] = msgspec.to_builtins(report.matches)
            routing = self._cfg.routing
            return Review(True, routing == "topic", recategorise=routing == "category")
        self._metrics.known_checks.labels(outcome="unmatched").inc()
        t = self._tolerances
        date = report.catalogue_date or "never"
        near = (
            ""
            if report.nearest_name is None
            else f'; nearest {report.nearest_name} at {report.nearest_separation_arcsec:.0f}"'
        )
        document["known_check"] = {
            "catalogue_size": report.catalogue_size,
            "catalogue_date": report.catalogue_date,
            "nearest_name": report.nearest_name,
            "nearest_separation_arcsec": report.nearest_separation_arcsec,
            "message": (
                f'no known object within {t.min_tolerance_arcsec:g}" (growing '
                f"{t.error_growth_km_per_day:g} km/day with element age; heliocentric "
                f'{t.helio_tolerance_arcsec:g}") among {report.catalogue_size} known objects '
                f"(catalogue of {date}){near}"
            ),
        }
        return Review(matched=False, to_known_topic=False)


def _date(catalogue: KnownCatalogue) -> str | None:
    from core.contract.obsstream import jd_to_iso

    jd = catalogue.date_jd_utc
    return None if jd is None else jd_to_iso(jd)
