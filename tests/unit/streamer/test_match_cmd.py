"""``neo-streamer match``: a simulated tracklet of a real element set (core.known.simulate, from
SGP4-VER.TLE) is named; the real Apophis observations of 2006 match nothing; a bad catalogue
file is reported with its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.contract.obsstream import jd_to_iso
from core.known.simulate import simulate_sgp4_astrometry
from core.known.tle import read_tle
from streamer.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "known"
TLE = FIXTURES / "sgp4_ver_subset.tle"


def _ades_file(tmp_path: Path) -> Path:
    xm3 = next(e for e in read_tle(str(TLE)) if e.norad_id == 28626)  # XM-3, geostationary
    t0 = xm3.epoch_jd_utc + 0.4
    obs = simulate_sgp4_astrometry(xm3, [t0, t0 + 0.005, t0 + 0.01], ["G96"] * 3, seed=3)
    rows = ["trkSub|obsTime|ra|dec|stn|rmsRA|rmsDec"]
    for t, ra, dec in zip(obs.time_jd_utc, obs.ra_deg, obs.dec_deg, strict=True):
        rows.append(f"XM3SIM|{jd_to_iso(float(t))}|{ra:.7f}|{dec:.7f}|G96|0.5|0.5")
    path = tmp_path / "obs.psv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_match_names_the_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    code = main(
        ["match", "--input", str(_ades_file(tmp_path)), "--known", str(TLE), "--output", str(out)]
    )
    assert code == 0
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["designation"] == "XM3SIM"
    best = line["known_match"]
    assert (best["name"], best["norad_id"], best["cospar_id"]) == ("XM-3", 28626, "2005-008A")
    assert [m["norad_id"] for m in line["matches"]] == [28626]
    assert line["catalogue_size"] == 12  # 11 element sets and the bundled 1991 VG
    assert "XM3SIM: XM-3 (NORAD 28626, 2005-008A)" in capsys.readouterr().err


def test_a_natural_asteroid_matches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    apophis = FIXTURES / "99942_2006_568.txt"
    assert main(["match", "--input", str(apophis), "--known", str(TLE), "--output", str(out)]) == 0
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["designation"] == "99942"
    assert line["known_match"] is None and line["matches"] == []


def test_a_bad_catalogue_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.tle"
    lines = TLE.read_text().splitlines()
    lines[2] = lines[2][:68] + str((int(lines[2][68]) + 1) % 10)
    bad.write_text("\n".join(lines) + "\n")
    code = main(["match", "--input", str(_ades_file(tmp_path)), "--known", str(bad)])
    assert code == 2
    assert f"{bad}:3: TLE line 2: checksum" in capsys.readouterr().err
