"""streamer.ops.logging: JSON lines, and logging keeps working when stderr is replaced."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from streamer.ops.logging import configure_logging, get_logger


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


def test_library_loggers_are_rendered_as_json_lines() -> None:
    # issue 23 item 4: aiokafka's "Unable connect to ..." came out as plain text between the
    # JSON lines
    out = io.StringIO()
    configure_logging("info", "json", stream=out)
    logging.getLogger("aiokafka.conn").error('Unable connect to "%s": refused', "127.0.0.1:9")
    logging.getLogger("aiokafka.conn").info("per-connection chatter stays out")
    try:
        raise OSError("boom")
    except OSError:
        logging.getLogger("asyncio").exception("Task exception was never retrieved")
    get_logger("t").info("ours")
    lines = [orjson.loads(x) for x in out.getvalue().splitlines()]  # every line is JSON
    assert [x["event"] for x in lines] == [
        'Unable connect to "127.0.0.1:9": refused',
        "Task exception was never retrieved",
        "ours",
    ]
    assert (lines[0]["module"], lines[0]["level"]) == ("aiokafka.conn", "error")
    assert "timestamp" in lines[0]
    assert "OSError: boom" in lines[1]["exception"]


def test_configuring_twice_keeps_one_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("info", "json", stream=first)
    configure_logging("info", "json", stream=second)
    logging.getLogger("aiokafka").warning("once")
    assert first.getvalue() == ""
    assert len(second.getvalue().splitlines()) == 1


def test_produce_and_tail_log_the_kafka_clients_lines_as_json(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[4]
    records = tmp_path / "in.jsonl"
    records.write_text('{"designation": "433"}\n')
    env = {**os.environ, "PYTHONPATH": str(root), "NEO_STREAMER_LOGGING__FORMAT": "json"}
    env.pop("NEO_STREAMER_CONFIG", None)
    for command in (
        ["produce", "--input", str(records), "--topic", "t"],
        ["tail", "--topic", "t", "--timeout", "1"],
    ):
        out = subprocess.run(
            [sys.executable, "-m", "streamer.cli", *command, "--bootstrap-servers", "127.0.0.1:9"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert out.returncode == 3, out.stderr
        lines = out.stderr.splitlines()
        assert lines[-1].startswith(f"neo-streamer {command[0]}: cannot reach Kafka")
        logged = [orjson.loads(line) for line in lines[:-1]]  # the client's lines are JSON
        assert any(x["module"].startswith("aiokafka") for x in logged)
