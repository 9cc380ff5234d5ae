"""Scale-out: two daemons in one consumer group share a 6-partition topic; one dies, the other
takes over its partitions, and every input still gets a result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from daemon_harness import (
    Daemon,
    base_config,
    count_at_least,
    covers,
    make_registry,
    new_topics,
    produce,
    read_topic,
    sample_records,
    sources,
    write_config,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]


def _assigned(daemon: Daemon) -> set[int]:
    """Partitions the daemon owns according to its latest assignment log."""
    revoked: set[int] = set()
    owned: set[int] = set()
    for event in daemon.logs():
        if event.get("event") == "partitions assigned":
            owned |= {p for _, p in event["partitions"]}
        elif event.get("event") == "partitions revoked":
            revoked = {p for _, p in event["partitions"]}
            owned -= revoked
    return owned


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


async def test_two_daemons_split_partitions_and_survive_a_kill(
    tmp_path: Path, kafka_bootstrap: str, topic_factory: Callable[..., Awaitable[str]]
) -> None:
    root = tmp_path / "registry"
    make_registry(root)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=6, prefix="in")
    cfg: dict[str, dict[str, Any]] = base_config(kafka_bootstrap, root, topics)
    configs = []
    for name in ("a", "b"):
        cfg["kafka"]["instance_id"] = name
        configs.append(write_config(tmp_path / f"{name}.toml", **cfg))
    a = Daemon(configs[0], tmp_path / "a.log").start()
    b = Daemon(configs[1], tmp_path / "b.log").start()
    try:
        _wait_for(
            lambda: (
                len(_assigned(a)) + len(_assigned(b)) == 6
                and bool(_assigned(a))
                and bool(_assigned(b))
            ),
            90,
            "both daemons to own partitions",
        )
        share_a, share_b = _assigned(a), _assigned(b)
        assert share_a.isdisjoint(share_b)
        assert share_a | share_b == set(range(6))

        first = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(600)]
        )
        await read_topic(kafka_bootstrap, topics["results"], until=count_at_least(150))
        a.kill()
        second = await produce(
            kafka_bootstrap, topics["input"], [(None, v) for v in sample_records(600, 600)]
        )
        # the survivor takes over every partition
        _wait_for(lambda: _assigned(b) == set(range(6)), 60, "b to own all partitions")
        wanted = set(first) | set(second)
        results = await read_topic(
            kafka_bootstrap, topics["results"], until=covers(wanted), within=120
        )
        assert set(sources(results)) == wanted
        # both replicas produced results: partitions of each share are covered
        assert {p for p, _ in first} == set(range(6))
    finally:
        a.stop()
        b.stop()
