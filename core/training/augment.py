"""Missingness augmentation: real natural records with optional parts removed, as feeds send them.

Every part of a ``neo.v1`` record but the designation may be missing, and absence of data is
not evidence of artificiality. The bundled catalog, however, is unusually complete (every
record has a full orbit and H), while real feeds are not: the SBDB 2024 NEO export has no H,
new discoveries come with elements only, CNEOS close-approach tables have no orbit, astrometry
arrives alone. A detector trained on complete records alone learns "H is present" as part of
normal and flags every partial record.

:func:`drop_parts` therefore rewrites a share of the natural records (train, validation and
test alike, each split with its own draws) into one of the partial shapes seen in those
feeds, *before* feature extraction, so that missingness patterns are part of the normal
population and evaluation covers partial records. The injected artificial objects
(:mod:`core.training.synthetic`) are built on the same (partly augmented) templates, so a missing
block is equally common among naturals and injected objects and carries no label information.

Patterns (weights in :data:`PATTERNS`):

``orbit_only``
    Orbit elements only (physical, non-gravitational terms and close approaches removed; MOID
    and condition code kept as the query exports give them): SBDB 2024 NEO export rows.
``no_H``
    The physical block without H (diameter, albedo... kept if present), no MOID, no
    condition code: SBDB exports whose column set lacks H.
``elements_only``
    e, i and a/q only (no angles, epoch, MOID, condition code), nothing else: minimal
    orbit messages.
``no_orbit``
    Orbit and non-gravitational terms removed; physical data and close approaches kept: the
    CNEOS close-approach table.
``no_physical``
    The physical block removed, everything else kept.
``no_close_approaches``
    Close approaches removed, everything else kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from msgspec.structs import replace

from core.contract.records import NeoRecord, Orbit, Physical

__all__ = ["PATTERNS", "AugmentedSet", "drop_parts"]

PATTERNS: dict[str, float] = {
    "orbit_only": 0.30,
    "no_H": 0.20,
    "elements_only": 0.10,
    "no_orbit": 0.15,
    "no_physical": 0.15,
    "no_close_approaches": 0.10,
}
"""Missingness pattern -> its share among the rewritten records (sums to 1)."""

COMPLETE = "complete"
"""Pattern name of a record left as it was."""


@dataclass(frozen=True, slots=True)
class AugmentedSet:
    """Records after :func:`drop_parts` and the pattern applied to each (same order)."""

    records: tuple[NeoRecord, ...]
    patterns: tuple[str, ...]


def drop_parts(
    records: Sequence[NeoRecord], fraction: float, rng: np.random.Generator
) -> AugmentedSet:
    """Rewrite ``fraction`` of ``records`` (chosen at random) into partial records.

    Parameters
    ----------
    records : sequence of NeoRecord
        Natural records; they are not modified (records are frozen, new ones are built).
    fraction : float
        Share of records rewritten, in [0, 1]; the rest stay complete (pattern
        :data:`COMPLETE`).
    rng : numpy.random.Generator
        Source of the choices; the same seed gives the same result.

    Returns
    -------
    AugmentedSet
        Valid records in input order (only whole optional parts or optional fields are
        removed, so every rewritten record still satisfies the neo.v1 contract).
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    names = list(PATTERNS)
    weights = np.array([PATTERNS[n] for n in names])
    rewrite = rng.random(len(records)) < fraction
    drawn = rng.choice(len(names), size=len(records), p=weights / weights.sum())
    out: list[NeoRecord] = []
    patterns: list[str] = []
    for rec, chosen, k in zip(records, rewrite, drawn, strict=True):
        pattern = names[int(k)] if chosen else COMPLETE
        out.append(_apply(rec, pattern))
        patterns.append(pattern)
    return AugmentedSet(tuple(out), tuple(patterns))


def _apply(rec: NeoRecord, pattern: str) -> NeoRecord:
    if pattern == "orbit_only":
        return replace(rec, physical=None, nongrav=None, close_approaches=(), observations=None)
    if pattern == "no_H":
        return replace(
            rec, physical=_without_h(rec.physical), orbit=_without_moid(rec.orbit), nongrav=None
        )
    if pattern == "elements_only":
        orbit = rec.orbit
        if orbit is not None:
            orbit = Orbit(e=orbit.e, i_deg=orbit.i_deg, a_au=orbit.a_au, q_au=orbit.q_au)
        return NeoRecord(designation=rec.designation, orbit=orbit, meta=rec.meta)
    if pattern == "no_orbit":
        return replace(rec, orbit=None, nongrav=None)
    if pattern == "no_physical":
        return replace(rec, physical=None)
    if pattern == "no_close_approaches":
        return replace(rec, close_approaches=())
    return rec


def _without_h(physical: Physical | None) -> Physical | None:
    if physical is None:
        return None
    rest = replace(physical, H=None)
    return None if rest == Physical() else rest


def _without_moid(orbit: Orbit | None) -> Orbit | None:
    return None if orbit is None else replace(orbit, moid_au=None, condition_code=None)
