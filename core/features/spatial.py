"""Spatial features of close-approach subpoints (the geographic point under the object).

Longitude is circular: its mean direction is given as (sin, cos) of atan2(mean sin, mean cos)
and its spread as the circular variance 1 - R (Mardia & Jupp 2000). The 3-D statistics treat
each subpoint as a unit vector: ``sp_concentration`` is the length of the mean vector (1 = all
subpoints coincide, ~0 = spread over the globe), ``sp_geo_spread_deg`` the mean great-circle
distance to the spherical centroid, ``sp_clustering`` the fraction of subpoints within
:data:`CLUSTER_RADIUS_DEG` of it. All are NaN for a record without subpoints.
"""

from __future__ import annotations

import numpy as np

from core._types import FloatArray
from core.features._gather import Gathered
from core.features._segments import seg_count, seg_mean, seg_std, seg_sum

__all__ = ["CLUSTER_RADIUS_DEG", "NAMES", "spatial_features"]

CLUSTER_RADIUS_DEG = 10.0
"""Great-circle radius around the centroid counted by ``sp_clustering`` (~1100 km)."""

NAMES: tuple[str, ...] = (
    "sp_n",
    "sp_lat_mean_deg",
    "sp_lat_std_deg",
    "sp_lon_mean_sin",
    "sp_lon_mean_cos",
    "sp_lon_circ_var",
    "sp_concentration",
    "sp_geo_spread_deg",
    "sp_clustering",
)


def spatial_features(g: Gathered) -> dict[str, FloatArray]:
    """Subpoint feature columns of a batch."""
    n = g.n
    ok = np.isfinite(g.ca_lat_deg)
    seg, lat_deg = g.ca_seg[ok], g.ca_lat_deg[ok]
    lat, lon = np.radians(lat_deg), np.radians(g.ca_lon_deg[ok])
    count = seg_count(seg, n)
    has = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ms, mc = seg_sum(seg, np.sin(lon), n) / count, seg_sum(seg, np.cos(lon), n) / count
        r_lon = np.sqrt(ms * ms + mc * mc)
        cos_lat = np.cos(lat)
        x, y, z = cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)
        mx, my, mz = (seg_sum(seg, c, n) / count for c in (x, y, z))
        r3 = np.sqrt(mx * mx + my * my + mz * mz)
        # Centroid undefined when the mean vector vanishes (e.g. two antipodal points).
        cx, cy, cz = (np.where(r3 > 1e-12, m / r3, np.nan) for m in (mx, my, mz))
        dot = np.clip(x * cx[seg] + y * cy[seg] + z * cz[seg], -1.0, 1.0)
        dist_deg = np.degrees(np.arccos(dot))
        near = dist_deg <= CLUSTER_RADIUS_DEG
        lat_mean = seg_mean(seg, lat_deg, n)
        return {
            "sp_n": np.where(has, count, np.nan),
            "sp_lat_mean_deg": lat_mean,
            "sp_lat_std_deg": seg_std(seg, lat_deg, n, lat_mean),
            "sp_lon_mean_sin": np.where(r_lon > 1e-12, ms / r_lon, np.nan),
            "sp_lon_mean_cos": np.where(r_lon > 1e-12, mc / r_lon, np.nan),
            "sp_lon_circ_var": 1.0 - r_lon,
            "sp_concentration": r3,
            "sp_geo_spread_deg": seg_mean(seg, dist_deg, n),
            "sp_clustering": np.where(
                np.isfinite(cx), seg_sum(seg, near.astype(np.float64), n) / count, np.nan
            ),
        }
