"""The daemon's configuration: one frozen dataclass tree.

Values come from, lowest precedence first: the dataclass defaults, a TOML file (``tomllib``),
environment variables ``NEO_STREAMER_<SECTION>__<KEY>`` (``NEO_STREAMER_TOPICS__INPUT``), and
CLI overrides given as ``{"section.key": value}``. Every value is checked against its field's
type; unknown sections or keys, wrong types, bad choices and out-of-range numbers raise
:class:`~streamer.errors.ConfigError` naming the dotted key. ``config.toml`` at the top of the
repository documents every key.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.serving.inputs import InputFormat
from streamer.errors import ConfigError
from streamer.paths import DEFAULT_REGISTRY, absolute

__all__ = [
    "WORKERS_PER_PROCESS",
    "AppConfig",
    "HttpConfig",
    "KafkaConfig",
    "KnownConfig",
    "LaunchLinkageConfig",
    "LoggingConfig",
    "ModelConfig",
    "ProcessingConfig",
    "StateConfig",
    "TopicsConfig",
    "aiokafka_security_kwargs",
    "changelog_topic",
    "load_config",
]

ENV_PREFIX = "NEO_STREAMER_"

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
Guarantee = Literal["at_least_once", "exactly_once"]
ExecutorKind = Literal["thread", "process"]
LogFormat = Literal["json", "console", "auto"]
LogLevel = Literal["debug", "info", "warning", "error"]
OffsetReset = Literal["earliest", "latest"]
Compression = Literal["none", "gzip", "snappy", "lz4", "zstd"]
# core.serving.categories declares these; a Literal must spell them (a test checks they agree)
Category = Literal[
    "natural", "undetermined", "suspicious", "highly_suspicious", "artificial_candidate"
]
Evidence = Literal["physics", "orbit", "none"]
KnownRouting = Literal["results", "topic", "category"]


def _rng(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    """Field metadata holding an inclusive numeric range checked at load time."""
    return {"range": (lo, hi)}


@dataclass(frozen=True, slots=True)
class KafkaConfig:
    """Broker connection, consumer group and client settings (``[kafka]``)."""

    bootstrap_servers: str = "127.0.0.1:9092"
    group_id: str = "neo-streamer"
    client_id: str = "neo-streamer"
    instance_id: str = ""
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "PLAIN"
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    ssl_password: str = field(default="", repr=False)
    auto_offset_reset: OffsetReset = "earliest"
    start_from: str = ""  # ISO-8601 or a night YYYY-MM-DD (streamer.replay); "" = none
    session_timeout_ms: int = field(default=10_000, metadata=_rng(1_000, 3_600_000))
    heartbeat_interval_ms: int = field(default=3_000, metadata=_rng(100, 600_000))
    max_poll_interval_ms: int = field(default=300_000, metadata=_rng(1_000, 86_400_000))
    request_timeout_ms: int = field(default=40_000, metadata=_rng(1_000, 3_600_000))
    transaction_timeout_ms: int = field(default=60_000, metadata=_rng(1_000, 900_000))
    fetch_max_records: int = field(default=500, metadata=_rng(1, 100_000))
    commit_interval_ms: int = field(default=1_000, metadata=_rng(10, 3_600_000))
    linger_ms: int = field(default=5, metadata=_rng(0, 60_000))
    max_batch_size: int = field(default=262_144, metadata=_rng(1_024, 1_048_576))
    compression_type: Compression = "zstd"
    connect_retries: int = field(default=5, metadata=_rng(0, 1_000))
    connect_backoff_s: float = field(default=0.5, metadata=_rng(0.0, 3_600.0))
    connect_backoff_max_s: float = field(default=30.0, metadata=_rng(0.0, 3_600.0))
    probe_interval_s: float = field(default=5.0, metadata=_rng(0.1, 3_600.0))


@dataclass(frozen=True, slots=True)
class TopicsConfig:
    """Topic names and how missing topics are created (``[topics]``)."""

    input: str = "neo.records"
    results: str = "neo.results"
    alerts: str = "neo.alerts"
    dead_letter: str = "neo.deadletter"
    create_missing: bool = True
    partitions: int = field(default=6, metadata=_rng(1, 10_000))
    replication_factor: int = field(default=1, metadata=_rng(1, 100))


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Which model scores, how it is reloaded and cached (``[model]``)."""

    path: str = str(DEFAULT_REGISTRY)
    reload_interval_s: float = field(default=10.0, metadata=_rng(0.0, 86_400.0))
    cache_size: int = field(default=10_000, metadata=_rng(0, 10_000_000))
    cache_ttl_s: float = field(default=3_600.0, metadata=_rng(0.0, 31_536_000.0))


