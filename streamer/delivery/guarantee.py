"""What the configured delivery guarantee asks of the consumers that read its topics."""

from __future__ import annotations

from streamer.config import AppConfig

__all__ = ["isolation_level"]


def isolation_level(cfg: AppConfig) -> str:
    """The input consumer's isolation level: exactly-once reads only committed transactions."""
    if cfg.processing.processing_guarantee == "exactly_once":
        return "read_committed"
    return "read_uncommitted"
