"""The bundled heliocentric table: a simulated observation years from the orbit's epoch matches,
the natural neighbours' observations do not.

Simulated data: core.orbits.simulate (ASSIST, DE440, ERFA stations) from the real MPC 2019 orbits
of data/catalog.jsonl.gz; the neighbours are the real NEAs of that catalogue whose orbits are
closest to 1991 VG's by the Southworth-Hawkins D, and 2006 RH120 (a natural temporarily
captured object once suspected to be a stage).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from core.known.catalogue import KnownCatalogue, load_catalogue
from core.known.match import match_astrometry
from core.known.similarity import d_sh
from core.orbits.elements import elements_to_state
from core.orbits.simulate import simulate_astrometry

DATA = Path(__file__).resolve().parents[4] / "data"
TIMES = 2460615.5 + np.array([0.30, 0.32, 0.34])  # 2024 Nov 1, 5.3 years after the epoch


def _catalog_orbits() -> dict[str, dict[str, float]]:
    out = {}
    with gzip.open(DATA / "catalog.jsonl.gz", "rt") as fh:
        for line in fh:
            rec = json.loads(line)
            orbit = rec.get("orbit")
            if orbit and orbit.get("a_au") and orbit["e"] < 1:
                out[rec["designation"]] = orbit
    return out


@pytest.fixture(scope="module")
def orbits() -> dict[str, dict[str, float]]:
    return _catalog_orbits()


@pytest.fixture(scope="module")
def bundled() -> KnownCatalogue:
    return load_catalogue([])


def _observe(orbit: dict[str, float], designation: str) -> object:
    state = elements_to_state(
        orbit["a_au"], orbit["e"], orbit["i_deg"], orbit["node_deg"], orbit["peri_deg"],
        orbit["M_deg"],
    )  # fmt: skip
    return simulate_astrometry(
        state, orbit["epoch_jd"], TIMES, ["F51"] * 3, noise_arcsec=0.2, designation=designation
    )


def test_d_sh_is_zero_for_one_orbit_and_symmetric(orbits: dict[str, dict[str, float]]) -> None:
    vg, rh = orbits["1991 VG"], orbits["2006 RH120"]
    assert d_sh(vg, vg) == pytest.approx(0.0, abs=1e-12)
    assert d_sh(vg, rh) == pytest.approx(d_sh(rh, vg), rel=1e-12)
    assert 0.0 < d_sh(vg, rh) < 0.2  # Earth-like orbits both


def test_1991_vg_years_from_its_epoch_is_matched(
    bundled: KnownCatalogue, orbits: dict[str, dict[str, float]]
) -> None:
    obs = _observe(orbits["1991 VG"], "SIM-VG")
    report = match_astrometry(bundled, obs, fitted_elements=orbits["1991 VG"])  # type: ignore[arg-type]
    assert [m.designation for m in report.matches] == ["1991 VG"]
    best = report.best
    assert best is not None
    assert best.propagator == "assist" and best.status == "suspected_artificial"
    assert best.separation_arcsec < 2.0
    assert best.element_age_days == pytest.approx(TIMES.mean() - 2458666.5, abs=0.01)
    assert best.orbit_d_sh == pytest.approx(0.0, abs=1e-9)
    assert 0.0 < best.confidence < 1.0  # 5 years old: the confidence is lowered


def test_natural_neighbours_are_not_matched(
    bundled: KnownCatalogue, orbits: dict[str, dict[str, float]]
) -> None:
    vg = orbits["1991 VG"]
    nearest = sorted((d_sh(vg, o), d) for d, o in orbits.items() if d != "1991 VG")[:4]
    assert nearest[0][0] < 0.05  # close neighbours in orbit space (2010 UE51 first)
    for designation in [d for _, d in nearest] + ["2006 RH120"]:
        report = match_astrometry(bundled, _observe(orbits[designation], designation))  # type: ignore[arg-type]
        assert report.matches == (), designation
        assert report.nearest_name == "1991 VG"
        assert report.nearest_separation_arcsec is not None
        assert report.nearest_separation_arcsec > 600.0
