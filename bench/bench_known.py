"""Matching one tracklet against the known-object catalogue: time per tracklet vs catalogue size.

Usage::

    .venv/bin/python bench/bench_known.py [--sizes 1000,3000,10000,30000,100000]
        [--observations 3] [--repeats 7] [--json OUT]

The catalogue: the 11 real element sets of ``tests/fixtures/known/sgp4_ver_subset.tle``
(SGP4-VER.TLE, LEO to GEO, near-Earth and deep-space), each cloned with its mean anomaly and
node spread evenly around the circle, to the size asked (the mix of SGP4 and SDP4 of the real
sets is kept; SGP4's cost depends on the kind of orbit, not on the values). The tracklet: XM-3,
simulated from Mt. Lemmon (core.known.simulate), ``--observations`` observations 7.2 min apart.
Timed: :func:`core.known.match.match_astrometry` as the daemon calls it (station positions,
TEME rotation, SGP4 of every element set at every time, separations, motion), without and with
the bundled heliocentric table (one ASSIST propagation per heliocentric object). Each case runs
``--repeats`` times after a warm-up; the median wall and process-CPU times are printed with the
machine and the command. Numpy's thread pools are held to one thread: one core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sgp4.api import WGS72, Satrec, SatrecArray  # noqa: E402

from bench.bench_features import machine  # noqa: E402
from core.known.catalogue import KnownCatalogue, load_catalogue  # noqa: E402
from core.known.elementset import ElementSet  # noqa: E402
from core.known.match import match_astrometry  # noqa: E402
from core.known.simulate import simulate_sgp4_astrometry  # noqa: E402
from core.known.tle import read_tle  # noqa: E402

TLE = ROOT / "tests" / "fixtures" / "known" / "sgp4_ver_subset.tle"
_SGP4_EPOCH0 = 2433281.5  # sgp4init counts days from 1949 December 31 00:00 UT


def _clone(es: ElementSet, k: int, n: int, satnum: int) -> ElementSet:
    s = es.satrec
    sat = Satrec()
    turn = 2.0 * math.pi * k / n
    sat.sgp4init(
        WGS72, "i", satnum, es.epoch_jd_utc - _SGP4_EPOCH0, s.bstar, s.ndot, s.nddot, s.ecco,
        s.argpo, s.inclo, (s.mo + turn) % (2 * math.pi), s.no_kozai,
        (s.nodeo + 0.618 * turn) % (2 * math.pi),
    )  # fmt: skip
    return ElementSet(f"{es.name} #{k}", satnum, es.cospar_id, es.epoch_jd_utc, sat, "bench")


def catalogue(size: int, bundled: KnownCatalogue | None) -> KnownCatalogue:
    """``size`` element sets cloned from the real ones (the first clone of each is itself)."""
    real = [e for e in read_tle(str(TLE)) if e.norad_id != 28872]  # 28872 decays at once
    per = math.ceil(size / len(real))
    sets = [
        _clone(es, k, per, 10_000 + i * per + k) for i, es in enumerate(real) for k in range(per)
    ]
    sets = sets[:size]
    helio = bundled.heliocentric if bundled is not None else ()
    return KnownCatalogue(tuple(sets), helio, (), SatrecArray([e.satrec for e in sets]))


def _time(fn: Any, repeats: int) -> tuple[float, float]:
    fn()
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,10000,30000,100000")
    parser.add_argument("--observations", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    xm3 = next(e for e in read_tle(str(TLE)) if e.norad_id == 28626)
    t0 = xm3.epoch_jd_utc + 0.4
    times = [t0 + 0.005 * k for k in range(args.observations)]
    obs = simulate_sgp4_astrometry(xm3, times, ["G96"] * len(times))
    bundled = load_catalogue([])
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for with_helio in (False, True):
            cat = catalogue(size, bundled if with_helio else None)
            report = match_astrometry(cat, obs)
            assert report.best is not None and report.best.name.startswith("XM-3")
            wall, cpu = _time(lambda cat=cat: match_astrometry(cat, obs), args.repeats)
            rows.append(
                {
                    "element_sets": size,
                    "heliocentric": len(cat.heliocentric),
                    "observations": len(times),
                    "wall_ms": round(wall * 1e3, 2),
                    "cpu_ms": round(cpu * 1e3, 2),
                    "element_sets_x_obs_per_cpu_s": round(size * len(times) / cpu),
                }
            )
            print(json.dumps(rows[-1]))
    out = {"machine": machine(), "command": " ".join(sys.argv), "rows": rows}
    if hasattr(os, "getloadavg"):
        out["loadavg"] = os.getloadavg()
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}))
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
