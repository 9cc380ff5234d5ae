"""Shared pieces of the Kafka benchmarks: machine facts, input data, topics, bulk produce,
progress polling, sustained rates, RSS sampling of a process and the daemon as a subprocess.

Every benchmark runs against a real broker on loopback (``KAFKA_BOOTSTRAP_SERVERS``, default
``127.0.0.1:9092``, as started by ``tools/kafka/kafka.sh up``) and uses its own uuid-named
topics and consumer groups, deleted afterwards.

Input data are re-keyed copies of the bundled ``data/sample_stream.jsonl.gz``: copy ``k`` of a
record gets ``meta.bench_copy = k`` and the key ``"<designation>#<k>"``, so every message has
its own content hash and the inference cache (keyed by content) never answers for the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import importlib.metadata
import math
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_stream.jsonl.gz"
NEO_STREAMER = ROOT / ".venv" / "bin" / "neo-streamer"
DEFAULT_MODEL = ROOT / "models"
RESULTS_DIR = ROOT / "bench" / "results"
PARTITIONS = 6  # the daemon's default ([topics] partitions)

Message = tuple[bytes, bytes]


def bootstrap_servers() -> str:
    """The broker under test: ``KAFKA_BOOTSTRAP_SERVERS`` or the local launcher's address."""
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def new_tag() -> str:
    """A short unique suffix for topic and group names."""
    return uuid.uuid4().hex[:10]


# -- machine and versions ---------------------------------------------------------------------


def versions() -> dict[str, str | None]:
    """Versions of the packages on the measured path and of the Kafka broker jars."""
    out: dict[str, str | None] = {}
    for dist in ("aiokafka", "numpy", "scikit-learn", "torch", "orjson", "msgspec", "cachetools"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    pom = ROOT / "tools" / "kafka" / "pom.xml"
    found = re.search(r"<kafka\.version>([^<]+)<", pom.read_text()) if pom.is_file() else None
    out["kafka_broker"] = found.group(1) if found else None
    return out


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python, git commit (from ``bench_features``) plus versions."""
    from bench.bench_features import machine

    info = machine()
    try:
        total_kib = int(_proc_field(Path("/proc/meminfo"), "MemTotal"))
        info["memory_gib"] = round(total_kib / 2**20, 1)
    except (OSError, ValueError):
        info["memory_gib"] = None
    info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    info["versions"] = versions()
    return info


# -- input data ---------------------------------------------------------------------------------


def sample_objects() -> list[dict[str, Any]]:
    """The bundled sample stream as neo.v1 dicts."""
    with gzip.open(SAMPLE, "rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]


def rekeyed_messages(n: int) -> list[Message]:
    """``n`` ``(key, value)`` messages: the sample stream cycled, each copy made unique."""
    objs = sample_objects()
    out: list[Message] = []
    for i in range(n):
        copy, obj = divmod(i, len(objs))
        rec = objs[obj]
        value = orjson.dumps({**rec, "meta": {**rec.get("meta", {}), "bench_copy": copy}})
        out.append((f"{rec['designation']}#{copy}".encode(), value))
    return out


# -- topics and producing --------------------------------------------------------------------


def daemon_topics(prefix: str) -> dict[str, str]:
    """Fresh names for a daemon's four topics (``input``, ``results``, ``alerts``,
    ``dead_letter``): ``<prefix>-in-<tag>`` and so on, one new tag for the four."""
    tag = new_tag()
    kinds = {"input": "in", "results": "res", "alerts": "alr", "dead_letter": "dlq"}
    return {key: f"{prefix}-{short}-{tag}" for key, short in kinds.items()}


async def create_topics(bootstrap: str, names: Sequence[str], partitions: int = PARTITIONS) -> None:
    """Create fresh topics (replication 1) and wait until their metadata is visible."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
        deadline = time.monotonic() + 30
        while not set(names) <= set(await admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics not visible after 30 s: {names}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, names: Sequence[str]) -> None:
    """Delete the benchmark's topics (best effort: a missing topic is not an error)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


async def bulk_produce(
    bootstrap: str, topic: str, messages: Sequence[Message], partitions: int = PARTITIONS
) -> float:
    """Write ``messages`` round-robin over the partitions in large record batches.

    This is set-up, not a measurement: it uses ``send_batch`` with ~512 KiB batches so that
    100,000 records take seconds. Returns the seconds it took.
    """
    started = time.perf_counter()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1 << 20
    )
    await producer.start()
    try:
        builders = [producer.create_batch() for _ in range(partitions)]
        futures: list[asyncio.Future[Any]] = []
        for i, (key, value) in enumerate(messages):
            p = i % partitions
            if builders[p].append(key=key, value=value, timestamp=None) is None:
                futures.append(await producer.send_batch(builders[p], topic, partition=p))
                builders[p] = producer.create_batch()
                builders[p].append(key=key, value=value, timestamp=None)
        for p, builder in enumerate(builders):
            if builder.record_count():
                futures.append(await producer.send_batch(builder, topic, partition=p))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


# -- progress and rates -----------------------------------------------------------------------


class TopicCounter:
    """Counts the messages in a topic from its end offsets (cheap: no payload is read).

    Only meaningful for topics written without transactions (control markers take offsets).
    The topic must have been made by :func:`create_topics` (``partitions`` partitions).
    """

    def __init__(self, bootstrap: str, topic: str, partitions: int = PARTITIONS) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._tps = [TopicPartition(topic, p) for p in range(partitions)]

    async def __aenter__(self) -> TopicCounter:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def count(self) -> int:
        """Messages written so far."""
        ends = await self._consumer.end_offsets(self._tps)
        return int(sum(ends.values()))


class GroupProgress:
    """Counts the input records a consumer group has committed (exact under transactions)."""

    def __init__(self, bootstrap: str, group_id: str, topic: str) -> None:
        self._group, self._topic = group_id, topic
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)

    async def __aenter__(self) -> GroupProgress:
        await self._admin.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._admin.close()

    async def count(self) -> int:
        """Sum of the group's committed offsets on the topic."""
        offsets = await self._admin.list_consumer_group_offsets(self._group)
        return int(sum(o.offset for tp, o in offsets.items() if tp.topic == self._topic))


