"""``neo-streamer link``: launch-compatible records linked, others skipped, one JSON line each."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import orjson
import pytest

from core.orbits.elements import state_to_elements
from core.orbits.ephemeris import earth_state_au
from core.orbits.linkage import jd_of_date
from core.orbits.propagate import propagate
from streamer.cli import main

AU_D_PER_KMS = 1.0 / 1731.456836805555


def _stage_record() -> dict[str, object]:
    # Left Earth's Hill sphere on 1966-09-20 (GCAT 1966-084) at 2 km/s; elements 3 years on.
    jd = jd_of_date(date(1966, 9, 20)) + 0.5
    pos, vel = earth_state_au(jd)
    along = vel / np.linalg.norm(vel)
    direction = 0.9 * along + 0.436 * np.array([0.0, 0.0, 1.0])
    start = np.concatenate(
        [pos + 0.01 * pos / np.linalg.norm(pos), vel + 2.0 * AU_D_PER_KMS * direction]
    )
    epoch = jd + 3 * 365.25
    el = state_to_elements(propagate(start, jd, np.array([epoch]))[0], epoch_jd=epoch)
    orbit = {k: getattr(el, k) for k in ("a_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg")}
    sigma = {"a_au": 1e-8, "e": 1e-8, "i_deg": 1e-6, "node_deg": 1e-6, "peri_deg": 1e-6,
             "M_deg": 1e-6}  # fmt: skip
    return {"designation": "stage", "orbit": {**orbit, "epoch_jd": epoch, "sigma": sigma}}


def test_link_matches_the_launch_and_skips_other_orbits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eros = {"designation": "433", "orbit": {"a_au": 1.4581823, "e": 0.2227385, "i_deg": 10.82858}}
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join([orjson.dumps(eros), orjson.dumps(_stage_record()), b"{bad"]))
    code = main(["link", str(path), "--clones", "4", "--years", "4"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "line 3:" in err
    lines = [orjson.loads(line) for line in out.splitlines()]
    assert [line["designation"] for line in lines] == ["stage"]  # Eros: T_E ~ 3, q = 1.13 au
    match = lines[0]["launch_match"]
    assert match["launch_date"] == "1966-09-20"
    assert match["clone_fraction"] == 1.0
    assert lines[0]["trustworthy_after_jd_tdb"] is not None


def test_link_unreadable_file_exits_2(tmp_path: Path) -> None:
    assert main(["link", str(tmp_path / "missing.jsonl")]) == 2
