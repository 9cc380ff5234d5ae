"""The daemon against a broker that demands TLS, SASL SCRAM-SHA-512 and ACLs.

One secured broker for the module (``tools/kafka/kafka.sh --secure``: its own state dir and
ports, a CA and a broker certificate made with keytool, ``StandardAuthorizer``), beside the
shared plain one. The daemon's user gets exactly the ACLs of ``kafka.sh grant`` (read the input
and the group, write the outputs and the changelog, use the transactional id), and
``neo-streamer run`` works with them in both delivery modes. A wrong password, an untrusted
certificate and a missing ACL each stop it with exit code 6 and a log line naming the cause;
no password ever reaches a log line; a client without credentials is refused by the broker.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError
from aiokafka.helpers import create_ssl_context
from daemon_harness import (
    ROOT,
    Daemon,
    base_config,
    covers,
    make_registry,
    produce,
    read_topic,
    sample_records,
    sources,
    write_config,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

KAFKA_SH = ROOT / "tools" / "kafka" / "kafka.sh"
DAEMON_USER = "neo-daemon"
EXIT_ACCESS = 6
INSTANCE = "replica-1"
# The cases' names, fixed for the module: the ACLs are granted once (each kafka-acls run is a
# JVM start), and each case's gaps are left out of that grant on purpose.
TAG = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Names:
    """One daemon's topics, group and transactional id."""

    case: str

    def topic(self, kind: str) -> str:
        return f"sec-{TAG}-{self.case}-{kind}"

    @property
    def topics(self) -> dict[str, str]:
        kinds = {"input": "in", "results": "res", "alerts": "alr", "dead_letter": "dlq"}
        return {key: self.topic(kind) for key, kind in kinds.items()}

    @property
    def group(self) -> str:
        return f"sec-{TAG}-{self.case}-group"

    @property
    def transactional_id(self) -> str:
        return f"{self.group}-{INSTANCE}"


