"""produce and tail exit 3 with a clear message when no broker answers."""

from __future__ import annotations

import pytest

from streamer.cli import main

NOWHERE = "127.0.0.1:1"  # nothing listens on port 1: the connection is refused at once


@pytest.mark.parametrize(
    "argv",
    [
        ["tail", "--bootstrap-servers", NOWHERE, "--timeout", "1"],
        ["produce", "--bootstrap-servers", NOWHERE, "--input", "sample", "--topic", "t"],
    ],
    ids=["tail", "produce"],
)
def test_unreachable_broker_exits_3_naming_the_servers(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert f"neo-streamer {argv[0]}: cannot reach Kafka at {NOWHERE}" in err
