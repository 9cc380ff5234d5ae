"""Exceptions raised by :mod:`streamer`.

::

    StreamerError            retriable = False unless said otherwise
    ├── ConfigError          a config file, env var or flag is invalid (names the key)
    ├── BrokerUnavailableError  Kafka cannot be reached (retriable)
    ├── TopicError           a topic is missing and cannot be created
    └── PublishError         an output was not acknowledged by the broker (retriable)
"""

from __future__ import annotations

__all__ = [
    "BrokerUnavailableError",
    "ConfigError",
    "PublishError",
    "StreamerError",
    "TopicError",
]


class StreamerError(Exception):
    """Root of every error raised on purpose by :mod:`streamer`."""

    retriable: bool = False


class ConfigError(StreamerError):
    """Invalid configuration; ``key`` is the dotted key (``"kafka.group_id"``), or ``"$"``
    for the file as a whole (unreadable, not TOML), whose message is the reason alone."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason if key == "$" else f"config key {key!r}: {reason}")
        self.key = key
        self.reason = reason


class BrokerUnavailableError(StreamerError):
    """The Kafka cluster cannot be reached."""

    retriable = True


class TopicError(StreamerError):
    """A topic is missing and could not be created."""


class PublishError(StreamerError):
    """An output record was not acknowledged by the broker."""

    retriable = True
