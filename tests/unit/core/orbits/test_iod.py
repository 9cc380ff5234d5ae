"""Initial orbit determination: synthetic orbits recovered, a real object, bad input.

Synthetic observations come from exact two-body orbits (:mod:`core.orbits.twobody`, with the
light time solved to convergence), seen from an "Earth" on a circle of 1 au in the ecliptic
with a 5,000 km topocentric offset turning once a sidereal day; the same Earth is given to
:func:`initial_orbits` so that geocentric orbits are exact too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.constants import AU_KM
from core.errors import FitError
from core.orbits.constants import GM_EARTH_AU3_D2, GM_SUN_AU3_D2, SPEED_OF_LIGHT_AU_D
from core.orbits.elements import ecliptic_to_equatorial, elements_to_state, state_to_elements
from core.orbits.iod import IodCandidate, initial_orbits
from core.orbits.twobody import propagate_kepler

T0 = 2460000.5
_N_EARTH = 2.0 * np.pi / 365.25
_OMEGA = 2.0 * np.pi / 0.99727
_RAD_ARCSEC = 206264.806
FIXTURES = Path(__file__).parents[3] / "fixtures" / "iod"


def circular_earth(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    th = _N_EARTH * (np.asarray(t, float) - T0)
    zero = np.zeros_like(th)
    pos = np.stack([np.cos(th), np.sin(th), zero], axis=-1)
    vel = _N_EARTH * np.stack([-np.sin(th), np.cos(th), zero], axis=-1)
    return pos, vel


def observer(t: np.ndarray) -> np.ndarray:
    ph = _OMEGA * (np.asarray(t, float) - T0)
    topo = 5000.0 / AU_KM * np.stack([np.cos(ph), np.sin(ph), 0.5 + 0.0 * ph], axis=-1)
    return circular_earth(t)[0] + topo


def observe(
    state0: np.ndarray, t: np.ndarray, center: str = "sun", noise_arcsec: float = 0.0, seed: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RA, Dec (deg) and observer positions of a two-body orbit (state at T0) at times t."""
    mu = GM_SUN_AU3_D2 if center == "sun" else GM_EARTH_AU3_D2
    obs_pos = observer(t)
    t_emit = np.array(t, dtype=float)
    for _ in range(6):  # light time, to convergence
        r, _ = propagate_kepler(state0[:3], state0[3:], t_emit - T0, mu)
        if center == "earth":
            r = r + circular_earth(t_emit)[0]
        t_emit = t - np.linalg.norm(r - obs_pos, axis=-1) / SPEED_OF_LIGHT_AU_D
    d = ecliptic_to_equatorial(r - obs_pos)
    ra = np.arctan2(d[:, 1], d[:, 0])
    dec = np.arcsin(d[:, 2] / np.linalg.norm(d, axis=-1))
    if noise_arcsec:
        rng = np.random.default_rng(seed)
        ra = ra + rng.normal(0.0, noise_arcsec, t.size) / _RAD_ARCSEC / np.cos(dec)
        dec = dec + rng.normal(0.0, noise_arcsec, t.size) / _RAD_ARCSEC
    return np.degrees(ra) % 360.0, np.degrees(dec), obs_pos


def nights(days: list[float], per_night: int = 3) -> np.ndarray:
    """Observation times: ``per_night`` observations 43 minutes apart on each given day."""
    return T0 + np.concatenate([d + 0.03 * np.arange(per_night) for d in days])


def near_earth(a_au: float, e: float, i_deg: float, lo_au: float, hi_au: float) -> np.ndarray:
    """A heliocentric orbit of the given a, e, i placed lo..hi au from the Earth at T0."""
    for node in np.arange(0.0, 360.0, 5.0):
        for m in np.arange(0.0, 360.0, 0.5):
            state = elements_to_state(a_au, e, i_deg, node, 100.0, m, T0)
            if lo_au < np.linalg.norm(state[:3] - circular_earth(T0)[0]) < hi_au:
                return state
    raise AssertionError("no such geometry")


def elements_of(c: IodCandidate) -> tuple[float, float, float]:
    state = c.state6.copy()
    mu = GM_SUN_AU3_D2
    if c.center == "earth":
        state -= np.concatenate(circular_earth(np.array(c.epoch_jd_tdb)))
        mu = GM_EARTH_AU3_D2
    el = state_to_elements(state, mu)
    assert el.a_au is not None
    return el.a_au, el.e, el.i_deg


