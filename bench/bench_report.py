"""Object pages: the time to draw one and its size, on the real multi-night arcs.

For each object of ``tests/data/neos_multinight_obs80.txt`` ((99942) Apophis 432 observations,
(101955) Bennu 293, 2007 VV7 21, 2005 TM173 6), the result the daemon publishes for it
(:func:`streamer.state.refit.refit_and_score` with the bundled model) is drawn with
:func:`core.report.build_page` ``--repeats`` times, after one warm-up: the median wall time
of the propagation (:func:`core.report.track.compute_track`), of the whole page, and the
page's size. One JSON line per object.

Usage::

    .venv/bin/python -m bench.bench_report [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import orjson

from core.contract.obs import decode_obs_message
from core.orbits.astrometry import Astrometry, read_astrometry
from core.report import build_page
from core.report.track import compute_track
from core.serving.inference import InferenceEngine
from core.serving.registry import load_model
from streamer.commands.produce import iter_observation_messages
from streamer.state.refit import refit_and_score, result_document

ROOT = Path(__file__).resolve().parents[1]
ASTROMETRY = ROOT / "tests" / "data" / "neos_multinight_obs80.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    engine = InferenceEngine(load_model(ROOT / "models"), cache_size=0)
    observations: dict[str, list] = {}  # type: ignore[type-arg]
    for _, value in iter_observation_messages(ASTROMETRY):
        message = decode_obs_message(value)
        observations.setdefault(message.object_id, []).extend(message.observations)
    astrometry = read_astrometry(ASTROMETRY)
    for name, obs in observations.items():
        a = astrometry[name]
        assert isinstance(a, Astrometry)
        result = orjson.loads(result_document(refit_and_score(name, obs, engine), ()))
        build_page(result, a)  # warm-up: imports, the ephemeris, GCAT
        track_s, page_s = [], []
        size = 0
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            compute_track(result["fit"], a)
            t1 = time.perf_counter()
            page = build_page(result, a)
            t2 = time.perf_counter()
            track_s.append(t1 - t0)
            page_s.append(t2 - t1)
            size = len(page.encode())
        print(
            json.dumps(
                {
                    "object": name,
                    "observations": len(obs),
                    "track_s": round(statistics.median(track_s), 4),
                    "page_s": round(statistics.median(page_s), 4),
                    "page_bytes": size,
                }
            )
        )


if __name__ == "__main__":
    main()
