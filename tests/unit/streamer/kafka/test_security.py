"""Security settings: SASL/SSL pass-through to aiokafka and their configuration errors, and the
read-only, loopback-bound HTTP endpoint.

Also covered elsewhere (not repeated here): secrets absent from ``repr`` and the SASL
pass-through of the SCRAM mechanisms (``tests/unit/streamer/test_config.py``); model artifacts
loaded only after their sha256 matches the manifest, and only allow-listed types
(``tests/unit/core/serving/test_registry.py``); a SASL password never in the daemon's logs
(``tests/integration/test_reliability_security.py``).
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from streamer.config import AppConfig, aiokafka_security_kwargs, load_config
from streamer.errors import ConfigError
from streamer.ops.http import HealthServer


def _load(**overrides: object) -> AppConfig:
    return load_config(None, env={}, overrides={f"kafka.{k}": v for k, v in overrides.items()})


@pytest.mark.parametrize(
    ("overrides", "key", "text"),
    [
        ({"security_protocol": "SASL_PLAINTEXT"}, "kafka.sasl_username", "needs sasl_username"),
        (
            {"security_protocol": "SASL_SSL", "sasl_username": "svc"},
            "kafka.sasl_username",
            "sasl_password",
        ),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_password": "pw-only"},
            "kafka.sasl_username",
            "sasl_username",
        ),
        ({"sasl_mechanism": "GSSAPI"}, "kafka.sasl_mechanism", "must be one of"),
        ({"sasl_mechanism": "plain"}, "kafka.sasl_mechanism", "must be one of"),
        ({"security_protocol": "TLS"}, "kafka.security_protocol", "must be one of"),
        ({"ssl_certfile": "/etc/client.pem"}, "kafka.ssl_keyfile", "go together"),
        ({"ssl_keyfile": "/etc/client.key"}, "kafka.ssl_keyfile", "go together"),
    ],
)
def test_security_config_errors_name_the_key(
    overrides: dict[str, object], key: str, text: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _load(**overrides)
    assert info.value.key == key
    assert text in info.value.reason
    assert "pw-only" not in str(info.value)


@pytest.mark.parametrize("missing", ["ssl_cafile", "ssl_certfile", "ssl_keyfile"])
def test_each_missing_ssl_file_names_its_key(tmp_path: Path, missing: str) -> None:
    files = {"ssl_cafile": "ca.pem", "ssl_certfile": "c.pem", "ssl_keyfile": "c.key"}
    for name in files.values():
        (tmp_path / name).write_text("x")
    (tmp_path / files[missing]).unlink()
    cfg = _load(security_protocol="SSL", **{k: str(tmp_path / v) for k, v in files.items()})
    with pytest.raises(ConfigError) as info:
        aiokafka_security_kwargs(cfg.kafka)
    assert info.value.key == f"kafka.{missing}"
    assert files[missing] in info.value.reason


def test_a_ca_file_that_is_not_a_certificate_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate\n")
    cfg = _load(security_protocol="SSL", ssl_cafile=str(tmp_path / "ca.pem"))
    with pytest.raises(ConfigError) as info:
        aiokafka_security_kwargs(cfg.kafka)
    assert info.value.key == "kafka.ssl_cafile"
    assert "SSL context" in info.value.reason


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A self-signed certificate and its key encrypted with a password (openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("pki")
    command = "openssl req -x509 -newkey rsa:2048 -days 2 -subj /CN=neo-test"
    subprocess.run(
        [
            *command.split(),
            *("-passout", "pass:key-secret"),
            *("-keyout", str(d / "client.key"), "-out", str(d / "client.pem")),
        ],
        check=True,
        capture_output=True,
    )
    return {"cert": d / "client.pem", "key": d / "client.key"}


def test_sasl_ssl_passes_context_and_credentials_to_aiokafka(pki: dict[str, Path]) -> None:
    cfg = _load(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="svc",
        sasl_password="hunter2",
        ssl_cafile=str(pki["cert"]),
        ssl_certfile=str(pki["cert"]),
        ssl_keyfile=str(pki["key"]),
        ssl_password="key-secret",
    )
    kwargs = aiokafka_security_kwargs(cfg.kafka)
    context = kwargs.pop("ssl_context")
    assert kwargs == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "svc",
        "sasl_plain_password": "hunter2",
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    # the configured CA is the one trusted
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "neo-test"),),)]


def test_wrong_key_password_is_a_config_error(pki: dict[str, Path]) -> None:
    cfg = _load(
        security_protocol="SSL",
        ssl_certfile=str(pki["cert"]),
        ssl_keyfile=str(pki["key"]),
        ssl_password="wrong-secret",
    )
    with pytest.raises(ConfigError) as info:
        aiokafka_security_kwargs(cfg.kafka)
    assert "wrong-secret" not in str(info.value)


def test_plaintext_passes_no_credentials_even_when_some_are_set() -> None:
    cfg = _load(sasl_username="svc", sasl_password="hunter2")
    assert aiokafka_security_kwargs(cfg.kafka) == {"security_protocol": "PLAINTEXT"}


# -- the HTTP endpoint ------------------------------------------------------------------------


async def _request(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    writer.write(head.encode() + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


async def test_http_binds_to_loopback_by_default_and_has_no_write_methods() -> None:
    calls: list[str] = []

    def ready() -> tuple[bool, str]:
        calls.append("ready")
        return True, "ready"

    def metrics() -> bytes:
        calls.append("metrics")
        return b"# metrics\n"

    http = AppConfig().http
    assert http.host == "127.0.0.1"
    server = HealthServer(http.host, 0, ready, metrics)
    await server.start()
    try:
        assert server._server is not None
        bound = {sock.getsockname()[0] for sock in server._server.sockets}
        assert bound == {"127.0.0.1"}
        assert server.port is not None
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            for path in ("/healthz", "/readyz", "/metrics", "/"):
                status, body = await _request(server.port, method, path, b'{"x": 1}')
                assert (status, body) == (405, b"read-only endpoint\n"), (method, path)
        assert calls == []  # no write request reached the daemon's state
        assert await _request(server.port, "GET", "/readyz") == (200, b"ready\n")
        assert await _request(server.port, "GET", "/metrics") == (200, b"# metrics\n")
    finally:
        await server.stop()