CASES = {
    case: Names(case)
    for case in ("alo", "eos", "password", "untrusted", "no-group-acl", "no-write-acl")
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SecureBroker:
    bootstrap: str
    cafile: Path
    untrusted_cafile: Path
    admin_password: str
    daemon_password: str

    def client(self, user: str = "admin", password: str | None = None) -> dict[str, Any]:
        """aiokafka keyword arguments for ``user`` over TLS + SCRAM-SHA-512."""
        if password is None:
            password = self.admin_password if user == "admin" else self.daemon_password
        return {
            "security_protocol": "SASL_SSL",
            "ssl_context": create_ssl_context(cafile=str(self.cafile)),
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user,
            "sasl_plain_password": password,
        }


def _sh(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        ["bash", str(KAFKA_SH), "--secure", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"kafka.sh --secure {' '.join(args)}:\n{done.stderr}"


def _other_ca(directory: Path) -> Path:
    """A CA the broker's certificate was not signed by (keytool, as the broker's own)."""
    store, pem = directory / "other-ca.p12", directory / "other-ca.pem"
    common = ["-storetype", "PKCS12", "-storepass", secrets.token_hex(8), "-keystore", str(store)]
    subprocess.run(
        ["keytool", "-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
         "-dname", "CN=some other CA", "-ext", "bc:c", *common],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["keytool", "-exportcert", "-rfc", "-alias", "ca", "-file", str(pem), *common],
        check=True, capture_output=True,
    )  # fmt: skip
    return pem


async def _create_topics(broker: SecureBroker) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap, **broker.client())
    await admin.start()
    try:
        names = [n for names in CASES.values() for n in names.topics.values()]
        names.append(f"sec-{TAG}-not-granted")
        response = await admin.create_topics([NewTopic(n, 3, 1) for n in names])
        assert all(err[1] == 0 for err in response.topic_errors), response
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """The secured broker, its topics created by the admin and the daemon's ACLs granted."""
    state = tmp_path_factory.mktemp("kafka-secure")
    port = _free_port()
    broker = SecureBroker(
        bootstrap=f"127.0.0.1:{port}",
        cafile=state / "tls" / "ca.pem",
        untrusted_cafile=_other_ca(tmp_path_factory.mktemp("other-ca")),
        admin_password=secrets.token_urlsafe(18),
        daemon_password=secrets.token_urlsafe(18),
    )
    env = {
        **os.environ,
        "KAFKA_STATE_DIR": str(state),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(_free_port()),
        "KAFKA_ADMIN_PASSWORD": broker.admin_password,
        "KAFKA_DAEMON_USER": DAEMON_USER,
        "KAFKA_DAEMON_PASSWORD": broker.daemon_password,
        "KAFKA_STOP_TIMEOUT": "20",
    }
    try:
        _sh(env, "up")
        # a private loop: asyncio.run() would unset pytest-asyncio's current loop on exit
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_create_topics(broker))
        finally:
            loop.close()
        grant: list[str] = []
        for names in CASES.values():
            t = names.topics
            grant += ["--input", t["input"], "--transactional-id", names.transactional_id]
            if names.case != "no-group-acl":
                grant += ["--group", names.group]
            outputs = ["alerts", "dead_letter"]
            if names.case != "no-write-acl":
                outputs.append("results")
            for key in outputs:
                grant += ["--output", t[key]]
        _sh(env, "grant", "--user", DAEMON_USER, *grant)
        yield broker
    finally:
        _sh(env, "down")


def _config(
    broker: SecureBroker,
    names: Names,
    tmp_path: Path,
    guarantee: str = "at_least_once",
    **kafka: Any,
) -> Path:
    root = tmp_path / "registry"
    make_registry(root)
    cfg = base_config(broker.bootstrap, root, names.topics)
    cfg["kafka"].update(
        group_id=names.group,
        instance_id=INSTANCE,
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=DAEMON_USER,
        ssl_cafile=str(broker.cafile),
        connect_retries=2,
    )
    cfg["kafka"].update(kafka)
    cfg["topics"]["create_missing"] = False  # the daemon's user may not create topics
    # scoring in threads: starts faster, and scoring processes never talk to the broker
    cfg["processing"].update(executor="thread", processing_guarantee=guarantee)
    cfg["logging"]["level"] = "debug"  # every aiokafka line too, for the secret check
    return write_config(tmp_path / "c.toml", **cfg)


def _daemon(config: Path, tmp_path: Path, password: str) -> Daemon:
    # the password only through the environment, as in production
    return Daemon(config, tmp_path / "d.log", env={"NEO_STREAMER_KAFKA__SASL_PASSWORD": password})


def _assert_no_secret(daemon: Daemon, broker: SecureBroker, *also: str) -> None:
    text = daemon.log_path.read_bytes()
    assert text, "the daemon logged nothing"
    for secret in (broker.daemon_password, broker.admin_password, *also):
        assert secret.encode() not in text, "a password reached the log"


def _refusal(daemon: Daemon) -> dict[str, Any]:
    found = daemon.events("broker refused access")
    assert found, daemon.tail()
    event = found[-1]
    assert event["level"] == "error" and event["exit_code"] == EXIT_ACCESS
    return event


async def test_client_without_credentials_is_refused(secure_broker: SecureBroker) -> None:
    broker = secure_broker
    no_tls = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=5000)
    tls_only = AIOKafkaAdminClient(
        bootstrap_servers=broker.bootstrap,
        request_timeout_ms=5000,
        security_protocol="SSL",
        ssl_context=create_ssl_context(cafile=str(broker.cafile)),
    )
    for client in (no_tls, tls_only):
        with pytest.raises(KafkaConnectionError):
            await client.start()
        await client.close()
    # the same broker answers a client with credentials
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap, **broker.client())
    await admin.start()
    try:
        assert CASES["alo"].topic("in") in await admin.list_topics()
    finally:
        await admin.close()


