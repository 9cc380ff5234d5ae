"""``run --from`` / ``tail --since``: the times they accept, and a bad one named by its key."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from streamer.commands import tail
from streamer.config import load_config
from streamer.errors import ConfigError
from streamer.replay import parse_start_time


def _ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2025-09-06T07:00:00Z", _ms(2025, 9, 6, 7)),
        ("2025-09-06T07:00:00", _ms(2025, 9, 6, 7)),  # no zone: UTC
        ("2025-09-06T04:00:00-03:00", _ms(2025, 9, 6, 7)),
        ("2025-09-06T07:00:00.250Z", _ms(2025, 9, 6, 7) + 250),
        ("2025-09-06", _ms(2025, 9, 6, 12)),  # a night: from 12:00 UTC (Rubin's dayObs)
    ],
)
def test_times_accepted(text: str, want: int) -> None:
    assert parse_start_time(text) == want


@pytest.mark.parametrize("text", ["yesterday", "2025-13-01", "2025-09-06T25:00:00Z", ""])
def test_bad_times_say_which_forms_are_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_start_time(text)


def test_a_bad_start_from_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, env={}, overrides={"kafka.start_from": "last tuesday"})
    assert info.value.key == "kafka.start_from"
    cfg = load_config(None, env={}, overrides={"kafka.start_from": "2025-09-06"})
    assert cfg.kafka.start_from == "2025-09-06"


def test_tail_refuses_a_bad_since_before_connecting(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    tail.add_arguments(parser)
    args = parser.parse_args(["--since", "soon", "--bootstrap-servers", "127.0.0.1:1"])
    assert tail.run(args) == 2
    assert "--since" in capsys.readouterr().err