async def poll_progress(
    count: Callable[[], Awaitable[int]],
    total: int,
    timeout_s: float,
    *,
    interval_s: float = 0.1,
    alive: Callable[[], bool] = lambda: True,
) -> list[tuple[float, int]]:
    """Sample ``(monotonic time, count)`` until ``total`` is reached, ``timeout_s`` passes or
    ``alive()`` turns False."""
    samples: list[tuple[float, int]] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        samples.append((time.monotonic(), await count()))
        if samples[-1][1] >= total:
            break
        await asyncio.sleep(interval_s)
    return samples


def _time_at(samples: Sequence[tuple[float, int]], level: float) -> float | None:
    """Interpolated time at which the count first reached ``level``."""
    prev_t, prev_c = samples[0]
    for t, c in samples:
        if c >= level:
            if c == prev_c:
                return t
            return prev_t + (t - prev_t) * (level - prev_c) / (c - prev_c)
        prev_t, prev_c = t, c
    return None


def sustained_rate(samples: Sequence[tuple[float, int]], skip: float = 0.1) -> dict[str, float]:
    """Records/s between the first ``skip`` fraction of the final count (warm-up: joining the
    group, first fetches, lazy imports) and the final count.

    Returns ``{"rps", "seconds", "records"}``; ``rps`` is 0 without progress.
    """
    if not samples or samples[-1][1] <= 0:
        return {"rps": 0.0, "seconds": 0.0, "records": 0.0}
    final = samples[-1][1]
    start_level = max(1.0, skip * final)
    t0, t1 = _time_at(samples, start_level), _time_at(samples, final)
    if t0 is None or t1 is None or t1 <= t0:
        return {"rps": 0.0, "seconds": 0.0, "records": float(final)}
    return {"rps": (final - start_level) / (t1 - t0), "seconds": t1 - t0, "records": float(final)}


def steady_window(
    samples: Sequence[tuple[float, int]], records: int, skip: float = 0.1
) -> tuple[float, float, float]:
    """``(since, until, counted)``: from the time ``skip`` of ``records`` were done (the first
    sample if they never were) to the last sample, and the records done in between; the
    window over which CPU and memory are reported beside :func:`sustained_rate`."""
    if not samples:
        return 0.0, 0.0, 0.0
    since = next((t for t, c in samples if c >= skip * records), samples[0][0])
    return since, samples[-1][0], samples[-1][1] - skip * records


