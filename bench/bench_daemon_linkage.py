"""The daemon's launch linkage of one physics-backed alert (``[linkage]``, issue 33 item 3).

Usage::

    .venv/bin/python bench/bench_daemon_linkage.py [--years 30 54] [--clones 8] [--repeats 3]

A stage is simulated (ASSIST; made by this script from the physics, not observed) leaving the
Earth's Hill sphere on the Surveyor 2 Centaur's launch date (1966-09-20, GCAT 1966-084) at
v_inf 2 km/s, as tests/unit/core/orbits/test_linkage.py does, and propagated ``--years``
forward; its osculating elements there, with sigmas of 1e-8 (a, e) and 1e-6 deg (angles),
stand in for a fit summary, and :func:`streamer.state.launch.run_linkage` links it with the
daemon's defaults (``[linkage]``: 8 clones, 70 years, 20 s) in this process, as a scoring
process does. Prints, per epoch, the median wall time of ``--repeats`` runs, whether it
completed, the launch matched and its clone fraction, then the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from datetime import date

import numpy as np

from core.orbits.elements import state_to_elements
from core.orbits.ephemeris import earth_state_au
from core.orbits.linkage import jd_of_date
from core.orbits.propagate import propagate
from streamer.config import LaunchLinkageConfig
from streamer.state.launch import linkage_job, run_linkage

AU_D_PER_KMS = 1.0 / 1731.456836805555
_KEYS = ("a_au", "q_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg")
_SIGMA = {"a_au": 1e-8, "e": 1e-8, "i_deg": 1e-6, "node_deg": 1e-6, "peri_deg": 1e-6,
          "M_deg": 1e-6}  # fmt: skip


def _fit(years: float) -> dict[str, object]:
    jd = jd_of_date(date(1966, 9, 20)) + 0.5
    earth_pos, earth_vel = earth_state_au(jd)
    direction = 0.9 * earth_vel / np.linalg.norm(earth_vel) + 0.436 * np.array([0.0, 0.0, 1.0])
    state0 = np.concatenate(
        [
            earth_pos + 0.01 * earth_pos / np.linalg.norm(earth_pos),
            earth_vel + 2.0 * AU_D_PER_KMS * direction,
        ]
    )
    epoch = jd + years * 365.25
    el = state_to_elements(propagate(state0, jd, np.array([epoch]))[0], epoch_jd=epoch)
    return {"epoch_jd": epoch, "elements": {k: getattr(el, k) for k in _KEYS}, "sigma": _SIGMA}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, nargs="+", default=[30.0, 54.0])
    parser.add_argument("--clones", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cfg = replace(LaunchLinkageConfig(), n_clones=args.clones)
    for years in args.years:
        job = linkage_job("STAGE", _fit(years))
        assert not isinstance(job, str), job
        walls, out = [], {}
        for _ in range(args.repeats):
            started = time.perf_counter()
            out = run_linkage(job, cfg)
            walls.append(time.perf_counter() - started)
        match = out["launch_match"] or {}
        print(
            f"{years:g} years after launch, {args.clones} clones: median "
            f"{statistics.median(walls):.2f} s wall, complete {out['complete']}, match "
            f"{match.get('launch_tag')} (clone fraction {match.get('clone_fraction')})"
        )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
