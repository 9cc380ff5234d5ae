"""Launch linkage as evidence (issue 33): its false-match rate on natural Earth-like orbits and
its hit rate on simulated stages launched on real GCAT launch dates.

Usage::

    .venv/bin/python bench/bench_linkage.py [--stages 10] [--clones 1] [--max-seconds 20]
        [--window -30 90] [--json OUT]

* **False matches**: every natural Earth-like orbit of the bundled catalogue (a within 0.1 au
  of 1, e < 0.1, i < 2 deg: :func:`core.training.synthetic.is_earth_like`) is integrated back
  to the first GCAT deep-space launch (1959) and matched against every bundled launch. A match
  there is false (these are natural bodies). Counted with the departure rule
  (:func:`core.orbits.linkage.is_departure`: within 0.015 au at v_inf <= 5 km/s, earliest
  departure) and, from the same passages, with the rule before it (any passage within
  0.03 au, -30..+90 days of a launch).
* **Hits**: ``--stages`` GCAT stage launch dates drawn (seed 33) from 1960-2010; each stage is
  simulated (ASSIST) leaving the Earth's Hill sphere (0.01 au, anti-sunward) on its launch day
  at v_inf 1-3 km/s in a random direction, propagated forward to 2019-06-27 (the catalogue's
  epoch) and linked back with the nominal orbit (and ``--clones - 1`` clones of sigma 1e-8 au,
  1e-10 au/d). A hit: the match names the stage's own launch date.

Prints the counts, the wall time per object, the machine and the command. Simulated stages:
made by this script from the physics, not observed.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from core.orbits.ephemeris import earth_state_au  # noqa: E402
from core.orbits.launches import load_deep_space  # noqa: E402
from core.orbits.linkage import (  # noqa: E402
    LinkageConfig,
    clones_from_record,
    draw_clones,
    jd_of_date,
    link_launch,
)
from core.orbits.propagate import propagate  # noqa: E402
from core.training.pipeline import load_catalog  # noqa: E402
from core.training.synthetic import is_earth_like  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
_AU_D_PER_KMS = 1.0 / 1731.456836805555
_EPOCH = jd_of_date(date(2019, 6, 27))


def _old_rule_match(result: Any, pieces: Any) -> bool:
    """Whether any passage within 0.03 au falls -30..+90 days after some launch."""
    jds = np.array([jd_of_date(p.launch_date) for p in pieces])
    for p in result.passages:
        d = p.jd_tdb - jds
        if np.any((d >= -30.0) & (d <= 90.0)):
            return True
    return False


def _stage(launch: date, v_kms: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    jd = jd_of_date(launch) + 0.5
    pos, vel = earth_state_au(jd)
    direction = rng.normal(size=3)
    direction /= np.linalg.norm(direction)
    radial = pos / np.linalg.norm(pos)
    return np.concatenate([pos + 0.01 * radial, vel + v_kms * _AU_D_PER_KMS * direction]), jd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=10)
    parser.add_argument("--clones", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--max-seconds", type=float, default=20.0, help="bound per object")
    parser.add_argument(
        "--window",
        type=float,
        nargs=2,
        default=(-30.0, 90.0),
        metavar=("LO", "HI"),
        help="days from a launch a departure may fall (LinkageConfig.window_days)",
    )
    args = parser.parse_args()
    pieces = load_deep_space()
    config = LinkageConfig(
        n_clones=args.clones, max_seconds=args.max_seconds, window_days=tuple(args.window)
    )
    rng = np.random.default_rng(33)

    records, _, _ = load_catalog(ROOT / "data" / "catalog.jsonl.gz")
    earth_like = [r for r in records if is_earth_like(r)]
    false_new = false_old = linked = incomplete = 0
    natural_s: list[float] = []
    for rec in earth_like:
        drawn = clones_from_record(rec, args.clones, rng)
        if drawn is None:
            continue
        start = time.perf_counter()
        result = link_launch(drawn[0], drawn[1], config=config)
        natural_s.append(time.perf_counter() - start)
        linked += 1
        incomplete += not result.complete
        print(
            f"  {rec.designation}: {natural_s[-1]:.1f} s, back to JD {result.first_jd_tdb:.0f}",
            file=sys.stderr,
            flush=True,
        )
        false_new += result.launch_match is not None
        false_old += _old_rule_match(result, pieces)
        if result.launch_match is not None:
            print(f"  false match: {rec.designation} -> {result.launch_match}", file=sys.stderr)

    stage_dates = sorted(
        {p.launch_date for p in pieces if p.is_stage and 1960 <= p.launch_date.year <= 2010}
    )
    picked = sorted(rng.choice(len(stage_dates), size=args.stages, replace=False).tolist())
    hits = stage_incomplete = 0
    stage_s: list[float] = []
    cov = np.diag([1e-8**2] * 3 + [1e-10**2] * 3)
    for k in picked:
        launch = stage_dates[k]
        state0, jd0 = _stage(launch, float(rng.uniform(1.0, 3.0)), rng)
        state = propagate(state0, jd0, np.array([_EPOCH]))[0]
        clones = draw_clones(state, args.clones, rng, covariance=cov)
        start = time.perf_counter()
        result = link_launch(clones, _EPOCH, config=config, first_jd_tdb=jd0 - 60.0)
        stage_s.append(time.perf_counter() - start)
        match = result.launch_match
        hit = match is not None and match["launch_date"] == launch.isoformat()
        hits += hit
        stage_incomplete += not result.complete
        print(
            f"  stage {launch}: {'hit' if hit else 'miss'}"
            f" ({match['launch_date'] if match else None})",
            file=sys.stderr,
        )
    out = {
        "machine": f"{platform.node()} {platform.machine()}, load {os.getloadavg()[0]:.1f}",
        "command": " ".join(["bench/bench_linkage.py", *sys.argv[1:]]),
        "clones": args.clones,
        "natural_earth_like": linked,
        "natural_stopped_by_time_bound": incomplete,
        "max_seconds": args.max_seconds,
        "window_days": list(args.window),
        "false_matches_departure_rule": false_new,
        "false_matches_old_rule": false_old,
        "simulated_stages": len(picked),
        "hits": hits,
        "stages_stopped_by_time_bound": stage_incomplete,
        "seconds_per_natural_median": float(np.median(natural_s)) if natural_s else None,
        "seconds_per_stage_median": float(np.median(stage_s)) if stage_s else None,
    }
    print(json.dumps(out, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
