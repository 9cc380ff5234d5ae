"""Launch linkage of the daemon's physics-backed alerts (``[linkage]``, issue 33 item 3), and the
"no known object" sentence of such an alert (issue 30 item 3), through the state step without a
broker.

The fitted orbit is simulated, as tests/unit/core/orbits/test_linkage.py does: a stage leaving
the Earth's Hill sphere on the date of the Surveyor 2 Centaur's launch (1966-09-20, GCAT
1966-084) at v_inf 2 km/s, propagated 3 years forward with ASSIST; its osculating elements there
stand in for the fit's (``fit.elements``). The fits themselves are stood in for (``refit_many``):
this is the state step's handling of the alerts.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from core.contract.obsstream import jd_to_iso
from core.orbits.elements import state_to_elements
from core.orbits.ephemeris import earth_state_au
from core.orbits.linkage import jd_of_date
from core.orbits.propagate import propagate
from streamer.config import AppConfig, LaunchLinkageConfig, load_config
from streamer.errors import ConfigError
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem, ItemOutcome
from streamer.state import launch
from streamer.state.launch import linkage_job, physics_alert, run_linkage
from streamer.state.refit import OrbitFacts, RefitJob, Rescored
from streamer.state.store import PartitionStore, StateManager

AU_D_PER_KMS = 1.0 / 1731.456836805555
_ROW = {"provID": "STAGE9", "ra": 175.5, "dec": 3.25, "stn": "W68"}
_SUMMARY = "A/M 0.011 m^2/kg (1 sigma 0.009-0.013): hollow, not a rock"


def _stage_fit() -> dict[str, Any]:
    """A fit summary (``Rescored.fit``) of the simulated 1966 stage, 3 years after launch."""
    jd = jd_of_date(date(1966, 9, 20)) + 0.5
    earth_pos, earth_vel = earth_state_au(jd)
    radial = earth_pos / np.linalg.norm(earth_pos)
    along = earth_vel / np.linalg.norm(earth_vel)
    direction = 0.9 * along + 0.436 * np.array([0.0, 0.0, 1.0])
    state0 = np.concatenate([earth_pos + 0.01 * radial, earth_vel + 2.0 * AU_D_PER_KMS * direction])
    epoch = jd + 3 * 365.25
    state = propagate(state0, jd, np.array([epoch]))[0]
    el = state_to_elements(state, epoch_jd=epoch)
    elements = {
        "a_au": el.a_au,
        "q_au": el.q_au,
        "e": el.e,
        "i_deg": el.i_deg,
        "node_deg": el.node_deg,
        "peri_deg": el.peri_deg,
        "M_deg": el.M_deg,
    }
    sigma = {"a_au": 1e-8, "e": 1e-8, "i_deg": 1e-6, "node_deg": 1e-6, "peri_deg": 1e-6,
             "M_deg": 1e-6}  # fmt: skip
    return {"epoch_jd": epoch, "elements": elements, "sigma": sigma, "a1_au_d2": None}


@pytest.fixture(scope="module")
def stage_fit() -> dict[str, Any]:
    return _stage_fit()


def _bounds(**kw: Any) -> LaunchLinkageConfig:
    # 3.2 years back from the epoch reach 1966-08 (the launch is 3 years before it)
    return LaunchLinkageConfig(**{"n_clones": 2, "max_years": 3.2, **kw})


def test_a_stage_like_fitted_orbit_is_linked_to_its_launch(stage_fit: dict[str, Any]) -> None:
    job = linkage_job("STAGE9", stage_fit)
    assert not isinstance(job, str)
    linkage = run_linkage(job, _bounds())
    match = linkage["launch_match"]
    assert match is not None, linkage
    assert (match["launch_date"], match["launch_tag"]) == ("1966-09-20", "1966-084")
    assert abs(match["days_after_launch"]) < 5.0
    assert linkage["complete"] and linkage["reason"] is None
    assert linkage["n_clones"] == 2


def test_an_orbit_that_cannot_be_linked_says_why() -> None:
    assert linkage_job("X", {"failed": "one night"}) == "no fitted orbit"
    hyperbolic = {"epoch_jd": 2_460_000.5, "elements": {"a_au": -2.0, "e": 1.5, "i_deg": 3.0,
                  "node_deg": 1.0, "peri_deg": 2.0, "M_deg": 3.0}}  # fmt: skip
    assert linkage_job("X", hyperbolic) == "no bound heliocentric orbit to integrate back"
    assert linkage_job("X", {"epoch_jd": 2_460_000.5, "elements": {"a_au": 1.0}}) == (
        "no bound heliocentric orbit to integrate back"
    )


def test_the_linkage_keys_are_checked_by_name(tmp_path: Path) -> None:
    for text, key in (
        ("[linkage]\nmax_seconds = 60.0\nwait_s = 10.0\n", "linkage.wait_s"),
        ("[linkage]\nn_clones = 0\n", "linkage.n_clones"),
        ('[linkage]\nenabled = "yes"\n', "linkage.enabled"),
    ):
        path = tmp_path / "c.toml"
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            load_config(path, env={})
        assert info.value.key == key


def test_the_known_sentence_joins_a_physics_alerts_summary_only_when_unmatched() -> None:
    linkage = {"launch_match": None, "complete": True, "reason": "no Earth departure matched"}
    check = {"message": 'no known object within 10" among 12 known objects'}
    unmatched = {"physics": {"summary": _SUMMARY, "launch_match": None},
                 "known_match": None, "known_check": check}  # fmt: skip
    out = orjson.loads(physics_alert(orjson.dumps(unmatched), linkage))
    assert out["physics"]["summary"] == f"{_SUMMARY}; {check['message']}"
    assert out["launch_linkage"] == linkage and out["physics"]["launch_match"] is None
    matched = {**unmatched, "known_match": {"name": "XM-3"}}
    out = orjson.loads(physics_alert(orjson.dumps(matched), linkage))
    assert out["physics"]["summary"] == _SUMMARY
    without_check = {"physics": {"summary": _SUMMARY}}
    out = orjson.loads(physics_alert(orjson.dumps(without_check), linkage))
    assert out["physics"]["summary"] == _SUMMARY


# -- the state step -------------------------------------------------------------------------


def _cfg(tmp_path: Path, **linkage: object) -> AppConfig:
    overrides: dict[str, object] = {
        "state.enabled": True,
        "state.dir": str(tmp_path / "state"),
        "processing.alert_evidence": [],  # alerts whatever they rest on: the test picks
        "linkage.n_clones": 2,
        "linkage.max_years": 3.2,
    }
    overrides |= {f"linkage.{k}": v for k, v in linkage.items()}
    return load_config(None, env={}, overrides=overrides)


def _fake_refits(
    monkeypatch: pytest.MonkeyPatch, fit: dict[str, Any], evidence: dict[str, str]
) -> None:
    """Every object is scored artificial_candidate, 0.99, resting on ``evidence[oid]``."""
    import streamer.state.store as store_module

    def fake_refit_many(jobs: list[RefitJob], scorer: object) -> list[Rescored]:
        out = []
        for job in jobs:
            doc = {"designation": job.object_id, "anomaly_score": 0.99,
                   "category": "artificial_candidate", "evidence": evidence[job.object_id],
                   "physics": {"summary": _SUMMARY, "launch_match": None}}  # fmt: skip
            orbit = OrbitFacts((1.0,) * 6, fit["epoch_jd"], 0.98, 0.001, 1e-4)
            out.append(
                Rescored(
                    orjson.dumps(doc),
                    orjson.dumps(fit),
                    0.99,
                    "artificial_candidate",
                    "v",
                    False,
                    job.kind,
                    orbit,
                    evidence[job.object_id],
                )
            )
        return out

    monkeypatch.setattr(store_module, "refit_many", fake_refit_many)


def _run(cfg: AppConfig, objects: list[str]) -> list[ItemOutcome]:
    manager = StateManager(
        cfg,
        Metrics(),
        ThreadPoolExecutor(1),
        scorer=lambda: None,  # type: ignore[arg-type, return-value]
        fit_executor=ThreadPoolExecutor(2),  # stands in for the scoring processes
    )
    manager._stores[("in", 0)] = PartitionStore.open(Path(cfg.state.dir) / "p0")
    items = [
        InputItem(
            "in",
            0,
            2 * k + night,
            oid.encode(),
            orjson.dumps({**_ROW, "provID": oid, "obsTime": jd_to_iso(2_460_001.5 + night)}),
            1,
        )
        for k, oid in enumerate(objects)
        for night in (0, 1)
    ]
    return manager._apply(items)


def _alerts(outcomes: list[ItemOutcome]) -> dict[str, dict[str, Any]]:
    found = [orjson.loads(x.value or b"") for o in outcomes for x in o.outputs if x.kind == "alert"]
    return {a["designation"]: a for a in found}


def test_a_physics_backed_alert_carries_its_launch_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage_fit: dict[str, Any]
) -> None:
    _fake_refits(monkeypatch, stage_fit, {"STAGE9": "physics", "ORBITAL": "orbit"})
    outcomes = _run(_cfg(tmp_path), ["STAGE9", "ORBITAL"])
    alerts = _alerts(outcomes)
    assert set(alerts) == {"STAGE9", "ORBITAL"}
    linkage = alerts["STAGE9"]["launch_linkage"]
    assert linkage["complete"] and linkage["launch_match"]["launch_tag"] == "1966-084"
    assert alerts["STAGE9"]["physics"]["launch_match"] == linkage["launch_match"]
    # an alert resting on the orbit alone is not linked; the results are not edited
    assert "launch_linkage" not in alerts["ORBITAL"]
    results = [orjson.loads(x.value or b"") for o in outcomes for x in o.outputs
               if x.kind == "result"]  # fmt: skip
    assert results and all("launch_linkage" not in r for r in results)


def test_a_linkage_failure_or_timeout_never_loses_the_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage_fit: dict[str, Any]
) -> None:
    _fake_refits(monkeypatch, stage_fit, {"STAGE9": "physics", "STAGE10": "physics"})
    release = threading.Event()

    def failing(job: launch.LinkageJob, cfg: LaunchLinkageConfig) -> dict[str, Any]:
        if job.object_id == "STAGE9":
            raise RuntimeError("the integrator gave up")
        release.wait(30.0)  # never back within wait_s
        return {"launch_match": {"launch_tag": "late"}, "complete": True, "reason": None}

    monkeypatch.setattr(launch, "run_linkage", failing)
    try:
        alerts = _alerts(_run(_cfg(tmp_path, max_seconds=0.0, wait_s=0.5), ["STAGE9", "STAGE10"]))
    finally:
        release.set()
    assert set(alerts) == {"STAGE9", "STAGE10"}
    failed = alerts["STAGE9"]["launch_linkage"]
    assert failed == {"launch_match": None, "complete": False,
                      "reason": "linkage failed: the integrator gave up"}  # fmt: skip
    late = alerts["STAGE10"]["launch_linkage"]
    assert (
        late["launch_match"] is None and late["reason"] == "not back within linkage.wait_s = 0.5 s"
    )
    assert alerts["STAGE10"]["physics"]["launch_match"] is None


def test_linkages_beyond_max_per_batch_or_switched_off_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage_fit: dict[str, Any]
) -> None:
    _fake_refits(monkeypatch, stage_fit, {"STAGE9": "physics", "STAGE10": "physics"})
    ran: list[str] = []

    def counted(job: launch.LinkageJob, cfg: LaunchLinkageConfig) -> dict[str, Any]:
        ran.append(job.object_id)
        return {"launch_match": None, "complete": True, "reason": "no Earth departure matched"}

    monkeypatch.setattr(launch, "run_linkage", counted)
    alerts = _alerts(_run(_cfg(tmp_path, max_per_batch=1), ["STAGE9", "STAGE10"]))
    assert len(ran) == 1
    reasons = sorted(a["launch_linkage"]["reason"] for a in alerts.values())
    assert reasons == ["more than linkage.max_per_batch = 1", "no Earth departure matched"]
    off = _alerts(_run(_cfg(tmp_path / "off", enabled=False), ["STAGE9"]))
    assert off["STAGE9"]["launch_linkage"]["reason"] == "linkage.enabled is false"
    assert len(ran) == 1


# -- known objects (issue 30): the sentence on a discovery's alert, routing = "category" ----

KNOWN_TLE = Path(__file__).resolve().parents[3] / "fixtures" / "known" / "sgp4_ver_subset.tle"


def _tracklet(offset: int, trksub: str, shift_deg: float) -> InputItem:
    """XM-3 (NORAD 28626, a real element set of SGP4-VER.TLE) seen from G96, simulated by
    core.known.simulate; moved by ``shift_deg`` in RA it is nothing known."""
    from core.known.simulate import simulate_sgp4_astrometry
    from core.known.tle import read_tle

    es = next(e for e in read_tle(str(KNOWN_TLE)) if e.norad_id == 28626)
    t0 = es.epoch_jd_utc + 0.4
    obs = simulate_sgp4_astrometry(es, [t0, t0 + 0.005, t0 + 0.01], ["G96"] * 3, seed=1)
    rows = [
        {
            "trkSub": trksub,
            "obsTime": jd_to_iso(float(t)),
            "ra": float(ra) + shift_deg,
            "dec": float(dec),
            "stn": "G96",
        }
        for t, ra, dec in zip(obs.time_jd_utc, obs.ra_deg, obs.dec_deg, strict=True)
    ]
    value = orjson.dumps({"observations": rows}, option=orjson.OPT_SERIALIZE_NUMPY)
    return InputItem("in", 0, offset, trksub.encode(), value, 1)


def test_a_discoverys_alert_says_no_known_object_and_a_known_one_is_known_artificial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage_fit: dict[str, Any]
) -> None:
    import streamer.state.store as store_module

    _fake_refits(monkeypatch, stage_fit, {"KNOWN1": "physics", "NEW1": "physics", "ORB1": "orbit"})
    # the policy is stood in for too: a one-night tracklet is refitted here
    monkeypatch.setattr(store_module, "refit_kind", lambda state, arc, cfg: "full")
    cfg = load_config(
        None,
        env={},
        overrides={
            "state.enabled": True,
            "state.dir": str(tmp_path / "state"),
            "processing.alert_evidence": [],
            "known.enabled": True,
            "known.paths": [str(KNOWN_TLE)],
            "known.routing": "category",
            "linkage.enabled": False,
        },
    )
    manager = StateManager(cfg, Metrics(), ThreadPoolExecutor(1), scorer=lambda: None)  # type: ignore[arg-type, return-value]
    manager._stores[("in", 0)] = PartitionStore.open(Path(cfg.state.dir) / "p0")
    items = [_tracklet(0, "KNOWN1", 0.0), _tracklet(1, "NEW1", 1.0), _tracklet(2, "ORB1", 2.0)]
    outcomes = manager._apply(items)
    results = {
        r["designation"]: r
        for r in (
            orjson.loads(x.value or b"") for o in outcomes for x in o.outputs if x.kind == "result"
        )
    }
    alerts = _alerts(outcomes)
    # matched: category known_artificial (the model's kept), published, never alerting
    known = results["KNOWN1"]
    assert known["known_match"]["norad_id"] == 28626
    assert (known["category"], known["model_category"]) == (
        "known_artificial",
        "artificial_candidate",
    )
    assert "KNOWN1" not in alerts
    # unmatched: every result has the check; only the physics-backed alert says it in words
    assert set(alerts) == {"NEW1", "ORB1"}
    for oid in ("NEW1", "ORB1"):
        assert results[oid]["known_check"]["message"].startswith("no known object within")
        assert results[oid]["physics"]["summary"] == _SUMMARY
    new = alerts["NEW1"]["physics"]["summary"]
    assert new == f"{_SUMMARY}; {results['NEW1']['known_check']['message']}"
    assert alerts["ORB1"]["physics"]["summary"] == _SUMMARY


def test_the_linkage_crosses_to_a_scoring_process(stage_fit: dict[str, Any]) -> None:
    # what the daemon's process pool does with it: the job, the bounds and the answer pickled
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from streamer.pipeline.batch import Output

    outcome = ItemOutcome(InputItem("in", 0, 0, b"STAGE9", b"{}", 1), [])
    alert = orjson.dumps({"designation": "STAGE9", "physics": {"summary": _SUMMARY}})
    outcome.outputs.append(Output("alert", b"STAGE9", alert))
    pending = [launch.PendingAlert("STAGE9", outcome, 0, stage_fit)]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        launch.link_alerts(pending, pool, _bounds(wait_s=120.0))
    (out,) = outcome.outputs
    assert (out.kind, out.key) == ("alert", b"STAGE9")
    linked = orjson.loads(out.value or b"")
    assert linked["launch_linkage"]["launch_match"]["launch_tag"] == "1966-084"
    assert linked["physics"]["launch_match"] == linked["launch_linkage"]["launch_match"]