def percentiles_ms(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 (and max, count) of latencies given in seconds, in milliseconds."""
    if not latencies_s:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "n": 0}
    arr = np.asarray(latencies_s, dtype=np.float64) * 1000.0
    p50, p95, p99 = np.percentile(arr, [50, 95, 99]).tolist()
    return {"p50": p50, "p95": p95, "p99": p99, "max": float(arr.max()), "n": int(arr.size)}


# -- memory -------------------------------------------------------------------------------------


def _proc_field(path: Path, name: str) -> str:
    for line in path.read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].split()[0]
    raise ValueError(f"{name} not in {path}")


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (``VmRSS`` of ``/proc/<pid>/status``)."""
    return int(_proc_field(Path(f"/proc/{pid}/status"), "VmRSS"))


def pss_kib(pid: int) -> int:
    """Proportional set size of ``pid`` in KiB (``/proc/<pid>/smaps_rollup``): every page
    counted once, divided among the processes sharing it. The sum over a process tree is the
    memory the tree costs the machine; a sum of RSS counts every shared page once per process.
    """
    return int(_proc_field(Path(f"/proc/{pid}/smaps_rollup"), "Pss"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used (``/proc/<pid>/stat``, all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def us_per_record(cores: float, window: tuple[float, float, float]) -> float:
    """CPU µs per record from the cores in use over a :func:`steady_window` ``(since, until,
    counted)``: cores divided by the window's records per second (NaN without records)."""
    since, until, counted = window
    if counted <= 0 or until <= since:
        return float("nan")
    return 1e6 * cores * (until - since) / counted


def machine_cpu_seconds(stat: str | None = None) -> tuple[float, float, float]:
    """``(busy, idle, steal)`` CPU seconds of the whole machine since boot, all cores summed,
    from the ``cpu`` line of ``/proc/stat`` (``stat``: its text, read when None). Busy is user,
    nice, system, irq and softirq time (guest time is inside user); idle includes waiting for
    I/O; steal is time the hypervisor gave to another guest."""
    text = Path("/proc/stat").read_text() if stat is None else stat
    fields = text.split("\n", 1)[0].split()
    if not fields or fields[0] != "cpu" or len(fields) < 9:
        raise ValueError(f"not the cpu line of /proc/stat: {text[:80]!r}")
    user, nice, system, idle, iowait, irq, softirq, steal = (int(f) for f in fields[1:9])
    hz = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / hz, (idle + iowait) / hz, steal / hz


def core_shares(
    machine: dict[str, float], daemon_cores: float, broker_cores: float | None
) -> dict[str, float]:
    """Where the machine's cores went, as fractions of all of them: ``daemon``, ``broker``,
    ``harness`` (the benchmark's own process), ``other`` (the rest of the busy time: other
    processes, the kernel's work not charged to a process), ``idle`` and ``steal``.

    ``machine`` is :meth:`MachineSampler.rates`' answer; ``daemon_cores`` and
    ``broker_cores`` are cores in use on average (CPU seconds per second) over the same
    window, the broker's None when it was not measured (then counted in ``other``).
    """
    total = machine["busy"] + machine["idle"] + machine["steal"]
    broker = broker_cores or 0.0
    other = machine["busy"] - daemon_cores - broker - machine["harness"]
    shares = {
        "daemon": daemon_cores,
        "broker": broker,
        "harness": machine["harness"],
        "other": other,
        "idle": machine["idle"],
        "steal": machine["steal"],
    }
    return {name: cores / total for name, cores in shares.items()}


def broker_pid() -> int | None:
    """Pid of the broker ``tools/kafka/kafka.sh`` started (its state dir), if it runs."""
    state = Path(os.environ.get("KAFKA_STATE_DIR", ROOT / ".kafka"))
    try:
        pid = int((state / "kafka.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from ``/proc/<pid>/task/*/children``)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                kids = [int(k) for k in (task / "children").read_text().split()]
                out.extend(kids)
                todo.extend(kids)
    return out


class _Sampler:
    """A background thread that calls :meth:`_sample` every ``interval_s`` while the ``with``
    block runs, until it returns False."""

    def __init__(self, interval_s: float, name: str) -> None:
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()  # one more, so the samples reach past the end of the measured window

    def _run(self) -> None:
        while not self._stop.is_set() and self._sample():
            self._stop.wait(self._interval)

    def _sample(self) -> bool:
        raise NotImplementedError


class RssSampler(_Sampler):
    """Samples a process's RSS and CPU time every ``interval_s`` in a background thread.

    CPU time per record does not depend on what else the machine runs, unlike records/s, so
    it is reported beside every rate measured on a shared machine.
    """

    def __init__(self, pid: int, interval_s: float = 0.25, pss_interval_s: float = 2.0) -> None:
        # PSS is sampled less often: reading smaps_rollup walks the page tables, 10-16 ms per
        # process with torch mapped, and holds the process's memory-map lock meanwhile
        super().__init__(interval_s, "rss-sampler")
        self._pid, self._pss_interval = pid, pss_interval_s
        self._last_pss = -float("inf")
        self.samples: list[tuple[float, int]] = []  # (monotonic time, KiB), RSS summed
        self.pss: list[tuple[float, int]] = []  # (monotonic time, KiB), PSS summed
        self.cpu: list[tuple[float, float]] = []  # (monotonic time, CPU seconds)
        # (monotonic time, CPU seconds of the process itself, without its descendants)
        self.own_cpu: list[tuple[float, float]] = []

    def _sample(self) -> bool:
        try:
            now = time.monotonic()
            rss, cpu = rss_kib(self._pid), cpu_seconds(self._pid)
            own = cpu
            with_pss = now - self._last_pss >= self._pss_interval
            pss = pss_kib(self._pid) if with_pss else 0
        except (OSError, ValueError, IndexError):
            return False  # the process is gone
        # scoring processes (executor = "process") count as part of the daemon
        for child in _descendants(self._pid):
            with contextlib.suppress(OSError, ValueError, IndexError):
                rss, cpu = rss + rss_kib(child), cpu + cpu_seconds(child)
                if with_pss:
                    pss += pss_kib(child)
        self.samples.append((now, rss))
        if with_pss:
            self.pss.append((now, pss))
            self._last_pss = now
        self.cpu.append((now, cpu))
        self.own_cpu.append((now, own))
        return True

    def cores_between(self, since: float, until: float, *, own: bool = False) -> float:
        """Cores used on average between two monotonic times, by the process and its
        descendants (``own``: by the process alone): the CPU seconds between them, read
        linearly between the samples either side of each, per second; NaN where the samples
        do not cover the window.

        Every sampler answers for exactly the same seconds, those of the rate they are put
        beside (the first sample inside a window and the last can be up to two intervals,
        ~10 % of a 5-second window, apart from its ends)."""
        series = self.own_cpu if own else self.cpu
        return _increase(series, since, until) / (until - since) if until > since else _NAN

    def mib(
        self, since: float | None = None, until: float | None = None, *, pss: bool = False
    ) -> dict[str, float]:
        """Median and max RSS (``pss``: PSS) in MiB of the samples in ``[since, until]``
        (all when None), summed over the process and its descendants."""
        samples = self.pss if pss else self.samples
        lo = -np.inf if since is None else since
        hi = np.inf if until is None else until
        vals = [kib / 1024.0 for t, kib in samples if lo <= t <= hi]
        if not vals:
            vals = [kib / 1024.0 for _, kib in samples] or [float("nan")]
        return {"median": float(np.median(vals)), "max": float(np.max(vals))}


class MachineSampler(_Sampler):
    """Samples the whole machine's CPU time (``/proc/stat``) and this process's own every
    ``interval_s`` in a background thread.

    This process is the benchmark harness: its progress polling and its samplers run on the
    same cores as what it measures. With the daemon's and the broker's CPU over the same
    window, :func:`core_shares` says where all the cores went.
    """

    def __init__(self, interval_s: float = 0.25) -> None:
        super().__init__(interval_s, "machine-sampler")
        # (monotonic time, busy, idle, steal, this process) in CPU seconds
        self.samples: list[tuple[float, float, float, float, float]] = []

    def _sample(self) -> bool:
        now = time.monotonic()
        busy, idle, steal = machine_cpu_seconds()
        self.samples.append((now, busy, idle, steal, time.process_time()))
        return True

    def rates(self, since: float, until: float) -> dict[str, float] | None:
        """Cores in use on average between two monotonic times, read linearly between the
        samples either side of each: ``busy``, ``idle`` and ``steal`` of the machine,
        ``harness`` of this process; None where the samples do not cover the window."""
        if until <= since:
            return None
        names = ("busy", "idle", "steal", "harness")
        rates = {
            name: _increase([(s[0], s[i]) for s in self.samples], since, until) / (until - since)
            for i, name in enumerate(names, start=1)
        }
        return None if any(math.isnan(r) for r in rates.values()) else rates


def _increase(series: Sequence[tuple[float, float]], since: float, until: float) -> float:
    """How much a cumulative series of ``(time, value)`` samples grew between two times,
    linear between samples; NaN unless samples lie at or beyond both ends."""
    if len(series) < 2 or since < series[0][0] or until > series[-1][0]:
        return _NAN
    times, values = zip(*series, strict=True)
    low, high = np.interp([since, until], times, values)
    return float(high - low)


_NAN = float("nan")


# -- daemon configuration -------------------------------------------------------------------


def app_config(bootstrap: str, input_topic: str, group_prefix: str, **keys: object) -> Any:
    """A :class:`streamer.config.AppConfig` with the shipped defaults and a fresh consumer
    group, for in-process pieces of the daemon; ``keys`` are dotted overrides, e.g.
    ``app_config(b, t, "bench-x", **{"topics.results": "out"})``."""
    from streamer.config import load_config

    overrides = {
        "kafka.bootstrap_servers": bootstrap,
        "kafka.group_id": f"{group_prefix}-{new_tag()}",
        "topics.input": input_topic,
        **keys,
    }
    return load_config(None, env={}, overrides=overrides)


# -- the daemon as a subprocess ---------------------------------------------------------------


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, str):
        return orjson.dumps(v).decode()
    return repr(v)


def daemon_config(
    bootstrap: str,
    model: Path,
    topics: dict[str, str],
    group_id: str,
    **processing: object,
) -> dict[str, dict[str, object]]:
    """A daemon configuration for a benchmark run: the shipped defaults except the names,
    an ephemeral HTTP port, JSON logs, and the ``[processing]`` keys given."""
    return {
        "kafka": {"bootstrap_servers": bootstrap, "group_id": group_id, "instance_id": group_id},
        "topics": {**topics, "partitions": PARTITIONS},
        "model": {"path": str(model), "reload_interval_s": 0.0},
        "processing": dict(processing),
        "http": {"port": 0},
        "logging": {"level": "info", "format": "json"},
    }


@dataclass
class DaemonProcess:
    """``neo-streamer run --config <generated toml>`` with its JSON logs in ``workdir``."""

    workdir: Path
    config: dict[str, dict[str, object]]
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "daemon.log"

    def start(self) -> DaemonProcess:
        """Write the TOML file and start the daemon."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        path = self.workdir / "bench.toml"
        lines: list[str] = []
        for section, values in self.config.items():
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items())
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(NEO_STREAMER), "run", "--config", str(path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        return self

    @property
    def pid(self) -> int:
        """The daemon's process id."""
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        """Whether the daemon is still running."""
        return self.proc is not None and self.proc.poll() is None

    def has_event(self, name: str) -> bool:
        """Whether the daemon logged an event named ``name``."""
        needle = orjson.dumps({"event": name})[1:-1]  # '"event":"<name>"'
        return needle in self.log_path.read_bytes()

    async def wait_event(self, name: str, timeout_s: float = 120.0) -> None:
        """Wait for a log event; raise with the log's tail when the daemon exits first."""
        deadline = time.monotonic() + timeout_s
        while not self.has_event(name):
            if not self.alive():
                raise RuntimeError(f"daemon exited before {name!r}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {name!r} within {timeout_s} s:\n{self.tail()}")
            await asyncio.sleep(0.2)

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM (graceful stop), SIGKILL after ``timeout_s``; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def tail(self, n: int = 30) -> str:
        """The last ``n`` lines of the daemon's log."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
