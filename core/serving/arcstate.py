"""What the daemon remembers of one object between observation messages: pure and synchronous.

An :class:`ObjectState` holds the object's distinct observations in time order, as the
``neo.obs.v1`` contract declares them (:class:`core.contract.obs.Observation`: a space-based or
roving observer's position and frame included), and the bookkeeping of its results.
:func:`merge_observations` adds new observations to it, dropping duplicates: two observations
are one when they come from the same station, their times differ by at most ``time_tol_s``
and their positions by at most ``pos_tol_arcsec`` in RA·cos(Dec) and in Dec (defaults 1 ms
and 0.01", below the precision MPC and ADES records carry: 1e-6 day = 86 ms and 0.001 s of
RA = 0.015"). The daemon stores an object as its :class:`ObjectSummary` and one key per
observation (:mod:`streamer.state.objectstore`); :func:`nights_after_insert` and
:func:`nights_after_trim` keep the summary's arc as :func:`arc_summary` counts it.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Sequence

import msgspec

from core.contract.obs import Observation

__all__ = [
    "NIGHT_GAP_DAYS",
    "ArcSummary",
    "Bookkeeping",
    "MergeResult",
    "ObjectState",
    "ObjectSummary",
    "arc_summary",
    "merge_observations",
    "nights_after_insert",
    "nights_after_trim",
    "same_observation",
]

NIGHT_GAP_DAYS = 1.0 / 3.0
"""A gap longer than this (8 h) between consecutive observations starts a new night: a night's
tracklet spans minutes to hours, and counting gaps needs no station longitude."""

_DEG_PER_ARCSEC = 1.0 / 3600.0


class Bookkeeping(msgspec.Struct):
    """What an object's state records of its results, beside its observations.

    Attributes
    ----------
    updated_ms : int
        Time (ms since the Unix epoch, of the input message) of the last change; expiry
        counts from it.
    update : int
        Results published for this object so far (the ``update`` of the last one).
    alert_rank : int
        Rank of the highest alerting category reached (-1: none).
    fit_observations, fit_nights, fit_arc_days
        The arc at the last orbit fit (0: never fitted).
    fit_state6, fit_epoch_jd
        The last fitted orbit (heliocentric ecliptic J2000 state, au and au/day, at TDB
        ``fit_epoch_jd``): the next fit starts from it. None: never fitted, or it failed.
    fit_q_au, fit_moid_au, fit_sigma_a_rel
        Perihelion distance, Earth MOID (au) and relative uncertainty of the semi-major axis
        of that orbit (None: unknown): what the refit policy reads.
    category_rank : int
        Rank of the last result's category (-1: no result yet).
    full_due : bool
        A light refit changed the verdict: the next refit is a full one.
    """

    updated_ms: int = 0
    update: int = 0
    alert_rank: int = -1
    fit_observations: int = 0
    fit_nights: int = 0
    fit_arc_days: float = 0.0
    fit_state6: list[float] | None = None
    fit_epoch_jd: float = 0.0
    fit_q_au: float | None = None
    fit_moid_au: float | None = None
    fit_sigma_a_rel: float | None = None
    category_rank: int = -1
    full_due: bool = False


class ObjectState(Bookkeeping):
    """One object's state: its distinct observations (ascending time) and the
    :class:`Bookkeeping`."""

    observations: list[Observation] = msgspec.field(default_factory=list)


class MergeResult(msgspec.Struct, frozen=True):
    """What :func:`merge_observations` did: observations added, duplicates dropped, and the
    oldest observations trimmed to keep the limit."""

    added: int
    duplicates: int
    trimmed: int


class ArcSummary(msgspec.Struct, frozen=True):
    """``{"observations", "nights", "days"}`` of a result's ``"arc"``."""

    observations: int
    nights: int
    days: float


