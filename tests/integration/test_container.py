"""The daemon as it ships: the container images built and run with podman.

``tools/container/build.sh`` builds the Debian base (debootstrap), the broker image (the Maven
jars of ``tools/kafka``) and the daemon image (``Dockerfile``). A broker container on free
loopback ports (never the shared 9092) and the daemon container, configured by
``NEO_STREAMER_*`` variables alone with the bundled model, on a read-only root filesystem with
its state volume; the sample is fed by the image's own ``neo-streamer produce``. Then
``podman stop`` (SIGTERM through tini) must exit 0 with every input's offset committed, and
``podman kill`` (SIGKILL) mid-stream then ``podman start`` must lose nothing.

Skipped, with the reason, only where no container engine can run (no podman, not root);
``make container-deps`` installs podman, runc and debootstrap on Debian. ``make
container-test`` runs this file alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import reliability_report as report
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from daemon_harness import read_to_end

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "tools" / "container" / "build.sh"
# runc (crun fails on these machines' cgroups), cgroupfs (no systemd), explicit ulimits (the
# defaults are refused), the host's network (the broker container listens on loopback).
PODMAN = ("podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs")
RUN_FLAGS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000", "--network", "host")
DAEMON_IMAGE = "neo-streamer:latest"
BROKER_IMAGE = "neo-streamer-kafka:latest"
# matplotlib is a runtime dependency since the object pages (core/report): not a training one
TRAIN_EXTRA = ("torch", "optuna", "tqdm")
PARTITIONS = 3


def _engine_problem() -> str | None:
    """Why no container can run here, or None when podman can."""
    if shutil.which("podman") is None:
        return "podman is not installed (make container-deps installs it on Debian)"
    if os.geteuid() != 0:
        return "podman runs containers here as root only (rootless needs subuid set-up)"
    probe = subprocess.run(
        [*PODMAN, "info"], capture_output=True, text=True, timeout=120, check=False
    )
    if probe.returncode != 0:
        lines = probe.stderr.strip().splitlines() or ["no output"]
        return f"podman cannot run here: {lines[-1]}"
    return None


_PROBLEM = _engine_problem()
pytestmark = [
    pytest.mark.skipif(_PROBLEM is not None, reason=_PROBLEM or ""),
    pytest.mark.slow,
    # A cold build (debootstrap, apt, pip with ASSIST compiled) takes minutes on 2 cores.
    pytest.mark.timeout(2400),
]


@pytest.fixture(autouse=True)
def _daemon_topics_deleted() -> None:
    """Replaces the integration conftest's fixture of that name: these tests use their own broker
    container (and delete it), never the session's broker."""


