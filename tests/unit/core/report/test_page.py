"""Object pages (core/report): real fits of real astrometry, and results built to hold every
kind of field (fit failures, one-night tracklets, A/M, launch and known-object matches, hostile
designations).

The astrometry is the MPC's (tests/data/neos_multinight_obs80.txt: (99942) Apophis, 432
observations over 3.6 years, and 2005 TM173, 6 over 3 nights); the results are what the daemon
publishes for a re-fitted object (streamer.state.refit.refit_and_score with the bundled model).
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from core.contract.obs import Observation
from core.contract.obsstream import jd_to_iso
from core.orbits.astrometry import Astrometry, read_astrometry
from core.report import build_page, read_facts
from core.report.track import compute_track

OBS = Path(__file__).parents[3] / "data" / "neos_multinight_obs80.txt"
MODEL = Path(__file__).parents[4] / "models"


class _Tags(HTMLParser):
    """Start tags, their attributes and the text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    return p


def plots(page: str) -> set[str]:
    return set(re.findall(r'<figure data-plot="([a-z]+)">', page))


def assert_offline(page: str) -> None:
    """No script, no element that loads anything (an SVG image only from a data: URL), no
    event handler."""
    tags = parse(page).tags
    names = {t for t, _ in tags}
    assert not names & {"script", "img", "iframe", "link", "object", "embed"}
    for _, attrs in tags:
        for key, value in attrs:
            assert not key.startswith("on"), key
            if key in ("src", "href", "xlink:href") and value is not None:
                assert value.startswith(("#", "data:")), value
    assert "default-src 'none'" in page


def _observations(a: Astrometry) -> list[Observation]:
    return [
        Observation(
            obsTime=jd_to_iso(float(a.time_jd_utc[i])),
            time_jd_utc=float(a.time_jd_utc[i]),
            ra=float(a.ra_deg[i]),
            dec=float(a.dec_deg[i]),
            stn=a.station[i],
            mag=None if math.isnan(a.mag[i]) else float(a.mag[i]),
        )
        for i in range(len(a))
    ]


@pytest.fixture(scope="module")
def astrometry() -> dict[str, Astrometry]:
    out = read_astrometry(OBS)
    return {k: v for k, v in out.items() if isinstance(v, Astrometry)}


@pytest.fixture(scope="module")
def results(astrometry: dict[str, Astrometry]) -> dict[str, dict[str, Any]]:
    from core.serving.inference import InferenceEngine
    from core.serving.registry import load_model
    from streamer.state.refit import refit_and_score, result_document

    engine = InferenceEngine(load_model(MODEL), cache_size=0)
    out = {}
    for name in ("99942", "2005 TM173"):
        scored = refit_and_score(name, _observations(astrometry[name]), engine)
        out[name] = orjson.loads(result_document(scored, ()))
    return out


def test_fitted_object_with_hundreds_of_observations(results, astrometry) -> None:
    result, a = results["99942"], astrometry["99942"]
    page = build_page(result, a)
    assert plots(page) == {"sky", "residuals", "distance", "orbit"}
    assert len(page.encode()) <= 1_000_000
    assert_offline(page)
    text = "".join(parse(page).text)
    assert "432 observations." in text
    assert "No area-to-mass ratio" in text  # Apophis: no radiation pressure measured
    # every observation has its row (header + 432) in the observations table
    assert page.count('<tr><td class="num">') + page.count('<tr class="rej">') == 432


def test_track_residuals_match_the_fit(results, astrometry) -> None:
    """The page's predictions are the fit's: the rms of the used residuals is the fit's rms."""
    fit = results["99942"]["fit"]
    track = compute_track(fit, astrometry["99942"])
    used = ~np.asarray(track.rejected)
    res = np.concatenate(
        [np.asarray(track.res_ra_arcsec)[used], np.asarray(track.res_dec_arcsec)[used]]
    )
    assert math.isclose(float(np.sqrt(np.mean(res**2))), fit["rms_arcsec"], rel_tol=0.05)
    assert int(np.count_nonzero(~used)) == fit["n_rejected"]
    # the distance over the arc reaches the fit's closest approach
    assert min(track.geo_dist_au) == pytest.approx(fit["min_geo_dist_au"], rel=0.05)


