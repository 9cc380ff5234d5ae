"""The ``neo.v1`` record contract: frozen dataclasses and their strict validator.

One JSON object per message; see ``docs/schema.md`` for the full contract, units and limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core._types import FloatArray
from core.errors import RecordError

__all__ = [
    "CloseApproach",
    "NeoRecord",
    "NonGrav",
    "Observations",
    "Orbit",
    "Physical",
    "RecordError",
]


@dataclass(frozen=True, slots=True)
class Orbit:
    """Osculating heliocentric ecliptic J2000 elements.

    ``a_au`` is None only for e >= 1 orbits given by ``q_au``; for e < 1 the validator fills
    ``a_au`` from ``q_au`` and ``q_au`` from ``a_au``.
    """

    e: float
    i_deg: float
    a_au: float | None
    q_au: float | None
    node_deg: float | None = None
    peri_deg: float | None = None
    M_deg: float | None = None
    epoch_jd: float | None = None
    moid_au: float | None = None
    condition_code: int | None = None


@dataclass(frozen=True, slots=True)
class Physical:
    """Physical properties: absolute magnitude, size, albedo, rotation, taxonomy."""

    H: float | None = None
    diameter_km: float | None = None
    albedo: float | None = None
    rot_per_h: float | None = None
    spectral_type: str | None = None


@dataclass(frozen=True, slots=True)
class NonGrav:
    """Marsden non-gravitational parameters, au/d^2."""

    A1: float | None = None
    A2: float | None = None
    A3: float | None = None


@dataclass(frozen=True, slots=True)
class CloseApproach:
    """One close approach to a body (Earth by default)."""

    time: str
    time_jd: float
    dist_au: float
    v_rel_kms: float | None = None
    v_inf_kms: float | None = None
    body: str = "Earth"
    subpoint: tuple[float, float] | None = None


@dataclass(frozen=True, eq=False)
class Observations:
    """Astrometric observations, parsed into arrays once at validation.

    Equality and hash use ``source`` and ``raw`` only (arrays are derived from them).
    """

    source: Literal["obs80", "ades"]
    raw: tuple[Any, ...]
    time_jd: FloatArray
    ra_deg: FloatArray
    dec_deg: FloatArray
    mag: FloatArray
    band: tuple[str | None, ...]
    station: tuple[str, ...]
    rms_ra_arcsec: FloatArray
    rms_dec_arcsec: FloatArray

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Observations):
            return NotImplemented
        return self.source == other.source and self.raw == other.raw

    def __hash__(self) -> int:
        return hash((self.source, len(self.raw)))

    def __len__(self) -> int:
        return len(self.raw)


@dataclass(frozen=True, slots=True)
class NeoRecord:
    """One validated ``neo.v1`` record."""

    designation: str
    orbit: Orbit | None = None
    physical: Physical | None = None
    nongrav: NonGrav | None = None
    close_approaches: tuple[CloseApproach, ...] = ()
    observations: Observations | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
