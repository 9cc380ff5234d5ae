"""``neo-streamer screen``: ranking by indicator score, reasons, invalid lines, JSON output."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from streamer.cli import main
from streamer.commands.screen import DEFAULT_INPUT

SO_2020 = {
    "designation": "2020 SO",
    "orbit": {"a_au": 1.008, "e": 0.027, "i_deg": 0.13},
    "physical": {"H": 28.3},
    # a radial A1 of A/M 0.006 m^2/kg (the lower end of stages); A2 alone is never evidence
    "nongrav": {"A1": 0.006 * 2.265e-7, "A2": 1.0e-11},
}
EROS = {"designation": "433", "orbit": {"a_au": 1.4581823, "e": 0.2227385, "i_deg": 10.82858}}
# An Arjuna-like orbit (a ~ 1.05, e ~ 0.08, i ~ 2 deg): moderately Earth-like, scores in between.
ARJUNA = {"designation": "arjuna", "orbit": {"a_au": 1.05, "e": 0.08, "i_deg": 2.0}}
BAD = {"designation": "bad", "orbit": {"a_au": 1.0, "e": -0.1, "i_deg": 1.0}}


def _lines() -> list[bytes]:
    return [orjson.dumps(o) for o in (EROS, SO_2020, BAD, ARJUNA)] + [b"", b"{not json"]


@pytest.fixture(params=["jsonl", "jsonl.gz"])
def stream(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    data = b"\n".join(_lines()) + b"\n"
    path = tmp_path / f"s.{request.param}"
    path.write_bytes(gzip.compress(data) if request.param.endswith("gz") else data)
    return path


def test_table_ranks_by_score_with_reasons(
    stream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["screen", "--input", str(stream), "--top", "2"]) == 0
    out, err = capsys.readouterr()
    rows = out.splitlines()
    assert rows[0].split() == ["rank", "score", "designation", "firing", "indicators"]
    assert rows[1].startswith("   1  0.9") and "2020 SO" in rows[1]
    assert "earth_like_orbit (1.00)" in rows[1]
    assert any("implied bulk density <= 57 kg/m^3" in r for r in rows)
    second = [r for r in rows if r.startswith("   2  ")]
    assert len(second) == 1 and "arjuna" in second[0] and "low_encounter_speed" in out
    assert "433 " not in out.split("\n", 1)[1].split("records screened")[0]
    assert rows[-1] == "3 records screened, 2 invalid lines skipped"
    assert "line 3: orbit.e:" in err
    assert "line 6: $:" in err  # line 5 is blank and skipped silently


def test_json_output(stream: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "--input", str(stream), "--top", "5", "--json"]) == 0
    out, err = capsys.readouterr()
    objs = [orjson.loads(line) for line in out.splitlines()]
    assert [o["designation"] for o in objs] == ["2020 SO", "arjuna", "433"]
    assert [o["line"] for o in objs] == [2, 4, 1]
    scores = [o["indicators"]["overall"] for o in objs]
    assert scores == sorted(scores, reverse=True)
    assert objs[0]["indicators"]["items"][0]["name"] == "earth_like_orbit"
    assert "3 records screened" in err


def test_unreadable_and_empty_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "--input", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"\n")
    assert main(["screen", "--input", str(empty)]) == 1


def test_default_input_is_the_bundled_sample_under_the_project_root() -> None:
    root = Path(__file__).resolve().parents[3]
    assert root / "data" / "sample_stream.jsonl.gz" == DEFAULT_INPUT


def test_help_shows_the_default_of_top(capsys: pytest.CaptureFixture[str]) -> None:
    # issue 23 item 14
    with pytest.raises(SystemExit):
        main(["screen", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "show the N highest-scoring records (default: 10)" in help_text