def test_short_arc_fit(results, astrometry) -> None:
    page = build_page(results["2005 TM173"], astrometry["2005 TM173"])
    assert {"sky", "residuals", "distance", "orbit"} <= plots(page)
    assert_offline(page)


@pytest.fixture(scope="module")
def night(astrometry: dict[str, Astrometry]) -> Astrometry:
    """2005 TM173's first night alone (a one-night tracklet)."""
    a = astrometry["2005 TM173"]
    return a.select(a.time_jd_utc < a.time_jd_utc.min() + 0.3)


def test_fit_failure_says_why_and_draws_the_observations(night) -> None:
    result = {
        "schema": "neo.anomaly.v1",
        "designation": "2005 TM173",
        "category": "undetermined",
        "evidence": "none",
        "fit": {"failed": "a single night of observations gives no orbit"},
        "arc": {"observations": len(night), "nights": 1, "days": 0.05},
    }
    page = build_page(result, night)
    assert plots(page) == {"sky"}
    text = "".join(parse(page).text)
    assert "The orbit fit failed: a single night of observations gives no orbit." in text
    assert "undetermined: the data do not allow a verdict" in text
    assert_offline(page)


def test_one_night_tracklet_shows_its_geocentric_score(night) -> None:
    result = {
        "designation": "2005 TM173",
        "category": "suspicious",
        "fit": {"failed": "one night", "geocentric_score": 0.82},
    }
    text = "".join(parse(build_page(result, night)).text)
    assert "Geocentric score" in text and "0.82" in text


def test_stage_like_result_draws_amr_launch_and_known_match(results, astrometry) -> None:
    result = dict(results["2005 TM173"])
    result["category"] = "artificial_candidate"
    result["physics"] = {
        "area_to_mass_m2_kg": 0.008,
        "area_to_mass_range_m2_kg": [0.006, 0.011],
        "density_kg_m3": 20.0,
        "density_range_kg_m3": [12.0, 35.0],
        "launch_match": {
            "launch_date": "1966-09-20",
            "launch_tag": "1966-084",
            "name": "Surveyor 2 Centaur",
            "clone_fraction": 0.6,
            "min_dist_au": 0.004,
            "v_rel_kms": 1.2,
            "days_after_launch": 3.0,
        },
        "summary": "A/M 0.008 m^2/kg: hollow, not a rock",
    }
    result["known_match"] = {"name": "Centaur 2", "norad": None, "separation_arcsec": 12.5}
    page = build_page(result, astrometry["2005 TM173"])
    assert {"amr", "launch", "sky", "orbit"} <= plots(page)
    text = "".join(parse(page).text)
    assert "Surveyor 2 Centaur" in text and "Centaur 2" in text
    assert "Implied bulk density 20 kg/m³" in text
    assert_offline(page)


HOSTILE = '<script>alert("x")</script>&\'"><img src=x onerror=alert(1)>'


def test_hostile_strings_are_escaped() -> None:
    result = {
        "designation": HOSTILE,
        "category": HOSTILE,
        "indicators": {"items": [{"name": HOSTILE, "reason": HOSTILE}]},
        "contributions": [{"feature": HOSTILE, "contribution": 0.5}],
        "known_match": {HOSTILE: HOSTILE},
        "physics": {"launch_match": {"launch_date": HOSTILE, "name": HOSTILE}},
        "model": {"id": HOSTILE, "version": HOSTILE},
    }
    page = build_page(result)
    assert "<script" not in page and "<img" not in page
    assert_offline(page)
    assert HOSTILE in "".join(parse(page).text)  # shown as text, intact


def test_wrong_types_never_raise() -> None:
    result = {
        "designation": 7,
        "category": None,
        "fit": "x",
        "indicators": {"items": 5},
        "physics": {"area_to_mass_m2_kg": "big", "launch_match": [1]},
        "contributions": [None, {"feature": "f", "contribution": float("nan")}],
        "anomaly_score": True,
    }
    facts = read_facts(result)
    assert facts.amr_m2_kg is None and facts.launch_match is None and facts.score is None
    page = build_page(result)
    assert plots(page) == set()
    assert "No observations came with the result" in "".join(parse(page).text)


