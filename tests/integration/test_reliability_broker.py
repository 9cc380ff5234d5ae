"""The broker stops for 30 s mid-stream and comes back: the daemon keeps running, ``/readyz``
answers 503 while the broker is away, the daemon reconnects by itself and nothing is lost; under
exactly-once nothing is published twice either (outputs read with ``read_committed``).

Uses a private broker (``tools/kafka/kafka.sh`` with its own state dir and ports), never the
shared one the other tests use.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from daemon_harness import (
    ROOT,
    Daemon,
    base_config,
    make_registry,
    new_topics,
    produce,
    sample_records,
    write_config,
)
from reliability_report import Tally, account, add_row

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(600)]

DOWN_S = 30.0
FIRST = 20_000
"""Inputs before the outage: enough that the broker stops mid-stream with transactions in
flight (3,000 were all scored before the broker was down on a quiet machine)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrivateBroker:
    """A second local broker that this test may stop and start at will."""

    def __init__(self, state: Path) -> None:
        port = _free_port()
        self.env = {
            **os.environ,
            "KAFKA_STATE_DIR": str(state),
            "KAFKA_PORT": str(port),
            "KAFKA_CONTROLLER_PORT": str(_free_port()),
            "KAFKA_STOP_TIMEOUT": "20",
        }
        self.bootstrap = f"127.0.0.1:{port}"

    def _sh(self, command: str) -> None:
        done = subprocess.run(
            ["bash", str(ROOT / "tools" / "kafka" / "kafka.sh"), command],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"kafka.sh {command}:\n{done.stdout}\n{done.stderr}"

    async def up(self) -> None:
        await asyncio.to_thread(self._sh, "up")

    async def down(self) -> None:
        await asyncio.to_thread(self._sh, "down")


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    broker = PrivateBroker(tmp_path / "kafka")
    try:
        yield broker
    finally:
        broker._sh("down")


async def _readyz(daemon: Daemon) -> int:
    status, _ = await asyncio.to_thread(daemon.http_get, "/readyz")
    return status


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
async def test_broker_down_30s_daemon_reconnects_and_loses_nothing(
    tmp_path: Path, private_broker: PrivateBroker, guarantee: str
) -> None:
    broker = private_broker
    await broker.up()
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    topics = new_topics()
    await admin.create_topics([NewTopic(topics["input"], 3, 1)])
    await admin.close()
    root = tmp_path / "registry"
    make_registry(root)
    cfg = base_config(broker.bootstrap, root, topics)
    cfg["processing"]["processing_guarantee"] = guarantee
    exactly_once = guarantee == "exactly_once"
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    tally = None
    try:
        daemon.wait_event("daemon started")
        first = await produce(
            broker.bootstrap, topics["input"], [(None, v) for v in sample_records(FIRST)]
        )
        tally = await Tally(
            broker.bootstrap,
            [topics["results"], topics["dead_letter"]],
            read_committed=exactly_once,
        ).start()
        await tally.wait_covering(set(first), 300, within=120)
        await tally.stop()
        tally = None
        assert await _readyz(daemon) == 200

        # stop the broker mid-stream (most of the first wave still unprocessed)
        await broker.down()
        stopped = time.monotonic()
        seen_503 = False
        while time.monotonic() - stopped < DOWN_S:
            assert daemon.proc is not None and daemon.proc.poll() is None, daemon.tail()
            if await _readyz(daemon) == 503:
                seen_503 = True
            await asyncio.sleep(1.0)
        assert seen_503, "/readyz never reported the broker's absence"
        _, body = await asyncio.to_thread(daemon.http_get, "/readyz")
        assert body == b"broker unreachable\n"
        await broker.up()
        down_for = time.monotonic() - stopped

        deadline = time.monotonic() + 120
        while await _readyz(daemon) != 200:
            assert time.monotonic() < deadline, "never ready again:\n" + daemon.tail()
            await asyncio.sleep(1.0)
        second = await produce(
            broker.bootstrap, topics["input"], [(None, v) for v in sample_records(500, FIRST)]
        )
        wanted = set(first) | set(second)
        tally = await Tally(
            broker.bootstrap,
            [topics["results"], topics["dead_letter"]],
            read_committed=exactly_once,
        ).start()
        await tally.wait_covering(wanted, len(wanted), within=240)
        await asyncio.sleep(2)  # let late duplicates arrive before counting
        results = [s for s, n in tally.counts.items() for _ in range(n)]
        acc = account(wanted, results, [])
        add_row(
            "broker-down" + ("-exactly-once" if exactly_once else ""),
            "fault",
            "broker stopped 30 s mid-stream" + (", exactly-once" if exactly_once else ""),
            acc,
            f"{FIRST:,} inputs, broker stopped after 300 results, down {down_for:.0f} s "
            "(/readyz 503 meanwhile), restarted; 500 more inputs after; same daemon process "
            "throughout" + ("; counted with read_committed" if exactly_once else ""),
        )
        assert acc.lost == 0
        if exactly_once:
            assert acc.duplicates == 0
        assert daemon.proc is not None and daemon.proc.poll() is None
        assert daemon.events("broker unreachable") and daemon.events("broker reachable")
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if tally is not None:
            await tally.stop()
        daemon.stop()
