"""Micro-measurements behind design choices of the scoring and orbit code (figures in
docs/performance.md, "Design measurements of the scoring and orbit code").

Each line printed is one JSON object: what was timed, in microseconds (the best of
``--repeat`` rounds of ``timeit``, so a busy machine inflates the figures less):

* ``iforest_*_us_per_record``: :class:`core.detectors.iforest.IsolationForestDetector`'s own
  traversal of the fitted trees against scikit-learn's ``score_samples`` (joblib dispatch and
  input checks per tree), on a batch of 1,024 records with 50 trees.
* ``seg_nunique_*_us``: :func:`core.features._segments.seg_nunique` on one 450-row record
  whose codes come grouped (observations in time order: no sort) and shuffled (the lexsort).
* ``leap_seconds_uncached_us`` / ``leap_seconds_cached_us``: the TAI - UTC of a day in
  :mod:`core.lsst.mapping` (ERFA's ``jd2cal`` and ``dat``, ``erfa_dat_us`` the latter alone)
  against its per-day cache.
* ``lagrange_*_us``: :func:`core.orbits.twobody.lagrange_coefficients` for one state at four
  times, on plain floats (the path it takes) and as arrays (the batched path).
* ``propagate_*_ms``: :func:`core.orbits.propagate.propagate` of one near-Earth state to 60
  times over 400 days, ASSIST stepping past each time and interpolating (what
  ``_Frame.advance`` does) against IAS15 stopped exactly at each (``sim.integrate``); the
  largest difference of the states is printed too.

Usage::

    .venv/bin/python -m bench.bench_design_micro [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from bench.bench_contract_micro import best_us


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    r = args.repeat

    import erfa

    from core.detectors.iforest import IsolationForestDetector
    from core.features._segments import seg_nunique
    from core.lsst.mapping import _tai_minus_utc_s
    from core.orbits.twobody import lagrange_coefficients

    rng = np.random.default_rng(0)
    train, batch = rng.normal(size=(4096, 40)), rng.normal(size=(1024, 40))
    det = IsolationForestDetector(n_estimators=50).fit(train)
    n = len(batch)
    print(
        json.dumps(
            {
                "iforest_own_us_per_record": best_us(lambda: det._raw_scores(batch), 5, r) / n,
                "iforest_sklearn_us_per_record": best_us(
                    lambda: det.model_.score_samples(batch), 5, r
                )
                / n,
            }
        )
    )

    seg = np.zeros(450, dtype=np.int64)
    grouped = np.sort(rng.integers(0, 12, size=450))
    shuffled = rng.permutation(grouped)
    print(
        json.dumps(
            {
                "seg_nunique_grouped_us": best_us(lambda: seg_nunique(seg, grouped, 1), 2000, r),
                "seg_nunique_shuffled_us": best_us(lambda: seg_nunique(seg, shuffled, 1), 2000, r),
            }
        )
    )

    _tai_minus_utc_s(60800)
    print(
        json.dumps(
            {
                "leap_seconds_uncached_us": best_us(
                    lambda: _tai_minus_utc_s.__wrapped__(60800), 2000, r
                ),
                "erfa_dat_us": best_us(lambda: erfa.dat(2025, 6, 1, 0.0), 2000, r),
                "leap_seconds_cached_us": best_us(lambda: _tai_minus_utc_s(60800), 20000, r),
            }
        )
    )

    r0, v0 = np.array([1.0, 0.1, 0.0]), np.array([0.0, 0.0172, 0.001])
    dt = np.array([-2.0, -1.0, 1.0, 2.0])
    mu = 2.959122082855911e-4
    print(
        json.dumps(
            {
                "lagrange_floats_us": best_us(
                    lambda: lagrange_coefficients(r0, v0, dt, mu), 2000, r
                ),
                "lagrange_arrays_us": best_us(
                    lambda: lagrange_coefficients(r0[None], v0[None], dt[None], mu), 2000, r
                ),
            }
        )
    )

    from unittest import mock

    from core.orbits import propagate as prop

    state = np.array([1.0, 0.2, 0.01, -0.003, 0.0165, 0.0005])
    epoch = 2460000.5
    times = epoch + np.sort(rng.uniform(-200.0, 200.0, 60))
    interpolated = prop.propagate(state, epoch, times)

    def exact(frame: Any, t_days: float) -> None:
        frame._t_out = t_days
        frame.sim.integrate(t_days)

    run = lambda: prop.propagate(state, epoch, times)  # noqa: E731
    fast_ms = best_us(run, 3, r) / 1e3
    with mock.patch.object(prop._Frame, "advance", exact):
        stopped = prop.propagate(state, epoch, times)
        exact_ms = best_us(run, 3, r) / 1e3
    print(
        json.dumps(
            {
                "propagate_interpolated_ms": fast_ms,
                "propagate_exact_ms": exact_ms,
                "propagate_max_difference_au": float(np.abs(stopped - interpolated).max()),
            }
        )
    )


if __name__ == "__main__":
    main()
