"""Helpers for the daemon integration tests: config files, daemon subprocesses, feeding and
reading topics on the real broker, and accounting of every input offset."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

ROOT = Path(__file__).resolve().parents[2]
NEO_STREAMER = ROOT / ".venv" / "bin" / "neo-streamer"


def sample_records(n: int, offset: int = 0) -> list[bytes]:
    """``n`` real neo.v1 records from the bundled sample stream (cycled if needed)."""
    import gzip

    with gzip.open(ROOT / "data" / "sample_stream.jsonl.gz", "rb") as fh:
        lines = [line.strip() for line in fh if line.strip()]
    return [lines[(offset + i) % len(lines)] for i in range(n)]


def designation_of(value: bytes) -> bytes:
    return str(orjson.loads(value)["designation"]).encode()


def write_config(path: Path, **sections: dict[str, Any]) -> Path:
    """Write a TOML config from ``{section: {key: value}}`` (str, bool, int, float, list)."""

    def lit(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return orjson.dumps(v).decode()
        if isinstance(v, list | tuple):
            return "[" + ", ".join(lit(x) for x in v) + "]"
        return repr(v)

    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {lit(v)}" for k, v in values.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def base_config(
    bootstrap: str, model_path: Path, topics: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """A fast-reacting config for tests (short timeouts, small batches, ephemeral HTTP port)."""
    return {
        "kafka": {
            "bootstrap_servers": bootstrap,
            "group_id": f"g-{uuid.uuid4().hex[:10]}",
            "session_timeout_ms": 6000,
            "heartbeat_interval_ms": 1000,
            "commit_interval_ms": 200,
            "request_timeout_ms": 15000,
            "connect_retries": 3,
            "connect_backoff_s": 0.2,
            "probe_interval_s": 1.0,
        },
        "topics": {**topics, "partitions": 3},
        "model": {"path": str(model_path), "reload_interval_s": 0.5},
        "processing": {
            "workers": 2,
            "batch_max_size": 64,
            "batch_max_wait_ms": 20,
            "shutdown_grace_s": 10.0,
            "rebalance_drain_s": 3.0,
            "publish_retry_backoff_s": 0.2,
        },
        "http": {"port": 0},
        "logging": {"level": "info", "format": "json"},
    }


HANDED_OUT: list[str] = []
"""Topic names :func:`new_topics` gave out and nobody deleted yet. The daemon creates those
topics; the integration conftest deletes them after each test, or every run of the suite would
leave four more topics per test on a local broker that outlives it."""


def new_topics() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    topics = {
        "input": f"in-{tag}",
        "results": f"res-{tag}",
        "alerts": f"alr-{tag}",
        "dead_letter": f"dlq-{tag}",
    }
    HANDED_OUT.extend(topics.values())
    return topics


@dataclass
class Daemon:
    """A ``neo-streamer run`` subprocess whose JSON logs go to a file."""

    config: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        self._fh = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(NEO_STREAMER), "run", "--config", str(self.config)],
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, **self.env},
        )
        return self

    def logs(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_bytes().splitlines():
            with contextlib.suppress(orjson.JSONDecodeError):
                obj = orjson.loads(line)
                if isinstance(obj, dict):
                    out.append(obj)
        return out

    def events(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.logs() if e.get("event") == name]

    def wait_event(self, name: str, timeout: float = 90.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(name)
            if found:
                return found[-1]
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.tail()}")
            time.sleep(0.2)
        raise AssertionError(f"no {name!r} log within {timeout}s:\n{self.tail()}")

    def http_get(self, path: str) -> tuple[int, bytes]:
        port = self.wait_event("http listening")["port"]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                return int(r.status), bytes(r.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), bytes(exc.read())

    def maps(self) -> str:
        """The daemon process's memory map (``/proc/<pid>/maps``): which libraries it loaded."""
        assert self.proc is not None
        return Path(f"/proc/{self.proc.pid}/maps").read_text()

    def descendants(self) -> list[int]:
        """Every live process below the daemon (fork server, scoring processes, trackers)."""
        assert self.proc is not None
        out, todo = [], [self.proc.pid]
        while todo:
            for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
                with contextlib.suppress(OSError):
                    kids = [int(k) for k in (task / "children").read_text().split()]
                    out += kids
                    todo += kids
        return out

    async def wait_descendants(self, n: int, within: float = 60.0) -> list[int]:
        """Wait until at least ``n`` processes run below the daemon and return them."""
        deadline = time.monotonic() + within
        while len(below := self.descendants()) < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(below)} processes below the daemon after {within} s")
            await asyncio.sleep(0.2)
        return below

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.wait(10)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout)
        self._fh.close()
        return code

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._fh.close()

    def tail(self, n: int = 40) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


