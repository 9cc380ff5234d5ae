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

from core.contract.obsstream import Observation, decode_obs_message
from core.contract.records import record_from_obj
from core.orbits.fit import fit_orbit
from core.serving.arcstate import ObjectState, arc_summary, merge_observations
from core.serving.inference import InferenceEngine
from core.serving.registry import load_model
from streamer.batch import InputItem
from streamer.commands.produce import iter_observation_messages
from streamer.config import load_config
from streamer.metrics import Metrics
from streamer.refit import needs_refit, refit_and_score, to_astrometry
from streamer.state import PartitionStore, StateManager

ROOT = Path(__file__).resolve().parents[3]
ASTROMETRY = ROOT / "tests" / "data" / "neos_multinight_obs80.txt"


@pytest.fixture(scope="module")
def engine() -> InferenceEngine:
    return InferenceEngine(load_model(ROOT / "models"))


def _vv7() -> list[tuple[bytes | None, bytes]]:
    return [(k, v) for k, v in iter_observation_messages(ASTROMETRY) if k == b"2007 VV7"]


def _obs(day: float) -> Observation:
    return Observation(2_454_410.5 + day, 10.0, 20.0, "G96")


def test_refit_when_the_arc_gains_a_night_or_grows_by_the_factor() -> None:
    state = ObjectState()
    merge_observations(state, [_obs(0.0), _obs(0.01)])
    assert not needs_refit(state, arc_summary(state.observations), 1.5)  # one night
    merge_observations(state, [_obs(1.0)])
    arc = arc_summary(state.observations)
    assert needs_refit(state, arc, 1.5)  # two nights, never fitted
    state.fit_nights, state.fit_arc_days = arc.nights, arc.days
    merge_observations(state, [_obs(1.02)])  # same night, 2 % longer: no
    assert not needs_refit(state, arc_summary(state.observations), 1.5)
    merge_observations(state, [_obs(2.0)])  # a third night: yes
    assert needs_refit(state, arc_summary(state.observations), 1.5)


def test_the_streamed_result_is_the_offline_fit_and_score(engine: InferenceEngine) -> None:
    observations = tuple(o for _, v in _vv7() for o in decode_obs_message(v).observations)
    rescored = refit_and_score("2007 VV7", observations, engine)
    doc = orjson.loads(rescored.document)
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
    assert rescored.failed and doc["fit"]["failed"].startswith("fit failed")
    # a failed fit is a verdict: undetermined with its cause, never natural (issue 28 item 4)
    assert doc["category"] == rescored.category == "undetermined"
    assert doc["evidence"] == rescored.evidence == "none"
    assert doc["fit"]["failed"].removeprefix("fit failed: ") in doc["needs"][0]
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
            assert all(x.key == b"2007 VV7" for x in o.outputs)
    nights = [r["arc"]["nights"] for r in results]
    assert nights == sorted(set(nights)) and nights[0] == 2 and nights[-1] == 4
    assert [r["update"] for r in results] == list(range(1, len(results) + 1))
    # the last refit came with the first observation of the fourth night; the night's later
    # observations neither add a night nor grow the arc 1.5 times: no refit for them
    last = results[-1]
    assert last["arc"]["observations"] < len(messages)
    assert last["source"]["offset"] == last["arc"]["observations"] - 1
    assert 1 <= len(alerts) <= len(results)  # the first alerting result, then only rises
