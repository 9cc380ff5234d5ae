"""``neo-streamer run``: the streaming daemon."""

from __future__ import annotations

import argparse
import os
from collections.abc import MutableMapping

__all__ = ["add_arguments", "run"]

_EPILOG = """\
configuration precedence (lowest first): defaults, the TOML file, environment variables
NEO_STREAMER_<SECTION>__<KEY> (e.g. NEO_STREAMER_TOPICS__INPUT), these flags (incl. --set).

exit codes:
  0  stopped cleanly (SIGTERM/SIGINT: in-flight work drained, published and committed)
  1  unexpected failure (logged with the record it was on)
  2  invalid configuration (the message names the key)
  3  Kafka unreachable after kafka.connect_retries attempts with exponential backoff
  4  model missing, corrupt or built for another feature schema
  5  topics missing and topics.create_missing is false, or the broker refused to create them
  6  the broker refused access: SASL authentication failed, its TLS certificate is not
     trusted (kafka.ssl_cafile), or no ACL allows an operation the daemon needs

signals: SIGTERM/SIGINT stop gracefully within processing.shutdown_grace_s; SIGHUP reloads
the model.
"""

# flag -> dotted config key
_FLAGS: tuple[tuple[str, str], ...] = (
    ("--bootstrap-servers", "kafka.bootstrap_servers"),
    ("--group-id", "kafka.group_id"),
    ("--instance-id", "kafka.instance_id"),
    ("--input-topic", "topics.input"),
    ("--results-topic", "topics.results"),
    ("--alerts-topic", "topics.alerts"),
    ("--dead-letter-topic", "topics.dead_letter"),
    ("--model", "model.path"),
    ("--workers", "processing.workers"),
    ("--guarantee", "processing.processing_guarantee"),
    ("--http-port", "http.port"),
    ("--log-level", "logging.level"),
    ("--log-format", "logging.format"),
    ("--from", "kafka.start_from"),
)


_HELP = {
    "--from": "a new consumer group starts at this time (ISO-8601 or a night YYYY-MM-DD) "
    "instead of kafka.auto_offset_reset; partitions with committed offsets go on from them",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``neo-streamer run``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=os.environ.get("NEO_STREAMER_CONFIG"),
        help="TOML configuration file (default: $NEO_STREAMER_CONFIG, else built-in defaults)",
    )
    for flag, key in _FLAGS:
        parser.add_argument(
            flag, metavar="VALUE", dest=key, help=_HELP.get(flag, f"overrides {key}")
        )
    parser.add_argument(
        "--set",
        metavar="SECTION.KEY=VALUE",
        action="append",
        default=[],
        help="override any key, e.g. --set processing.batch_max_size=64 (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    """Load the configuration, configure logging and run the daemon until it stops."""
    from streamer.config import aiokafka_security_kwargs, load_config
    from streamer.errors import ConfigError
    from streamer.ops.logging import configure_logging

    overrides: dict[str, object] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(key or "--set", "expected SECTION.KEY=VALUE")
        overrides[key.strip()] = value
    for _, key in _FLAGS:
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = value
    cfg = load_config(args.config, overrides=overrides)
    aiokafka_security_kwargs(cfg.kafka)  # SSL files are checked before anything starts
    configure_logging(cfg.logging.level, cfg.logging.format)
    limit_intra_op_threads(cfg.processing.intra_op_threads)
    from streamer.app import run_daemon  # imports numpy (via core): after the thread limit

    return run_daemon(cfg)


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_intra_op_threads(threads: int, environ: MutableMapping[str, str] = os.environ) -> None:
    """Cap the native thread pools of numpy/BLAS, OpenMP and torch at ``threads``.

    Must run before numpy or torch is imported (they read these variables once, when their
    thread pools start); ``run`` calls it before anything imports the model. A variable the
    operator already set is left alone.
    """
    for name in _THREAD_VARIABLES:
        environ.setdefault(name, str(threads))
