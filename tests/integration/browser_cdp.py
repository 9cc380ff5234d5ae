"""A headless Chromium driven over the Chrome DevTools Protocol, for the page tests.

Chromium is started with ``--remote-debugging-pipe``: the protocol's JSON messages, each ended
by a NUL byte, go in on the child's fd 3 and come out on its fd 4 (no port, no websocket
client). :meth:`Browser.open` loads a URL in a fresh tab with the Runtime, Log, Network and
Page domains enabled, waits for its load event, and returns what a test checks: the console
errors and uncaught exceptions, the browser's error log entries (a Content-Security-Policy
violation is one), every network request the page made, the figures it rendered with their
sizes, and a full-page PNG screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CHROMIUM", "Browser", "Loaded"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

_FIGURES_JS = """JSON.stringify([...document.querySelectorAll('figure[data-plot]')].map(f => {
  const svg = f.querySelector('svg'); const r = svg ? svg.getBoundingClientRect() : null;
  return [f.dataset.plot, r ? r.width : 0, r ? r.height : 0,
          svg ? svg.querySelectorAll('path, use').length : 0];
}))"""


@dataclass
class Loaded:
    """What one page load did."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    figures: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    png: bytes = b""
    title: str = ""


class Browser:
    """One headless Chromium process; use as a context manager."""

    def __init__(self, width: int = 1000) -> None:
        assert CHROMIUM is not None
        self._width = width
        self._profile = tempfile.mkdtemp(prefix="neo-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # move the child's ends above 4 so that dup2 onto 3 and 4 cannot clobber them
        high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def child_fds() -> None:
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self._proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",  # root in CI containers
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            # kept open across exec: 3 and 4 as child_fds made them (preexec runs first)
            pass_fds=(3, 4, high_r, high_w),
            preexec_fn=child_fds,  # noqa: PLW1509  (no threads of ours run in the child)
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(high_r)
        os.close(high_w)
        self._buf = b""
        self._id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- protocol ---------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise ConnectionError("chromium closed its pipe")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:  # fmt: skip
        """Send one command and wait for its answer (events meanwhile are kept)."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._events.append(reply)

    def _wait_event(self, name: str, session: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for event in self._events:
                if event.get("method") == name and event.get("sessionId") == session:
                    return
            self._events.append(self._read_message(deadline))

    # -- pages ------------------------------------------------------------------------------

    def open(self, url: str, timeout: float = 60.0) -> Loaded:
        """Load ``url`` in a new tab and report what happened (see the module docstring)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self._events.clear()
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.call(f"{domain}.enable", session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": self._width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.call("Page.navigate", {"url": url}, session=session)
        self._wait_event("Page.loadEventFired", session, timeout)
        out = Loaded(url)
        figures = self.call(
            "Runtime.evaluate", {"expression": _FIGURES_JS, "returnByValue": True}, session
        )["result"]["value"]
        out.figures = {name: (w, h, n) for name, w, h, n in json.loads(figures)}
        out.title = self.call(
            "Runtime.evaluate", {"expression": "document.title", "returnByValue": True}, session
        )["result"]["value"]
        size = self.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = self.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                         "scale": 1},
            },
            session,
        )  # fmt: skip
        out.png = base64.b64decode(shot["data"])
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.console_errors.append(json.dumps(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                out.console_errors.append(json.dumps(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.log_errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                out.requests.append(params["request"]["url"])
        self.call("Target.closeTarget", {"targetId": target})
        return out
