"""What matching one object's observations against the catalogue finds."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["KnownMatch", "MatchReport"]


class KnownMatch(msgspec.Struct, frozen=True, kw_only=True):
    """One known object consistent with the observations (the result's ``known_match``).

    ``separation_arcsec``: the largest angle between an observed and the predicted position;
    ``tolerance_arcsec``: what it was allowed (grows with the element set's age);
    ``motion_diff_arcsec_per_min``: length of the difference between the observed and predicted
    apparent motion vectors (first to last observation), None for a single observation;
    ``direction_diff_deg``: angle between the two motions; ``element_age_days``: mean observation
    time minus the element set's (or orbit's) epoch, negative for an epoch after the
    observations; ``confidence`` in [0, 1]; ``orbit_d_sh``: Southworth-Hawkins D between the
    object's fitted orbit and the known orbit, when both exist.
    """

    name: str
    norad_id: int | None
    cospar_id: str | None
    designation: str | None
    status: Literal["artificial", "suspected_artificial"]
    propagator: Literal["sgp4", "assist"]
    separation_arcsec: float
    tolerance_arcsec: float
    motion_diff_arcsec_per_min: float | None
    direction_diff_deg: float | None
    element_age_days: float
    confidence: float
    orbit_d_sh: float | None
    source: str


class MatchReport(msgspec.Struct, frozen=True, kw_only=True):
    """Every match (best first) and what was searched.

    ``nearest_name``/``nearest_separation_arcsec``: the closest object at the first observation
    whether it matched or not (None for an empty catalogue); ``skipped``: element sets or
    objects that could not be predicted at these times, with the reason (``"NAME (NORAD n): ..."``).
    """

    matches: tuple[KnownMatch, ...]
    catalogue_size: int
    catalogue_date: str | None
    nearest_name: str | None
    nearest_separation_arcsec: float | None
    skipped: tuple[str, ...] = ()

    @property
    def best(self) -> KnownMatch | None:
        """The most confident match, or None."""
        return self.matches[0] if self.matches else None
