"""Fixtures for the integration tests: one real Kafka broker per session, uuid topics per test.

The broker, in order of preference:

1. ``KAFKA_BOOTSTRAP_SERVERS`` when set (``tools/run-tests.sh`` and CI set it);
2. a throw-away ``apache/kafka`` container through testcontainers, when a Docker engine
   actually answers a ping;
3. the project's local launcher, ``tools/kafka/kafka.sh acquire`` (official jars from Maven
   Central, KRaft, 127.0.0.1:9092); released at the end, which stops the broker only when
   no other session holds it and none of them found it already running.

Every test under ``tests/integration/`` is marked ``kafka`` and gets a default timeout.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import daemon_harness
import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, for_code

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = ROOT / "tools" / "kafka" / "kafka.sh"
# Same Kafka major version as the local launcher and docker-compose.yml.
KAFKA_IMAGE = "apache/kafka:4.1.1"
# Generous: the first test also pays for the broker start (and, on a fresh machine, the
# Maven fetch); a test that needs more sets its own ``pytest.mark.timeout``.
DEFAULT_TIMEOUT_S = 300
_TOPIC_READY_TIMEOUT_S = 30.0
_READ_DEADLINE_S = 60.0

TopicFactory = Callable[..., Awaitable[str]]
Records = list[ConsumerRecord[bytes, bytes]]
TopicReader = Callable[..., Awaitable[Records]]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``soak`` marker (long reliability runs, ``make soak``)."""
    config.addinivalue_line(
        "markers", "soak: long reliability run (100,000 records); only with -m soak (make soak)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every integration test ``kafka`` and give it a timeout unless it has one.

    ``soak`` tests are skipped unless the marker expression asks for them (``-m soak``).
    """
    here = Path(__file__).resolve().parent
    soak = "soak" in (config.option.markexpr or "")
    for item in items:
        if here not in item.path.resolve().parents:
            continue  # this hook sees the whole session's items, unit tests included
        item.add_marker(pytest.mark.kafka)
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT_S))
        if item.get_closest_marker("soak") is not None and not soak:
            item.add_marker(pytest.mark.skip(reason="soak test: run with -m soak (make soak)"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Rewrite docs/reliability.md when the whole reliability set ran and passed."""
    import reliability_report

    reliability_report.write_if_complete(passed=exitstatus == 0)


def _docker_answers() -> bool:
    """True when a Docker engine answers a ping within a few seconds."""
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False  # the common case here: no engine, and no need to load the SDK
    # A failed ping leaves the SDK's socket to the garbage collector; with warnings as
    # errors that ResourceWarning would surface in an unrelated test, so flush it here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            import docker  # type: ignore[import-untyped]  # testcontainers installs it

            client = docker.from_env(timeout=3)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except Exception:
            # No daemon, no permission, wrong DOCKER_HOST: all mean "no Docker here".
            return False
        finally:
            gc.collect()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _container_broker() -> Iterator[str]:
    """A single-node KRaft ``apache/kafka`` container, advertised on a fixed host port."""
    from testcontainers.core.container import DockerContainer

    port = _free_port()
    env = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{port}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS": "1000",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    }
    container = DockerContainer(KAFKA_IMAGE).with_bind_ports(9092, port)
    for key, value in env.items():
        container = container.with_env(key, value)
    bootstrap = f"127.0.0.1:{port}"
    with container:
        # A private loop: asyncio.run() would unset pytest-asyncio's current loop on exit.
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_wait_until_answers(bootstrap, timeout_s=120.0))
        finally:
            loop.close()
        yield bootstrap


async def _wait_until_answers(bootstrap: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1.0)
        finally:
            await admin.close()


def _kafka_sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(KAFKA_SH), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def _local_broker() -> Iterator[str]:
    """The local launcher's broker, held through a lease for this test session.

    Several sessions (engineers, CI steps) may share the broker: ``acquire`` starts it if
    needed, and the last ``release`` stops it only if a lease holder started it.
    """
    holder = str(os.getpid())
    up = _kafka_sh("acquire", holder)
    if up.returncode != 0:
        pytest.fail(
            f"tools/kafka/kafka.sh acquire failed:\n{up.stdout}\n{up.stderr}", pytrace=False
        )
    try:
        yield f"127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}"
    finally:
        _kafka_sh("release", holder)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers (``host:port[,...]``) of a real Kafka broker for this session."""
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if given:
        yield given
    elif _docker_answers():
        yield from _container_broker()
    else:
        yield from _local_broker()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, name: str, partitions: int) -> None:
    """Block until every partition of ``name`` has a leader, so producers never race it."""
    deadline = time.monotonic() + _TOPIC_READY_TIMEOUT_S
    while True:
        described = await admin.describe_topics([name])
        info = described[0] if described else {}
        parts = info.get("partitions") or []
        if (
            info.get("error_code", 1) == 0
            and len(parts) == partitions
            and all(p.get("leader", -1) >= 0 for p in parts)
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {name} has no leader for every partition: {info}")
        await asyncio.sleep(0.1)


@pytest.fixture(autouse=True)
async def _daemon_topics_deleted(kafka_bootstrap: str) -> AsyncIterator[None]:
    """After each test, delete the topics a daemon created under names from
    ``daemon_harness.new_topics`` (a test that deleted one itself is fine)."""
    yield
    if not daemon_harness.HANDED_OUT:
        return
    names = set(daemon_harness.HANDED_OUT)
    daemon_harness.HANDED_OUT.clear()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        await admin.start()
        existing = sorted(names & set(await admin.list_topics()))
        if existing:
            await admin.delete_topics(existing)
    except KafkaError:
        pass  # clean-up only: a broker a test left down keeps them
    finally:
        await admin.close()


@pytest.fixture
async def topic_factory(kafka_bootstrap: str) -> AsyncIterator[TopicFactory]:
    """Create uuid-named topics for one test; all of them are deleted at teardown.

    ``await topic_factory(partitions=1, prefix="t", config=None) -> str`` returns the name
    (``<prefix>-<32 hex>``); ``config`` is a mapping of topic configs such as
    ``{"max.message.bytes": "2000000"}``.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    created: list[str] = []

    async def create(
        partitions: int = 1, prefix: str = "t", config: dict[str, str] | None = None
    ) -> str:
        name = f"{prefix}-{uuid.uuid4().hex}"
        response = await admin.create_topics(
            [NewTopic(name, partitions, 1, topic_configs=dict(config or {}))]
        )
        # aiokafka returns the broker's per-topic error codes instead of raising them.
        for topic_error in response.topic_errors:
            if topic_error[1] != 0:
                raise for_code(topic_error[1])(f"creating topic {name}: {topic_error}")
        created.append(name)
        await _wait_for_leaders(admin, name, partitions)
        return name

    try:
        yield create
    finally:
        try:
            if created:
                await admin.delete_topics(created)
        except KafkaError:
            pass  # a test may delete its own topic (fault injection); nothing left to clean
        finally:
            await admin.close()


@pytest.fixture
def read_all(kafka_bootstrap: str) -> TopicReader:
    """``await read_all(topic, partitions, isolation_level="read_uncommitted")``: every record.

    Reads each partition from the beginning up to the end offsets taken at the start (the
    last stable offset under ``read_committed``), in partition then offset order.
    """

    async def read(
        topic: str, partitions: int, isolation_level: str = "read_uncommitted"
    ) -> Records:
        return await daemon_harness.read_to_end(
            kafka_bootstrap, topic, partitions, isolation_level, within=_READ_DEADLINE_S
        )

    return read
