"""The state step's one-night result (issue 28 item 3): what a ``tracklet`` refit costs.

Usage::

    PYTHONPATH=. .venv/bin/python bench/bench_one_night.py [--repeat 20]

Simulated tracklets (:mod:`core.orbits.simulate`: ASSIST truth, real MPC stations at night,
0.3" noise, exposures 20 min apart) of a stage in high Earth orbit (:mod:`core.orbits.scenarios`
"heo") and of a main-belt asteroid (a 2.7 au), at 3 and 6 observations: the two verdicts the
refit policy gives a night of 6 to 11 (:func:`streamer.state.refit.refit_kind`). Each row is
:func:`streamer.state.refit.refit_and_score` with ``kind="tracklet"`` and the bundled model: the
fit's refusal, the systematic ranging, the record and its score; the median of ``--repeat``
runs after one warm-up, wall and CPU (one process, numpy held to one thread).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import orjson  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_features import machine  # noqa: E402
from core.contract.obs import Observation  # noqa: E402
from core.orbits.elements import elements_to_state  # noqa: E402
from core.orbits.scenarios import SCENARIOS, scenario_state  # noqa: E402
from core.orbits.simulate import as_observations, nightly_times, simulate_astrometry  # noqa: E402
from core.serving.inference import InferenceEngine  # noqa: E402
from core.serving.registry import load_model  # noqa: E402
from streamer.state.refit import refit_and_score  # noqa: E402


def _night(name: str) -> list[Observation]:
    if name == "heo":
        state, epoch = scenario_state("heo")
        stations: tuple[str, ...] = SCENARIOS["heo"].stations
    else:
        epoch = 2460600.5
        state = elements_to_state(2.7, 0.1, 5.0, 80.0, 30.0, 0.0, epoch)
        stations = ("G96", "F51")
    times, codes = nightly_times(state, epoch, epoch + 0.1, 1, stations, per_night=6)
    return as_observations(simulate_astrometry(state, epoch, times, codes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    engine = InferenceEngine(load_model(ROOT / "models"))
    print(machine())
    print(f"{'tracklet':<10} {'obs':>3} {'score':>6} {'wall ms':>8} {'CPU ms':>7}")
    for name in ("heo", "main-belt"):
        night = _night(name)
        for n in (3, 6):
            obs = night[:n]
            first = refit_and_score("BENCH", obs, engine, kind="tracklet")
            walls, cpus = [], []
            for _ in range(args.repeat):
                w, c = time.perf_counter(), time.process_time()
                refit_and_score("BENCH", obs, engine, kind="tracklet")
                walls.append(time.perf_counter() - w)
                cpus.append(time.process_time() - c)
            score = orjson.loads(first.fit).get("geocentric_score", float("nan"))
            print(
                f"{name:<10} {n:>3} {score:>6.1f} {statistics.median(walls) * 1e3:>8.1f} "
                f"{statistics.median(cpus) * 1e3:>7.1f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
