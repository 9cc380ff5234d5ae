"""Earth MOID against JPL SBDB's published MOIDs (``sbdb_2020_moid.csv``: ten NEOs at epoch
JD 2459000.5, full-precision SBDB elements, MOIDs 0.0003-0.25 au)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from core.orbits.elements import Elements, state_to_elements
from core.orbits.ephemeris import earth_state_au
from core.orbits.moid import moid_au

FIXTURE = Path(__file__).parents[3] / "fixtures" / "orbits" / "sbdb_2020_moid.csv"


def _rows() -> list[dict[str, str]]:
    with FIXTURE.open() as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["pdes"])
def test_moid_matches_sbdb(row: dict[str, str]) -> None:
    pos, vel = earth_state_au(float(row["epoch"]))
    earth = state_to_elements(np.concatenate([pos, vel]))
    obj = Elements(
        a_au=float(row["a"]),
        q_au=float(row["q"]),
        e=float(row["e"]),
        i_deg=float(row["i"]),
        node_deg=float(row["om"]),
        peri_deg=float(row["w"]),
        M_deg=float(row["ma"]),
    )
    # SBDB prints 6 significant digits; JPL also uses the Earth's osculating orbit
    assert moid_au(obj, earth) == pytest.approx(float(row["moid"]), rel=2e-5, abs=1e-6)


def test_moid_of_a_hyperbolic_orbit_and_symmetry() -> None:
    pos, vel = earth_state_au(2459000.5)
    earth = state_to_elements(np.concatenate([pos, vel]))
    # an open orbit crossing 1 au in the ecliptic plane at the Earth's node: MOID ~ 0
    crossing = Elements(
        a_au=-2.0, q_au=0.5, e=1.25, i_deg=0.0, node_deg=0.0, peri_deg=0.0, M_deg=0.0
    )
    m = moid_au(crossing, earth)
    # it crosses 1 au in the ecliptic; the Earth's orbit is inclined 0.0024 deg to it (4.2e-5 au)
    assert m < 4.3e-5
    assert moid_au(earth, crossing) == pytest.approx(m, abs=1e-9)
