"""structlog set-up: JSON lines in production, a readable console when stderr is a terminal.

Call :func:`configure_logging` once at start-up. Events carry key=value fields; the pipeline
uses ``topic``, ``partition``, ``offset``, ``designation`` and ``model_version``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import orjson
import structlog

__all__ = ["configure_logging", "get_logger"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_LEVELS["error"] = logging.ERROR


def _dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at write time, not at configuration time.

    Binding the stream object once breaks when it is replaced and closed later (pytest's
    capture does this per test; so can a supervisor redirecting the process's stderr): a
    log call would then raise ``ValueError: I/O operation on closed file`` inside whatever
    code was logging, e.g. a worker's publish-retry path.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog globally.

    Parameters
    ----------
    level : {"debug", "info", "warning", "error"}
    fmt : {"json", "console", "auto"}
        ``auto`` picks ``console`` when ``stream`` is a TTY, else ``json``.
    stream : TextIO or None
        Where lines go; stderr by default (stdout stays free for command output).
    """
    out: Any = _CurrentStderr() if stream is None else stream
    if fmt == "auto":
        fmt = "console" if out.isatty() else "json"
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer(serializer=_dumps)
    )
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            stamp,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(out, level, stamp, renderer)


def _route_stdlib_logging(out: Any, level: str, stamp: Any, renderer: Any) -> None:
    """Send every stdlib logger (aiokafka, asyncio, ...) through the same renderer.

    One handler on the root logger formats each record as a structlog event (``module`` =
    the logger's name, ``level``, ``timestamp``, the exception if any), so a JSON log stays
    one JSON object per line. Libraries' chatter is kept at warning and above (their info
    and debug lines are per-connection noise) unless ``level`` asks for less.
    """
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[_logger_name_as_module, structlog.processors.add_log_level, stamp],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):  # configured again (tests, a second command): replace
        if getattr(old, _OURS, False):
            root.removeHandler(old)
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(max(logging.WARNING, _LEVELS[level]))


_OURS = "_neo_streamer_handler"


def _logger_name_as_module(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event_dict.get("_record")
    if record is not None:
        event_dict.setdefault("module", record.name)
    return event_dict


def get_logger(name: str) -> Any:
    """A structlog logger bound with ``module=name``.

    Lazy: configuration made later by :func:`configure_logging` still applies to loggers
    created at import time.
    """
    return structlog.get_logger(module=name)