NEO = near_earth(1.2, 0.35, 12.0, 0.15, 0.3)  # an Apollo 0.15-0.3 au away
MAIN_BELT = near_earth(2.7, 0.12, 9.0, 1.5, 1.8)
HYPERBOLIC = near_earth(-2.0, 1.4, 30.0, 0.5, 1.0)  # v_inf 21 km/s
GEOCENTRIC = elements_to_state(0.003, 0.1, 20.0, 30.0, 40.0, 10.0, T0, mu=GM_EARTH_AU3_D2)

# name, state at T0, times, (noise-free tol on a (relative), e, i deg), (0.3" noise tol)
CASES = [
    ("neo", NEO, nights([0, 4, 9, 15]), (1e-4, 1e-4, 1e-3), (0.02, 0.01, 0.05)),
    ("main-belt", MAIN_BELT, nights([0, 7, 15, 30]), (1e-4, 1e-4, 1e-3), (0.01, 0.005, 0.02)),
    ("hyperbolic", HYPERBOLIC, nights([0, 5, 10, 20]), (1e-4, 1e-4, 1e-3), (0.02, 0.01, 0.05)),
]


@pytest.mark.parametrize("noise", [0.0, 0.3])
@pytest.mark.parametrize(("name", "state", "times", "tol_exact", "tol_noisy"), CASES)
def test_recovers_heliocentric_orbits(  # noqa: PLR0917  (pytest's parametrisation)
    name: str,
    state: np.ndarray,
    times: np.ndarray,
    tol_exact: tuple[float, float, float],
    tol_noisy: tuple[float, float, float],
    noise: float,
) -> None:
    ra, dec, pos = observe(state, times, noise_arcsec=noise)
    cands = initial_orbits(times, ra, dec, pos, earth_state=circular_earth)
    best = cands[0]
    true = state_to_elements(state)
    assert true.a_au is not None
    a, e, i = elements_of(best)
    tol_a, tol_e, tol_i = tol_exact if noise == 0.0 else tol_noisy
    assert best.center == "sun" and best.method == "gauss"
    assert abs(a / true.a_au - 1.0) < tol_a, (name, a, true.a_au)
    assert abs(e - true.e) < tol_e, (name, e, true.e)
    assert abs(i - true.i_deg) < tol_i, (name, i, true.i_deg)
    assert best.rms_arcsec < (0.1 if noise == 0.0 else 3.0 * noise)
    assert [c.rms_arcsec for c in cands] == sorted(c.rms_arcsec for c in cands)
    assert times.min() <= best.epoch_jd_tdb <= times.max()


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_one_night_tracklet_has_a_candidate_below_one_arcsec(noise: float) -> None:
    times = T0 + np.array([0.0, 0.015, 0.03, 0.045])  # four observations over 65 minutes
    ra, dec, pos = observe(NEO, times, noise_arcsec=noise)
    cands = initial_orbits(times, ra, dec, pos, earth_state=circular_earth)
    assert cands[0].rms_arcsec < 1.0
    assert any(c.method == "ranging" for c in cands)
    for c in cands:  # every candidate reproduces the tracklet
        assert c.rms_arcsec < 1.0 + 3.0 * noise


@pytest.mark.parametrize(
    ("times", "noise"),
    [(nights([0, 1, 2]), 0.0), (nights([0, 1, 2]), 0.3), (T0 + 0.02 * np.arange(4), 0.3)],
    ids=["three-nights", "three-nights-noisy", "tracklet-noisy"],
)
def test_geocentric_orbit_comes_out_bound_to_earth(times: np.ndarray, noise: float) -> None:
    ra, dec, pos = observe(GEOCENTRIC, times, center="earth", noise_arcsec=noise)
    best = initial_orbits(times, ra, dec, pos, earth_state=circular_earth)[0]
    assert best.center == "earth"
    a, e, i = elements_of(best)
    if times[-1] - times[0] > 1.0:  # a multi-night arc pins the orbit down
        assert abs(a / 0.003 - 1.0) < 0.01 and abs(e - 0.1) < 0.01 and abs(i - 20.0) < 0.1
    else:  # one tracklet: bound to the Earth at about the right distance
        assert 0.5 < a / 0.003 < 2.0
    # The state is heliocentric: about 1 au from the Sun, 0.003 au from the Earth.
    earth_pos = circular_earth(np.array(best.epoch_jd_tdb))[0]
    assert np.linalg.norm(best.state6[:3]) == pytest.approx(1.0, abs=0.01)
    assert np.linalg.norm(best.state6[:3] - earth_pos) < 0.0045


def test_fewer_than_three_observations() -> None:
    times = nights([0.0], per_night=2)
    ra, dec, pos = observe(NEO, times)
    with pytest.raises(FitError, match="at least 3 observations, got 2"):
        initial_orbits(times, ra, dec, pos, earth_state=circular_earth)


