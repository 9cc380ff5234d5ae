"""docker-compose.yml and Dockerfile, checked by parsing: what Docker users get.

The images themselves are built and run with podman in tests/integration/test_container.py.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    svc: dict[str, dict[str, Any]] = compose["services"]
    return svc


@pytest.fixture(scope="module")
def config_toml() -> dict[str, Any]:
    with (ROOT / "config.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """Dockerfile instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = (ln.strip() for ln in text.splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


def _copy_sources(dockerfile: list[str]) -> set[str]:
    """The build-context paths that COPY instructions read (flags such as --chown skipped;
    copies from a build stage read no context)."""
    sources: set[str] = set()
    for line in dockerfile:
        if line.startswith("COPY ") and " --from=" not in line:
            args = shlex.split(line)[1:]
            sources |= {s.rstrip("/") for s in args[:-1] if not s.startswith("--")}
    return sources


def test_services_are_the_five_expected(services: dict[str, dict[str, Any]]) -> None:
    default = {name for name, svc in services.items() if not svc.get("profiles")}
    assert default == {"kafka", "kafka-init", "neo-streamer", "feeder", "alerts"}
    # Prometheus and Grafana only with `--profile monitoring` (tests/unit/test_monitoring.py)
    assert {name: svc.get("profiles") for name, svc in services.items() if name not in default} == {
        "prometheus": ["monitoring"],
        "grafana": ["monitoring"],
    }


def test_kafka_is_the_official_image_in_kraft_single_node_mode(
    services: dict[str, dict[str, Any]],
) -> None:
    kafka = services["kafka"]
    # The official image unless KAFKA_IMAGE names another (the one `make container-image` builds).
    assert re.fullmatch(r"\$\{KAFKA_IMAGE:-apache/kafka:4\.\d+\.\d+\}", kafka["image"])
    assert services["kafka-init"]["image"] == kafka["image"]
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_NODE_ID"] == "1"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert "ZOOKEEPER" not in " ".join(env)
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    # Transactions (exactly-once) need the transaction state log to fit on one node.
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[key] == "1", key
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    # A KRaft cluster id is 16 bytes in base64url without padding.
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])


def test_broker_and_daemon_have_real_health_checks(services: dict[str, dict[str, Any]]) -> None:
    broker_check = " ".join(services["kafka"]["healthcheck"]["test"])
    assert "kafka-broker-api-versions.sh --bootstrap-server kafka:9092" in broker_check
    # The daemon's is the image's HEALTHCHECK (a compose-level list form is mangled by
    # podman-compose 1.0.3): depends_on service_healthy uses it.
    assert "healthcheck" not in services["neo-streamer"]


def test_start_order_follows_health(services: dict[str, dict[str, Any]]) -> None:
    conditions = {
        name: {dep: spec["condition"] for dep, spec in svc.get("depends_on", {}).items()}
        for name, svc in services.items()
    }
    assert conditions == {
        "kafka": {},
        "kafka-init": {"kafka": "service_healthy"},
        "neo-streamer": {
            "kafka": "service_healthy",
            "kafka-init": "service_completed_successfully",
        },
        "feeder": {"neo-streamer": "service_healthy"},
        "alerts": {"neo-streamer": "service_healthy"},
        "prometheus": {"neo-streamer": "service_healthy"},
        "grafana": {"prometheus": "service_started"},
    }


def test_topic_creation_matches_config_toml(
    services: dict[str, dict[str, Any]], config_toml: dict[str, Any]
) -> None:
    script = services["kafka-init"]["command"][0]
    loop = re.search(r"for topic in ([^;]+);", script)
    assert loop is not None
    topics = config_toml["topics"]
    assert loop.group(1).split() == [
        topics["input"],
        topics["results"],
        topics["alerts"],
        topics["dead_letter"],
    ]
    assert f"--partitions {topics['partitions']}" in script
    assert "--if-not-exists" in script
    assert services["kafka-init"]["restart"] == "no"


