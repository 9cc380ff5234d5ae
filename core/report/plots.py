"""The page's plots, drawn with matplotlib into inline SVG (text kept as text, no fonts embedded).

Figures are built with :class:`matplotlib.figure.Figure` and the SVG canvas directly, never
``pyplot`` (no global state: pages can be drawn in several threads). No string from a result
is ever drawn (designations and names go into the HTML, escaped); labels are fixed words and
numbers, so no text reaches matplotlib's mathtext parser. Each function returns the ``<svg>``
element, or None when it has nothing to draw.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from core.report.conics import Conics
from core.report.reference import MEASURED_NATURALS, gcat_area_to_mass
from core.report.track import Track

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "amr_plot",
    "distance_plot",
    "orbit_plot",
    "residuals_plot",
    "sky_plot",
    "timeline_plot",
]

_RC: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "neo-streamer",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
RASTER_ABOVE = 500
"""Point sets larger than this are drawn as an inline PNG inside the SVG (``rasterized``): a
page of thousands of observations stays small enough to mail; axes and text stay vector."""
HILL_AU = 0.01001  # the Earth's Hill radius (core.orbits.result.EARTH_HILL_RADIUS_AU)
_JD_UNIX = 2440587.5


def _figure(width: float = 6.4, height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure) -> str:
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _draw(build: Callable[[Figure], None], width: float = 6.4, height: float = 3.6) -> str:
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(width, height)
        build(fig)
        return _svg(fig)


def _unwrap_ra(ra: np.ndarray, centre: float) -> np.ndarray:
    return centre + (ra - centre + 180.0) % 360.0 - 180.0


def _broken(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The curve with a gap (NaN) wherever it wraps through the 360-degree seam."""
    jumps = np.flatnonzero(np.abs(np.diff(x)) > 180.0) + 1
    return np.insert(x, jumps, np.nan), np.insert(np.asarray(y, dtype=float), jumps, np.nan)


def sky_plot(
    obs_ra: Sequence[float],
    obs_dec: Sequence[float],
    rejected: Sequence[bool],
    track: Track | None,
) -> str | None:
    """Dec against RA: the observations (rejected ones marked) and the orbit's predictions."""
    if not len(obs_ra) and track is None:
        return None
    ra = np.asarray(obs_ra, dtype=float)
    dec = np.asarray(obs_dec, dtype=float)
    rej = np.asarray(rejected, dtype=bool) if len(rejected) == len(ra) else np.zeros(ra.size, bool)
    centre = float(np.median(ra)) if ra.size else float(np.median(track.geo_ra_deg))  # type: ignore[union-attr]

    def build(fig: Figure) -> None:
        ax = fig.add_subplot()
        if track is not None:
            ax.plot(
                *_broken(
                    _unwrap_ra(np.asarray(track.geo_ra_deg), centre),
                    np.asarray(track.geo_dec_deg),
                ),
                "-",
                color="0.6",
                lw=1,
                label="orbit (geocentric)",
            )
            if track.pred_ra_deg:
                ax.plot(
                    _unwrap_ra(np.asarray(track.pred_ra_deg), centre),
                    track.pred_dec_deg,
                    "+",
                    color="tab:orange",
                    ms=6,
                    label="predicted (from each station)",
                    rasterized=len(track.pred_ra_deg) > RASTER_ABOVE,
                )
        if ra.size:
            r = _unwrap_ra(ra, centre)
            many = r.size > RASTER_ABOVE
            ax.plot(r[~rej], dec[~rej], ".", color="tab:blue", ms=4, label="observed",
                    rasterized=many)  # fmt: skip
            if rej.any():
                ax.plot(r[rej], dec[rej], "x", color="tab:red", ms=6, label="rejected",
                        rasterized=many)  # fmt: skip
        ax.invert_xaxis()  # east to the left, as on the sky
        ax.set_xlabel("RA (deg)")
        ax.set_ylabel("Dec (deg)")
        ax.legend(loc="best", fontsize=7)

    return _draw(build)


def residuals_plot(track: Track) -> str | None:
    """Observed - predicted in RA cos Dec and Dec (arcsec) against days from the first."""
    if not track.obs_jd_utc:
        return None
    t = np.asarray(track.obs_jd_utc) - track.obs_jd_utc[0]
    rej = np.asarray(track.rejected, dtype=bool)

    def build(fig: Figure) -> None:
        axes = fig.subplots(2, 1, sharex=True)
        for ax, values, name in (
            (axes[0], track.res_ra_arcsec, "RA cos Dec"),
            (axes[1], track.res_dec_arcsec, "Dec"),
        ):
            v = np.asarray(values)
            ax.axhline(0.0, color="0.5", lw=0.8)
            many = t.size > RASTER_ABOVE
            ax.plot(t[~rej], v[~rej], ".", color="tab:blue", ms=4, label="used", rasterized=many)
            if rej.any():
                ax.plot(t[rej], v[rej], "x", color="tab:red", ms=6, label="rejected",
                        rasterized=many)  # fmt: skip
            ax.set_ylabel(f"{name} (arcsec)")
            used = v[~rej]
            if used.size and np.all(np.isfinite(used)):
                lim = max(1.0, 4.0 * float(np.max(np.abs(used))))
                ax.set_ylim(-lim, lim)
        axes[0].legend(loc="best", fontsize=7)
        axes[1].set_xlabel("days from the first observation")

    return _draw(build, height=4.2)


