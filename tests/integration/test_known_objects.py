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


def _messages() -> list[tuple[bytes, bytes]]:
    xm3 = next(e for e in read_tle(str(TLE)) if e.norad_id == 28626)
    t0 = xm3.epoch_jd_utc + 0.4
    times = [t0, t0 + 0.005, t0 + 0.01, t0 + 1.0, t0 + 1.005, t0 + 1.01]
    known = simulate_sgp4_astrometry(xm3, times, ["G96"] * 6, seed=5)
    epoch = float(utc_to_tdb(t0))
    r, v = earth_state_au(epoch)
    state = np.concatenate([r + np.array([0.0, 0.02, 0.002]), v + np.array([3e-4, 0.0, 0.0])])
    stage = simulate_astrometry(state, epoch, np.array(times), ["G96"] * 6, noise_arcsec=0.3)
    return _tracklets("XMSIM", known) + _tracklets("STAGE1", stage)


async def test_a_known_object_is_published_with_its_match_and_an_unknown_stage_alerts(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    registry = tmp_path / "registry"
    make_registry(registry)
    cfg: dict[str, Any] = base_config(kafka_bootstrap, registry, new_topics())
    cfg["state"] = {"enabled": True, "dir": str(tmp_path / "state"), "rescore": True}
    HANDED_OUT.append(f"{cfg['kafka']['group_id']}.state.changelog")
    cfg["processing"]["alert_min_score"] = 0.0  # every re-scored result would alert
    known_topic = f"known-{uuid.uuid4().hex[:10]}"
    HANDED_OUT.append(known_topic)
    cfg["known"] = {
        "enabled": True,
        "paths": [str(TLE)],
        "routing": "topic",
        "topic": known_topic,
        "reload_interval_s": 0.5,
    }
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