WORKERS_PER_PROCESS = 3
"""Batches in flight per scoring process when ``[processing] workers = 0`` (automatic)."""


@dataclass(frozen=True, slots=True)
class ProcessingConfig:
    """Workers, micro-batching, backpressure, delivery guarantee and alerting (``[processing]``)."""

    def scoring_processes(self) -> int:
        """How many scoring processes ``executor = "process"`` starts: ``processes``, or with
        0 one per CPU this process may run on; never more than ``workers`` where that is set
        (a process beyond the batches in flight would have nothing to score)."""
        wanted = self.processes or len(os.sched_getaffinity(0))
        return max(1, min(wanted, self.workers) if self.workers else wanted)

    def worker_count(self) -> int:
        """Batches in flight: ``workers``, or with 0 three per scoring process
        (``executor = "process"``) and one with ``executor = "thread"``.

        A worker holds its batch while the outputs are published and acknowledged; with three
        per process another batch is usually waiting when one finishes. Measured on 2 cores
        (docs/performance.md): the cores idle 5-6 % of the time with 3 workers, 2-5 % with 6."""
        if self.workers:
            return self.workers
        return WORKERS_PER_PROCESS * self.scoring_processes() if self.executor == "process" else 1

    def queue_capacity(self) -> int:
        """Fetched records the queue holds before fetching pauses: ``queue_max_size``, or with
        0 enough for two batches per worker (at least 8,192)."""
        return self.queue_max_size or max(8_192, 2 * self.worker_count() * self.batch_max_size)

    workers: int = field(default=0, metadata=_rng(0, 256))
    intra_op_threads: int = field(default=1, metadata=_rng(1, 256))
    executor: ExecutorKind = "process"
    processes: int = field(default=0, metadata=_rng(0, 256))
    batch_max_size: int = field(default=1024, metadata=_rng(1, 100_000))
    batch_max_wait_ms: int = field(default=50, metadata=_rng(0, 60_000))
    queue_max_size: int = field(default=0, metadata=_rng(0, 10_000_000))
    processing_guarantee: Guarantee = "at_least_once"
    shutdown_grace_s: float = field(default=10.0, metadata=_rng(0.0, 3_600.0))
    rebalance_drain_s: float = field(default=5.0, metadata=_rng(0.0, 3_600.0))
    publish_retry_backoff_s: float = field(default=1.0, metadata=_rng(0.0, 600.0))
    # 1.0: the categories alone decide by default (config.toml says why)
    alert_min_score: float = field(default=1.0, metadata=_rng(0.0, 1.0))
    alert_categories: tuple[Category, ...] = ("highly_suspicious", "artificial_candidate")
    # what an alert's verdict must rest on (issue 33); empty: any evidence
    alert_evidence: tuple[Evidence, ...] = ("physics",)


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """The health and metrics endpoint (``[http]``); read-only, loopback by default."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = field(default=8080, metadata=_rng(0, 65_535))
    object_pages: int = field(default=10_000, metadata=_rng(0, 10_000_000))
    """Objects whose latest result is kept for ``/objects/<id>`` (0: no object pages)."""


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    """structlog output (``[logging]``)."""

    level: LogLevel = "info"
    format: LogFormat = "auto"


@dataclass(frozen=True, slots=True)
class StateConfig:
    """Per-object state of observation streams (``[state]``; :mod:`streamer.state.store`).

    Off by default: a daemon fed only neo.v1 records needs no state, and with it off an
    observation message is dead-lettered with a reason that says so.
    """

    enabled: bool = False
    dir: str = "state"
    max_observations_per_object: int = field(default=5_000, metadata=_rng(1, 1_000_000))
    expire_days: float = field(default=60.0, metadata=_rng(0.0, 36_500.0))
    expire_check_interval_s: float = field(default=60.0, metadata=_rng(0.0, 86_400.0))
    dedup_time_ms: float = field(default=1.0, metadata=_rng(0.0, 86_400_000.0))
    dedup_arcsec: float = field(default=0.01, metadata=_rng(0.0, 3_600.0))
    rescore: bool = True
    refit_arc_growth: float = field(default=1.5, metadata=_rng(1.0, 1_000.0))
    # the refit policy (streamer/state/refit.py, refit_kind): an orbit is far from the Earth when
    # its perihelion is beyond refit_near_q_au and its MOID beyond refit_near_moid_au, and
    # well determined when sigma(a)/a is below refit_sigma_a_rel; such an object gets a
    # light refit (gravity only) after refit_far_nights new nights, the others a full one
    # (radiation pressure where the data show it) at every new night
    refit_near_q_au: float = field(default=1.3, metadata=_rng(0.0, 1_000.0))
    refit_near_moid_au: float = field(default=0.05, metadata=_rng(0.0, 100.0))
    refit_sigma_a_rel: float = field(default=1e-3, metadata=_rng(0.0, 1.0))
    refit_far_nights: int = field(default=3, metadata=_rng(1, 10_000))


@dataclass(frozen=True, slots=True)
class InputConfig:
    """How input messages are read (``[input]``): ``neo`` JSON, Rubin ``lsst`` Avro, ZTF
    ``ztf`` alert packets, or ``auto``.

    ``auto`` decides per message: a first byte 0 is Rubin's wire format (Confluent header and
    Avro), an Avro container is a ZTF or a Rubin alert by its fields, anything else ``neo.v1``
    JSON; see :mod:`core.serving.inputs`. ``ztf_max_ssdistnr_arcsec``: the farthest a ZTF
    detection may lie from the known asteroid it names (``ssdistnr``) to count as it.
    """

    format: InputFormat = "neo"
    ztf_max_ssdistnr_arcsec: float = field(default=5.0, metadata=_rng(0.0, 30.0))


@dataclass(frozen=True, slots=True)
class KnownConfig:
    """Known artificial objects (``[known]``; :mod:`streamer.pipeline.known`, :mod:`core.known`).

    Off by default. With it on, every object of an observation stream that is re-scored is
    matched against the catalogue (the TLE/OMM/heliocentric-table files of ``paths`` and, with
    ``bundled``, ``data/known_heliocentric.jsonl``) before its result is published: a matched
    object carries ``known_match`` and never alerts; with ``routing = "topic"`` its result
    also goes to ``topic``; with ``routing = "category"`` its result's ``category`` becomes
    ``known_artificial`` (the model's is kept as ``model_category``). The files are read again
    when they change (checked every ``reload_interval_s``); a file that is half-written or
    gone keeps the previous catalogue.
    The other keys are :class:`core.known.tolerances.Tolerances`.
    """

    enabled: bool = False
    paths: tuple[str, ...] = ()
    bundled: bool = True
    routing: KnownRouting = "results"
    topic: str = "neo.known"
    reload_interval_s: float = field(default=10.0, metadata=_rng(0.0, 86_400.0))
    position_error_km: float = field(default=1.0, metadata=_rng(0.0, 1e6))
    error_growth_km_per_day: float = field(default=3.0, metadata=_rng(0.0, 1e6))
    min_tolerance_arcsec: float = field(default=10.0, metadata=_rng(0.0, 648_000.0))
    motion_fraction: float = field(default=0.1, metadata=_rng(0.0, 10.0))
    min_motion_arcsec_per_min: float = field(default=0.5, metadata=_rng(0.0, 1e6))
    max_age_days: float = field(default=60.0, metadata=_rng(0.0, 1e6))
    age_scale_days: float = field(default=10.0, metadata=_rng(1e-6, 1e6))
    helio_tolerance_arcsec: float = field(default=60.0, metadata=_rng(0.0, 648_000.0))
    helio_growth_arcsec_per_year: float = field(default=120.0, metadata=_rng(0.0, 648_000.0))


@dataclass(frozen=True, slots=True)
class LaunchLinkageConfig:
    """Launch linkage in the daemon (``[linkage]``; :mod:`streamer.state.launch`).

    For each re-scored object whose alert rests on physics (``evidence = "physics"``), its
    fitted orbit's ``n_clones`` clones are integrated back (at most ``max_years``, at most
    ``max_seconds`` of wall time: :class:`core.orbits.linkage.LinkageConfig`) in the scoring
    processes; the state step waits at most ``wait_s`` for all of a batch's linkages (the
    bound on how long they can hold up other partitions), at most ``max_per_batch`` of them.
    The alert carries ``launch_linkage`` (and ``physics.launch_match``) whatever happened.
    """

    enabled: bool = True
    n_clones: int = field(default=8, metadata=_rng(1, 256))
    max_years: float = field(default=70.0, metadata=_rng(0.0, 200.0))
    max_seconds: float = field(default=20.0, metadata=_rng(0.0, 3_600.0))
    wait_s: float = field(default=30.0, metadata=_rng(0.0, 3_600.0))
    max_per_batch: int = field(default=4, metadata=_rng(0, 10_000))
    seed: int = field(default=0, metadata=_rng(0, 2**32 - 1))


@dataclass(frozen=True, slots=True)
class AppConfig:
    """The whole configuration; one attribute per TOML section."""

    kafka: KafkaConfig = field(default_factory=KafkaConfig)
    topics: TopicsConfig = field(default_factory=TopicsConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    processing: ProcessingConfig = field(default_factory=ProcessingConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    state: StateConfig = field(default_factory=StateConfig)
    input: InputConfig = field(default_factory=InputConfig)
    known: KnownConfig = field(default_factory=KnownConfig)
    linkage: LaunchLinkageConfig = field(default_factory=LaunchLinkageConfig)


_SECTIONS: dict[str, type[Any]] = {
    f.name: typing.get_type_hints(AppConfig)[f.name] for f in dataclasses.fields(AppConfig)
}


def load_config(
    path: str | Path | None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> AppConfig:
    """Build an :class:`AppConfig` from a TOML file, the environment and CLI overrides.

    Parameters
    ----------
    path : str or Path or None
        TOML file; None uses the defaults only.
    env : Mapping[str, str] or None
        Environment to read ``NEO_STREAMER_<SECTION>__<KEY>`` from; None means ``os.environ``.
    overrides : Mapping[str, object] or None
        ``{"section.key": value}`` from CLI flags (highest precedence); string values are
        parsed like environment values, others are type-checked as they are.

    Path keys (``model.path``, ``kafka.ssl_*file``) come back absolute: a relative path in
    the file is taken relative to the file's directory, one from the environment or a flag
    relative to the working directory (:func:`streamer.paths.absolute`).

    Returns
    -------
    AppConfig

    Raises
    ------
    ConfigError
        Naming the dotted key (or ``"$"`` for an unreadable file).
    """
    raw: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    if path is not None:
        for section, values in _read_toml(Path(path)).items():
            raw[section].update(values)
        _absolute_paths(raw, Path(path).absolute().parent)
    env = os.environ if env is None else env
    for name, text in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name[len(ENV_PREFIX) :]:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        ftype = _field_type(section, key, source=name)
        raw[section][key] = _parse_text(f"{section}.{key}", ftype, text)
        _absolute_paths(raw, None, only=(section, key))
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        ftype = _field_type(section, key, source=dotted)
        raw[section][key] = _parse_text(dotted, ftype, value) if isinstance(value, str) else value
        _absolute_paths(raw, None, only=(section, key))
    sections = {name: _build(name, cls, raw[name]) for name, cls in _SECTIONS.items()}
    cfg = AppConfig(**sections)
    _check_cross_fields(cfg)
    return cfg


# Keys holding file or directory paths: made absolute while loading (see streamer.paths).
_PATH_KEYS = (
    ("model", "path"),
    ("kafka", "ssl_cafile"),
    ("kafka", "ssl_certfile"),
    ("kafka", "ssl_keyfile"),
    ("known", "paths"),
)


def _absolute_paths(
    raw: dict[str, dict[str, Any]], base: Path | None, only: tuple[str, str] | None = None
) -> None:
    """Make the path values in ``raw`` absolute: relative to ``base``, or to the cwd (None).

    A relative path in a config file means the file's directory, wherever the daemon is
    started from; on the command line or in the environment it means the working directory.
    A value of the wrong type is left for :func:`_build` to reject with its key.
    """
    for section, key in _PATH_KEYS:
        if only not in (None, (section, key)):
            continue
        value = raw[section].get(key)
        if isinstance(value, str):
            raw[section][key] = absolute(value, base)
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            raw[section][key] = tuple(absolute(v, base) for v in value)


def _read_toml(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        reason = exc.strerror or exc
        raise ConfigError("$", f"cannot read the config file {path}: {reason}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError("$", f"the config file {path} is not valid TOML: {exc}") from exc
    for section, values in data.items():
        if section not in _SECTIONS:
            raise ConfigError(section, f"unknown section (known: {', '.join(_SECTIONS)})")
        if not isinstance(values, dict):
            raise ConfigError(section, "must be a table ([section])")
        for key in values:
            _field_type(section, key, source=f"{section}.{key}")
    return data


def _field_type(section: str, key: str, *, source: str) -> Any:
    cls = _SECTIONS.get(section)
    if cls is None:
        raise ConfigError(source, f"unknown section {section!r}")
    hints = typing.get_type_hints(cls)
    if key not in hints:
        raise ConfigError(f"{section}.{key}", "unknown key")
    return hints[key]


def _build(section: str, cls: type[Any], values: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in values:
            continue
        key = f"{section}.{f.name}"
        value = _check_type(key, hints[f.name], values[f.name])
        lo, hi = f.metadata.get("range", (None, None))
        if lo is not None and value < lo:
            raise ConfigError(key, f"must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            raise ConfigError(key, f"must be <= {hi}, got {value}")
        kwargs[f.name] = value
    return cls(**kwargs)


def _check_type(key: str, ftype: Any, value: Any) -> Any:
    """Return ``value`` as ``ftype`` or raise; TOML already gives native types."""
    origin = typing.get_origin(ftype)
    if origin is Literal:
        choices = typing.get_args(ftype)
        if value not in choices:
            raise ConfigError(key, f"must be one of {list(choices)}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(key, f"must be a list, got {type(value).__name__}")
        (item_type, _) = typing.get_args(ftype)
        return tuple(_check_type(key, item_type, v) for v in value)
    if ftype is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"must be a boolean, got {type(value).__name__}")
        return value
    if ftype is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"must be an integer, got {type(value).__name__}")
        return value
    if ftype is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(key, f"must be a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ConfigError(key, "must be a finite number")
        return float(value)
    if ftype is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, got {type(value).__name__}")
        return value
    raise ConfigError(key, f"unsupported type {ftype!r}")  # pragma: no cover


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_text(key: str, ftype: Any, text: str) -> Any:
    """Parse an env/CLI string into ``ftype`` (type checks happen later in :func:`_build`)."""
    text = text.strip()
    if ftype is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigError(key, f"must be a boolean (true/false), got {text!r}")
    if ftype in (int, float):
        parse: Callable[[str], int | float] = ftype
        try:
            return parse(text)
        except ValueError:
            kind = "an integer" if ftype is int else "a number"
            raise ConfigError(key, f"must be {kind}, got {text!r}") from None
    if typing.get_origin(ftype) is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return text


def _check_cross_fields(cfg: AppConfig) -> None:
    t = cfg.topics
    seen: dict[str, str] = {}
    for name in ("input", "results", "alerts", "dead_letter"):
        topic = getattr(t, name)
        if not topic:
            raise ConfigError(f"topics.{name}", "must not be empty")
        if topic in seen:
            raise ConfigError(f"topics.{name}", f"must differ from topics.{seen[topic]}")
        seen[topic] = name
    for key in ("bootstrap_servers", "group_id", "client_id"):
        if not getattr(cfg.kafka, key):
            raise ConfigError(f"kafka.{key}", "must not be empty")
    if not cfg.model.path:
        raise ConfigError("model.path", "must not be empty")
    if cfg.known.enabled and cfg.known.routing == "topic":
        if not cfg.known.topic:
            raise ConfigError("known.topic", "must not be empty when known.routing is 'topic'")
        for name in ("input", "results", "alerts", "dead_letter"):
            if cfg.known.topic == getattr(t, name):
                raise ConfigError("known.topic", f"must differ from topics.{name}")
    if cfg.linkage.wait_s < cfg.linkage.max_seconds:
        raise ConfigError(
            "linkage.wait_s", "must be at least linkage.max_seconds (the integration's bound)"
        )
    if cfg.state.enabled and not cfg.state.dir:
        raise ConfigError("state.dir", "must not be empty when state.enabled is true")
    k = cfg.kafka
    if k.start_from:
        from streamer.replay import parse_start_time

        try:
            parse_start_time(k.start_from)
        except ValueError as exc:
            raise ConfigError("kafka.start_from", str(exc)) from None
    if k.heartbeat_interval_ms >= k.session_timeout_ms:
        raise ConfigError("kafka.heartbeat_interval_ms", "must be below kafka.session_timeout_ms")
    if k.security_protocol.startswith("SASL") and not (k.sasl_username and k.sasl_password):
        raise ConfigError(
            "kafka.sasl_username", f"{k.security_protocol} needs sasl_username and sasl_password"
        )
    if (k.ssl_certfile == "") != (k.ssl_keyfile == ""):
        raise ConfigError("kafka.ssl_keyfile", "ssl_certfile and ssl_keyfile go together")


def changelog_topic(cfg: AppConfig) -> str:
    """The compacted topic of the per-object state (``[state]``): one per consumer group."""
    return f"{cfg.kafka.group_id}.state.changelog"


def aiokafka_security_kwargs(kafka: KafkaConfig) -> dict[str, Any]:
    """Keyword arguments carrying SASL/SSL settings to aiokafka clients.

    Raises
    ------
    ConfigError
        When a configured SSL file does not exist or cannot be loaded.
    """
    kwargs: dict[str, Any] = {"security_protocol": kafka.security_protocol}
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context

        for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(kafka, key)
            if value and not Path(value).is_file():
                raise ConfigError(f"kafka.{key}", f"file not found: {value}")
        try:
            kwargs["ssl_context"] = create_ssl_context(
                cafile=kafka.ssl_cafile or None,
                certfile=kafka.ssl_certfile or None,
                keyfile=kafka.ssl_keyfile or None,
                password=kafka.ssl_password or None,
            )
        except (OSError, ValueError) as exc:
            raise ConfigError("kafka.ssl_cafile", f"cannot build the SSL context: {exc}") from exc
    if kafka.security_protocol.startswith("SASL"):
        kwargs["sasl_mechanism"] = kafka.sasl_mechanism
        kwargs["sasl_plain_username"] = kafka.sasl_username
        kwargs["sasl_plain_password"] = kafka.sasl_password
    return kwargs
