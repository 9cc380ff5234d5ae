"""``neo-streamer report``: a page per object (its last result), an index most suspicious
first, lines that are no result skipped, exit codes. Observations: the MPC's astrometry in
tests/data (the results here carry no fit: the pages draw the observations alone)."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from core.report.index import page_name
from streamer.cli import main

OBS = Path(__file__).parents[2] / "data" / "neos_multinight_obs80.txt"
HOSTILE = '../<script>alert(1)</script>/"x'


def _result(name: str, category: str, score: float, update: int = 1) -> bytes:
    return orjson.dumps(
        {
            "schema": "neo.anomaly.v1",
            "designation": name,
            "category": category,
            "anomaly_score": score,
            "update": update,
        }
    )


def test_pages_and_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        _result("99942", "suspicious", 0.5, 1),
        _result("2005 TM173", "natural", 0.2),
        b"{not json",
        b'{"schema": "neo.anomaly.error.v1", "error": {"line": 3}}',
        _result(HOSTILE, "artificial_candidate", 0.99),
        _result("99942", "highly_suspicious", 0.95, 2),  # the later update wins
        _result("none-observed", "undetermined", 0.4),
    ]
    src = tmp_path / "results.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    records = tmp_path / "records.jsonl"
    orbit = {
        "a_au": 0.92,
        "e": 0.19,
        "i_deg": 3.3,
        "node_deg": 204.0,
        "peri_deg": 126.0,
        "M_deg": 250.0,
        "epoch_jd": 2453825.5,
    }
    records.write_bytes(orjson.dumps({"designation": "none-observed", "orbit": orbit}) + b"\n")
    out = tmp_path / "pages"
    code = main(
        [
            "report",
            "--input",
            str(src),
            "--observations",
            str(OBS),
            "--records",
            str(records),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "wrote 4 pages (2 with observations)" in capsys.readouterr().err
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 5 and "index.html" in files
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+\.html", f) for f in files)  # no path escapes
    apophis = (out / page_name("99942")).read_text()
    assert "highly suspicious" in apophis and 'data-plot="sky"' in apophis
    assert "432 observations." in apophis
    assert 'data-plot="orbit"' in (out / page_name("none-observed")).read_text()
    hostile = (out / page_name(HOSTILE)).read_text()
    assert "<script" not in hostile
    index = (out / "index.html").read_text()
    order = [m for m in re.findall(r'href="([^"]+)"', index)]
    assert order == [page_name(n) for n in (HOSTILE, "99942", "none-observed", "2005 TM173")]
    assert "<script" not in index


def test_no_results_and_unreadable_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"{not json\n")
    assert main(["report", "--input", str(empty), "--out", str(tmp_path / "o")]) == 1
    missing = tmp_path / "missing.jsonl"
    assert main(["report", "--input", str(missing), "--out", str(tmp_path / "o")]) == 2
    assert (
        main(
            [
                "report",
                "--input",
                str(empty),
                "--observations",
                str(missing),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
