"""Refusals by the broker: SASL authentication, TLS trust and ACL authorization.

A refused client is not an outage: retrying cannot help until someone changes a password, a CA
file or an ACL, so the daemon stops with exit code 6 and one log line naming the cause
(:class:`~streamer.errors.AccessDeniedError`). aiokafka hides why a bootstrap failed (every
failure becomes ``KafkaConnectionError("Unable to bootstrap from ...")``); :func:`diagnose`
opens one raw connection to each bootstrap server to learn it.

No message built here holds a secret: the broker's SASL error text names the mechanism, never
the password, and the configuration is quoted by key and user name only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    IllegalSaslStateError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnsupportedSaslMechanismError,
)

from streamer.config import KafkaConfig, aiokafka_security_kwargs
from streamer.errors import AccessDeniedError

__all__ = ["diagnose", "refusal"]

_AUTHENTICATION = (
    SaslAuthenticationFailed,
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    UnsupportedSaslMechanismError,
    IllegalSaslStateError,
)
_AUTHORIZATION = {
    TopicAuthorizationFailedError: "topic",
    GroupAuthorizationFailedError: "group",
    TransactionalIdAuthorizationFailed: "transactional id",
    ClusterAuthorizationFailedError: "cluster",
}


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from (cause or context), outermost first."""
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def _names(exc: BaseException) -> str:
    """The text aiokafka gave the error: the resource, or the broker's message (some carry
    the connection object instead, which says nothing)."""
    return ", ".join(a for a in exc.args if isinstance(a, str) and a)


def _detail(exc: BaseException) -> str:
    return _names(exc) or str(getattr(exc, "description", "")) or type(exc).__name__


def refusal(exc: BaseException, kafka: KafkaConfig) -> AccessDeniedError | None:
    """An :class:`AccessDeniedError` naming the cause when ``exc`` (or what it was raised
    from) is an authentication, TLS trust or authorization failure; None otherwise."""
    sasl = kafka.security_protocol.startswith("SASL")
    principal = f"User:{kafka.sasl_username}" if sasl else "this client"
    for err in _chain(exc):
        if isinstance(err, AccessDeniedError):
            return err
        if isinstance(err, ssl.SSLCertVerificationError):
            trusted = kafka.ssl_cafile or "the system's CA certificates"
            return AccessDeniedError(
                "tls",
                f"TLS: the broker's certificate is not trusted ({err.verify_message}); "
                f"kafka.ssl_cafile = {trusted}",
            )
        if isinstance(err, ssl.SSLError):
            return AccessDeniedError(
                "tls", f"TLS handshake with the broker failed: {err.reason or err}"
            )
        if isinstance(err, _AUTHENTICATION):
            return AccessDeniedError(
                "authentication",
                f"SASL {kafka.sasl_mechanism} authentication failed for user "
                f"{kafka.sasl_username!r} (kafka.sasl_username, kafka.sasl_password): "
                f"{_detail(err)}",
            )
        for kind, resource in _AUTHORIZATION.items():
            if isinstance(err, kind):
                name = _names(err)
                return AccessDeniedError(
                    "authorization",
                    f"not authorized: no ACL lets {principal} use the {resource}"
                    f"{' ' + name if name else ''} ({type(err).__name__})",
                )
    return None


async def diagnose(kafka: KafkaConfig) -> AccessDeniedError | None:
    """Why the bootstrap servers refuse this client, if they do.

    Connects to each bootstrap server as the clients do (TLS, SASL handshake) and returns the
    first refusal found; None when every server accepts the connection or none can be reached
    at all (an outage, retried by the caller).
    """
    security = aiokafka_security_kwargs(kafka)
    for server in kafka.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit():
            continue
        try:
            conn = await create_conn(
                host.strip("[]"),
                int(port),
                client_id=f"{kafka.client_id}-probe",
                request_timeout_ms=kafka.request_timeout_ms,
                **security,
            )
        except (OSError, KafkaError, TimeoutError) as exc:
            found = refusal(exc, kafka)
            if found is not None:
                return found
            continue
        with contextlib.suppress(Exception):
            conn.close()
        await asyncio.sleep(0)
    return None
