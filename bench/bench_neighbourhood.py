"""Orbits in the Earth's neighbourhood (issue 28): fit time and accuracy per simulated class,
the arc at which a stage's A/M becomes significant, a tracklet's geocentric score and its time,
the time each class spends in the Earth's shadow.

Usage::

    PYTHONPATH=. .venv/bin/python bench/bench_neighbourhood.py [--classes heo,captured,...]
        [--nights 3,5,7,10,14,21,30] [--json OUT]

Simulated astrometry (:mod:`core.orbits.scenarios`; ASSIST truth, real MPC stations at night,
0.3" noise, nightly tracklets of 3). Fit rows: ``fit_orbit`` from no initial orbit (the whole
pipeline: initial orbits, the grown fit, A1 where asked), wall and CPU seconds of one fit
(one process, numpy held to one thread); ``max_z``: the largest |fitted - true| / sigma over
the elements and A1. Significance sweep: the stage's A/M (0.01 m^2/kg) on the first N nights,
``nongrav="a1"``, |A1| / sigma. Tracklet rows: the first night's 4 exposures, the verdict of
:func:`core.orbits.geoscore.tracklet_facts`. Shadow: the share of the truth's 90 days (0.01 d
steps) inside the Earth's umbra (a cone: Sun radius 696,000 km, Earth 6,378 km), i.e. the share
of A1's force that the model (no shadow) adds where there is none.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_features import machine  # noqa: E402
from core.constants import AU_KM  # noqa: E402
from core.errors import FitError  # noqa: E402
from core.orbits.elements import elements_to_state, state_to_elements  # noqa: E402
from core.orbits.ephemeris import earth_state_au  # noqa: E402
from core.orbits.fit import fit_orbit  # noqa: E402
from core.orbits.geoscore import tracklet_facts  # noqa: E402
from core.orbits.propagate import propagate  # noqa: E402
from core.orbits.scenarios import SCENARIOS, scenario_state  # noqa: E402
from core.orbits.simulate import nightly_times, simulate_astrometry  # noqa: E402

STAGE_A1 = 2.265e-9  # A/M 0.01 m^2/kg, C_R = 1
SUN_RADIUS_AU = 696_000.0 / AU_KM
EARTH_RADIUS_AU = 6378.1366 / AU_KM


def _arc(state: Any, epoch: float, name: str, nights: int, a1: float) -> Any:
    sc = SCENARIOS[name]
    times, codes = nightly_times(
        state, epoch, epoch + sc.first_night_offset_days + 0.1, nights, sc.stations, a1=a1
    )
    return simulate_astrometry(state, epoch, times, codes, a1=a1)


def _max_z(fit: Any, state: Any, epoch: float, a1: float) -> float:
    truth = propagate(state, epoch, np.array([fit.epoch_jd]), a1=a1)[0]
    el = state_to_elements(truth, epoch_jd=fit.epoch_jd)
    z = []
    for key, sigma in fit.sigma.items():
        if key != "a_au":
            diff = getattr(el, key) - fit.elements[key]
            if key.endswith("_deg"):
                diff = (diff + 180.0) % 360.0 - 180.0
            z.append(abs(diff) / sigma)
    if fit.a1_au_d2 is not None:
        z.append(abs(fit.a1_au_d2 - a1) / fit.a1_sigma_au_d2)
    return max(z)


def _timed(func: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = func()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def shadow_share(state: Any, epoch: float, days: float = 90.0) -> float:
    t = epoch + np.arange(0.0, days, 0.01)
    r = propagate(state, epoch, t)[:, :3]
    earth, _ = earth_state_au(t)
    geo = r - earth
    sun_dir = earth / np.linalg.norm(earth, axis=1, keepdims=True)  # Sun -> Earth
    along = np.einsum("ij,ij->i", geo, sun_dir)  # > 0: behind the Earth
    perp = np.linalg.norm(geo - along[:, None] * sun_dir, axis=1)
    umbra_len = EARTH_RADIUS_AU * np.linalg.norm(earth, axis=1) / (SUN_RADIUS_AU - EARTH_RADIUS_AU)
    umbra_r = EARTH_RADIUS_AU * (1.0 - along / umbra_len)
    return float(np.mean((along > 0.0) & (perp < umbra_r)))


def run(classes: list[str], nights: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"fits": [], "significance": [], "tracklets": [], "shadow": {}}
    fit_orbit(_arc(*scenario_state("heo"), "heo", 5, 0.0), nongrav="none")  # warm-up
    for name in classes:
        state, epoch = scenario_state(name)
        for a1 in (0.0, STAGE_A1):
            ast = _arc(state, epoch, name, SCENARIOS[name].nights, a1)
            try:
                fit, wall, cpu = _timed(partial(fit_orbit, ast, nongrav="a1" if a1 else "none"))
            except FitError as exc:
                out["fits"].append({"class": name, "a1": a1, "error": exc.reason})
                continue
            row = {
                "class": name,
                "a1": a1,
                "n": len(ast),
                "arc_d": round(fit.arc_days, 1),
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "rms": round(fit.rms_arcsec, 3),
                "max_z": round(_max_z(fit, state, epoch, a1), 2),
                "a1_fit": fit.a1_au_d2,
                "a1_sigma": fit.a1_sigma_au_d2,
            }
            out["fits"].append(row)
            print(json.dumps(row), flush=True)
        for n in nights:
            ast = _arc(state, epoch, name, n, STAGE_A1)
            try:
                fit = fit_orbit(ast, nongrav="a1")
            except FitError as exc:
                row = {"class": name, "nights": n, "error": exc.reason}
            else:
                row = {
                    "class": name,
                    "nights": n,
                    "n": len(ast),
                    "arc_d": round(fit.arc_days, 1),
                    "snr": round(abs(fit.a1_au_d2) / fit.a1_sigma_au_d2, 1),
                }
            out["significance"].append(row)
            print(json.dumps(row), flush=True)
        sc = SCENARIOS[name]
        times, codes = nightly_times(
            state, epoch, epoch + sc.first_night_offset_days + 0.1, 3, sc.stations, per_night=4
        )
        tr = simulate_astrometry(state, epoch, times[:4], codes[:4])
        facts, wall, cpu = _timed(partial(tracklet_facts, tr))
        row = {"class": name, **facts, "wall_s": round(wall, 4), "cpu_s": round(cpu, 4)}
        out["tracklets"].append(row)
        print(json.dumps(row), flush=True)
        out["shadow"][name] = shadow_share(state, epoch)
        print(json.dumps({"class": name, "shadow_share": out["shadow"][name]}), flush=True)
    for label, el in (
        ("main-belt", (2.7, 0.1, 5.0, 80.0, 30.0, 0.0)),
        ("apollo", (1.5, 0.4, 8.0, 200.0, 100.0, 10.0)),
    ):
        state = elements_to_state(*el, 2460600.5)
        times, codes = nightly_times(
            state, 2460600.5, 2460600.6, 5, ("G96", "F51", "I41"), per_night=4
        )
        tr = simulate_astrometry(state, 2460600.5, times[:4], codes[:4])
        facts, wall, cpu = _timed(partial(tracklet_facts, tr))
        row = {"class": label, **facts, "wall_s": round(wall, 4), "cpu_s": round(cpu, 4)}
        out["tracklets"].append(row)
        print(json.dumps(row), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", default=",".join(SCENARIOS))
    parser.add_argument("--nights", default="3,5,7,10,14,21,30")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}", flush=True)
    result = run(args.classes.split(","), [int(n) for n in args.nights.split(",")])
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
