"""Known artificial objects in the daemon, on the real broker.

Two objects arrive as neo.obs.v1 tracklets, two nights each, on an observation stream:

* ``XMSIM``: XM-3 (NORAD 28626, a real element set of SGP4-VER.TLE) seen from Mt. Lemmon (G96),
  simulated by core.known.simulate (SGP4, exact light time, ERFA station);
* ``STAGE1``: an unknown simulated stage 0.02 au from the Earth (core.orbits.simulate: ASSIST,
  DE440, the same station), in no catalogue.

The daemon runs with ``[known]`` on (the element sets as the catalogue, routing "topic") and
every re-scored result alerting (``alert_min_score = 0``): XMSIM is published with its match,
also on the known topic, and never alerts; STAGE1 alerts, and its alert says "no known object".
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from daemon_harness import (
    HANDED_OUT,
    Daemon,
    base_config,
    make_registry,
    new_topics,
    produce,
    read_topic,
    write_config,
)

from core.contract.obsstream import jd_to_iso
from core.known.simulate import simulate_sgp4_astrometry
from core.known.tle import read_tle
from core.orbits.astrometry import Astrometry
from core.orbits.ephemeris import earth_state_au, utc_to_tdb
from core.orbits.simulate import simulate_astrometry

pytestmark = [pytest.mark.kafka]

ROOT = Path(__file__).resolve().parents[2]
TLE = ROOT / "tests" / "fixtures" / "known" / "sgp4_ver_subset.tle"


def _tracklets(object_id: str, obs: Astrometry) -> list[tuple[bytes, bytes]]:
    """One neo.obs.v1 tracklet message per night (3 observations each)."""
    rows = [
        {
            "trkSub": object_id,
            "obsTime": jd_to_iso(float(t)),
            "ra": float(ra),
            "dec": float(dec),
            "stn": stn,
            "rmsRA": 0.5,
            "rmsDec": 0.5,
        }
        for t, ra, dec, stn in zip(
            obs.time_jd_utc, obs.ra_deg, obs.dec_deg, obs.station, strict=True
        )
    ]
    return [(object_id.encode(), orjson.dumps({"observations": rows[k : k + 3]})) for k in (0, 3)]


def _times() -> list[float]:
    t0 = next(e for e in read_tle(str(TLE)) if e.norad_id == 28626).epoch_jd_utc + 0.4
    return [t0, t0 + 0.005, t0 + 0.01, t0 + 1.0, t0 + 1.005, t0 + 1.01]


def _xm3(object_id: str) -> list[tuple[bytes, bytes]]:
    xm3 = next(e for e in read_tle(str(TLE)) if e.norad_id == 28626)
    return _tracklets(object_id, simulate_sgp4_astrometry(xm3, _times(), ["G96"] * 6, seed=5))


def _stage(object_id: str, offset_au: float = 0.02) -> list[tuple[bytes, bytes]]:
    times = np.array(_times())
    epoch = float(utc_to_tdb(times[0]))
    r, v = earth_state_au(epoch)
    state = np.concatenate([r + np.array([0.0, offset_au, 0.002]), v + np.array([3e-4, 0.0, 0.0])])
    stage = simulate_astrometry(state, epoch, times, ["G96"] * 6, noise_arcsec=0.3)
    return _tracklets(object_id, stage)


def _messages() -> list[tuple[bytes, bytes]]:
    return _xm3("XMSIM") + _stage("STAGE1")


def _config(tmp_path: Path, bootstrap: str, catalogue: Path, **known: Any) -> dict[str, Any]:
    registry = tmp_path / "registry"
    make_registry(registry)
    cfg: dict[str, Any] = base_config(bootstrap, registry, new_topics())
    cfg["state"] = {"enabled": True, "dir": str(tmp_path / "state"), "rescore": True}
    HANDED_OUT.append(f"{cfg['kafka']['group_id']}.state.changelog")
    cfg["processing"]["alert_min_score"] = 0.0  # every re-scored result would alert,
    cfg["processing"]["alert_evidence"] = []  # whatever its verdict rests on
    cfg["known"] = {"enabled": True, "paths": [str(catalogue)], "reload_interval_s": 0.5, **known}
    return cfg


async def test_a_known_object_is_published_with_its_match_and_an_unknown_stage_alerts(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    known_topic = f"known-{uuid.uuid4().hex[:10]}"
    HANDED_OUT.append(known_topic)
    cfg = _config(tmp_path, kafka_bootstrap, TLE, routing="topic", topic=known_topic)
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        daemon.wait_event("daemon started")
        await produce(kafka_bootstrap, cfg["topics"]["input"], _messages())

        def both(msgs: list[dict[str, Any]]) -> bool:
            return {"XMSIM", "STAGE1"} <= {m.get("designation") for m in msgs}

        results = await read_topic(
            kafka_bootstrap, cfg["topics"]["results"], until=both, within=120
        )
        alerts = await read_topic(
            kafka_bootstrap,
            cfg["topics"]["alerts"],
            until=lambda m: any(a.get("designation") == "STAGE1" for a in m),
            within=30,
        )
        on_known = await read_topic(
            kafka_bootstrap,
            known_topic,
            until=lambda m: any(a.get("designation") == "XMSIM" for a in m),
            within=30,
        )
    finally:
        daemon.stop()
    by_object = {r["designation"]: r for r in results}
    xm = by_object["XMSIM"]
    match = xm["known_match"]
    assert (match["name"], match["norad_id"], match["cospar_id"]) == ("XM-3", 28626, "2005-008A")
    assert match["separation_arcsec"] < match["tolerance_arcsec"]
    assert 0.0 < match["confidence"] <= 1.0
    assert [m["norad_id"] for m in xm["known_matches"]] == [28626]
    assert [a["designation"] for a in alerts].count("XMSIM") == 0  # no candidate alert
    assert [k["designation"] for k in on_known] == ["XMSIM"]
    assert on_known[0]["known_match"] == match
    stage_alert = next(a for a in alerts if a["designation"] == "STAGE1")
    assert stage_alert["known_match"] is None
    check = stage_alert["known_check"]
    assert check["message"].startswith("no known object within")
    assert check["catalogue_size"] == 12 and "among 12 known objects" in check["message"]
    assert check["catalogue_date"] == "2019-07-02T00:00:00.000Z"
    assert any(e.get("event") == "known-object catalogue loaded" for e in daemon.logs())


async def test_routing_category_publishes_a_known_object_as_known_artificial(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    cfg = _config(tmp_path, kafka_bootstrap, TLE, routing="category")
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    try:
        daemon.wait_event("daemon started")
        await produce(kafka_bootstrap, cfg["topics"]["input"], _messages())
        results = await read_topic(
            kafka_bootstrap,
            cfg["topics"]["results"],
            until=lambda m: {"XMSIM", "STAGE1"} <= {r.get("designation") for r in m},
            within=120,
        )
        alerts = await read_topic(
            kafka_bootstrap,
            cfg["topics"]["alerts"],
            until=lambda m: any(a.get("designation") == "STAGE1" for a in m),
            within=30,
        )
    finally:
        daemon.stop()
    known = [r for r in results if r["designation"] == "XMSIM"]
    assert known and all(r["category"] == "known_artificial" for r in known)
    assert all(r["model_category"] != "known_artificial" for r in known)
    assert all(r["known_match"]["norad_id"] == 28626 for r in known)
    assert "XMSIM" not in {a["designation"] for a in alerts}
    stage = [r for r in results if r["designation"] == "STAGE1"]
    assert stage and all(r["category"] != "known_artificial" for r in stage)


def _bump(path: Path, seconds: int) -> None:
    """Move the file's modification time on (a rewrite within one mtime tick is still seen)."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


