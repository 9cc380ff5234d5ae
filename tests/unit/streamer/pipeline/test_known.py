"""``[known]`` in the config, and the daemon's catalogue: loaded at start, reloaded when a file
changes, kept when a file is half-written or gone; the check edits a result as documented.

The tracklet is simulated by core.known.simulate from a real element set of SGP4-VER.TLE (XM-3).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.contract.obs import decode_obs_message
from core.contract.obsstream import jd_to_iso
from core.known.simulate import simulate_sgp4_astrometry
from core.known.tle import read_tle
from streamer.config import KnownConfig, load_config
from streamer.errors import ConfigError
from streamer.ops.metrics import Metrics
from streamer.pipeline.known import KnownObjects

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "known"
TLE = FIXTURES / "sgp4_ver_subset.tle"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_known_section_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    cfg = load_config(
        _write(tmp_path, '[known]\nenabled = true\npaths = ["cat/a.tle", "/abs/b.xml"]\n'), env={}
    )
    assert cfg.known.enabled
    assert cfg.known.paths == (str(tmp_path / "cat" / "a.tle"), "/abs/b.xml")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[known]\npaths = 3\n", "known.paths"),
        ('[known]\nrouting = "elsewhere"\n', "known.routing"),
        ("[known]\nmax_age_days = -1\n", "known.max_age_days"),
        ("[known]\ncolour = 1\n", "known.colour"),
        ('[known]\nenabled = true\nrouting = "topic"\ntopic = "neo.alerts"\n', "known.topic"),
    ],
)
def test_known_errors_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text), env={})
    assert info.value.key == key


def _metrics() -> Metrics:
    return Metrics()


def _known(tmp_path: Path, **kw: Any) -> tuple[KnownObjects, Path]:
    path = tmp_path / "cat.tle"
    shutil.copy(TLE, path)
    cfg = KnownConfig(enabled=True, paths=(str(path),), reload_interval_s=0.0, **kw)
    return KnownObjects(cfg, _metrics()), path


def test_a_bad_catalogue_at_start_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tle"
    bad.write_text(TLE.read_text()[:200])
    with pytest.raises(ConfigError, match=r"known\.paths.*bad\.tle:\d+: "):
        KnownObjects(KnownConfig(enabled=True, paths=(str(bad),)), _metrics())


def _touch_later(path: Path) -> None:
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_reload_on_change_and_keep_on_half_written_or_vanished(tmp_path: Path) -> None:
    known, path = _known(tmp_path)
    assert len(known.catalogue.element_sets) == 11
    lines = TLE.read_text().splitlines()
    path.write_text("\n".join(lines[:6]) + "\n")  # two element sets now
    _touch_later(path)
    known.maybe_reload()
    assert len(known.catalogue.element_sets) == 2
    path.write_text("\n".join(lines[:8]) + "\n")  # half-written: a line 1 without its line 2
    _touch_later(path)
    known.maybe_reload()
    assert len(known.catalogue.element_sets) == 2  # the previous catalogue serves
    path.unlink()
    known.maybe_reload()
    assert len(known.catalogue.element_sets) == 2
    shutil.copy(TLE, path)
    _touch_later(path)
    known.maybe_reload()
    assert len(known.catalogue.element_sets) == 11


def _observations(norad: int = 28626, shift_deg: float = 0.0) -> tuple[Any, ...]:
    es = next(e for e in read_tle(str(TLE)) if e.norad_id == norad)
    t0 = es.epoch_jd_utc + 0.4
    obs = simulate_sgp4_astrometry(es, [t0, t0 + 0.005, t0 + 0.01], ["G96"] * 3, seed=1)
    rows = [
        f'{{"trkSub": "X1", "obsTime": "{jd_to_iso(float(t))}", "ra": {ra + shift_deg}, '
        f'"dec": {dec}, "stn": "G96"}}'
        for t, ra, dec in zip(obs.time_jd_utc, obs.ra_deg, obs.dec_deg, strict=True)
    ]
    return decode_obs_message(('{"observations": [' + ", ".join(rows) + "]}").encode()).observations


def test_review_marks_a_known_object_and_words_an_unknown_one(tmp_path: Path) -> None:
    known, _ = _known(tmp_path, routing="topic")
    document: dict[str, Any] = {"designation": "X1", "category": "artificial_candidate"}
    review = known.review("X1", _observations(), document)
    assert review.matched and review.to_known_topic
    assert document["known_match"]["name"] == "XM-3"
    assert document["known_match"]["norad_id"] == 28626
    assert document["known_match"]["cospar_id"] == "2005-008A"
    assert document["category"] == "artificial_candidate"  # never changed
    # the same observations moved by a degree: nothing known there
    shifted = _observations(shift_deg=1.0)
    other: dict[str, Any] = {"designation": "X2"}
    review = known.review("X2", shifted, other)
    assert not review.matched and not review.to_known_topic
    assert other["known_match"] is None
    check = other["known_check"]
    assert check["catalogue_size"] == 12
    assert check["message"].startswith('no known object within 10"')
    # the newest epoch: the bundled 1991 VG orbit (2019 July 2), the element sets are of 2006
    assert "among 12 known objects (catalogue of 2019-07-02" in check["message"]


def test_routing_category_makes_a_matched_result_known_artificial(tmp_path: Path) -> None:
    import orjson

    from streamer.pipeline.known import known_category

    known, _ = _known(tmp_path, routing="category")
    document: dict[str, Any] = {"designation": "X1", "category": "artificial_candidate"}
    review = known.review("X1", _observations(), document)
    assert review.matched and review.recategorise and not review.to_known_topic
    scored = orjson.dumps({"designation": "X1", "category": "suspicious", "anomaly_score": 0.9})
    out = orjson.loads(known_category(scored))
    assert (out["category"], out["model_category"], out["anomaly_score"]) == (
        "known_artificial",
        "suspicious",
        0.9,
    )
    unmatched = known.review("X2", _observations(shift_deg=1.0), {"designation": "X2"})
    assert not unmatched.matched and not unmatched.recategorise
