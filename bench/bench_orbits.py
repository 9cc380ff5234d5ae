"""Orbit-fit accuracy on real astrometry and fit speed on one core.

Accuracy (reads ``../shared/data/raw``, the offline copies of public data; this is a benchmark,
not a test, and it says so and skips that part cleanly when the folder is absent): every
optical 80-column file of ``obs_mpc80_neos_jl`` and the ADES rows of ``layup_testdata`` are
fitted (initial orbit, then the differential correction, ``nongrav="auto"``) and compared with
the published orbit of the same object in the bundled catalog (``data/catalog.jsonl.gz``, MPC
NEA.txt 2019, epoch JD 2458666.5) propagated with the same force model to the fit's epoch:
position difference (km), delta a, e, i, and the fit's RMS.

Speed: simulated astrometry (0.3 arcsec noise) of an Apollo, timed per fit with
``time.perf_counter`` (median of ``--repeat`` runs) for a one-night tracklet (initial orbit
only), a 30-day arc of ~100 observations and a 3-opposition arc of ~1000 observations.

Usage::

    .venv/bin/python bench/bench_orbits.py [--raw ../shared/data/raw] [--limit N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.constants import AU_KM
from core.errors import FitError, FormatError
from core.orbits.astrometry import Astrometry, read_astrometry
from core.orbits.elements import elements_to_state, state_to_elements
from core.orbits.ephemeris import utc_to_tdb
from core.orbits.fit import fit_orbit
from core.orbits.iod import initial_orbits
from core.orbits.observers import observer_positions_au
from core.orbits.propagate import PropagationError, propagate
from core.orbits.simulate import simulate_astrometry

ROOT = Path(__file__).resolve().parents[1]
APOLLO = elements_to_state(1.6, 0.45, 8.0, 60.0, 250.0, 340.0)
EPOCH = 2459150.5
STATIONS = ("F51", "G96", "703", "I41")


def _catalog() -> dict[str, dict[str, Any]]:
    with gzip.open(ROOT / "data" / "catalog.jsonl.gz", "rt") as f:
        return {o["designation"]: o["orbit"] for o in map(json.loads, f)}


def _published_state(orbit: dict[str, Any], epoch: float) -> np.ndarray:
    state = elements_to_state(
        orbit.get("a_au"),
        orbit["e"],
        orbit["i_deg"],
        orbit["node_deg"],
        orbit["peri_deg"],
        orbit["M_deg"],
        q_au=orbit.get("q_au"),
    )
    return propagate(state, float(orbit["epoch_jd"]), np.array([epoch]))[0]


def accuracy(raw: Path, limit: int | None, sources: str = "all") -> list[dict[str, Any]]:
    catalog = _catalog()
    files: list[Path] = []
    if sources in ("all", "obs80"):
        files += sorted(
            p
            for p in (raw / "obs_mpc80_neos_jl").glob("*")
            if p.suffix in (".txt", ".dat") and "RADAR" not in p.name and p.name != "neocp.txt"
        )
    if sources in ("all", "ades"):
        files += [raw / "layup_testdata" / "100_random_mpc_ADES_provIDs.csv"]
    rows: list[dict[str, Any]] = []
    for path in files:
        try:
            objects = read_astrometry(path)
        except FormatError as exc:
            rows.append({"object": path.name, "error": str(exc)})
            continue
        for designation, astrometry in objects.items():
            if limit is not None and len(rows) >= limit:
                return rows
            row: dict[str, Any] = {"object": designation, "file": path.name}
            if isinstance(astrometry, FitError):
                rows.append({**row, "error": astrometry.reason})
                print(json.dumps(rows[-1]), flush=True)
                continue
            row["n_obs"] = len(astrometry)
            start = time.perf_counter()
            try:
                fit = fit_orbit(astrometry)
            except FitError as exc:
                rows.append({**row, "error": exc.reason, "s": time.perf_counter() - start})
                print(json.dumps(rows[-1]), flush=True)
                continue
            row.update(
                s=time.perf_counter() - start,
                rms=fit.rms_arcsec,
                arc_d=fit.arc_days,
                used=fit.n_used,
                rejected=fit.n_rejected,
            )
            published = catalog.get(designation)
            if published is not None:
                try:
                    truth = _published_state(published, fit.epoch_jd)
                except (PropagationError, ValueError) as exc:
                    row["compare"] = f"published orbit not propagated: {exc}"
                else:
                    el = state_to_elements(truth)
                    row.update(
                        dpos_km=float(
                            np.linalg.norm(np.asarray(fit.state6[:3]) - truth[:3]) * AU_KM
                        ),
                        da=(fit.elements["a_au"] or math.nan) - (el.a_au or math.nan),
                        de=fit.elements["e"] - el.e,
                        di=fit.elements["i_deg"] - el.i_deg,
                    )
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def _times(days: float, every: float, per_night: int) -> np.ndarray:
    nights = np.arange(0.0, days + 1e-9, every)
    return (EPOCH - days / 2 + nights[:, None] + 0.3 + 0.01 * np.arange(per_night)[None, :]).ravel()


def _median_s(func: Any, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return statistics.median(out)


def speed(repeat: int) -> dict[str, float]:
    def sim(times: np.ndarray) -> Astrometry:
        stations = [STATIONS[k % 4] for k in range(times.size)]
        return simulate_astrometry(APOLLO, EPOCH, times, stations, seed=1)

    tracklet = sim(EPOCH + 0.3 + np.arange(4) * 0.02)
    tdb = utc_to_tdb(tracklet.time_jd_utc)
    obs = observer_positions_au(tracklet.station, tracklet.time_jd_utc)
    month = sim(_times(30.0, 1.0, 3))  # 93 observations
    years = sim(np.concatenate([_times(60.0, 1.0, 6) + k * 420.0 for k in (-1, 0, 1)]))  # 1098
    # the differential correction from a start 10^4 km off (the IOD's usual error), so that
    # these two rows time the fit alone; the tracklet row times the initial orbit alone
    start = [(APOLLO + np.array([1e-4, -1e-4, 5e-5, 1e-6, -1e-6, 1e-6]), EPOCH)]
    fit_orbit(month, nongrav="none", initial=start)  # warm up (ephemeris load, imports)
    return {
        "tracklet_iod_s": _median_s(
            lambda: initial_orbits(tdb, tracklet.ra_deg, tracklet.dec_deg, obs), repeat
        ),
        "month_100_s": _median_s(lambda: fit_orbit(month, nongrav="none", initial=start), repeat),
        "month_100_n": float(len(month)),
        "years_1000_s": _median_s(lambda: fit_orbit(years, nongrav="none", initial=start), repeat),
        "years_1000_n": float(len(years)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_raw = next(
        (
            p / "shared" / "data" / "raw"
            for p in (ROOT.parent, ROOT.parent.parent)
            if (p / "shared").is_dir()
        ),
        ROOT.parent / "shared" / "data" / "raw",
    )
    parser.add_argument("--raw", type=Path, default=default_raw)
    parser.add_argument("--limit", type=int, default=None, help="fit at most N real objects")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--sources", choices=("all", "obs80", "ades"), default="all")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, {os.uname().machine}; one process")
    print(json.dumps(speed(args.repeat)))
    if args.skip_accuracy:
        return
    if not args.raw.is_dir():
        print(f"accuracy skipped: {args.raw} (the shared raw data) is not here")
        return
    print(f"accuracy: reading {args.raw} (shared raw data, not part of the repository)")
    accuracy(args.raw, args.limit, args.sources)


if __name__ == "__main__":
    main()
