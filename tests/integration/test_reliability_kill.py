"""SIGKILL at seeded random points of a large stream, the daemon restarted after each kill.

At-least-once: every input offset ends with a result or a dead letter. Exactly-once: also, a
``read_committed`` reader sees no input with two outputs. The normal suite runs 5,000 records
with 5 kills per guarantee; ``make soak`` runs 100,000 records with 8 kills.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from daemon_harness import Daemon, base_config, make_registry, new_topics, produce, write_config
from reliability_report import Account, Tally, account, add_row, sources_of

TopicFactory = Callable[..., Awaitable[str]]
Reader = Callable[..., Awaitable[list[Any]]]

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SEED = 20261126
_INVALID_EVERY = 997  # a sprinkling of invalid inputs: their dead letters count as outcomes


def _inputs(n: int) -> list[tuple[bytes | None, bytes]]:
    from daemon_harness import sample_records

    values = sample_records(n)
    for i in range(0, n, _INVALID_EVERY):
        values[i] = b'{"designation": "BROKEN", "orbit": {"e": -1}}'
    return [(None, v) for v in values]


async def _kill_and_restart(
    tmp_path: Path,
    kafka_bootstrap: str,
    topic_factory: TopicFactory,
    read_all: Reader,
    *,
    records: int,
    kills: int,
    exactly_once: bool,
) -> tuple[Account, int]:
    root = tmp_path / "registry"
    make_registry(root)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    cfg = base_config(kafka_bootstrap, root, topics)
    # batches big enough that the stream runs at the daemon's real pace
    cfg["processing"].update(batch_max_size=256, queue_max_size=4096)
    if exactly_once:
        cfg["processing"]["processing_guarantee"] = "exactly_once"
        cfg["kafka"].update(instance_id="eos-kill", transaction_timeout_ms=20000)
    config = write_config(tmp_path / "config.toml", **cfg)
    placed = await produce(kafka_bootstrap, topics["input"], _inputs(records))
    wanted = set(placed)
    rng = random.Random(SEED + exactly_once)
    # kill points: progress marks (inputs with an output) spread over the stream
    marks = sorted(rng.sample(range(records // 20, records * 9 // 10), kills))
    log = tmp_path / "daemon.log"
    daemon = Daemon(config, log).start()
    tally: Tally | None = None
    try:
        daemon.wait_event("partitions assigned", timeout=120)
        tally = await Tally(
            kafka_bootstrap, [topics["results"], topics["dead_letter"]], read_committed=exactly_once
        ).start()
        for mark in marks:
            # at least a little progress after each restart, so every kill hits a live stream
            target = min(len(wanted) - 1, max(mark, tally.covered(wanted) + records // 50))
            await tally.wait_covering(wanted, target, within=300)
            daemon.kill()
            daemon = Daemon(config, log).start()
        await tally.wait_covering(wanted, len(wanted), within=600)
    finally:
        daemon.stop()
        if tally is not None:
            await tally.stop()
    isolation = "read_committed" if exactly_once else "read_uncommitted"
    results = sources_of(r.value for r in await read_all(topics["results"], 3, isolation))
    letters = sources_of(r.value for r in await read_all(topics["dead_letter"], 3, isolation))
    return account(wanted, results, letters), len(range(0, records, _INVALID_EVERY))


async def _run_and_report(
    tmp_path: Path,
    kafka_bootstrap: str,
    topic_factory: TopicFactory,
    read_all: Reader,
    *,
    records: int,
    kills: int,
    exactly_once: bool,
    soak: bool,
) -> None:
    acc, invalid = await _kill_and_restart(
        tmp_path,
        kafka_bootstrap,
        topic_factory,
        read_all,
        records=records,
        kills=kills,
        exactly_once=exactly_once,
    )
    guarantee = "exactly-once" if exactly_once else "at-least-once"
    add_row(
        f"{'soak-' if soak else ''}sigkill-{guarantee}",
        "soak" if soak else "fault",
        f"SIGKILL ×{kills}, {guarantee}" + (f", {records // 1000}k" if soak else ""),
        acc,
        f"{records:,} inputs ({invalid} invalid) on 3 partitions; SIGKILL at {kills} seeded "
        "progress marks, restarted each time"
        + ("; counted with read_committed" if exactly_once else ""),
    )
    assert acc.lost == 0
    assert acc.dead_letters >= invalid
    if exactly_once:
        assert acc.duplicates == 0
        assert acc.results + acc.dead_letters == acc.sent
        assert acc.dead_letters == invalid


@pytest.mark.timeout(900)
@pytest.mark.parametrize("exactly_once", [False, True], ids=["at_least_once", "exactly_once"])
async def test_sigkill_at_random_points_loses_nothing(
    tmp_path: Path,
    kafka_bootstrap: str,
    topic_factory: TopicFactory,
    read_all: Reader,
    exactly_once: bool,
) -> None:
    await _run_and_report(
        tmp_path,
        kafka_bootstrap,
        topic_factory,
        read_all,
        records=5_000,
        kills=5,
        exactly_once=exactly_once,
        soak=False,
    )


@pytest.mark.soak
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("exactly_once", [False, True], ids=["at_least_once", "exactly_once"])
async def test_soak_100k_records_sigkill(
    tmp_path: Path,
    kafka_bootstrap: str,
    topic_factory: TopicFactory,
    read_all: Reader,
    exactly_once: bool,
) -> None:
    await _run_and_report(
        tmp_path,
        kafka_bootstrap,
        topic_factory,
        read_all,
        records=100_000,
        kills=8,
        exactly_once=exactly_once,
        soak=True,
    )