async def test_the_daemons_user_may_do_nothing_more(secure_broker: SecureBroker) -> None:
    """Least privilege, checked from the daemon user's side: it sees only the topics granted
    to it, may not create topics, and may not read what it only writes."""
    broker = secure_broker
    names = CASES["alo"]
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap, **broker.client(DAEMON_USER))
    await admin.start()
    try:
        visible = set(await admin.list_topics())
        assert f"sec-{TAG}-not-granted" not in visible
        assert set(names.topics.values()) <= visible
        response = await admin.create_topics([NewTopic(f"sec-{TAG}-new", 1, 1)])
        assert response.topic_errors[0][1] == TopicAuthorizationFailedError.errno
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap, enable_auto_commit=False, **broker.client(DAEMON_USER)
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(names.topic("res"), 0)])
        await consumer.seek_to_beginning()
        with pytest.raises(TopicAuthorizationFailedError):
            for _ in range(20):
                await consumer.getmany(timeout_ms=500)
    finally:
        await consumer.stop()


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
async def test_daemon_works_through_tls_and_scram_with_least_privilege(
    tmp_path: Path, secure_broker: SecureBroker, guarantee: str
) -> None:
    broker = secure_broker
    names = CASES["alo" if guarantee == "at_least_once" else "eos"]
    config = _config(broker, names, tmp_path, guarantee)
    daemon = _daemon(config, tmp_path, broker.daemon_password).start()
    try:
        daemon.wait_event("daemon started")
        placed = await produce(
            broker.bootstrap,
            names.topic("in"),
            [(None, v) for v in sample_records(300)],
            **broker.client(),
        )
        results = await read_topic(
            broker.bootstrap,
            names.topic("res"),
            until=covers(set(placed)),
            within=120,
            read_committed=guarantee == "exactly_once",
            **broker.client(),
        )
        got = list(sources(results))
        assert set(placed) <= set(got)
        if guarantee == "exactly_once":
            assert len(got) == len(set(got)), "an input scored twice under read_committed"
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(60) == 0, daemon.tail()
        assert not daemon.events("broker refused access")
        _assert_no_secret(daemon, broker)
    finally:
        daemon.stop()


async def test_wrong_password_exits_6_naming_the_user(
    tmp_path: Path, secure_broker: SecureBroker
) -> None:
    wrong = "Wr0ng-" + secrets.token_urlsafe(12)
    config = _config(secure_broker, CASES["password"], tmp_path)
    daemon = _daemon(config, tmp_path, wrong).start()
    try:
        assert daemon.wait(120) == EXIT_ACCESS, daemon.tail()
        event = _refusal(daemon)
        assert event["cause"] == "authentication"
        assert "SCRAM-SHA-512 authentication failed" in event["error"]
        assert repr(DAEMON_USER) in event["error"]
        assert not daemon.events("broker unreachable, retrying"), "a refusal is not retried"
        _assert_no_secret(daemon, secure_broker, wrong)
    finally:
        daemon.stop()


async def test_untrusted_certificate_exits_6_naming_the_ca_file(
    tmp_path: Path, secure_broker: SecureBroker
) -> None:
    broker = secure_broker
    config = _config(broker, CASES["untrusted"], tmp_path, ssl_cafile=str(broker.untrusted_cafile))
    daemon = _daemon(config, tmp_path, broker.daemon_password).start()
    try:
        assert daemon.wait(120) == EXIT_ACCESS, daemon.tail()
        event = _refusal(daemon)
        assert event["cause"] == "tls"
        assert "certificate is not trusted" in event["error"]
        assert str(broker.untrusted_cafile) in event["error"]
        _assert_no_secret(daemon, broker)
    finally:
        daemon.stop()


@pytest.mark.parametrize("missing", ["no-group-acl", "no-write-acl"])
async def test_missing_acl_exits_6_naming_the_resource(
    tmp_path: Path, secure_broker: SecureBroker, missing: str
) -> None:
    broker = secure_broker
    names = CASES[missing]
    config = _config(broker, names, tmp_path)
    daemon = _daemon(config, tmp_path, broker.daemon_password).start()
    try:
        # no-write-acl: the results topic is invisible to the daemon's user (no Describe
        # either), which is said as such at start, not taken for a missing topic
        assert daemon.wait(120) == EXIT_ACCESS, daemon.tail()
        event = _refusal(daemon)
        assert event["cause"] == "authorization"
        assert f"User:{DAEMON_USER}" in event["error"]
        if missing == "no-group-acl":
            assert f"group {names.group}" in event["error"]
        else:
            assert f"topic {names.topic('res')}" in event["error"]
        _assert_no_secret(daemon, broker)
    finally:
        daemon.stop()
