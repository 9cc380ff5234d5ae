"""Elements <-> state, against JPL Horizons' own conversion of the same states.

Published numbers: ``tests/fixtures/orbits/horizons_sun_ec.csv`` holds JPL Horizons heliocentric
ecliptic J2000 vectors and osculating elements of five real objects (adam-core 0.6.1 test data,
queried from Horizons): 2020 AV2 (Atira), 433 Eros, 5335 Damocles (e = 0.87), 15760 Albion
(a classical TNO) and 1I/'Oumuamua (hyperbolic, e = 1.20).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from core.orbits.constants import GM_SUN_AU3_D2, OBLIQUITY_J2000_RAD
from core.orbits.elements import (
    Elements,
    ecliptic_to_equatorial,
    elements_to_state,
    equatorial_to_ecliptic,
    state_to_elements,
)

FIXTURE = Path(__file__).parents[3] / "fixtures" / "orbits" / "horizons_sun_ec.csv"


def _rows() -> list[dict[str, str]]:
    with FIXTURE.open(newline="") as f:
        return list(csv.DictReader(f))


def _angle_diff_deg(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["targetname"].split(" (")[0])
def test_state_to_elements_matches_horizons(row: dict[str, str]) -> None:
    state = np.array([float(row[k]) for k in ("x", "y", "z", "vx", "vy", "vz")])
    el = state_to_elements(state, GM_SUN_AU3_D2)
    assert el.e == pytest.approx(float(row["e"]), abs=1e-9)
    assert el.q_au == pytest.approx(float(row["q"]), rel=1e-9)
    assert el.a_au == pytest.approx(float(row["a"]), rel=1e-8)
    assert el.i_deg == pytest.approx(float(row["incl"]), abs=1e-8)
    assert _angle_diff_deg(el.node_deg, float(row["Omega"])) < 1e-7
    assert _angle_diff_deg(el.peri_deg, float(row["w"])) < 1e-6
    if el.e < 1.0:
        assert _angle_diff_deg(el.M_deg, float(row["M"])) < 1e-6
    else:  # Horizons gives the hyperbolic mean anomaly signed, in degrees
        assert el.M_deg == pytest.approx(float(row["M"]), rel=1e-7)


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["targetname"].split(" (")[0])
def test_elements_to_state_matches_horizons(row: dict[str, str]) -> None:
    expected = np.array([float(row[k]) for k in ("x", "y", "z", "vx", "vy", "vz")])
    state = elements_to_state(
        None,
        float(row["e"]),
        float(row["incl"]),
        float(row["Omega"]),
        float(row["w"]),
        float(row["M"]),
        q_au=float(row["q"]),
    )
    r = np.linalg.norm(expected[:3])
    # Horizons prints 16 digits, its GM and ours agree to 1e-10: metres at 1 au.
    assert np.linalg.norm(state[:3] - expected[:3]) < 1e-9 * max(r, 1.0) * 10
    assert np.linalg.norm(state[3:] - expected[3:]) < 1e-8 * np.linalg.norm(expected[3:])


@pytest.mark.parametrize(
    ("a_au", "e", "i_deg", "m_deg"),
    [
        (1.2, 0.0, 0.0, 33.0),  # circular, equatorial: node and perihelion conventions
        (2.5, 0.3, 12.0, 359.0),
        (0.9, 0.99, 170.0, 1.0),  # retrograde, near-parabolic ellipse
        (-1.27, 1.2, 122.7, -45.0),  # hyperbolic ('Oumuamua-like), before perihelion
        (-0.01, 15.0, 40.0, 3000.0),  # very hyperbolic, far out
    ],
)
def test_round_trip(a_au: float, e: float, i_deg: float, m_deg: float) -> None:
    state = elements_to_state(a_au, e, i_deg, 80.0, 250.0, m_deg)
    el = state_to_elements(state)
    again = el.to_state()
    assert np.allclose(again, state, rtol=1e-11, atol=1e-13)
    assert el.a_au == pytest.approx(a_au, rel=1e-10)
    assert el.e == pytest.approx(e, abs=1e-11)


def test_parabolic_round_trip() -> None:
    # Barker's equation: D + D^3/3 = M (rad); e = 1 exactly needs q.
    state = elements_to_state(None, 1.0, 30.0, 10.0, 20.0, 57.0, q_au=0.8)
    el = state_to_elements(state)
    assert el.e == pytest.approx(1.0, abs=1e-12)
    r = np.linalg.norm(state[:3])
    v2 = float(state[3:] @ state[3:])
    assert v2 == pytest.approx(2 * GM_SUN_AU3_D2 / r, rel=1e-12)  # zero energy
    with pytest.raises(ValueError, match="needs q_au"):
        elements_to_state(1.0, 1.0, 0.0, 0.0, 0.0, 0.0)


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="perihelion"):
        elements_to_state(-1.0, 0.5, 0.0, 0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="degenerate"):
        state_to_elements(np.array([1.0, 0, 0, 0.01, 0, 0]))


def test_ecliptic_equatorial_rotation() -> None:
    # The ecliptic pole is at Dec = 90 - 23.4392911 deg, RA = 270 deg (IAU 1976 obliquity).
    pole = ecliptic_to_equatorial(np.array([0.0, 0.0, 1.0]))
    assert math.degrees(math.asin(pole[2])) == pytest.approx(90 - 23.4392911, abs=1e-7)
    assert pole[1] == pytest.approx(-math.sin(OBLIQUITY_J2000_RAD))
    states = np.random.default_rng(1).normal(size=(4, 6))
    assert np.allclose(equatorial_to_ecliptic(ecliptic_to_equatorial(states)), states)


def test_elements_struct_is_frozen() -> None:
    el = Elements(a_au=1.0, q_au=0.9, e=0.1, i_deg=1, node_deg=2, peri_deg=3, M_deg=4)
    with pytest.raises(AttributeError):
        el.e = 0.2  # type: ignore[misc]


def test_fit_error_message_and_pickle() -> None:
    import pickle

    from core.errors import CoreError, FitError

    err = FitError("a single night")
    assert str(err) == "fit failed: a single night"
    assert isinstance(err, CoreError)
    again = pickle.loads(pickle.dumps(err))
    assert again.reason == "a single night" and str(again) == str(err)
