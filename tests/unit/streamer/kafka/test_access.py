"""Refusals by the broker mapped to :class:`AccessDeniedError` (exit code 6) naming the cause.

The real refusals (a SCRAM password the broker rejects, a certificate the client does not
trust, missing ACLs) are in ``tests/integration/test_secure_broker.py``; here the mapping of
every aiokafka error class, the exception chain, and what a message may never contain.
"""

from __future__ import annotations

import socket
import ssl

import pytest
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NotLeaderForPartitionError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnsupportedSaslMechanismError,
)

from streamer.config import KafkaConfig, load_config
from streamer.errors import AccessDeniedError, PublishError
from streamer.kafka.access import diagnose, refusal

PASSWORD = "s3cret-neo-pa55"


def _kafka(**overrides: object) -> KafkaConfig:
    base: dict[str, object] = {
        "kafka.security_protocol": "SASL_PLAINTEXT",
        "kafka.sasl_mechanism": "SCRAM-SHA-512",
        "kafka.sasl_username": "svc-neo",
        "kafka.sasl_password": PASSWORD,
    }
    base.update({f"kafka.{k}": v for k, v in overrides.items()})
    return load_config(None, env={}, overrides=base).kafka


@pytest.mark.parametrize(
    ("exc", "cause", "text"),
    [
        (
            SaslAuthenticationFailed("Authentication failed during authentication due to invalid"),
            "authentication",
            "SASL SCRAM-SHA-512 authentication failed for user 'svc-neo'",
        ),
        (UnsupportedSaslMechanismError("PLAIN only"), "authentication", "kafka.sasl_password"),
        # aiokafka gives some handshake errors the connection object: the description says more
        (IllegalSaslStateError(object()), "authentication", "current SASL state"),
        (TopicAuthorizationFailedError("neo.results"), "authorization", "topic neo.results"),
        (GroupAuthorizationFailedError("neo-streamer"), "authorization", "group neo-streamer"),
        (
            TransactionalIdAuthorizationFailed("neo-streamer-r1"),
            "authorization",
            "transactional id neo-streamer-r1",
        ),
        (ClusterAuthorizationFailedError(), "authorization", "use the cluster (Cluster"),
    ],
)
def test_each_refusal_names_its_cause_and_never_the_password(
    exc: Exception, cause: str, text: str
) -> None:
    found = refusal(exc, _kafka())
    assert isinstance(found, AccessDeniedError)
    assert found.cause == cause
    assert text in str(found)
    assert not found.retriable
    assert PASSWORD not in str(found)


def test_authorization_names_the_principal() -> None:
    found = refusal(GroupAuthorizationFailedError("g"), _kafka())
    assert found is not None and "User:svc-neo" in str(found)
    anonymous = refusal(GroupAuthorizationFailedError("g"), _kafka(security_protocol="SSL"))
    assert anonymous is not None and "this client" in str(anonymous)


def test_untrusted_certificate_names_the_ca_file() -> None:
    err = ssl.SSLCertVerificationError(1, "certificate verify failed")
    err.verify_message = "unable to get local issuer certificate"
    found = refusal(err, _kafka(ssl_cafile="/etc/neo/ca.pem"))
    assert found is not None and found.cause == "tls"
    assert "unable to get local issuer certificate" in str(found)
    assert "kafka.ssl_cafile = /etc/neo/ca.pem" in str(found)
    system = refusal(err, _kafka())
    assert system is not None and "the system's CA certificates" in str(system)


def test_a_refusal_is_found_below_the_error_raised_from_it() -> None:
    try:
        try:
            raise TopicAuthorizationFailedError("neo.alerts")
        except TopicAuthorizationFailedError as exc:
            raise PublishError("cannot publish") from exc
    except PublishError as outer:
        found = refusal(outer, _kafka())
    assert found is not None and "topic neo.alerts" in str(found)


@pytest.mark.parametrize(
    "exc",
    [
        KafkaConnectionError("Unable to bootstrap"),
        KafkaTimeoutError(),
        NotLeaderForPartitionError(),
        ConnectionRefusedError(111, "Connection refused"),
        PublishError("1 of 1 output batches not acknowledged"),
    ],
)
def test_outages_and_other_errors_are_not_refusals(exc: Exception) -> None:
    assert refusal(exc, _kafka()) is None


async def test_diagnose_finds_no_refusal_when_nothing_listens() -> None:
    """An outage (connection refused) is retried by the caller, not reported as a refusal."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kafka = _kafka(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=2000)
    assert await diagnose(kafka) is None
