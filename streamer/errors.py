"""Exceptions raised by :mod:`streamer`.

::

    StreamerError            retriable = False unless said otherwise
    ├── ConfigError          a config file, env var or flag is invalid (names the key)
    ├── BrokerUnavailableError  Kafka cannot be reached (retriable)
    ├── TopicError           a topic is missing and cannot be created
    ├── PublishError         an output was not acknowledged by the broker (retriable)
    └── AccessDeniedError    the broker refused this client: SASL credentials, TLS trust or
                             a missing ACL (``cause`` says which)
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
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


class AccessDeniedError(StreamerError):
    """The broker refused this client; retrying cannot help until the configuration changes.

    ``cause`` is ``"authentication"`` (SASL user or password), ``"tls"`` (the broker's
    certificate is not trusted, or the handshake failed) or ``"authorization"`` (no ACL allows
    an operation the daemon needs); the message names the user, key or resource.
    """

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause
