"""Micro-measurements behind design choices of the contract code (figures in
docs/performance.md, "Design measurements of the contract code").

Each line printed is one JSON object: what was timed, in microseconds per call (the best of
``--repeat`` rounds of ``timeit``, so a busy machine inflates the figures less):

* ``record_struct_us`` / ``record_dataclass_us``: building an ``Orbit`` as the frozen msgspec
  struct it is, and as the frozen dataclass with the same fields it replaced
  (:mod:`core.contract.records`).
* ``ades_row_path_us`` / ``ades_block_path_us``: one ADES row through the row-by-row reader
  and through the vectorised block path (:func:`core.contract.observations.parse_ades_rows`
  sends blocks of fewer than ``_BLOCK_MIN`` rows row by row).

Usage::

    .venv/bin/python -m bench.bench_contract_micro [--repeat 7]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import timeit
from typing import Any


@dataclasses.dataclass(frozen=True)
class _OrbitDataclass:
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
    source: str = "given"
    sigma: Any = None
    covariance: Any = None
    fit: Any = None


def best_us(stmt: Any, number: int, repeat: int) -> float:
    """Microseconds per call of ``stmt``: the best of ``repeat`` rounds of ``number`` calls."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    from core.contract import _obs_fast
    from core.contract.observations import _ades_each, ades_time_jd
    from core.contract.records import Orbit

    values = (0.2, 5.0, 1.3, 1.04, 10.0, 20.0, 30.0, 2460000.5)
    print(json.dumps({
        "record_struct_us": best_us(lambda: Orbit(*values), 100_000, args.repeat),
        "record_dataclass_us": best_us(lambda: _OrbitDataclass(*values), 100_000, args.repeat),
    }))  # fmt: skip
    row = [{"obsTime": "2024-01-01T00:00:00.5Z", "ra": 10.5, "dec": -3.25, "stn": "G96",
            "mag": 19.5, "band": "V", "rmsRA": 0.3, "rmsDec": 0.3}]  # fmt: skip
    assert _obs_fast.ades_block(row, ades_time_jd) is not None  # the block path answers it
    print(json.dumps({
        "ades_row_path_us": best_us(lambda: _ades_each(row, "ades"), 5_000, args.repeat),
        "ades_block_path_us": best_us(
            lambda: _obs_fast.ades_block(row, ades_time_jd), 5_000, args.repeat
        ),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