def parent_of(pid: int) -> int:
    """The parent process id of ``pid`` (``/proc/<pid>/stat``)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def alive(pids: Iterable[int]) -> list[int]:
    """The processes of ``pids`` still running (a zombie waiting to be reaped is gone)."""
    out = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.append(pid)
    return out


async def gone(pids: Iterable[int], within: float) -> bool:
    """Wait until none of ``pids`` runs; False when ``within`` seconds pass first."""
    deadline = time.monotonic() + within
    while alive(pids):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


async def produce(
    bootstrap: str,
    topic: str,
    messages: Iterable[tuple[bytes | None, bytes | None]],
    **security: Any,
) -> list[tuple[int, int]]:
    """Send ``(key, value)`` pairs; returns their ``(partition, offset)`` in order.
    ``security``: aiokafka's SASL/SSL keyword arguments, for a secured broker."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, **security)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k) for k, v in messages]
        metas = await asyncio.gather(*futures)
        return [(m.partition, m.offset) for m in metas]
    finally:
        await producer.stop()


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[dict[str, Any]]], bool],
    within: float = 60.0,
    read_committed: bool = False,
    **security: Any,
) -> list[dict[str, Any]]:
    """Read ``topic`` from the beginning (JSON values) until ``until(messages)`` or ``within``
    seconds have passed."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed" if read_committed else "read_uncommitted",
        **security,
    )
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + within
        parts = await partitions_of(bootstrap, topic, within, **security)
        if not parts:
            return out
        consumer.assign([TopicPartition(topic, p) for p in parts])
        await consumer.seek_to_beginning()
        while not until(out) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for m in messages:
                    obj = orjson.loads(m.value)
                    obj["_key"] = m.key
                    out.append(obj)
        return out
    finally:
        await consumer.stop()


async def read_to_end(
    bootstrap: str,
    topic: str,
    partitions: int,
    isolation_level: str = "read_uncommitted",
    *,
    within: float = 60.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic``: each partition from the beginning up to the end offsets
    taken at the start (the last stable offset under ``read_committed``), in partition then
    offset order; TimeoutError after ``within`` seconds."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level=isolation_level,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        got: dict[int, list[ConsumerRecord[bytes, bytes]]] = {p: [] for p in range(partitions)}
        deadline = time.monotonic() + within
        while True:
            positions = {tp: await consumer.position(tp) for tp in tps}
            if all(positions[tp] >= ends[tp] for tp in tps):
                return [r for p in range(partitions) for r in got[p]]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: stuck at {positions}, ends {ends}")
            batch = await consumer.getmany(*tps, timeout_ms=500)
            for tp, records in batch.items():
                got[tp.partition].extend(records)
    finally:
        await consumer.stop()


async def partitions_of(
    bootstrap: str, topic: str, within: float = 30.0, **security: Any
) -> set[int]:
    """Partition ids of ``topic`` (waits for the topic to exist, up to ``within`` seconds)."""
    deadline = time.monotonic() + within
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security)
    await producer.start()
    try:
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                parts = await asyncio.wait_for(producer.partitions_for(topic), 5)
                if parts:
                    return set(parts)
            await asyncio.sleep(0.5)
        return set()
    finally:
        await producer.stop()


def sources(messages: Iterable[dict[str, Any]]) -> Iterator[tuple[int, int]]:
    for m in messages:
        yield (m["source"]["partition"], m["source"]["offset"])


def count_at_least(n: int) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda msgs: len(msgs) >= n


def covers(wanted: set[tuple[int, int]]) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda msgs: wanted <= set(sources(msgs))


_MODEL: dict[str, Any] = {}


def trained_model() -> Any:
    """The bundled model (``models/``) when committed, else one trained quickly (cached)."""
    if "model" not in _MODEL:
        from core.serving.registry import load_model

        if (ROOT / "models" / "CURRENT").is_file():
            _MODEL["model"] = load_model(ROOT / "models")
        else:
            from core.training.pipeline import TrainingConfig, train

            cfg = TrainingConfig.quick_config(
                ROOT / "data" / "catalog.jsonl.gz", max_records=1500, progress=False
            )
            _MODEL["model"] = train(cfg).model
    return _MODEL["model"]


def make_registry(root: Path, versions: int = 1) -> list[str]:
    """A registry at ``root`` holding ``versions`` saves of the model; the first is current."""
    from core.serving.registry import save_model

    model = trained_model()
    names = []
    for i in range(versions):
        target = save_model(model, root, training_data_sha256="0" * 64, make_current=i == 0)
        names.append(target.name)
    return names


async def registry_and_config(
    tmp_path: Path, bootstrap: str, topic_factory: Callable[..., Any]
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """The usual start of a daemon test: a model registry under ``tmp_path``, fresh topic
    names with the input created (3 partitions), and :func:`base_config` for them."""
    root = tmp_path / "registry"
    make_registry(root)
    topics = new_topics()
    topics["input"] = await topic_factory(partitions=3, prefix="in")
    return topics, base_config(bootstrap, root, topics)