def podman(*args: str, check: bool = True, timeout: float = 300) -> str:
    """Run ``podman ARGS`` with this machine's flags; its stdout (stripped)."""
    proc = subprocess.run(
        [*PODMAN, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} -> {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def state(container: str) -> dict[str, object]:
    out: dict[str, object] = json.loads(podman("inspect", "--format", "{{json .State}}", container))
    return out


def wait_exited(container: str, within: float) -> int:
    """The container's exit code once it has stopped."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        st = state(container)
        if st["Status"] in {"exited", "stopped"}:
            return int(str(st["ExitCode"]))
        time.sleep(0.5)
    raise AssertionError(f"{container} still running after {within} s")


def wait_healthy(container: str, within: float) -> None:
    """Until the image's own HEALTHCHECK passes (``podman healthcheck run``)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if state(container)["Status"] != "running":
            raise AssertionError(f"{container} exited:\n{podman('logs', container)[-3000:]}")
        check = subprocess.run(
            [*PODMAN, "healthcheck", "run", container],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if check.returncode == 0:
            return
        time.sleep(1)
    raise AssertionError(
        f"{container} not healthy in {within} s:\n{podman('logs', container)[-3000:]}"
    )


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The base, broker and daemon images (cached layers: seconds when nothing changed)."""
    log = tmp_path_factory.mktemp("build") / "build.log"
    with log.open("w") as fh:
        code = subprocess.run(["bash", str(BUILD), "all"], stdout=fh, stderr=fh, check=False)
    text = log.read_text()
    assert code.returncode == 0, text[-4000:]
    print("\n".join(ln for ln in text.splitlines() if ln.startswith(("build.sh:", "base.sh:"))))
    yield


@dataclass
class Broker:
    name: str
    bootstrap: str


@pytest.fixture(scope="module")
def broker(images: None) -> Iterator[Broker]:
    """A broker container on free loopback ports; removed at the end."""
    port, controller = free_port(), free_port()
    name = f"neo-ct-kafka-{uuid.uuid4().hex[:8]}"
    podman(
        *("run", "-d", "--name", name, *RUN_FLAGS),
        *("-e", f"KAFKA_PORT={port}", "-e", f"KAFKA_CONTROLLER_PORT={controller}"),
        BROKER_IMAGE,
    )
    try:
        wait_healthy(name, 180)
        yield Broker(name, f"127.0.0.1:{port}")
    finally:
        podman("rm", "-f", "-v", "-t", "5", name, check=False)


async def create_topics(bootstrap: str, tag: str) -> dict[str, str]:
    topics = {
        "input": f"in-{tag}",
        "results": f"res-{tag}",
        "alerts": f"alr-{tag}",
        "dead_letter": f"dlq-{tag}",
    }
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics.values()]
        )
    finally:
        await admin.close()
    return topics


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(tps)
        return {tp.partition: off for tp, off in ends.items()}
    finally:
        await consumer.stop()


async def committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}
    finally:
        await admin.close()


def all_sources(ends: dict[int, int], start: dict[int, int]) -> set[tuple[int, int]]:
    return {(p, o) for p, end in ends.items() for o in range(start.get(p, 0), end)}


def feed_sample(bootstrap: str, topic: str) -> str:
    """The image's own ``neo-streamer produce --input sample`` (no tqdm in the image)."""
    return podman(
        *("run", "--rm", *RUN_FLAGS, DAEMON_IMAGE),
        *("neo-streamer", "produce", "--input", "sample", "--topic", topic),
        *("--bootstrap-servers", bootstrap),
        timeout=300,
    )


def test_the_image_is_small_non_root_and_has_no_training_stack(images: None) -> None:
    inspect = json.loads(podman("image", "inspect", DAEMON_IMAGE))[0]
    config = inspect["Config"]
    size_mb = inspect["Size"] / 1e6
    print(f"\n{DAEMON_IMAGE}: {size_mb:.0f} MB")
    assert config["User"] == "neo"
    assert config["Entrypoint"] == ["/usr/bin/tini", "--"]
    assert config["Cmd"] == ["neo-streamer", "run"]
    assert "/var/lib/neo-streamer" in config["Volumes"]
    assert "/healthz" in " ".join(inspect["Healthcheck"]["Test"])
    version = podman(
        "run", "--rm", *RUN_FLAGS, DAEMON_IMAGE, "python", "-c",
        "import importlib.metadata as m; print(m.version('neo-streamer'))",
    )  # fmt: skip
    assert f"neo-streamer:{version}" in {t.removeprefix("localhost/") for t in inspect["RepoTags"]}
    found = podman(
        "run", "--rm", *RUN_FLAGS, DAEMON_IMAGE, "python", "-c",
        "import importlib.util as u, sys; "
        f"print(','.join(m for m in {TRAIN_EXTRA!r} if u.find_spec(m)))",
    )  # fmt: skip
    assert found == ""
    # The GPL text travels with the code (ASSIST and REBOUND are GPL-3).
    licence = podman("run", "--rm", *RUN_FLAGS, DAEMON_IMAGE, "head", "-1", "/app/LICENSE")
    assert "GNU GENERAL PUBLIC LICENSE" in licence
    train = subprocess.run(
        [*PODMAN, "run", "--rm", *RUN_FLAGS, DAEMON_IMAGE, "neo-streamer", "train"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert train.returncode == 2
    assert "pip install 'neo-streamer[train]'" in train.stderr


async def test_stop_drains_and_commits_and_kill_then_restart_loses_nothing(
    broker: Broker, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:10]
    topics = await create_topics(broker.bootstrap, tag)
    group, http_port = f"g-{tag}", free_port()
    name, volume = f"neo-ct-daemon-{tag}", f"neo-ct-state-{tag}"
    env = {
        "NEO_STREAMER_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap,
        "NEO_STREAMER_KAFKA__GROUP_ID": group,
        "NEO_STREAMER_TOPICS__INPUT": topics["input"],
        "NEO_STREAMER_TOPICS__RESULTS": topics["results"],
        "NEO_STREAMER_TOPICS__ALERTS": topics["alerts"],
        "NEO_STREAMER_TOPICS__DEAD_LETTER": topics["dead_letter"],
        "NEO_STREAMER_HTTP__PORT": str(http_port),
    }
    env_flags = [f for key, value in env.items() for f in ("-e", f"{key}={value}")]
    podman(
        *("create", "--name", name, *RUN_FLAGS, "--read-only"),
        *("-v", f"{volume}:/var/lib/neo-streamer", *env_flags, DAEMON_IMAGE),
    )
    try:
        # 1. Start, feed the sample, every input scored: then SIGTERM.
        podman("start", name)
        wait_healthy(name, 180)
        await _wait_ready(http_port, within=120)
        produced = feed_sample(broker.bootstrap, topics["input"])
        assert produced.startswith("produced 3155 records")
        acc, first_ends = await _stop_once_covered(name, broker.bootstrap, topics, group, {})
        report.add_row(
            "container-sigterm",
            "container",
            "`podman stop` (SIGTERM)",
            acc,
            f"the sample ({acc.sent:,} inputs, 3 partitions) fed by the image's `produce`; "
            "`podman stop` exited 0 with every input's offset committed",
        )

        # 2. Restart; feed the sample again at 250 records/s from a feeder container; SIGKILL
        # the daemon while the feed runs; start it again on the same volume.
        podman("start", name)
        wait_healthy(name, 180)
        await _wait_ready(http_port, within=120)
        feeder = f"neo-ct-feeder-{tag}"
        podman(
            *("run", "-d", "--name", feeder, *RUN_FLAGS, DAEMON_IMAGE),
            *("neo-streamer", "produce", "--input", "sample", "--topic", topics["input"]),
            *("--bootstrap-servers", broker.bootstrap, "--rate", "250"),
        )
        try:
            # every offset the second feed can take (the sample has 3,155 records)
            upcoming = {(p, o) for p, end in first_ends.items() for o in range(end, end + 3155)}
            at_kill = await _wait_covering(broker.bootstrap, topics, upcoming, 500)
            podman("kill", name)
            assert wait_exited(name, 60) == 137  # 128 + SIGKILL
            podman("start", name)
            assert wait_exited(feeder, 120) == 0, podman("logs", feeder)[-2000:]
        finally:
            podman("rm", "-f", "-v", feeder, check=False)
        wait_healthy(name, 180)
        acc2, _ = await _stop_once_covered(name, broker.bootstrap, topics, group, first_ends)
        report.add_row(
            "container-sigkill",
            "container",
            "`podman kill` (SIGKILL) mid-stream, `podman start`",
            acc2,
            f"the sample again ({acc2.sent:,} inputs) fed at 250/s by a feeder container; "
            f"SIGKILL with {at_kill:,} of them scored (exit 137), restarted on the same state "
            "volume while the feed went on; at-least-once: the outputs of inputs scored but "
            "not yet committed come twice",
        )
    finally:
        podman("rm", "-f", "-v", "-t", "5", name, check=False)
        podman("volume", "rm", "-f", volume, check=False)


async def _stop_once_covered(
    name: str, bootstrap: str, topics: dict[str, str], group: str, start: dict[int, int]
) -> tuple[report.Account, dict[int, int]]:
    """Once every input from ``start`` to the input topic's end has an output, ``podman stop``
    (SIGTERM): it must exit 0 with every input's offset committed. The inputs' account (none
    lost) and the end offsets."""
    ends = await end_offsets(bootstrap, topics["input"])
    wanted = all_sources(ends, start)
    outputs = await _outputs(bootstrap, topics, wanted, within=300)
    podman("stop", "-t", "30", name, timeout=60)
    assert wait_exited(name, 60) == 0, podman("logs", name)[-3000:]
    assert await committed(bootstrap, group, topics["input"]) == ends
    acc = report.account(wanted, *outputs)
    assert acc.lost == 0
    return acc, ends


async def _wait_ready(port: int, within: float) -> None:
    """Until ``/readyz`` answers 200 (model loaded, broker reachable, group joined)."""
    deadline = time.monotonic() + within
    while True:
        try:
            answer = await asyncio.to_thread(
                urllib.request.urlopen, f"http://127.0.0.1:{port}/readyz", timeout=10
            )
            if answer.status == 200:
                return
        except urllib.error.HTTPError as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"/readyz still {exc.code} after {within} s") from exc
        await asyncio.sleep(0.5)


async def _outputs(
    bootstrap: str, topics: dict[str, str], wanted: set[tuple[int, int]], within: float
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The sources of every result and dead letter, once together they cover ``wanted``."""
    tally = await report.Tally(
        bootstrap, [topics["results"], topics["dead_letter"]], read_committed=False
    ).start()
    try:
        await tally.wait_covering(wanted, len(wanted), within=within)
    finally:
        await tally.stop()
    results = await read_to_end(bootstrap, topics["results"], PARTITIONS)
    dead = await read_to_end(bootstrap, topics["dead_letter"], PARTITIONS)
    return report.sources_of(r.value for r in results), report.sources_of(r.value for r in dead)


async def _wait_covering(
    bootstrap: str, topics: dict[str, str], wanted: set[tuple[int, int]], count: int
) -> int:
    """Until ``count`` of ``wanted`` have an output; how many have one then."""
    tally = await report.Tally(
        bootstrap, [topics["results"], topics["dead_letter"]], read_committed=False
    ).start()
    try:
        await tally.wait_covering(wanted, count, within=180)
        return tally.covered(wanted)
    finally:
        await tally.stop()
