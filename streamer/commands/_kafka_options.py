"""Options shared by the Kafka client commands (``produce``, ``tail``) and their config."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamer.config import AppConfig

__all__ = ["add_kafka_options", "load_cli_config", "start_client"]


def add_kafka_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--bootstrap-servers`` and ``--config`` to ``parser``."""
    parser.add_argument(
        "--bootstrap-servers",
        default=None,
        metavar="HOST:PORT[,...]",
        help="overrides kafka.bootstrap_servers",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=os.environ.get("NEO_STREAMER_CONFIG"),
        help="TOML configuration (default: $NEO_STREAMER_CONFIG, else built-in defaults); "
        "NEO_STREAMER_<SECTION>__<KEY> variables apply too",
    )


def load_cli_config(args: argparse.Namespace) -> AppConfig:
    """The configuration file and environment, with ``--bootstrap-servers`` on top.

    Also sets up logging as ``[logging]`` says, so the Kafka client's own log lines come out
    in the same form (JSON lines unless on a terminal) as the daemon's.

    Raises
    ------
    streamer.errors.ConfigError
        When the file or a value is invalid (the CLI exits with code 2).
    """
    from streamer.config import load_config
    from streamer.ops.logging import configure_logging

    overrides = {}
    if args.bootstrap_servers:
        overrides["kafka.bootstrap_servers"] = args.bootstrap_servers
    cfg = load_config(args.config, overrides=overrides)
    configure_logging(cfg.logging.level, cfg.logging.format)
    return cfg


async def start_client(client: Any, command: str, servers: str) -> bool:
    """Start an aiokafka client; when the brokers cannot be reached, stop it, say so on
    stderr and return False (the command then exits with code 3)."""
    from aiokafka.errors import KafkaConnectionError

    try:
        await client.start()
    except KafkaConnectionError as exc:
        await client.stop()
        print(f"neo-streamer {command}: cannot reach Kafka at {servers}: {exc}", file=sys.stderr)
        return False
    return True
