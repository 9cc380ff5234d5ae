"""Accounting for the reliability tests, and the table they write to ``docs/reliability.md``.

Each reliability test counts, for every input offset it sent, the results and dead letters that
carry that offset as their ``source`` (:func:`account`), and adds one row (:func:`add_row`).
``tests/integration/conftest.py`` calls :func:`write_if_complete` when the session ends: the
document is rewritten only when every fault in :data:`REQUIRED` and at least one hostile-input
row were recorded and the session passed, so a partial run never replaces the committed table;
a passing container test (``make container-test``) replaces the container rows alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"

Source = tuple[int, int]  # (partition, offset) of an input
Section = Literal["fault", "input", "soak", "container", "state"]

# The fault rows the normal suite must produce before the document is rewritten.
REQUIRED = frozenset(
    {
        "sigkill-at-least-once",
        "sigkill-exactly-once",
        "broker-down",
        "broker-down-exactly-once",
        "output-over-size-limit",
        "output-over-size-limit-exactly-once",
        "output-topic-deleted",
        "output-alerts-dead-letter-deleted",
        "model-corrupt-at-start",
        "model-schema-at-start",
        "model-refused-at-reload",
        "slow-scoring",
    }
)


@dataclass(frozen=True)
class Account:
    """What happened to a set of inputs: each input must end with a result or a dead letter."""

    sent: int
    results: int  # result messages carrying one of the inputs as source
    dead_letters: int
    duplicates: int  # inputs with more than one output (result or dead letter)
    lost: int  # inputs with no output at all


@dataclass(frozen=True)
class Row:
    case: str
    section: Section
    label: str
    account: Account
    detail: str


ROWS: list[Row] = []


def account(
    sent: Iterable[Source], results: Iterable[Source], dead_letters: Iterable[Source]
) -> Account:
    """Count the outputs of the inputs ``sent`` (outputs of other inputs are ignored)."""
    wanted = set(sent)
    res = Counter(s for s in results if s in wanted)
    dlq = Counter(s for s in dead_letters if s in wanted)
    both = res + dlq
    return Account(
        sent=len(wanted),
        results=sum(res.values()),
        dead_letters=sum(dlq.values()),
        duplicates=sum(1 for n in both.values() if n > 1),
        lost=len(wanted - set(both)),
    )


def add_row(case: str, section: Section, label: str, acc: Account, detail: str = "") -> None:
    """Record one row of the table (replacing an earlier row of the same case)."""
    ROWS[:] = [r for r in ROWS if r.case != case]
    ROWS.append(Row(case, section, label, acc, detail))


def sources_of(values: Iterable[bytes | None]) -> list[Source]:
    """``(partition, offset)`` of each output's ``source``."""
    out = []
    for value in values:
        src = orjson.loads(value or b"null")["source"]
        out.append((int(src["partition"]), int(src["offset"])))
    return out


class Tally:
    """Follows output topics from the beginning and counts outputs per input source.

    Used to watch progress while faults are injected; the final accounting reads the topics
    again up to their end offsets.
    """

    def __init__(self, bootstrap: str, topics: list[str], *, read_committed: bool) -> None:
        self._bootstrap = bootstrap
        self._topics = topics
        self._isolation = "read_committed" if read_committed else "read_uncommitted"
        self.counts: Counter[Source] = Counter()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Tally:
        from daemon_harness import partitions_of

        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            isolation_level=self._isolation,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        tps = []
        for topic in self._topics:
            parts = await partitions_of(self._bootstrap, topic, 60)
            assert parts, f"topic {topic} never appeared"
            tps += [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning()
        self._consumer = consumer
        self._task = asyncio.create_task(self._follow())
        return self

    async def _follow(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=300)
            for messages in batch.values():
                self.counts.update(sources_of(m.value for m in messages))

    def covered(self, wanted: set[Source]) -> int:
        """How many of ``wanted`` have at least one output so far."""
        return sum(1 for s in wanted if self.counts[s] > 0)

    async def wait_covering(self, wanted: set[Source], at_least: int, within: float) -> None:
        """Wait until ``at_least`` of ``wanted`` have an output; AssertionError after ``within``."""
        deadline = time.monotonic() + within
        while self.covered(wanted) < at_least:
            if self._task is not None and self._task.done():
                self._task.result()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"only {self.covered(wanted)} of {at_least} inputs covered in {within}s"
                )
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


_HEAD = """\
# Reliability: faults survived, hostile input refused, nothing lost

Generated by the reliability tests themselves (`tests/integration/test_reliability*.py`,
`tests/integration/test_hostile_input.py`, rows written through
`tests/integration/reliability_report.py`) on a real Apache Kafka broker with real
`neo-streamer run` processes and the bundled model. Do not edit by hand: the table is rewritten
when the whole reliability set runs and passes (`make test`; `make soak` adds the 100,000-record
rows). Last run: {when}.

Every input offset is accounted for through the `source` every result and dead letter carries:
**sent** inputs, **results** and **dead letters** carrying one of them as source,
**duplicates** = inputs with more than one output, **lost** = inputs with no output at all.
Under exactly-once the outputs are read with `read_committed`; under at-least-once duplicates
after a crash are allowed (the outputs of records processed but not yet committed are
published again), losses never are. Under exactly-once a failed transaction is never retried
from memory: the producer is replaced and every owned partition is fetched again from the
committed offsets (`neo_streamer_transaction_restarts_total`). The broker-outage case needs
this: a single-replica broker stopping mid-stream once recorded a transaction as committed
without writing its commit markers, and its outputs were aborted with the next one.

Related evidence outside this table:

- Decoder/validator fuzzing: `tests/unit/core/contract/test_records_fuzz.py` (hypothesis, 10,500
  examples: random bytes, random JSON values, record-shaped objects, mutated JSON); every
  input either decodes or raises `RecordError` with a field and a reason.
- Model files load only after their sha256 matches the manifest, and only allow-listed types:
  `tests/unit/core/serving/test_registry.py` (flipped byte, missing artifact, other feature schema,
  type outside the skops allow-list with a matching hash).
- Security: `tests/unit/streamer/test_security.py` (SASL/SSL pass-through and configuration
  errors, secrets absent from `repr`, loopback bind, no write methods),
  `tests/integration/test_reliability_security.py` (a SASL password never in the daemon's
  logs) and `tests/integration/test_secure_broker.py` (a broker with TLS, SASL SCRAM-SHA-512
  and ACLs: the daemon works with least privilege in both delivery modes; a wrong password,
  an untrusted certificate and a missing ACL each exit 6 naming the cause; no password in any
  log line; a client without credentials refused).
"""


