"""Secrets never reach the daemon's logs: debug-level structlog and aiokafka output of real
``neo-streamer run`` processes, with a SASL password set, is searched for the password.

Two daemons: one configured for SASL against the PLAINTEXT test broker (the handshake fails: a
refusal, not an outage, so it exits 6 at once naming the cause, with aiokafka's own connection
errors logged at debug level), one on PLAINTEXT with the password set but unused (it runs,
scores and stops normally). The secured broker's refusals are in ``test_secure_broker.py``.
"""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from daemon_harness import (
    Daemon,
    base_config,
    covers,
    make_registry,
    new_topics,
    produce,
    read_topic,
    sample_records,
    write_config,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

PASSWORD = "Tr0ub4dor-neo-s3cret"
KEY_PASSWORD = "key-pa55-neo-s3cret"


def _assert_no_secret(daemon: Daemon) -> None:
    text = daemon.log_path.read_bytes()
    assert text, "the daemon logged nothing"
    for secret in (PASSWORD, KEY_PASSWORD):
        assert secret.encode() not in text
        assert secret[::-1].encode() not in text


async def test_sasl_password_never_logged_when_the_handshake_fails(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    root = tmp_path / "registry"
    make_registry(root)
    cfg = base_config(kafka_bootstrap, root, new_topics())
    cfg["kafka"].update(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="svc-neo",
        connect_retries=1,
        request_timeout_ms=3000,
    )
    cfg["logging"]["level"] = "debug"
    daemon = Daemon(
        write_config(tmp_path / "c.toml", **cfg),
        tmp_path / "d.log",
        env={"NEO_STREAMER_KAFKA__SASL_PASSWORD": PASSWORD},
    ).start()
    try:
        assert daemon.wait(120) == 6
        refused = daemon.events("broker refused access")
        assert refused and refused[-1]["cause"] == "authentication", daemon.tail()
        assert "SASL PLAIN authentication failed for user 'svc-neo'" in refused[-1]["error"]
        _assert_no_secret(daemon)
    finally:
        daemon.stop()


async def test_unused_secrets_never_logged_by_a_working_daemon(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: Callable[..., Awaitable[str]]
) -> None:
    root = tmp_path / "registry"
    make_registry(root)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    cfg = base_config(kafka_bootstrap, root, topics)
    cfg["kafka"].update(sasl_username="svc-neo", sasl_password=PASSWORD, ssl_password=KEY_PASSWORD)
    cfg["logging"]["level"] = "debug"
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        placed = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(50)]
        )
        await read_topic(kafka_bootstrap, topics["results"], until=covers(set(placed)))
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
        _assert_no_secret(daemon)
    finally:
        daemon.stop()
