"""A tiny read-only HTTP server: ``/healthz``, ``/readyz``, ``/metrics`` and the object pages
``/objects/<id>`` and ``/objects/`` (:mod:`streamer.ops.pages`; the id URL-encoded).

Standard library only (``asyncio.start_server``); GET and HEAD, nothing writes. It binds to
loopback by default (``[http] host``); port 0 picks a free port, reported by :attr:`port`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from prometheus_client import CONTENT_TYPE_LATEST

from streamer.ops.logging import get_logger

__all__ = ["HealthServer"]

if TYPE_CHECKING:
    from streamer.ops.pages import ObjectPages

log = get_logger(__name__)
_HTML = "text/html; charset=utf-8"

_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request"}
_REASONS[503] = "Service Unavailable"
_REASONS[500] = "Internal Server Error"


class HealthServer:
    """Serves the health endpoints.

    Parameters
    ----------
    host, port : str, int
    ready : callable
        Returns ``(is_ready, reason)``; ``/readyz`` answers 200 or 503 with the reason.
    metrics : callable
        Returns the Prometheus text exposition.
    pages : ObjectPages, optional
        Serves ``/objects/``; without it those paths are 404.
    """

    def __init__(
        self,
        host: str,
        port: int,
        ready: Callable[[], tuple[bool, str]],
        metrics: Callable[[], bytes],
        pages: ObjectPages | None = None,
    ) -> None:
        self._pages = pages
        self._host = host
        self._port = port
        self._ready = ready
        self._metrics = metrics
        self._server: asyncio.Server | None = None
        self.port: int | None = None

    async def start(self) -> None:
        """Bind and serve (idempotent); sets :attr:`port` to the bound port."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._handle, self._host, self._port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("http listening", host=self._host, port=self.port)

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5.0)
            # drain the headers; no body is ever read (no write operations)
            while (line := await asyncio.wait_for(reader.readline(), 5.0)) not in (b"\r\n", b""):
                if len(line) > 8192:
                    break
            status, ctype, body = await self._object_page(request) or self._route(request)
            head = request.split(b" ", 1)[0] == b"HEAD"
            writer.write(
                (
                    f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
                    f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n"
                ).encode()
                + (b"" if head else body)
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass  # a client that hangs or goes away gets nothing
        finally:
            writer.close()

    async def _object_page(self, request: bytes) -> tuple[int, str, bytes] | None:
        """``/objects/...`` (GET/HEAD) when pages are served; None: not such a request."""
        parts = request.decode("latin-1").split()
        if self._pages is None or len(parts) != 3 or parts[0] not in ("GET", "HEAD"):
            return None
        path = parts[1].split("?", 1)[0]
        if not path.startswith("/objects/"):
            return None
        try:
            object_id = unquote(path.removeprefix("/objects/"), errors="strict")
        except UnicodeDecodeError:
            return 400, "text/plain", b"the object id is not UTF-8\n"
        try:
            body = await (self._pages.page(object_id) if object_id else self._pages.index())
        except Exception as exc:  # a page that cannot be drawn must not stop the server
            log.warning("object page failed", object_id=object_id, error=repr(exc))
            return 500, "text/plain", b"the page could not be drawn\n"
        if body is None:
            return 404, "text/plain", b"no such object in this daemon\n"
        return 200, _HTML, body

    def _route(self, request: bytes) -> tuple[int, str, bytes]:
        parts = request.decode("latin-1").split()
        if len(parts) != 3:
            return 400, "text/plain", b"bad request\n"
        method, target, _ = parts
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"read-only endpoint\n"
        path = target.split("?", 1)[0]
        if path == "/healthz":
            return 200, "text/plain", b"ok\n"
        if path == "/readyz":
            ok, reason = self._ready()
            return (200 if ok else 503), "text/plain", (reason + "\n").encode()
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, self._metrics()
        return 404, "text/plain", b"not found\n"
