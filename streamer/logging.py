"""structlog set-up: JSON lines in production, a readable console when stderr is a terminal.

Call :func:`configure_logging` once at start-up. Events carry key=value fields; the pipeline
uses ``topic``, ``partition``, ``offset``, ``designation`` and ``model_version``.
"""

from __future__ import annotations

import logging
import sys
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
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    # aiokafka logs through stdlib logging; keep its chatter at warning and on the same stream
    logging.basicConfig(stream=out, level=logging.WARNING, format="%(name)s %(message)s")


def get_logger(name: str) -> Any:
    """A structlog logger bound with ``module=name``.

    Lazy: configuration made later by :func:`configure_logging` still applies to loggers
    created at import time.
    """
    return structlog.get_logger(module=name)
