"""Time of :func:`core.orbits.iod.initial_orbits` per object, one core.

Usage::

    .venv/bin/python bench/bench_iod.py [--input PATH] [--repeats 7] [--json OUT]

``--input`` is a file of 80-column astrometry (default: the 34 real ATLAS T08 observations of
(433) Eros in ``tests/fixtures/iod``). Each object's observations are split into one-night
tracklets (observations less than 0.5 d apart); every tracklet of 3 or more observations is
timed, and so is each object's whole arc. The observer positions (``observers.py``) are
computed once, outside the timing, as a streaming caller has them; the Earth's state (DE440
via ASSIST) is inside it. Each case runs ``--repeats`` times after one warm-up call (which
loads the ephemeris); the median wall and CPU (process) times per case are printed, with the
machine and the command. Numpy's thread pools are held to one thread.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_features import machine  # noqa: E402
from core.orbits.astrometry import Astrometry, read_astrometry  # noqa: E402
from core.orbits.ephemeris import utc_to_tdb  # noqa: E402
from core.orbits.iod import initial_orbits  # noqa: E402
from core.orbits.observers import observer_positions_au  # noqa: E402

DEFAULT_INPUT = ROOT / "tests" / "fixtures" / "iod" / "433_T08_2019.txt"
NIGHT_GAP_DAYS = 0.5


def cases(objects: dict[str, Astrometry]) -> list[tuple[str, dict[str, Any]]]:
    """(label, initial_orbits arguments) for every tracklet and whole arc."""
    out = []
    for name, a in objects.items():
        tdb = utc_to_tdb(a.time_jd_utc)
        pos = observer_positions_au(a.station, a.time_jd_utc)
        args = {"time_jd_tdb": tdb, "ra_deg": a.ra_deg, "dec_deg": a.dec_deg}
        args["observer_pos_au"] = pos
        order = np.argsort(tdb)
        night = np.concatenate([[0], np.cumsum(np.diff(tdb[order]) > NIGHT_GAP_DAYS)])
        for k in range(int(night[-1]) + 1):
            sel = order[night == k]
            if sel.size >= 3:
                part = {key: v[sel] for key, v in args.items()}
                out.append((f"{name} tracklet {k} (n={sel.size})", part))
        out.append((f"{name} whole arc (n={tdb.size}, {np.ptp(tdb):.0f} d)", args))
    return out


def time_case(args: dict[str, Any], repeats: int) -> dict[str, float]:
    """Median wall and CPU milliseconds of ``initial_orbits`` on one case."""
    best = initial_orbits(**args)[0]  # warm-up (and the answer)
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        initial_orbits(**args)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {
        "wall_ms": 1e3 * statistics.median(wall),
        "cpu_ms": 1e3 * statistics.median(cpu),
        "best_rms_arcsec": best.rms_arcsec,
        "best_method": best.method,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    ns = parser.parse_args(argv)
    read = read_astrometry(ns.input, "obs80")
    objects = {k: v for k, v in read.items() if isinstance(v, Astrometry)}
    info = {**machine(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    print("machine:", json.dumps(info))
    print("command:", " ".join([sys.executable, *sys.argv]))
    rows = []
    for label, args in cases(objects):
        row = {"case": label, **time_case(args, ns.repeats)}
        rows.append(row)
        print(
            f"{label:<45} median wall {row['wall_ms']:7.1f} ms  cpu {row['cpu_ms']:7.1f} ms  "
            f"best {row['best_method']} rms {row['best_rms_arcsec']:.2f} arcsec"
        )
    tracklets = [r["cpu_ms"] for r in rows if "tracklet" in r["case"]]
    if tracklets:
        median = statistics.median(tracklets)
        print(f"one-night tracklets: median of the medians {median:.1f} ms cpu (target <= 20 ms)")
    if ns.json:
        ns.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