class ObjectSummary(Bookkeeping, array_like=True):
    """One object's state without its observations: what the store keeps beside them so
    that an observation costs the same however long the arc (see :mod:`streamer.state.objectstore`).

    ``observations``, ``nights``, ``first_jd``/``last_jd`` (UTC Julian dates) describe the arc
    held (:func:`nights_after_insert` and :func:`nights_after_trim` keep ``nights`` as
    :func:`arc_summary` counts it); the rest is the :class:`Bookkeeping`.
    """

    observations: int = 0
    nights: int = 0
    first_jd: float = 0.0
    last_jd: float = 0.0

    def arc(self) -> ArcSummary:
        """The arc held: as :func:`arc_summary` of the observations gives it."""
        days = self.last_jd - self.first_jd if self.observations else 0.0
        return ArcSummary(self.observations, self.nights, days)


def nights_after_insert(nights: int, before: float | None, t: float, after: float | None) -> int:
    """Nights of an arc after an observation at ``t`` is inserted between its neighbours
    ``before`` and ``after`` (None: none on that side): a night is one more than the gaps
    longer than :data:`NIGHT_GAP_DAYS`, so only the gaps around ``t`` change."""
    if before is None and after is None:
        return 1
    if before is None:
        assert after is not None
        return nights + (after - t > NIGHT_GAP_DAYS)
    if after is None:
        return nights + (t - before > NIGHT_GAP_DAYS)
    return (
        nights
        + (t - before > NIGHT_GAP_DAYS)
        + (after - t > NIGHT_GAP_DAYS)
        - (after - before > NIGHT_GAP_DAYS)
    )


def nights_after_trim(nights: int, first: float, second: float | None) -> int:
    """Nights of an arc after its first observation (at ``first``; ``second`` the next one,
    None: it was the only one) is dropped."""
    if second is None:
        return 0
    return nights - (second - first > NIGHT_GAP_DAYS)


def same_observation(a: Observation, b: Observation, time_tol_d: float, pos_tol_deg: float) -> bool:
    """Whether ``a`` and ``b`` are one observation (the module docstring's tolerances, in
    days and degrees)."""
    if a.stn != b.stn or abs(a.dec - b.dec) > pos_tol_deg:
        return False
    d_ra = abs(a.ra - b.ra)
    d_ra = min(d_ra, 360.0 - d_ra)  # across 0h
    cos_dec = math.cos(math.radians(0.5 * (a.dec + b.dec)))
    return d_ra * cos_dec <= pos_tol_deg and abs(a.time_jd_utc - b.time_jd_utc) <= time_tol_d


def merge_observations(
    state: ObjectState,
    new: Iterable[Observation],
    *,
    time_tol_s: float = 0.001,
    pos_tol_arcsec: float = 0.01,
    max_observations: int = 5_000,
) -> MergeResult:
    """Add ``new`` to ``state.observations`` in place, in time order, without duplicates.

    A new observation is a duplicate when one already held (or added before it from ``new``)
    is the same (see the module docstring). Beyond ``max_observations`` the oldest are
    dropped.
    """
    obs = state.observations
    times = [o.time_jd_utc for o in obs]
    time_tol_d = time_tol_s / 86_400.0
    pos_tol_deg = pos_tol_arcsec * _DEG_PER_ARCSEC
    added = duplicates = 0
    for o in new:
        lo = bisect.bisect_left(times, o.time_jd_utc - time_tol_d)
        hi = bisect.bisect_right(times, o.time_jd_utc + time_tol_d)
        if any(same_observation(o, obs[j], time_tol_d, pos_tol_deg) for j in range(lo, hi)):
            duplicates += 1
            continue
        at = bisect.bisect_right(times, o.time_jd_utc)
        times.insert(at, o.time_jd_utc)
        obs.insert(at, o)
        added += 1
    trimmed = max(0, len(obs) - max_observations)
    if trimmed:
        del obs[:trimmed]
    return MergeResult(added, duplicates, trimmed)


def arc_summary(observations: Sequence[Observation]) -> ArcSummary:
    """Observations, nights (:data:`NIGHT_GAP_DAYS`) and length in days of a time-ordered arc."""
    if not observations:
        return ArcSummary(0, 0, 0.0)
    nights = 1
    for a, b in itertools.pairwise(observations):
        if b.time_jd_utc - a.time_jd_utc > NIGHT_GAP_DAYS:
            nights += 1
    days = observations[-1].time_jd_utc - observations[0].time_jd_utc
    return ArcSummary(len(observations), nights, days)