def _table(rows: list[Row]) -> list[str]:
    lines = [
        "| case | sent | results | dead letters | duplicates | lost | what was done |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        a = r.account
        lines.append(
            f"| {r.label} | {a.sent:,} | {a.results:,} | {a.dead_letters:,} | {a.duplicates:,} "
            f"| {a.lost:,} | {r.detail} |"
        )
    return lines


# Sections that only some runs produce (`make soak`; the container test, where podman runs):
# a run without them keeps the committed document's rows of them, with their dates.
_KEPT_SECTIONS = ("soak", "container", "state")
# Sections a run of their own tests rewrites alone (the rest of the document kept as it is).
_ALONE = frozenset(("container", "state"))


def render(rows: list[Row], when: str, dates: dict[str, str] | None = None) -> str:
    """The whole ``docs/reliability.md`` text; ``dates`` dates the soak and container rows
    (default: ``when``)."""
    dates = {section: (dates or {}).get(section) or when for section in _KEPT_SECTIONS}
    sections = ("fault", "soak", "container", "state", "input")
    by = {s: [r for r in rows if r.section == s] for s in sections}
    parts = [_HEAD.rstrip("\n").replace("{when}", when), "", "## Faults", ""]
    parts += _table(by["fault"])
    parts += ["", "## Soak (`make soak`)", ""]
    if not by["soak"]:
        parts += ["Not run yet (`make soak`)."]
    else:
        if dates["soak"] != when:
            parts += [f"From the last `make soak` run ({dates['soak']}).", ""]
        parts += _table(by["soak"])
    if by["container"]:
        parts += ["", "## Container (`make container-test`)", ""]
        parts += [
            "The daemon image and a broker image run with podman "
            "(`tests/integration/test_container.py`), configured by `NEO_STREAMER_*` variables "
            f"alone, read-only root filesystem, state volume; last run {dates['container']}.",
            "",
        ]
        parts += _table(by["container"])
    if by["state"]:
        parts += ["", "## Per-object state (observation streams)", ""]
        parts += [
            "`tests/integration/test_state_faults.py`: faults of the state of `[state]` "
            "(RocksDB stores and their changelog), counted in observations: **sent** "
            "observation messages, **results** the distinct observations the object states "
            "hold at the end (read from the changelog), **duplicates** observations held that "
            "were never sent, **lost** distinct observations sent that no state holds; "
            f"last run {dates['state']}.",
            "",
        ]
        parts += _table(by["state"])
    parts += ["", "## Hostile input", ""]
    parts += _table(by["input"])
    state = {
        "when": when,
        "soak_when": dates["soak"],
        "container_when": dates["container"],
        "rows": [asdict(r) for r in rows],
    }
    parts += ["", "<!-- rows: " + orjson.dumps(state).decode() + " -->", ""]
    return "\n".join(parts)


def _earlier() -> tuple[list[Row], dict[str, str]]:
    """The rows kept in the current document and their dates (``when`` and per section)."""
    if not DOC.is_file():
        return [], {}
    text = DOC.read_text(encoding="utf-8")
    marker = "<!-- rows: "
    if marker not in text:
        return [], {}
    state = orjson.loads(text.split(marker, 1)[1].split(" -->", 1)[0])
    rows = [
        Row(r["case"], r["section"], r["label"], Account(**r["account"]), r["detail"])
        for r in state["rows"]
    ]
    last_run = re.search(r"Last run: (.+?)\.\n", text)
    dates = {"when": state.get("when") or (last_run.group(1) if last_run else "")}
    dates |= {s: str(state.get(f"{s}_when") or "") for s in _KEPT_SECTIONS}
    return rows, dates


def write_if_complete(passed: bool) -> bool:
    """Rewrite :data:`DOC` when the session passed and either ran the full reliability set or
    the container or the state tests (which then replace only their own rows); returns whether."""
    cases = {r.case for r in ROWS}
    ran = {r.section for r in ROWS}
    full = cases >= REQUIRED and "input" in ran
    alone = ran & _ALONE
    if not passed or not (full or alone):
        return False
    now = (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    earlier, dates = _earlier()
    dates |= {section: now for section in ran}
    if full:
        when = now
        rows = list(ROWS)
        rows += [r for r in earlier if r.section in _KEPT_SECTIONS and r.section not in ran]
    else:
        when = dates.get("when") or now
        # this run's rows of those sections replace the same cases; the others are kept
        rows = [r for r in earlier if r.section not in alone or r.case not in cases]
        rows += [r for r in ROWS if r.section in alone]
    DOC.write_text(render(rows, when, dates), encoding="utf-8")
    return True