def test_record_orbit_drawn_for_a_result_without_fit() -> None:
    """A record scored without a fit: its own orbit (2020 QT7, the sample stream's first
    record, elements as the catalogue gives them) is drawn; the conic spans q to a (1 + e)."""
    import gzip

    from core.report.conics import conics_of_elements

    sample = Path(__file__).parents[4] / "data" / "sample_stream.jsonl.gz"
    record = orjson.loads(gzip.decompress(sample.read_bytes()).splitlines()[0])
    orbit = record["orbit"]
    conics = conics_of_elements(orbit)
    assert conics is not None
    xy = np.asarray(conics.orbit_xy_au)
    # the plotted points are the x-y projection: the radius is at most r, equal at the nodes
    r = np.hypot(xy[:, 0], xy[:, 1])
    assert r.max() <= orbit["a_au"] * (1 + orbit["e"]) * (1 + 1e-9)
    assert r.min() >= orbit["q_au"] * math.cos(math.radians(orbit["i_deg"])) * (1 - 1e-9)
    earth = np.hypot(*np.asarray(conics.earth_xy_au).T)
    assert earth.min() > 0.98 and earth.max() < 1.02
    result = {"designation": record["designation"], "category": "natural"}
    page = build_page(result, None, orbit)
    assert plots(page) == {"orbit"}
    assert "the orbit of the record it was scored from" in page
    assert_offline(page)
    # an orbit block that describes no orbit: no plot, no exception
    assert conics_of_elements({"e": "x"}) is None
    assert plots(build_page(result, None, {"e": 0.1, "i_deg": 1.0})) == set()


def test_thousands_of_observations_stay_under_a_megabyte() -> None:
    """5,000 observations (the state's default limit per object) with a track: the point sets
    are drawn as inline PNG, the table lists the first 1,000, the page stays <= 1 MB."""
    from core.report.conics import Conics
    from core.report.page import render_page
    from core.report.track import Track

    n = 5000
    rng = np.random.default_rng(7)
    t = 2460000.5 + np.sort(rng.uniform(0, 60, n))
    ra = 150.0 + 0.1 * (t - t[0])
    dec = 10.0 + 0.02 * (t - t[0])
    a = Astrometry.from_columns(t, ra, dec, ["G96"] * n)
    circle = [[math.cos(x), math.sin(x)] for x in np.linspace(0, 2 * math.pi, 361)]
    track = Track(
        obs_jd_utc=t.tolist(), obs_ra_deg=ra.tolist(), obs_dec_deg=dec.tolist(),
        pred_ra_deg=ra.tolist(), pred_dec_deg=dec.tolist(),
        res_ra_arcsec=rng.normal(0, 0.3, n).tolist(), res_dec_arcsec=rng.normal(0, 0.3, n).tolist(),
        rejected=(rng.uniform(size=n) < 0.01).tolist(),
        grid_jd_tdb=np.linspace(t[0], t[-1], 400).tolist(),
        geo_ra_deg=np.linspace(150, 156, 400).tolist(),
        geo_dec_deg=np.linspace(10, 11.2, 400).tolist(),
        geo_dist_au=np.linspace(0.05, 0.2, 400).tolist(), geo_xyz_au=[[0.1, 0.0, 0.0]] * 400,
        conics=Conics(orbit_xy_au=circle, earth_xy_au=circle, object_at_epoch_xy_au=[1.0, 0.0],
                      earth_at_epoch_xy_au=[0.0, 1.0]),
    )  # fmt: skip
    result = {"designation": "many", "category": "natural", "fit": {"n_used": n}}
    page = render_page(result, a, track=track)
    assert {"sky", "residuals", "distance", "orbit"} <= plots(page)
    assert len(page.encode()) <= 1_000_000, len(page.encode())
    assert "The first 1000 of 5000 observations are listed." in "".join(parse(page).text)
    assert_offline(page)
