"""How close a prediction must come to the observations to be a match."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Tolerances"]


@dataclass(frozen=True, slots=True)
class Tolerances:
    """The matching rule's numbers (``[known]`` in config.toml sets them).

    Earth-orbiting objects: the element set's position error is taken as
    ``position_error_km + error_growth_km_per_day * |age|`` (SGP4 element sets drift by 1-3 km a
    day: Vallado et al. 2006, AIAA 2006-6753; the sgp4 package's documentation), seen at the
    object's range, plus ``3 x`` the observations' rms, and never less than
    ``min_tolerance_arcsec``. Heliocentric objects: ``helio_tolerance_arcsec`` growing by
    ``helio_growth_arcsec_per_year``. Motion: the predicted motion vector may differ from the
    observed one by ``motion_fraction`` of the observed rate plus ``min_motion_arcsec_per_min``
    plus what the astrometric noise allows. Element sets older than ``max_age_days`` are not used.
    ``age_scale_days``: the confidence halves at this age.
    """

    position_error_km: float = 1.0
    error_growth_km_per_day: float = 3.0
    min_tolerance_arcsec: float = 10.0
    default_rms_arcsec: float = 1.0
    motion_fraction: float = 0.1
    min_motion_arcsec_per_min: float = 0.5
    max_age_days: float = 60.0
    age_scale_days: float = 10.0
    helio_tolerance_arcsec: float = 60.0
    helio_growth_arcsec_per_year: float = 120.0
    helio_age_scale_days: float = 3650.0
