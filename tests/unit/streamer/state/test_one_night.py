"""One night is not a refusal (issue 28 item 3): the state step's tracklet verdict.

An object seen on one night gets a result once its night has 3 observations, with the
tracklet's geocentric score and distance range in ``"fit"`` and the verdict ``undetermined``
needing "a second night"; the verdict is given again only when the night's observations have
doubled; a second night hands the object to the usual refits. The astrometry is simulated
(``core.orbits.scenarios`` / ``core.orbits.simulate``: ASSIST for the truth, real station
codes and observing geometry, 0.3" noise), keyed by survey tracklet names (``trkSub``) that
say nothing of the class. Through :class:`StateManager` without a broker; the broker case is
in ``tests/integration/test_observation_stream.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from core.contract.obs import Observation, observation_to_obj
from core.serving.arcstate import ArcSummary, ObjectSummary
from core.serving.inference import InferenceEngine
from core.serving.registry import load_model
from streamer.config import load_config
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem
from streamer.state.refit import refit_kind
from streamer.state.store import PartitionStore, StateManager

ROOT = Path(__file__).resolve().parents[4]
ARTIFICIAL = "possible artificial object (geocentric score above 10)"


@pytest.fixture(scope="module")
def engine() -> InferenceEngine:
    return InferenceEngine(load_model(ROOT / "models"))


def _simulated(
    state6: Any, epoch: float, stations: tuple[str, ...], nights: int, per: int
) -> list[Observation]:
    from core.orbits.simulate import as_observations, nightly_times, simulate_astrometry

    times, codes = nightly_times(state6, epoch, epoch + 0.1, nights, stations, per_night=per)
    return as_observations(simulate_astrometry(state6, epoch, times, codes))


def _heo(nights: int = 1, per: int = 8) -> list[Observation]:
    # a stage on a 175,000 x 325,000 km Earth orbit (core.orbits.scenarios "heo")
    from core.orbits.scenarios import SCENARIOS, scenario_state

    state, epoch = scenario_state("heo")
    return _simulated(state, epoch, SCENARIOS["heo"].stations, nights, per)


def _main_belt(per: int = 8) -> list[Observation]:
    from core.orbits.elements import elements_to_state

    epoch = 2460600.5
    state = elements_to_state(2.7, 0.1, 5.0, 80.0, 30.0, 0.0, epoch)
    return _simulated(state, epoch, ("G96", "F51"), 1, per)


def _manager(tmp_path: Path, engine: InferenceEngine) -> StateManager:
    cfg = load_config(None, env={}, overrides={"state.enabled": True, "state.dir": str(tmp_path)})
    manager = StateManager(cfg, Metrics(), ThreadPoolExecutor(1), scorer=lambda: engine)
    manager._stores[("in", 0)] = PartitionStore.open(tmp_path / "p0")
    return manager


def _stream(
    manager: StateManager, name: str, observations: list[Observation], first_offset: int = 0
) -> Iterator[dict[str, Any]]:
    """Each observation as its own batch; yields the results published."""
    for k, o in enumerate(observations):
        value = orjson.dumps({"trkSub": name, **observation_to_obj(o)})
        item = InputItem("in", 0, first_offset + k, name.encode(), value, 1)
        for outcome in manager._apply([item]):
            for out in outcome.outputs:
                if out.kind == "result":
                    yield orjson.loads(out.value or b"")


def test_one_night_gets_a_verdict_at_three_observations_then_at_each_doubling() -> None:
    cfg = load_config(None, env={}, overrides={}).state
    state = ObjectSummary()
    assert refit_kind(state, ArcSummary(2, 1, 0.01), cfg) is None  # too few to range
    assert refit_kind(state, ArcSummary(3, 1, 0.02), cfg) == "tracklet"
    state.fit_observations, state.fit_nights, state.fit_arc_days = 3, 1, 0.02
    assert refit_kind(state, ArcSummary(5, 1, 0.05), cfg) is None  # same night, not doubled
    assert refit_kind(state, ArcSummary(6, 1, 0.06), cfg) == "tracklet"
    # the second night: the usual refits take over (no orbit yet: full)
    assert refit_kind(state, ArcSummary(7, 2, 1.0), cfg) == "full"


def test_a_high_earth_orbit_tracklet_is_possibly_artificial_and_undetermined(
    tmp_path: Path, engine: InferenceEngine
) -> None:
    night = _heo()
    assert len(night) == 8 and night[-1].time_jd_utc - night[0].time_jd_utc < 0.3
    results = list(_stream(_manager(tmp_path, engine), "T7Q2K1", night))
    # verdicts at 3 and 6 observations, none for the 4th, 5th, 7th and 8th
    assert [r["arc"]["observations"] for r in results] == [3, 6]
    assert [r["update"] for r in results] == [1, 2]
    for r in results:
        fit = r["fit"]
        assert fit["geocentric_score"] > 10.0 and fit["reasons"] == [ARTIFICIAL]
        assert "elements" not in fit and fit["failed"]  # no orbit it cannot support
        assert r["category"] == "undetermined" and r["evidence"] == "none"
        assert r["needs"] == ["a second night"] and ARTIFICIAL in r["cautions"]
        assert r["arc"]["nights"] == 1
    # the truth's topocentric distance at the first observation lies in the range given
    from core.orbits.ephemeris import utc_to_tdb
    from core.orbits.observers import observer_positions_au
    from core.orbits.propagate import propagate
    from core.orbits.scenarios import scenario_state

    state, epoch = scenario_state("heo")
    t0 = night[0].time_jd_utc
    rho = np.linalg.norm(
        propagate(state, epoch, utc_to_tdb(np.array([t0])))[0, :3]
        - observer_positions_au([night[0].stn], np.array([t0]))[0]
    )
    last = results[-1]["fit"]
    assert last["distance_min_au"] <= rho <= last["distance_max_au"]


def test_a_main_belt_tracklet_scores_low_and_is_still_not_natural(
    tmp_path: Path, engine: InferenceEngine
) -> None:
    results = list(_stream(_manager(tmp_path, engine), "T7Q2K2", _main_belt()))
    assert [r["arc"]["observations"] for r in results] == [3, 6]
    for r in results:
        assert r["fit"]["geocentric_score"] < 1.0 and "reasons" not in r["fit"]
        assert r["fit"]["distance_min_au"] > 0.01
        assert r["category"] == "undetermined" and r["needs"] == ["a second night"]


def test_the_second_night_hands_the_object_to_the_orbit_refits(
    tmp_path: Path, engine: InferenceEngine
) -> None:
    two = _heo(nights=2, per=4)
    first = sum(1 for o in two if o.time_jd_utc - two[0].time_jd_utc < 0.3)
    assert first == 4 and len(two) == 8
    results = list(_stream(_manager(tmp_path, engine), "T7Q2K3", two))
    arcs = [(r["arc"]["nights"], r["arc"]["observations"]) for r in results]
    # a tracklet verdict at 3, then the full refit at the second night's first observation
    # (no orbit yet: at each night gained), not at its later observations
    assert arcs == [(1, 3), (2, 5)]
    assert "geocentric_score" in results[0]["fit"]
    assert "geocentric_score" not in results[1]["fit"]  # the arc is no tracklet any more
