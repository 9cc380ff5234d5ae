"""Build ``data/demo_stage_obs.psv``: simulated survey astrometry of a spent rocket stage.

Simulated, not observed (issue 33 item 4, so `make run` shows a physics-backed verdict from
streamed observations): a stage on an Earth-like heliocentric orbit (a = 1.02 au, e = 0.04,
i = 0.6 deg, 3 deg ahead of the Earth in mean longitude: ~0.055 au away over the arc) with
the area-to-mass ratio of a Centaur upper stage from GCAT (1965-064: 1,873 kg dry, 8.6 m x
3.0 m, A/M ~0.0127 m^2/kg), A1 = A/M x 2.265e-7 au/d^2 (C_R = 1), propagated with ASSIST
(:mod:`core.orbits.simulate`: DE440, planets, Moon, GR), seen from the real survey stations
F51 (Pan-STARRS 1) and G96 (Mt. Lemmon), 3 observations 20 min apart at 13:30 UTC on each of
10 nights over 100 days, 0.3" Gaussian noise (reported as rmsRA/rmsDec). The designation
``SIM-STAGE1`` cannot be a real one.

Run: ``.venv/bin/python scripts/build_demo_obs.py`` (deterministic, seed 33).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from core.contract.obsstream import jd_to_iso
from core.orbits.elements import elements_to_state
from core.orbits.launches import area_to_mass_m2_kg, load_deep_space
from core.orbits.simulate import simulate_astrometry
from core.orbits.srp import SRP_AU_D2_PER_M2_KG

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "demo_stage_obs.psv"
DESIGNATION = "SIM-STAGE1"
EPOCH_JD_TDB = 2460800.5  # 2025-05-05
NIGHTS = np.linspace(0.0, 100.0, 10)
SEED = 33
LEAD_DEG = 3.0


def _state() -> np.ndarray:
    """Heliocentric ecliptic state (au, au/d) of the stage at EPOCH_JD_TDB: an Earth-like
    orbit leading the Earth by LEAD_DEG in mean longitude (the Earth's mean longitude
    100.464 + 0.9856474 d deg, d days from J2000; Meeus 1998, ch. 31, rounded)."""
    earth_l = (100.464 + 0.9856474 * (EPOCH_JD_TDB - 2451545.0)) % 360.0
    node, peri = 40.0, 100.0
    mean_anomaly = (earth_l + LEAD_DEG - node - peri) % 360.0
    return elements_to_state(1.02, 0.04, 0.6, node, peri, mean_anomaly, EPOCH_JD_TDB)


def main() -> int:
    centaur = next(p for p in load_deep_space() if p.launch_tag == "1965-064")
    a1 = area_to_mass_m2_kg(centaur) * SRP_AU_D2_PER_M2_KG
    # 13:30 UTC: before dawn at both stations (the stage is ~85 deg west of the Sun)
    night = EPOCH_JD_TDB + 0.5625 + np.array([0.0, 0.014, 0.028])
    times = np.concatenate([night + n for n in NIGHTS])
    stations = ["F51" if k % 2 == 0 else "G96" for k in range(times.size // 3) for _ in range(3)]
    astrometry = simulate_astrometry(
        _state(), EPOCH_JD_TDB, times, stations, a1=a1, seed=SEED, designation=DESIGNATION
    )
    lines = ["# version=2022", "provID|stn|obsTime|ra|dec|rmsRA|rmsDec|mode|astCat"]
    for t, ra, dec, stn in zip(
        astrometry.time_jd_utc, astrometry.ra_deg, astrometry.dec_deg, stations, strict=True
    ):
        lines.append(
            f"{DESIGNATION}|{stn}|{jd_to_iso(float(t))}|{ra:.6f}|{dec:.6f}|0.3|0.3|CCD|Gaia2"
        )
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{OUT}: {times.size} observations, A1 {a1:.3e} au/d^2", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
