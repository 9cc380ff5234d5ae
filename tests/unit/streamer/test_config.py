"""Configuration loading: defaults, TOML, env and CLI precedence, and errors that name the key."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from streamer.config import AppConfig, aiokafka_security_kwargs, load_config
from streamer.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    cfg = load_config(None, env={})
    assert cfg == AppConfig()
    assert cfg.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert cfg.processing.processing_guarantee == "at_least_once"
    assert cfg.processing.shutdown_grace_s == 10.0
    assert cfg.http.host == "127.0.0.1"
    assert cfg.http.port == 8080


def test_committed_config_toml_loads_and_documents_every_key() -> None:
    path = ROOT / "config.toml"
    cfg = load_config(path, env={})
    assert cfg == AppConfig()  # the file lists the defaults
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for section in dataclasses.fields(AppConfig):
        keys = {f.name for f in dataclasses.fields(getattr(cfg, section.name))}
        assert set(data[section.name]) == keys, section.name


def test_public_key_names() -> None:
    cfg = load_config(
        None,
        env={},
        overrides={
            "kafka.bootstrap_servers": "b:1",
            "kafka.group_id": "g",
            "topics.input": "i",
            "topics.results": "r",
            "topics.alerts": "a",
            "topics.dead_letter": "d",
            "model.path": "/m",
            "http.port": 9,
        },
    )
    assert (cfg.kafka.bootstrap_servers, cfg.kafka.group_id) == ("b:1", "g")
    assert (cfg.topics.input, cfg.topics.results, cfg.topics.alerts) == ("i", "r", "a")
    assert (cfg.topics.dead_letter, cfg.model.path, cfg.http.port) == ("d", "/m", 9)


def test_precedence_file_env_cli(tmp_path: Path) -> None:
    path = _write(tmp_path, '[topics]\ninput = "from-file"\nresults = "file-results"\n')
    cfg = load_config(path, env={})
    assert cfg.topics.input == "from-file"
    env = {"NEO_STREAMER_TOPICS__INPUT": "from-env", "NEO_STREAMER_PROCESSING__WORKERS": "7"}
    cfg = load_config(path, env=env)
    assert cfg.topics.input == "from-env"
    assert cfg.topics.results == "file-results"
    assert cfg.processing.workers == 7
    cfg = load_config(path, env=env, overrides={"topics.input": "from-cli"})
    assert cfg.topics.input == "from-cli"
    assert cfg.processing.workers == 7


def test_env_values_are_parsed_to_the_field_type() -> None:
    env = {
        "NEO_STREAMER_TOPICS__CREATE_MISSING": "false",
        "NEO_STREAMER_MODEL__CACHE_TTL_S": "2.5",
        "NEO_STREAMER_PROCESSING__ALERT_CATEGORIES": "suspicious, artificial_candidate",
        "NEO_STREAMER_PROCESSING__PROCESSING_GUARANTEE": "exactly_once",
        "NEO_STREAMER_CONFIG": "ignored: not a SECTION__KEY variable",
        "UNRELATED": "x",
    }
    cfg = load_config(None, env=env)
    assert cfg.topics.create_missing is False
    assert cfg.model.cache_ttl_s == 2.5
    assert cfg.processing.alert_categories == ("suspicious", "artificial_candidate")
    assert cfg.processing.processing_guarantee == "exactly_once"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[kafak]\nx = 1\n", "kafak"),
        ("[kafka]\nbootstrap = 'x'\n", "kafka.bootstrap"),
        ("[kafka]\nsession_timeout_ms = 'soon'\n", "kafka.session_timeout_ms"),
        ("[kafka]\nsecurity_protocol = 'TLS'\n", "kafka.security_protocol"),
        ("[kafka]\ncompression_type = 'brotli'\n", "kafka.compression_type"),
        ("[kafka]\nmax_batch_size = 4194304\n", "kafka.max_batch_size"),
        ("[processing]\nworkers = -1\n", "processing.workers"),
        ("[processing]\nqueue_max_size = -1\n", "processing.queue_max_size"),
        ("[processing]\nworkers = 2.5\n", "processing.workers"),
        ("[processing]\nprocessing_guarantee = 'x'\n", "processing.processing_guarantee"),
        ("[processing]\nalert_min_score = 1.5\n", "processing.alert_min_score"),
        ("[processing]\nalert_categories = ['weird']\n", "processing.alert_categories"),
        ("[topics]\ncreate_missing = 'yes'\n", "topics.create_missing"),
        ("[topics]\nresults = 'neo.records'\n", "topics.results"),
        ("[http]\nport = 70000\n", "http.port"),
        ("[logging]\nformat = 'xml'\n", "logging.format"),
        ("[kafka]\nsecurity_protocol = 'SASL_SSL'\n", "kafka.sasl_username"),
        ("[kafka]\nheartbeat_interval_ms = 20000\n", "kafka.heartbeat_interval_ms"),
        ("kafka = 3\n", "kafka"),
    ],
)
def test_file_errors_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text), env={})
    assert info.value.key == key
    assert key in str(info.value)


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"NEO_STREAMER_KAFKA__NOPE": "1"}, "kafka.nope"),
        ({"NEO_STREAMER_NOPE__X": "1"}, "NEO_STREAMER_NOPE__X"),
        ({"NEO_STREAMER_PROCESSING__WORKERS": "many"}, "processing.workers"),
        ({"NEO_STREAMER_TOPICS__CREATE_MISSING": "maybe"}, "topics.create_missing"),
        ({"NEO_STREAMER_HTTP__PORT": "-1"}, "http.port"),
    ],
)
def test_env_errors_name_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, env=env)
    assert info.value.key == key


def test_override_errors_name_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, env={}, overrides={"processing.batch_max_size": "0"})
    assert info.value.key == "processing.batch_max_size"
    with pytest.raises(ConfigError) as info:
        load_config(None, env={}, overrides={"http.prot": "1"})
    assert info.value.key == "http.prot"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "absent.toml", env={})
    assert info.value.key == "$"
    # issue 23 item 14: the message was prefixed "config key '$':"
    assert str(info.value) == (
        f"cannot read the config file {tmp_path / 'absent.toml'}: No such file or directory"
    )


def test_a_file_that_is_not_toml_is_named_without_a_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "not toml [\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.key == "$"
    assert str(info.value).startswith(f"the config file {path} is not valid TOML: ")


def test_secrets_are_not_in_repr() -> None:
    cfg = load_config(
        None,
        env={
            "NEO_STREAMER_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "NEO_STREAMER_KAFKA__SASL_USERNAME": "svc",
            "NEO_STREAMER_KAFKA__SASL_PASSWORD": "hunter2-secret",
            "NEO_STREAMER_KAFKA__SSL_PASSWORD": "keypass-secret",
        },
    )
    assert cfg.kafka.sasl_password == "hunter2-secret"
    for text in (repr(cfg), str(cfg), repr(cfg.kafka)):
        assert "hunter2-secret" not in text
        assert "keypass-secret" not in text
    assert "svc" in repr(cfg.kafka)


def test_security_kwargs_pass_sasl_through() -> None:
    cfg = load_config(
        None,
        env={},
        overrides={
            "kafka.security_protocol": "SASL_PLAINTEXT",
            "kafka.sasl_mechanism": "SCRAM-SHA-512",
            "kafka.sasl_username": "u",
            "kafka.sasl_password": "p",
        },
    )
    assert aiokafka_security_kwargs(cfg.kafka) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "u",
        "sasl_plain_password": "p",
    }
    assert aiokafka_security_kwargs(AppConfig().kafka) == {"security_protocol": "PLAINTEXT"}


def test_security_kwargs_missing_ssl_file_names_the_key(tmp_path: Path) -> None:
    cfg = load_config(
        None,
        env={},
        overrides={"kafka.security_protocol": "SSL", "kafka.ssl_cafile": str(tmp_path / "ca.pem")},
    )
    with pytest.raises(ConfigError) as info:
        aiokafka_security_kwargs(cfg.kafka)
    assert info.value.key == "kafka.ssl_cafile"


def test_run_command_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "[processing]\nworkers = -3\n")
    proc = subprocess.run(
        [sys.executable, "-m", "streamer.cli", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert "processing.workers" in proc.stderr


def test_a_relative_model_path_in_a_file_is_relative_to_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 23 item 1: `run --config <project>/config.toml` started elsewhere looked for
    # ./models in the working directory and exited 4.
    conf_dir = tmp_path / "project"
    conf_dir.mkdir()
    conf = conf_dir / "config.toml"
    conf.write_text('[model]\npath = "models"\n[kafka]\nssl_cafile = "pki/ca.pem"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config(conf, env={})
    assert cfg.model.path == str(conf_dir / "models")
    assert cfg.kafka.ssl_cafile == str(conf_dir / "pki" / "ca.pem")
    # the committed config.toml names the bundled registry from any directory
    assert load_config(ROOT / "config.toml", env={}).model.path == str(ROOT / "models")


def test_relative_paths_from_env_and_flags_are_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    from_env = load_config(None, env={"NEO_STREAMER_MODEL__PATH": "reg"})
    assert from_env.model.path == str(tmp_path / "reg")
    from_flag = load_config(None, env={}, overrides={"model.path": "v/3"})
    assert from_flag.model.path == str(tmp_path / "v" / "3")


def test_the_default_model_path_is_the_bundled_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None, env={}).model.path == str(ROOT / "models")


def test_the_default_alert_rule_alerts_on_the_two_top_categories_and_nothing_else() -> None:
    # issue 23 item 5: config.toml said the defaults alert on the two top categories, but
    # alert_min_score = 0.998 also let "suspicious" records through (between the bundled
    # model's suspicious and highly_suspicious cuts)
    import numpy as np

    from core.serving.registry import load_model
    from streamer.pipeline.batch import AlertRule

    p = load_config(ROOT / "config.toml", env={}).processing
    rule = AlertRule(p.alert_min_score, frozenset(p.alert_categories))
    cuts = load_model(ROOT / "models").cuts
    scores = np.concatenate([np.linspace(0.0, 1.0, 100_001), [cuts.suspicious, 0.998, 1.0]])
    for evidence in (0.0, 1.0):
        categories = cuts.categorize(scores, np.full(scores.shape, evidence))
        for score, category in zip(scores.tolist(), categories, strict=True):
            expected = category in ("highly_suspicious", "artificial_candidate")
            assert rule.matches_score(score, category) is expected, (score, category)


def test_the_default_alert_rule_needs_physics_and_undetermined_is_a_separate_opt_in() -> None:
    # issue 33: an Earth-like orbit alone cannot decide; only physics-backed verdicts alert by
    # default, undetermined ones only for a subscriber who lists the category
    from streamer.pipeline.batch import AlertRule

    p = load_config(ROOT / "config.toml", env={}).processing
    assert p.alert_evidence == ("physics",)
    rule = AlertRule(p.alert_min_score, frozenset(p.alert_categories), frozenset(p.alert_evidence))
    assert rule.matches_score(0.999, "highly_suspicious", "physics")
    assert not rule.matches_score(0.999, "highly_suspicious", "orbit")
    assert not rule.matches_score(0.999, "undetermined", "none")
    opted = AlertRule(1.0, frozenset({*p.alert_categories, "undetermined"}), frozenset({"physics"}))
    assert opted.matches_score(0.2, "undetermined", "none")
    assert not opted.matches_score(0.999, "highly_suspicious", "orbit")
    assert opted.matches({"anomaly_score": 0.5, "category": "undetermined", "evidence": "none"})
    with pytest.raises(ConfigError, match=r"processing\.alert_evidence"):
        load_config(None, env={}, overrides={"processing.alert_evidence": ["vibes"]})


def test_the_config_choices_are_the_declared_categories() -> None:
    """``Category``/``Evidence`` spell :mod:`core.serving.categories` (a Literal cannot derive)."""
    import typing

    from core.serving.categories import ALERT_CATEGORIES, CATEGORIES, EVIDENCE
    from streamer.config import Category, Evidence, ProcessingConfig

    assert typing.get_args(Category) == CATEGORIES
    assert typing.get_args(Evidence) == EVIDENCE
    assert ProcessingConfig().alert_categories == ALERT_CATEGORIES
