"""streamer.logging: JSON lines, and logging keeps working when stderr is replaced."""

from __future__ import annotations

import io
import sys

import orjson
import pytest

from streamer.logging import configure_logging, get_logger


def test_log_lines_follow_stderr_after_it_is_replaced_and_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("info", "json")
    first.close()  # what pytest's capture does to a test's stream at its end
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)

    get_logger("t").warning("publish failed", topic="neo.results", partition=3, offset=17)

    line = orjson.loads(second.getvalue().splitlines()[-1])
    assert line["event"] == "publish failed"
    assert (line["topic"], line["partition"], line["offset"]) == ("neo.results", 3, 17)
    assert line["level"] == "warning"


def test_an_explicit_stream_is_used_as_given() -> None:
    out = io.StringIO()
    configure_logging("warning", "json", stream=out)
    log = get_logger("t")
    log.info("not shown")
    log.error("shown", designation="2020 SO")
    lines = [orjson.loads(x) for x in out.getvalue().splitlines()]
    assert [x["event"] for x in lines] == ["shown"]
    assert lines[0]["designation"] == "2020 SO"
