"""One object's page: a self-contained HTML document from its result, astrometry and orbit.

:func:`build_page` computes what the fitted orbit predicts (:func:`core.report.track.compute_track`,
when the result has a fit and its propagation succeeds) and :func:`render_page` writes the HTML:
the verdict and what it rests on, the reasons in words, the plots that the result allows
(:mod:`core.report.plots`, inline SVG), what is missing and why, the data tables and the JSON of
the result as a ``data:`` download. Nothing is fetched when the page is opened: no script, no
external style, font or image, and a Content-Security-Policy (``default-src 'none'``) that
forbids any request. Every string from the result or the astrometry is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from core.contract.obsstream import jd_to_iso
from core.orbits.astrometry import Astrometry
from core.report import plots
from core.report.conics import Conics, conics_of_elements
from core.report.facts import Facts, number, read_facts
from core.report.track import Track, compute_track

__all__ = ["PLOT_NAMES", "build_page", "render_page"]

PLOT_NAMES = ("sky", "residuals", "distance", "orbit", "amr", "launch")
"""The ``data-plot`` names of the page's figures (what a page can hold)."""
MAX_TABLE_ROWS = 1000
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;border-bottom:1px solid #ccc}
.verdict{padding:.6rem 1rem;border-radius:.4rem;margin:.6rem 0;font-weight:600}
.v-artificial_candidate{background:#fdd}.v-highly_suspicious{background:#fed}
.v-suspicious{background:#ffc}.v-natural{background:#dfd}.v-undetermined{background:#eee}
.missing{color:#845;font-style:italic} figure{margin:.5rem 0} figure svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.8rem} td,th{border:1px solid #ddd;padding:2px 6px}
td.num{text-align:right;font-variant-numeric:tabular-nums} tr.rej{color:#b00}
"""
_JD_UNIX = 2440587.5


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any, digits: int = 4) -> str:
    v = number(value)
    if v is None:
        return "—"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"


def _figure(name: str, svg: str | None, caption: str) -> str:
    if svg is None:
        return ""
    return f'<figure data-plot="{name}">{svg}<figcaption>{_e(caption)}</figcaption></figure>'


def _missing(text: str) -> str:
    return f'<p class="missing">{_e(text)}</p>'


def build_page(
    result: Mapping[str, Any],
    astrometry: Astrometry | None = None,
    record_orbit: Mapping[str, Any] | None = None,
) -> str:
    """The page of ``result`` (a ``neo.anomaly.v1`` mapping) with the object's astrometry and,
    for a result without a fit, the ``orbit`` block of the record it was scored from.

    The fitted orbit's predictions are computed here (ASSIST); a failure to compute them is
    said on the page, never raised.
    """
    facts = read_facts(result)
    track: Track | None = None
    track_error: str | None = None
    if facts.fit is not None and facts.fit_failed is None:
        try:
            track = compute_track(facts.fit, astrometry)
        except Exception as exc:  # any propagation or station problem: said on the page
            track_error = f"{type(exc).__name__}: {exc}"
    conics = None
    if track is None and facts.fit is None and isinstance(record_orbit, Mapping):
        try:
            conics = conics_of_elements(record_orbit)
        except Exception as exc:  # an orbit ASSIST's ephemeris cannot place: said on the page
            track_error = f"{type(exc).__name__}: {exc}"
    return render_page(
        result,
        astrometry,
        track=track,
        track_error=track_error,
        record_orbit=record_orbit if conics is not None else None,
        conics=conics,
    )


def _verdict(f: Facts) -> str:
    rows = [
        f'<div class="verdict v-{_e(f.verdict)}">{_e(f.verdict_words)}</div>',
        "<ul>",
    ]
    if f.score is not None:
        rows.append(
            f"<li>anomaly score {_fmt(f.score, 3)}"
            + (f", probability {_fmt(f.probability, 3)}" if f.probability is not None else "")
            + (f", confidence {_fmt(f.confidence, 2)}" if f.confidence is not None else "")
            + "</li>"
        )
    if f.evidence:
        rows.append(f"<li>evidence: {_e(f.evidence)}</li>")
    if f.model:
        rows.append(f"<li>model {_e(f.model)}</li>")
    if f.arc:
        rows.append(
            f"<li>arc: {_e(f.arc.get('observations'))} observations over"
            f" {_e(f.arc.get('nights'))} nights, {_fmt(f.arc.get('days'), 3)} days</li>"
        )
    rows.append("</ul>")
    rows.append("<h2>Why</h2>")
    if f.reasons or f.physics_summary:
        rows.append("<ul>")
        rows += [f"<li>{_e(r)}</li>" for r in f.reasons]
        if f.physics_summary:
            rows.append(f"<li>physics: {_e(f.physics_summary)}</li>")
        rows.append("</ul>")
    else:
        rows.append(_missing("No indicator fired and the result carries no physical evidence."))
    if f.contributions:
        rows.append("<p>Features pushing the score up: ")
        rows.append(", ".join(f"{_e(n)} ({_fmt(c, 2)})" for n, c in f.contributions[:8]))
        rows.append("</p>")
    return "\n".join(rows)


def _orbit_section(
    f: Facts,
    track: Track | None,
    track_error: str | None,
    record_orbit: Mapping[str, Any] | None,
    conics: Conics | None,
) -> list[str]:
    out = ["<h2>Orbit</h2>"]
    if f.fit is None and conics is not None and record_orbit is not None:
        out.append("<p>No orbit was fitted: the orbit of the record it was scored from.</p>")
        out.append(
            _figure(
                "orbit",
                plots.orbit_plot(conics, None),
                "The record's osculating orbit at its epoch beside the Earth's, in the ecliptic"
                " plane.",
            )
        )
        out.append(_elements_table({**record_orbit, "elements": record_orbit}))
    elif f.fit is None:
        out.append(_missing("The result carries no orbit fit (it was scored from its record)."))
    elif f.fit_failed is not None:
        out.append(_missing(f"The orbit fit failed: {f.fit_failed}."))
    elif track_error is not None:
        out.append(
            _missing(f"The fitted orbit's predictions could not be computed: {track_error}.")
        )
    if f.geocentric_score is not None:
        score = f.geocentric_score
        shown = _fmt(score) if number(score) is not None else json.dumps(score, default=str)
        out.append(
            "<p>Geocentric score (a short arc: how well an orbit about the Earth explains it): "
            f"{_e(shown)}</p>"
        )
    if track is not None:
        bound = bool(f.fit and f.fit.get("bound_to_earth") is True)
        out.append(
            _figure(
                "residuals",
                plots.residuals_plot(track),
                "Residuals (observed − predicted); rejected observations marked ×.",
            )
        )
        out.append(
            _figure(
                "distance",
                plots.distance_plot(track, f.bound_interval_jd),
                "Distance from the Earth over the arc, with the Hill sphere"
                + (" and the interval in which the object was bound." if bound else "."),
            )
        )
        out.append(
            _figure(
                "orbit",
                plots.orbit_plot(track.conics, track.geo_xyz_au if bound else None),
                "The osculating orbit at the epoch beside the Earth's, in the ecliptic plane.",
            )
        )
        if not track.obs_jd_utc:
            out.append(_missing("No observations came with the result: no residuals."))
    if f.fit is not None and f.fit_failed is None:
        out.append(_elements_table(f.fit))
    return out


_ELEMENTS = ("a_au", "q_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg")


def _elements_table(fit: Mapping[str, Any]) -> str:
    elements = fit.get("elements") if isinstance(fit.get("elements"), Mapping) else {}
    sigma = fit.get("sigma") if isinstance(fit.get("sigma"), Mapping) else {}
    rows = ["<table><tr><th>element</th><th>value</th><th>σ</th></tr>"]
    for name in _ELEMENTS:
        value = elements.get(name)  # type: ignore[union-attr]
        rows.append(
            f'<tr><td>{_e(name)}</td><td class="num">{_fmt(value, 8)}</td>'
            f'<td class="num">{_fmt(sigma.get(name), 3)}</td></tr>'  # type: ignore[union-attr]
        )
    for label, key in (
        ("epoch (JD TDB)", "epoch_jd"),
        ("A1 (au/d²)", "a1_au_d2"),
        ("σ A1", "a1_sigma_au_d2"),
        ("A2 (au/d²)", "a2_au_d2"),
        ("rms (arcsec)", "rms_arcsec"),
        ("used", "n_used"),
        ("rejected", "n_rejected"),
        ("Earth MOID (au)", "moid_au"),
        ("closest to the Earth (au)", "min_geo_dist_au"),
        ("v∞ (km/s)", "v_inf_kms"),
    ):
        if key in fit:
            value = _fmt(fit[key], 10)
            rows.append(f'<tr><td>{_e(label)}</td><td class="num" colspan="2">{value}</td></tr>')
    rows.append("</table>")
    return "".join(rows)


def _physics_section(f: Facts, arc_jd: tuple[float, float] | None) -> list[str]:
    out = ["<h2>Area-to-mass ratio</h2>"]
    svg = plots.amr_plot(f.amr_m2_kg, f.amr_range_m2_kg)
    if svg is None:
        out.append(_missing("No area-to-mass ratio: radiation pressure was not measured."))
    else:
        interval = (
            f" (interval {_fmt(f.amr_range_m2_kg[0], 3)}–{_fmt(f.amr_range_m2_kg[1], 3)})"
            if f.amr_range_m2_kg
            else ""
        )
        out.append(
            _figure(
                "amr",
                svg,
                f"A/M {_fmt(f.amr_m2_kg, 3)} m²/kg{interval} against GCAT's deep-space stages"
                " and payloads and the natural bodies with a measured A/M (2009 BD, 2020 CD3).",
            )
        )
    if f.density_kg_m3 is not None:
        rng = (
            f" (range {_fmt(f.density_range_kg_m3[0], 3)}–{_fmt(f.density_range_kg_m3[1], 3)})"
            if f.density_range_kg_m3
            else ""
        )
        out.append(
            f"<p>Implied bulk density {_fmt(f.density_kg_m3, 3)} kg/m³{rng}: rocket stages"
            " 10–30 kg/m³, natural bodies with a measured A/M 640–3,900 kg/m³.</p>"
        )
    out.append("<h2>Launch and known objects</h2>")
    match = f.launch_match
    if match is None:
        out.append(_missing("No launch match in the result."))
    else:
        launch = _date(match.get("launch_date"))
        days = number(match.get("days_after_launch"))
        passage = launch + timedelta(days=days) if launch is not None and days is not None else None
        out.append(
            _figure(
                "launch",
                plots.timeline_plot(launch, passage, arc_jd),
                "The matched launch, the Earth passage it matched and the observed arc.",
            )
        )
        out.append(_dict_table(match))
    if f.known_match is None:
        out.append(_missing("No known-object match in the result."))
    else:
        out.append("<p>Matches a known artificial object:</p>")
        out.append(_dict_table(f.known_match))
    return out


def _date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _dict_table(d: Mapping[str, Any]) -> str:
    rows = ["<table>"]
    for k, v in d.items():
        shown = _fmt(v, 6) if number(v) is not None else json.dumps(v, default=str)
        rows.append(f"<tr><th>{_e(k)}</th><td>{_e(shown)}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _observations_table(a: Astrometry, track: Track | None) -> str:
    n = len(a)
    order = a.sorted_by_time()
    res = track is not None and len(track.res_ra_arcsec) == n
    head = "<tr><th>time (UTC)</th><th>RA (deg)</th><th>Dec (deg)</th><th>station</th><th>mag</th>"
    head += "<th>ΔRA cos Dec (″)</th><th>ΔDec (″)</th><th>used</th></tr>" if res else "</tr>"
    rows = [f"<table>{head}"]
    for k in range(min(n, MAX_TABLE_ROWS)):
        rejected = res and track.rejected[k]  # type: ignore[union-attr]
        cells = [
            _e(jd_to_iso(float(order.time_jd_utc[k]))),
            f"{order.ra_deg[k]:.6f}",
            f"{order.dec_deg[k]:.6f}",
            _e(order.station[k]),
            "" if math.isnan(order.mag[k]) else f"{order.mag[k]:.2f}",
        ]
        if res:
            cells += [
                f"{track.res_ra_arcsec[k]:.2f}",  # type: ignore[union-attr]
                f"{track.res_dec_arcsec[k]:.2f}",  # type: ignore[union-attr]
                "rejected" if rejected else "yes",
            ]
        cls = ' class="rej"' if rejected else ""
        rows.append(f"<tr{cls}>" + "".join(f'<td class="num">{c}</td>' for c in cells) + "</tr>")
    rows.append("</table>")
    if n > MAX_TABLE_ROWS:
        rows.append(_missing(f"The first {MAX_TABLE_ROWS} of {n} observations are listed."))
    return "".join(rows)


def render_page(
    result: Mapping[str, Any],
    astrometry: Astrometry | None = None,
    *,
    track: Track | None = None,
    track_error: str | None = None,
    record_orbit: Mapping[str, Any] | None = None,
    conics: Conics | None = None,
) -> str:
    """The HTML text of the page (UTF-8 when written); pure: nothing is computed but drawn."""
    f = read_facts(result)
    a = astrometry.sorted_by_time() if astrometry is not None and len(astrometry) else None
    arc_jd = (float(a.time_jd_utc[0]), float(a.time_jd_utc[-1])) if a is not None else None
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{_e(f.designation)}: {_e(f.verdict)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_e(f.designation)}</h1>",
        _verdict(f),
        "<h2>Sky track</h2>",
    ]
    if a is None and track is None:
        parts.append(_missing("No observations came with the result: no sky track."))
    else:
        rejected = track.rejected if track is not None and track.obs_jd_utc else []
        parts.append(
            _figure(
                "sky",
                plots.sky_plot(
                    a.ra_deg.tolist() if a is not None else [],
                    a.dec_deg.tolist() if a is not None else [],
                    rejected,
                    track,
                ),
                "The observations and the fitted orbit's predictions on the sky."
                if track is not None
                else "The observations on the sky (no fitted orbit to predict them).",
            )
        )
    parts += _orbit_section(f, track, track_error, record_orbit, conics)
    parts += _physics_section(f, arc_jd)
    parts.append("<h2>Data</h2>")
    if a is not None:
        parts.append(f"<p>{len(a)} observations.</p>")
        parts.append(_observations_table(a, track))
    payload = json.dumps(result, default=str, ensure_ascii=True).encode()
    href = "data:application/json;base64," + base64.b64encode(payload).decode()
    parts.append(
        f'<p><a download="result.json" href="{href}">Download the result (JSON)</a></p>'
        "</body></html>"
    )
    return "\n".join(p for p in parts if p)