def test_identical_times() -> None:
    times = np.full(4, T0)
    ra, dec, pos = observe(NEO, nights([0.0], per_night=4))
    with pytest.raises(FitError, match="3 distinct times, got 1"):
        initial_orbits(times, ra, dec, pos, earth_state=circular_earth)


def test_no_motion() -> None:
    times = nights([0.0, 1.0, 2.0])
    with pytest.raises(FitError, match="no motion"):
        initial_orbits(times, np.full(9, 10.0), np.full(9, 5.0), observer(times))


def test_collinear_lines_of_sight_from_a_fixed_observer() -> None:
    times = nights([0.0, 1.0, 2.0])
    ra = np.linspace(10.0, 12.0, 9)  # along the equator, a great circle
    pos = np.tile(observer(np.array([T0]))[0], (9, 1))  # the observer does not move
    with pytest.raises(FitError, match="lie in one plane"):
        initial_orbits(times, ra, np.zeros(9), pos, earth_state=circular_earth)


def test_inconsistent_and_non_finite_input() -> None:
    times = nights([0.0, 1.0])
    ra, dec, pos = observe(NEO, times)
    with pytest.raises(FitError, match="inconsistent inputs"):
        initial_orbits(times, ra[:-1], dec, pos, earth_state=circular_earth)
    dec[2] = np.nan
    with pytest.raises(FitError, match="non-finite"):
        initial_orbits(times, ra, dec, pos, earth_state=circular_earth)


def test_order_of_observations_does_not_matter() -> None:
    times = nights([0, 4, 9, 15])
    ra, dec, pos = observe(NEO, times)
    perm = np.random.default_rng(3).permutation(times.size)
    a = initial_orbits(times, ra, dec, pos, earth_state=circular_earth)[0]
    b = initial_orbits(times[perm], ra[perm], dec[perm], pos[perm], earth_state=circular_earth)[0]
    np.testing.assert_allclose(a.state6, b.state6, rtol=1e-9, atol=1e-14)
    assert a.epoch_jd_tdb == b.epoch_jd_tdb


def _read_obs80(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Times (JD UTC), RA, Dec (deg) and stations of plain 80-column optical lines."""
    jd, ra, dec, stn = [], [], [], []
    for line in path.read_text().splitlines():
        year, month, day = int(line[15:19]), int(line[20:22]), float(line[23:32])
        a = (14 - month) // 12  # Julian day number (Fliegel & Van Flandern 1968)
        y, m = year + 4800 - a, month + 12 * a - 3
        jdn = day + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045
        jd.append(jdn - 0.5 + 0.0)  # the day's fraction is in `day`
        h, mi, s = float(line[32:34]), float(line[35:37]), float(line[38:44])
        ra.append(15.0 * (h + mi / 60.0 + s / 3600.0))
        sign = -1.0 if line[44] == "-" else 1.0
        d, dm, ds = float(line[45:47]), float(line[48:50]), float(line[51:56])
        dec.append(sign * (d + dm / 60.0 + ds / 3600.0))
        stn.append(line[77:80])
    return np.array(jd), np.array(ra), np.array(dec), stn


def test_real_eros_within_published_semi_major_axis() -> None:
    """(433) Eros, 34 ATLAS Mauna Loa (T08) observations of June-August 2019.

    Published orbit: MPC NEA.txt 2019 (the bundled catalog, data/catalog.jsonl.gz), epoch
    JD 2458666.5 (2019-07-05, inside the arc): a = 1.4581823 au, e = 0.2227385, i = 10.82858 deg.
    """
    from core.orbits.ephemeris import utc_to_tdb
    from core.orbits.observers import observer_positions_au

    jd_utc, ra, dec, stations = _read_obs80(FIXTURES / "433_T08_2019.txt")
    pos = observer_positions_au(stations, jd_utc)
    best = initial_orbits(utc_to_tdb(jd_utc), ra, dec, pos)[0]
    el = state_to_elements(best.state6)
    assert best.center == "sun"
    # Measured: a = 1.45809 au (-0.007 %), e = 0.22271, i = 10.8283 deg, RMS 0.14".
    assert el.a_au == pytest.approx(1.4581823, rel=0.01)
    assert el.e == pytest.approx(0.2227385, abs=0.003)
    assert el.i_deg == pytest.approx(10.82858, abs=0.02)
    assert best.rms_arcsec < 1.0  # two-body over 87 days, planets left out

    # One night of the same (2019-06-02, 4 observations over 28 minutes): small residuals.
    night = jd_utc < jd_utc[0] + 0.5
    cands = initial_orbits(utc_to_tdb(jd_utc[night]), ra[night], dec[night], pos[night])
    assert cands[0].rms_arcsec < 1.0