async def test_the_catalogue_is_reloaded_under_load_and_a_bad_file_keeps_the_previous(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    catalogue = tmp_path / "cat.tle"
    shutil.copy(TLE, catalogue)
    cfg = _config(tmp_path, kafka_bootstrap, catalogue)
    daemon = Daemon(write_config(tmp_path / "c.toml", **cfg), tmp_path / "d.log").start()
    lines = TLE.read_text().splitlines()
    xm3_at = next(i for i, line in enumerate(lines) if line.startswith("1 28626"))
    try:
        daemon.wait_event("daemon started")
        # load: ten unknown stages go on being re-scored while the catalogue changes
        load = [m for k in range(10) for m in _stage(f"LOAD{k}", 0.01 + 0.003 * k)]
        await produce(kafka_bootstrap, cfg["topics"]["input"], _xm3("XMSIM-A") + load)
        catalogue.write_text("\n".join(lines[: xm3_at + 1]) + "\n")  # half-written: no line 2
        _bump(catalogue, 10)
        await asyncio.sleep(1.0)
        await produce(kafka_bootstrap, cfg["topics"]["input"], _xm3("XMSIM-B"))
        refused = daemon.wait_event(
            "known-object catalogue not reloaded: the previous one keeps serving", timeout=60
        )
        assert refused["file"] == str(catalogue) and refused["line"] == xm3_at + 1
        assert "line 1 without its line 2" in refused["reason"]
        catalogue.unlink()  # vanished
        await asyncio.sleep(1.0)
        await produce(kafka_bootstrap, cfg["topics"]["input"], _xm3("XMSIM-C"))
        await read_topic(
            kafka_bootstrap,
            cfg["topics"]["results"],
            until=lambda m: "XMSIM-C" in {r.get("designation") for r in m},
            within=90,
        )
        # a good catalogue without XM-3 replaces the previous one
        catalogue.write_text("\n".join(lines[: xm3_at - 1] + lines[xm3_at + 2 :]) + "\n")
        _bump(catalogue, 20)
        await asyncio.sleep(1.0)
        await produce(kafka_bootstrap, cfg["topics"]["input"], _xm3("XMSIM-D"))
        results = await read_topic(
            kafka_bootstrap,
            cfg["topics"]["results"],
            until=lambda m: "XMSIM-D" in {r.get("designation") for r in m},
            within=90,
        )
        alerts = await read_topic(
            kafka_bootstrap,
            cfg["topics"]["alerts"],
            until=lambda m: "XMSIM-D" in {a.get("designation") for a in m},
            within=30,
        )
        reloaded = daemon.events("known-object catalogue reloaded")
    finally:
        daemon.stop()
    by_object = {r["designation"]: r for r in results}
    for oid in ("XMSIM-A", "XMSIM-B", "XMSIM-C"):  # the previous catalogue kept serving
        assert by_object[oid]["known_match"]["norad_id"] == 28626, oid
    assert all(by_object[f"LOAD{k}"]["known_match"] is None for k in range(10))
    assert by_object["XMSIM-D"]["known_match"] is None
    assert by_object["XMSIM-D"]["known_check"]["catalogue_size"] == 11  # 10 sets + 1991 VG
    assert [e["element_sets"] for e in reloaded] == [10]
    alerted = {a["designation"] for a in alerts}
    assert "XMSIM-D" in alerted and not alerted & {"XMSIM-A", "XMSIM-B", "XMSIM-C"}
