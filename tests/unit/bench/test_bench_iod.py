"""bench.bench_iod: the Eros fixture split into one-night tracklets plus the whole arc."""

from __future__ import annotations

import numpy as np

from bench.bench_iod import DEFAULT_INPUT, cases, time_case
from core.orbits.astrometry import Astrometry, read_astrometry


def _eros() -> dict[str, Astrometry]:
    read = read_astrometry(DEFAULT_INPUT, "obs80")
    objects = {k: v for k, v in read.items() if isinstance(v, Astrometry)}
    assert len(objects) == len(read) == 1
    return objects


def test_cases_are_the_nights_and_the_whole_arc() -> None:
    labelled = cases(_eros())
    labels = [label for label, _ in labelled]
    assert len(labels) == 10 and labels[-1].startswith("433 whole arc (n=34")
    sizes = [args["time_jd_tdb"].size for _, args in labelled[:-1]]
    assert sizes == [4, 4, 4, 4, 3, 4, 4, 4, 3]
    for _, args in labelled[:-1]:  # each tracklet is one night
        assert np.ptp(args["time_jd_tdb"]) < 0.5
        assert args["observer_pos_au"].shape == (args["time_jd_tdb"].size, 3)


def test_time_case_reports_medians_and_the_answer() -> None:
    _, args = cases(_eros())[0]
    row = time_case(args, repeats=2)
    assert row["wall_ms"] > 0.0 and row["cpu_ms"] > 0.0
    assert row["best_rms_arcsec"] < 1.0
