"""Failed refits counted by cause: the reasons core.orbits.fit.fit_orbit really gives."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import orjson
import pytest

from core.errors import FitError
from core.orbits.astrometry import Astrometry
from core.orbits.fit import fit_orbit
from streamer.config import load_config
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem
from streamer.state.fitcause import CAUSES, fit_failure_cause
from streamer.state.store import PartitionStore, StateManager


def _reason(a: Astrometry) -> str:
    with pytest.raises(FitError) as caught:
        fit_orbit(a)
    return caught.value.reason


def _astrometry(times: list[float], station: str = "G96") -> Astrometry:
    n = len(times)
    return Astrometry.from_columns(
        times, np.linspace(10.0, 10.01, n), np.linspace(5.0, 5.01, n), [station] * n
    )


def test_real_fit_failures_get_their_cause() -> None:
    assert fit_failure_cause(_reason(_astrometry([2460000.5, 2460000.6]))) == (
        "too_few_observations"
    )
    night = [2460000.5 + k * 0.01 for k in range(5)]
    assert fit_failure_cause(_reason(_astrometry(night))) == "single_night"
    assert fit_failure_cause(_reason(_astrometry(night, "ZZZ"))) == "unknown_station"


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("no convergence in 40 iterations", "no_convergence"),
        ("the fit diverged (non-finite residuals)", "diverged"),
        ("the fitted orbit cannot be followed over the arc: x", "propagation"),
        ("no orbit fits the densest part of the arc (a; b)", "no_initial_orbit"),
        ("two observations from station 703 ... two objects mixed under one", "mixed_objects"),
        ("ValueError", "other"),
    ],
)
def test_reason_words(reason: str, cause: str) -> None:
    assert fit_failure_cause(reason) == cause
    assert cause in CAUSES


class _Scorer:
    """Scores any record as natural (the state step's refit needs a scorer)."""

    model_version = "v-test"

    def predict_encoded(self, records: list[object]) -> list[object]:
        from core.serving.inference import EncodedResult

        doc = b'{"schema": "neo.anomaly.v1", "category": "natural", "anomaly_score": 0.1}'
        return [EncodedResult(doc, 0.1, "natural", "v-test") for _ in records]


def test_state_step_counts_a_failed_refit_by_cause(tmp_path: Path) -> None:
    """Three observations over two nights: the arc is refitted, the fit finds too few
    observations, and the failure is counted with its cause."""
    cfg = load_config(
        None, env={}, overrides={"state.enabled": True, "state.dir": str(tmp_path / "s")}
    )
    metrics = Metrics()
    scorer = _Scorer()
    manager = StateManager(cfg, metrics, ThreadPoolExecutor(1), scorer=lambda: scorer)  # type: ignore[arg-type,return-value]
    manager._stores[("in", 0)] = PartitionStore.open(Path(cfg.state.dir) / "p0")
    row = {"provID": "2023 DW", "ra": 175.5, "dec": 3.25, "stn": "W68"}
    times = ["2023-02-26T04:41:05Z", "2023-02-26T05:41:05Z", "2023-02-28T04:41:05Z"]
    items = [
        InputItem("in", 0, k, b"2023 DW", orjson.dumps({**row, "obsTime": t, "ra": 175.5 + k}), 0)
        for k, t in enumerate(times)
    ]
    outcomes = manager._apply(items)
    results = [o for outcome in outcomes for o in outcome.outputs if o.kind == "result"]
    assert len(results) == 1
    failed = orjson.loads(results[0].value or b"")["fit"]["failed"]
    assert failed.endswith("too few observations: 3 (at least 5 needed)")
    assert metrics.fits.labels(outcome="failed")._value.get() == 1
    assert metrics.fit_failures.labels(cause="too_few_observations")._value.get() == 1
