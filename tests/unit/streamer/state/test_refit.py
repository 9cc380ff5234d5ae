"""Re-scoring objects as their arcs grow: the refit rule, the fitted record's score, alerts.

Uses the bundled model and real astrometry of 2007 VV7 (4 nights, 21 observations, in
``tests/data/neos_multinight_obs80.txt``); the broker cases are in
``tests/integration/test_observation_stream.py``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from core.contract.obs import Observation, decode_obs_message
from core.contract.obsstream import jd_to_iso
from core.contract.records import record_from_obj
from core.orbits.fit import fit_orbit
from core.serving.arcstate import (
    ArcSummary,
    ObjectState,
    ObjectSummary,
    arc_summary,
    merge_observations,
)
from core.serving.inference import InferenceEngine
from core.serving.registry import load_model
from streamer.commands.produce import iter_observation_messages
from streamer.config import load_config
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem
from streamer.state.refit import refit_and_score, refit_kind, to_astrometry
from streamer.state.store import PartitionStore, StateManager

ROOT = Path(__file__).resolve().parents[4]
ASTROMETRY = ROOT / "tests" / "data" / "neos_multinight_obs80.txt"


@pytest.fixture(scope="module")
def engine() -> InferenceEngine:
    return InferenceEngine(load_model(ROOT / "models"))


def _vv7() -> list[tuple[bytes | None, bytes]]:
    return [(k, v) for k, v in iter_observation_messages(ASTROMETRY) if k == b"2007 VV7"]


def _obs(day: float) -> Observation:
    jd = 2_454_410.5 + day
    return Observation(obsTime=jd_to_iso(jd), ra=10.0, dec=20.0, stn="G96", time_jd_utc=jd)


def test_refit_when_the_arc_gains_a_night_or_grows_by_the_factor() -> None:
    cfg = load_config(None, env={}, overrides={}).state
    state = ObjectState()
    merge_observations(state, [_obs(0.0), _obs(0.01)])
    assert refit_kind(state, arc_summary(state.observations), cfg) is None  # one night
    merge_observations(state, [_obs(1.0)])
    arc = arc_summary(state.observations)
    assert refit_kind(state, arc, cfg) == "full"  # two nights, never fitted
    state.fit_observations, state.fit_nights, state.fit_arc_days = 3, arc.nights, arc.days
    merge_observations(state, [_obs(1.02)])  # same night, 2 % longer: no
    assert refit_kind(state, arc_summary(state.observations), cfg) is None
    merge_observations(state, [_obs(1.03)])  # the fit failed (no orbit), 5/3 the observations
    assert refit_kind(state, arc_summary(state.observations), cfg) == "full"
    state.fit_state6 = [1.0, 0.0, 0.0, 0.0, 0.017, 0.0]  # an orbit: the night's growth waits
    state.fit_q_au, state.fit_moid_au, state.fit_sigma_a_rel = 2.1, 1.1, 1e-5
    merge_observations(state, [_obs(1.04), _obs(1.05)])
    assert refit_kind(state, arc_summary(state.observations), cfg) is None
    merge_observations(state, [_obs(2.0)])  # a third night, an Earth-approaching orbit: yes
    state.fit_q_au = 1.0
    assert refit_kind(state, arc_summary(state.observations), cfg) == "full"


def _fitted(q: float, moid: float, sigma_a_rel: float) -> ObjectSummary:
    return ObjectSummary(
        fit_observations=20,
        fit_nights=4,
        fit_arc_days=10.0,
        fit_state6=[1.0, 0.0, 0.0, 0.0, 0.017, 0.0],
        fit_epoch_jd=2_460_000.5,
        fit_q_au=q,
        fit_moid_au=moid,
        fit_sigma_a_rel=sigma_a_rel,
        category_rank=0,
    )


@pytest.mark.parametrize(
    ("orbit", "nights", "days", "want"),
    [
        # a well-determined main-belt orbit (q 2.1 au, MOID 1.1 au): a new night waits ...
        ((2.1, 1.1, 1e-5), 5, 11.0, None),
        ((2.1, 1.1, 1e-5), 6, 11.0, None),
        # ... until refit_far_nights (3) nights were gained, or the arc grew 1.5 times
        ((2.1, 1.1, 1e-5), 7, 11.0, "light"),
        ((2.1, 1.1, 1e-5), 5, 15.0, "light"),
        # Earth-approaching (perihelion within 1.3 au, or MOID within 0.05 au): every night
        ((1.05, 0.2, 1e-5), 5, 11.0, "full"),
        ((1.6, 0.01, 1e-5), 5, 11.0, "full"),
        # far but poorly determined: every night
        ((2.1, 1.1, 0.05), 5, 11.0, "full"),
        ((2.1, 1.1, 0.05), 4, 11.0, None),
    ],
)
def test_the_refit_policy_reads_the_orbit_and_the_data(
    orbit: tuple[float, float, float], nights: int, days: float, want: str | None
) -> None:
    cfg = load_config(None, env={}, overrides={}).state
    state = _fitted(*orbit)
    assert refit_kind(state, ArcSummary(30, nights, days), cfg) == want


def test_a_failed_fit_or_a_changed_verdict_asks_for_a_full_refit() -> None:
    cfg = load_config(None, env={}, overrides={}).state
    far = _fitted(2.1, 1.1, 1e-5)
    far.full_due = True  # a light refit changed the category
    assert refit_kind(far, ArcSummary(21, 5, 11.0), cfg) == "full"
    failed = _fitted(2.1, 1.1, 1e-5)
    failed.fit_state6 = None  # the last fit failed: no orbit to judge by
    assert refit_kind(failed, ArcSummary(21, 5, 11.0), cfg) == "full"
    assert refit_kind(failed, ArcSummary(21, 4, 11.0), cfg) is None


def test_a_warm_start_from_the_stored_orbit_gives_the_cold_fit(engine: InferenceEngine) -> None:
    observations = tuple(o for _, v in _vv7() for o in decode_obs_message(v).observations)
    cold = refit_and_score("2007 VV7", observations, engine)
    assert cold.orbit is not None and cold.kind == "full"
    start = (cold.orbit.state6, cold.orbit.epoch_jd)
    warm = refit_and_score("2007 VV7", observations, engine, start=start)
    light = refit_and_score("2007 VV7", observations, engine, kind="light", start=start)
    cold_fit, warm_fit = orjson.loads(cold.fit), orjson.loads(warm.fit)
    assert warm_fit["elements"] == pytest.approx(cold_fit["elements"], rel=1e-8)
    assert orjson.loads(light.fit)["refit"] == "light" and warm_fit["refit"] == "full"
    # 2007 VV7: a = 1.78 au, q 1.0 au, MOID 0.013 au: Earth-approaching, so refitted in full
    assert cold.orbit.q_au is not None and cold.orbit.q_au < 1.3
    assert cold.orbit.moid_au is not None and cold.orbit.moid_au < 0.05


def test_the_streamed_result_is_the_offline_fit_and_score(engine: InferenceEngine) -> None:
    observations = tuple(o for _, v in _vv7() for o in decode_obs_message(v).observations)
    rescored = refit_and_score("2007 VV7", observations, engine)
    doc = orjson.loads(rescored.document)
    doc["fit"] = orjson.loads(rescored.fit)
    # offline: the same observations fitted and scored directly
    fit = fit_orbit(to_astrometry("2007 VV7", observations))
    assert doc["fit"]["elements"] == pytest.approx(fit.summary()["elements"], rel=1e-9)
    assert doc["fit"]["nights"] == 4 and not rescored.failed
    assert doc["designation"] == "2007 VV7"
    assert 0.0 <= rescored.anomaly_score <= 1.0 and doc["category"] == rescored.category


def test_a_one_night_arc_fails_to_fit_and_is_still_scored(engine: InferenceEngine) -> None:
    one_night = tuple(decode_obs_message(v).observations[0] for _, v in _vv7()[:3])
    rescored = refit_and_score("2007 VV7", one_night, engine)
    doc = orjson.loads(rescored.document)
    doc["fit"] = orjson.loads(rescored.fit)
    assert rescored.failed and doc["fit"]["failed"].startswith("fit failed")
    # a failed fit is a verdict: undetermined with its cause, never natural (issue 28 item 4)
    assert doc["category"] == rescored.category == "undetermined"
    assert doc["evidence"] == rescored.evidence == "none"
    # one night: its tracklet's verdict needs a second night; the fit's cause in the cautions
    assert 0.0 <= doc["fit"]["geocentric_score"] <= 100.0 and doc["needs"] == ["a second night"]
    cause = doc["fit"]["failed"].removeprefix("fit failed: ")
    assert any(cause in caution for caution in doc["cautions"])
    assert record_from_obj({"designation": "x"}) is not None
    assert 0.0 <= doc["anomaly_score"] <= 1.0


def test_state_step_publishes_results_keyed_by_object_and_alerts_only_on_a_rise(
    tmp_path: Path, engine: InferenceEngine
) -> None:
    cfg = load_config(
        None,
        env={},
        overrides={
            "state.enabled": True,
            "state.dir": str(tmp_path),
            "processing.alert_min_score": 0.0,  # every result is alerting: alerts show rises
            "processing.alert_evidence": [],  # whatever the verdict rests on
        },
    )
    manager = StateManager(cfg, Metrics(), ThreadPoolExecutor(1), scorer=lambda: engine)
    manager._stores[("in", 0)] = PartitionStore.open(tmp_path / "p0")
    messages = _vv7()
    results, alerts = [], []
    for offset, (key, value) in enumerate(messages):  # one observation per batch
        for o in manager._apply([InputItem("in", 0, offset, key, value, 1)]):
            results += [orjson.loads(x.value or b"") for x in o.outputs if x.kind == "result"]
            alerts += [x for x in o.outputs if x.kind == "alert"]
            assert all(x.key == b"2007 VV7" for x in o.outputs if x.kind != "changelog")
            assert all(b"2007 VV7" in (x.key or b"") for x in o.outputs)
    # the first night: a tracklet verdict at 3 observations, then when they have doubled
    first = [r["arc"]["observations"] for r in results if r["arc"]["nights"] == 1]
    assert first and first == [3 * 2**k for k in range(len(first))]
    nights = [r["arc"]["nights"] for r in results if r["arc"]["nights"] > 1]
    assert nights == [2, 3, 4]
    assert [r["update"] for r in results] == list(range(1, len(results) + 1))
    # the last refit came with the first observation of the fourth night; the night's later
    # observations neither add a night nor grow the arc 1.5 times: no refit for them
    last = results[-1]
    assert last["arc"]["observations"] < len(messages)
    assert last["source"]["offset"] == last["arc"]["observations"] - 1
    assert 1 <= len(alerts) <= len(results)  # the first alerting result, then only rises


def _simulated(name: str, nights: int, per_night: int = 3) -> tuple[Observation, ...]:
    # simulated (core.orbits.scenarios: ASSIST truth, real stations, 0.3" noise), issue 28
    from core.orbits.scenarios import SCENARIOS, scenario_state
    from core.orbits.simulate import as_observations, nightly_times, simulate_astrometry

    state, epoch = scenario_state(name)
    times, codes = nightly_times(
        state, epoch, epoch + 0.1, nights, SCENARIOS[name].stations, per_night=per_night
    )
    return tuple(as_observations(simulate_astrometry(state, epoch, times, codes)))


def test_the_streamed_refit_of_an_earth_bound_object_succeeds(engine: InferenceEngine) -> None:
    rescored = refit_and_score("SIMHEO", _simulated("heo", 14), engine)
    fit = orjson.loads(rescored.fit)
    assert not rescored.failed and fit["bound_to_earth"] is True


def test_a_tracklet_result_carries_its_geocentric_score(engine: InferenceEngine) -> None:
    tracklet = _simulated("heo", 3, per_night=4)[:4]
    fit = orjson.loads(refit_and_score("SIMHEO", tracklet, engine).fit)
    assert fit["failed"].startswith("fit failed: too few") or "single night" in fit["failed"]
    assert fit["geocentric_score"] > 10.0
    assert fit["reasons"] == ["possible artificial object (geocentric score above 10)"]
