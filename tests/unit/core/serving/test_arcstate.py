"""Per-object state: merging with deduplication, the limit, arcs and the stored encoding."""

from __future__ import annotations

from core.contract.obs import Observation
from core.contract.obsstream import jd_to_iso
from core.serving.arcstate import (
    ObjectState,
    arc_summary,
    merge_observations,
    nights_after_insert,
    nights_after_trim,
)

_S = 1.0 / 86_400.0  # one second in days


def _obs(t: float, ra: float = 10.0, dec: float = 20.0, stn: str = "G96") -> Observation:
    jd = 2_460_000.5 + t
    obs_time = jd_to_iso(jd)
    return Observation(
        obsTime=obs_time, ra=ra, dec=dec, stn=stn, mag=19.5, band="G", time_jd_utc=jd
    )


def test_merge_keeps_time_order_and_drops_duplicates_within_the_tolerance() -> None:
    state = ObjectState()
    first = merge_observations(state, [_obs(1.0), _obs(0.0), _obs(2.0)])
    assert (first.added, first.duplicates) == (3, 0)
    assert [o.time_jd_utc for o in state.observations] == sorted(
        o.time_jd_utc for o in state.observations
    )
    # 0.5 ms later and 0.005" away: the same observation; 2 ms later: another one
    again = [
        _obs(1.0 + 0.0005 * _S, ra=10.0 + 0.005 / 3600.0),
        _obs(1.0 + 0.002 * _S),
        _obs(1.0, stn="F51"),  # another station at the same time: another observation
        _obs(1.0, dec=20.0 + 0.02 / 3600.0),  # 0.02" off: another observation
    ]
    second = merge_observations(state, again)
    assert (second.added, second.duplicates) == (3, 1)
    assert len(state.observations) == 6


def test_duplicates_inside_one_message_count_once() -> None:
    state = ObjectState()
    result = merge_observations(state, [_obs(0.0), _obs(0.0)])
    assert (result.added, result.duplicates) == (1, 1)


def test_ra_difference_is_scaled_by_cos_dec_and_wraps_at_zero() -> None:
    state = ObjectState()
    merge_observations(state, [_obs(0.0, ra=359.999999, dec=80.0)])
    # 0.0072" of RA across 0h at Dec 80 deg is 0.00125" on the sky: a duplicate
    result = merge_observations(state, [_obs(0.0, ra=0.000001, dec=80.0)])
    assert result.duplicates == 1


def test_the_oldest_observations_go_beyond_the_limit() -> None:
    state = ObjectState()
    result = merge_observations(state, [_obs(float(i)) for i in range(10)], max_observations=4)
    assert (result.added, result.trimmed) == (10, 6)
    assert [round(o.time_jd_utc - 2_460_000.5) for o in state.observations] == [6, 7, 8, 9]


def test_arc_counts_nights_by_gaps_longer_than_eight_hours() -> None:
    arc = [_obs(0.0), _obs(0.01), _obs(0.2), _obs(1.0), _obs(1.05), _obs(5.5)]
    summary = arc_summary(arc)
    assert (summary.observations, summary.nights) == (6, 3)
    assert abs(summary.days - 5.5) < 1e-9
    assert arc_summary([]).nights == 0


def test_the_incremental_night_count_is_the_counted_one() -> None:
    # inserting in any order and trimming the oldest keeps nights as arc_summary counts them
    times = [5.5, 0.0, 1.05, 0.2, 1.0, 0.01, 3.3, 3.2]
    held: list[float] = []
    nights = 0
    for t in times:
        before = max((x for x in held if x <= t), default=None)
        after = min((x for x in held if x > t), default=None)
        nights = nights_after_insert(nights, before, t, after)
        held = sorted([*held, t])
        assert nights == arc_summary([_obs(x) for x in held]).nights
    while held:
        nights = nights_after_trim(nights, held[0], held[1] if len(held) > 1 else None)
        held = held[1:]
        assert nights == arc_summary([_obs(x) for x in held]).nights