def test_daemon_runs_the_image_command_read_only_with_its_state_volume(
    services: dict[str, dict[str, Any]], compose: dict[str, Any]
) -> None:
    daemon = services["neo-streamer"]
    assert daemon["build"] == {
        "context": ".",
        "args": {"BASE_IMAGE": "${BASE_IMAGE:-debian:bookworm-slim}"},
    }
    assert "command" not in daemon  # the image's own: `neo-streamer run`, configured by env
    env = daemon["environment"]
    assert env["NEO_STREAMER_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["NEO_STREAMER_HTTP__HOST"] == "0.0.0.0"
    assert env["NEO_STREAMER_HTTP__PORT"] == "8080"
    assert "127.0.0.1:8080:8080" in daemon["ports"]
    assert daemon["read_only"] is True
    assert daemon["tmpfs"] == ["/tmp"]
    assert daemon["volumes"] == ["neo-streamer-state:/var/lib/neo-streamer"]
    assert "neo-streamer-state" in compose["volumes"]


def test_environment_names_are_real_config_keys(
    services: dict[str, dict[str, Any]], config_toml: dict[str, Any]
) -> None:
    """Every NEO_STREAMER_<SECTION>__<KEY> in the compose file names a key of config.toml."""
    for name, svc in services.items():
        for var in svc.get("environment", {}):
            if not var.startswith("NEO_STREAMER_"):
                continue
            section, _, key = var.removeprefix("NEO_STREAMER_").lower().partition("__")
            assert key in config_toml.get(section, {}), f"{name}: {var}"


def test_feeder_and_tail_use_the_daemon_image(services: dict[str, dict[str, Any]]) -> None:
    image = services["neo-streamer"]["image"]
    for name, sub in (("feeder", "produce"), ("alerts", "tail")):
        svc = services[name]
        assert svc["image"] == image
        assert svc["pull_policy"] == "never"
        assert svc["command"][:2] == ["neo-streamer", sub]
        assert svc["environment"]["NEO_STREAMER_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert services["feeder"]["command"][-2:] == ["--input", "sample"]
    assert "--alerts" in services["alerts"]["command"]


def test_dockerfile_key_lines(dockerfile: list[str], config_toml: dict[str, Any]) -> None:
    froms = [ln for ln in dockerfile if ln.startswith("FROM ")]
    # Two stages on the same base (a build argument): the compiler stays in the first.
    assert froms == ["FROM ${BASE_IMAGE} AS build", "FROM ${BASE_IMAGE}"]
    assert "ARG BASE_IMAGE=localhost/neo-streamer-base:bookworm" in dockerfile
    users = [ln.split()[1] for ln in dockerfile if ln.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert {"data", "models", "config.toml", "core", "streamer", "pyproject.toml"} <= (
        _copy_sources(dockerfile)
    )
    assert 'ENTRYPOINT ["/usr/bin/tini", "--"]' in dockerfile
    assert dockerfile[-1] == 'CMD ["neo-streamer", "run"]'
    assert 'VOLUME ["/var/lib/neo-streamer"]' in dockerfile
    health = next(ln for ln in dockerfile if ln.startswith("HEALTHCHECK "))
    assert "/healthz" in health and "NEO_STREAMER_HTTP__PORT" in health
    # Every NEO_STREAMER_<SECTION>__<KEY> the image sets names a key of config.toml.
    env = " ".join(ln for ln in dockerfile if ln.startswith("ENV "))
    for section, key in re.findall(r"NEO_STREAMER_([A-Z]+)__([A-Z_]+)=", env):
        assert key.lower() in config_toml[section.lower()], f"{section}__{key}"
    assert "NEO_STREAMER_MODEL__PATH=/app/models" in env
    assert "NEO_STREAMER_CONFIG=/app/config.toml" in env


def test_dockerignore_keeps_what_the_image_copies(dockerfile: list[str]) -> None:
    patterns = [
        ln.strip()
        for ln in (ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert {".venv", ".kafka", ".git"} <= set(patterns)
    for source in _copy_sources(dockerfile):
        assert not any(fnmatch.fnmatch(source, p) for p in patterns), source
