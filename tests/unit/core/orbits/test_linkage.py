"""Launch linkage: a synthetic stage launched on a known date is linked back to it."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from core.orbits.ephemeris import earth_state_au
from core.orbits.launches import load_deep_space
from core.orbits.linkage import (
    LinkageConfig,
    departure_v_inf_kms,
    draw_clones,
    is_departure,
    jd_of_date,
    link_launch,
)
from core.orbits.propagate import propagate

AU_D_PER_KMS = 1.0 / 1731.456836805555  # 1 au/d = 1731.46 km/s


def _stage_launched(day: date, v_inf_kms: float) -> tuple[np.ndarray, float]:
    """A stage leaving Earth's Hill sphere (0.01 au sunward-opposite) on ``day``."""
    jd = jd_of_date(day) + 0.5
    earth_pos, earth_vel = earth_state_au(jd)
    radial = earth_pos / np.linalg.norm(earth_pos)
    along = earth_vel / np.linalg.norm(earth_vel)
    direction = 0.9 * along + 0.436 * np.array([0.0, 0.0, 1.0])
    state = np.concatenate(
        [earth_pos + 0.01 * radial, earth_vel + v_inf_kms * AU_D_PER_KMS * direction]
    )
    return state, jd


def test_stage_propagated_50_years_links_back_to_its_launch() -> None:
    # Launched with the Surveyor 2 Centaur on 1966-09-20 (GCAT 1966-084) at v_inf 2 km/s,
    # propagated forward 50 years with ASSIST, then 16 clones (sigma 1e-7 au, 1e-9 au/d)
    # integrated back to 1966: their passages scatter by +-15 days around the launch date;
    # 14 of 16 pass within 0.03 au, 8 of 16 within 0.015 au at an escape speed (a departure:
    # measured clone fraction 0.5, issue 33).
    state0, launch_jd = _stage_launched(date(1966, 9, 20), 2.0)
    epoch = launch_jd + 50 * 365.25
    state50 = propagate(state0, launch_jd, np.array([epoch]))[0]
    cov = np.diag([1e-7**2] * 3 + [1e-9**2] * 3)
    clones = draw_clones(state50, 16, np.random.default_rng(1), covariance=cov)
    assert np.array_equal(clones[0], state50)
    result = link_launch(
        clones, epoch, config=LinkageConfig(n_clones=16), first_jd_tdb=launch_jd - 30.0
    )
    match = result.launch_match
    assert match is not None
    assert match["launch_date"] == "1966-09-20"
    assert match["launch_tag"] == "1966-084"
    assert match["clone_fraction"] >= 0.5
    assert abs(match["days_after_launch"]) < 5.0
    assert match["min_dist_au"] < 0.015  # it started at 0.01 au
    assert match["v_rel_kms"] == pytest.approx(2.0, abs=0.2)
    # the departure itself is the first deep encounter going back: trust reaches the launch
    assert result.trustworthy_after_jd_tdb == pytest.approx(launch_jd, abs=2.0)
    assert result.first_jd_tdb <= launch_jd - 29.0


def test_no_launch_in_the_window_gives_no_match() -> None:
    # The same stage, matched against launches a year earlier only: nothing in the window.
    state0, launch_jd = _stage_launched(date(1966, 9, 20), 2.0)
    epoch = launch_jd + 3 * 365.25
    state = propagate(state0, launch_jd, np.array([epoch]))[0]
    early = [p for p in load_deep_space() if p.launch_date < date(1965, 9, 1)]
    result = link_launch(
        draw_clones(state, 4, np.random.default_rng(0)),
        epoch,
        config=LinkageConfig(n_clones=4),
        launches=early,
        first_jd_tdb=launch_jd - 30.0,
    )
    assert result.launch_match is None
    assert any(p.dist_au < 0.0105 for p in result.passages)


def test_a_later_revisit_is_not_a_launch_and_the_earliest_departure_wins() -> None:
    # issue 33: the 1966 stage (above) passes the Earth again 1,847 days and 10,579 days after
    # its launch, at 0.029 and 0.024 au (outside the Hill sphere, 0.0098 au): revisits. A
    # launch placed on the later revisit used to match it; it matches nothing now, and with
    # the real launch beside it the departure in 1966 wins.
    state0, launch_jd = _stage_launched(date(1966, 9, 20), 2.0)
    epoch = launch_jd + 30 * 365.25
    state = propagate(state0, launch_jd, np.array([epoch]))[0]
    clones = draw_clones(state, 1, np.random.default_rng(0))
    real = next(p for p in load_deep_space() if p.launch_tag == "1966-084")
    probe = link_launch(
        clones,
        epoch,
        config=LinkageConfig(n_clones=1),
        launches=[real],
        first_jd_tdb=launch_jd - 30.0,
    )
    revisits = [p for p in probe.passages if p.jd_tdb - launch_jd > 1000.0]
    assert revisits and all(not is_departure(p, LinkageConfig()) for p in revisits)
    fake = dataclasses.replace(
        real,
        launch_tag="FAKE",
        name="a launch on the revisit",
        launch_date=date.fromordinal(int(revisits[0].jd_tdb - 1721424.5) - 2),
    )
    alone = link_launch(
        clones,
        epoch,
        config=LinkageConfig(n_clones=1),
        launches=[fake],
        first_jd_tdb=launch_jd - 30.0,
    )
    assert alone.launch_match is None
    both = link_launch(
        clones,
        epoch,
        config=LinkageConfig(n_clones=1),
        launches=[fake, real],
        first_jd_tdb=launch_jd - 30.0,
    )
    assert both.launch_match is not None and both.launch_match["launch_tag"] == "1966-084"
    assert both.launch_match["departure_v_inf_kms"] == pytest.approx(1.9, abs=0.3)
    # every match states how often a natural Earth-like orbit gets one (bench_linkage)
    assert 0.0 < both.launch_match["false_match_rate_earth_like"] < 1.0
    assert departure_v_inf_kms(revisits[0]) > 0.0


def test_the_time_bound_stops_the_integration_and_says_so() -> None:
    state0, launch_jd = _stage_launched(date(1966, 9, 20), 2.0)
    epoch = launch_jd + 30 * 365.25
    state = propagate(state0, launch_jd, np.array([epoch]))[0]
    result = link_launch(
        draw_clones(state, 2, np.random.default_rng(0)),
        epoch,
        config=LinkageConfig(n_clones=2, max_seconds=0.0),
        first_jd_tdb=launch_jd - 30.0,
    )
    assert not result.complete and result.first_jd_tdb > launch_jd + 365.0
    assert result.launch_match is None