def distance_plot(track: Track, bound_jd: tuple[float, float] | None) -> str | None:
    """Distance from the Earth's centre over the arc, the Hill sphere and the bound interval."""
    t0 = track.grid_jd_tdb[0]
    t = np.asarray(track.grid_jd_tdb) - t0
    dist = np.asarray(track.geo_dist_au)

    def build(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot(t, dist, "-", color="tab:blue", label="distance from the Earth")
        ax.axhline(HILL_AU, color="tab:green", ls="--", lw=1, label="Hill sphere (0.010 au)")
        ax.axhline(3 * HILL_AU, color="tab:green", ls=":", lw=1, label="3 Hill radii")
        if bound_jd is not None:
            ax.axvspan(
                bound_jd[0] - t0,
                bound_jd[1] - t0,
                color="tab:orange",
                alpha=0.25,
                label="bound to the Earth",
            )
        if np.all(dist > 0):
            ax.set_yscale("log")
        ax.set_xlabel("days from the start of the arc (TDB)")
        ax.set_ylabel("au")
        ax.legend(loc="best", fontsize=7)

    return _draw(build)


def orbit_plot(conics: Conics, geo_xyz_au: list[list[float]] | None) -> str | None:
    """The orbit and the Earth's in the ecliptic plane; beside it, for an object bound to the
    Earth (``geo_xyz_au``: its geocentric positions over the arc), its path about the Earth."""
    orbit = np.asarray(conics.orbit_xy_au)
    earth = np.asarray(conics.earth_xy_au)
    bound = geo_xyz_au is not None

    def build(fig: Figure) -> None:
        axes = fig.subplots(1, 2 if bound else 1, squeeze=False)[0]
        ax = axes[0]
        ax.plot(earth[:, 0], earth[:, 1], "-", color="tab:green", lw=1, label="Earth's orbit")
        ax.plot(orbit[:, 0], orbit[:, 1], "-", color="tab:blue", lw=1, label="object's orbit")
        ax.plot([0], [0], "o", color="gold", ms=8, label="Sun")
        ax.plot(*conics.earth_at_epoch_xy_au, "o", color="tab:green", ms=5)
        ax.plot(*conics.object_at_epoch_xy_au, "o", color="tab:blue", ms=4)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("ecliptic x (au)")
        ax.set_ylabel("ecliptic y (au)")
        ax.set_title("heliocentric, at the epoch", fontsize=9)
        ax.legend(loc="upper right", fontsize=7)
        if bound:
            geo = np.asarray(geo_xyz_au) * 1.496e8 / 1e3  # thousand km
            bx = axes[1]
            bx.plot(geo[:, 0], geo[:, 1], "-", color="tab:blue", lw=1, label="object")
            bx.plot([0], [0], "o", color="tab:green", ms=6, label="Earth")
            theta = np.linspace(0, 2 * math.pi, 200)
            hill = HILL_AU * 1.496e8 / 1e3
            bx.plot(hill * np.cos(theta), hill * np.sin(theta), "--", color="tab:green", lw=0.8)
            moon = 384.4  # thousand km
            bx.plot(moon * np.cos(theta), moon * np.sin(theta), ":", color="0.5", lw=0.8)
            bx.set_aspect("equal", adjustable="datalim")
            bx.set_xlabel("x (1000 km)")
            bx.set_ylabel("y (1000 km)")
            bx.set_title("about the Earth over the arc", fontsize=9)
            bx.legend(loc="upper right", fontsize=7)

    return _draw(build, width=6.4 if not bound else 8.0, height=4.0)


def amr_plot(amr: float | None, interval: tuple[float, float] | None) -> str | None:
    """The object's A/M with its interval against GCAT's stages and payloads and the measured
    natural bodies (log scale)."""
    if amr is None or amr <= 0:
        return None
    stages, payloads = gcat_area_to_mass()

    def build(fig: Figure) -> None:
        ax = fig.add_subplot()
        bins = np.logspace(-6, 0, 61).tolist()
        ax.hist(stages, bins=bins, color="tab:gray", alpha=0.6, label="GCAT rocket stages")
        ax.hist(payloads, bins=bins, color="tab:purple", alpha=0.4, label="GCAT payloads")
        top = ax.get_ylim()[1]
        for k, n in enumerate(MEASURED_NATURALS):
            y = top * (0.55 + 0.1 * k)
            ax.errorbar(
                [n.amr_m2_kg], [y], xerr=[[n.sigma_m2_kg], [n.sigma_m2_kg]], fmt="s",
                color="tab:brown", ms=5, capsize=3,
                label="measured natural bodies" if k == 0 else None,
            )  # fmt: skip
        y = top * 0.85
        err = None
        if interval is not None:
            err = [[max(amr - interval[0], 0.0)], [max(interval[1] - amr, 0.0)]]
        ax.errorbar([amr], [y], xerr=err, fmt="D", color="tab:red", ms=7, capsize=4,
                    label="this object")  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("area-to-mass ratio (m²/kg)")
        ax.set_ylabel("pieces")
        ax.legend(loc="upper left", fontsize=7)

    return _draw(build)


def _jd_datetime(jd: float) -> np.ndarray:
    return np.array([datetime(1970, 1, 1) + timedelta(days=jd - _JD_UNIX)], dtype="datetime64[s]")


def _day(d: date) -> np.ndarray:
    return np.array([d], dtype="datetime64[s]")


def timeline_plot(
    launch_date: date | None,
    passage_date: date | None,
    arc_jd: tuple[float, float] | None,
) -> str | None:
    """The launch, the matched Earth passage and the observed arc on one time axis."""
    if launch_date is None:
        return None

    def build(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot(_day(launch_date), [1], "^", color="tab:red", ms=10, label="launch")
        if passage_date is not None:
            ax.plot(_day(passage_date), [1], "o", color="tab:orange", ms=8,
                    label="matched Earth passage")  # fmt: skip
        if arc_jd is not None:
            span = np.concatenate([_jd_datetime(j) for j in arc_jd])
            ax.plot(span, [1, 1], "-", color="tab:blue", lw=6, label="observed arc")
            ax.plot(span[:1], [1], "|", color="tab:blue", ms=14)
        ax.xaxis_date()
        ax.set_yticks([])
        ax.set_ylim(0.5, 1.5)
        ax.legend(loc="upper center", fontsize=7, ncols=3)

    return _draw(build, height=1.8)
