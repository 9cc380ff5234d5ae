"""Rubin alerts decoded and mapped per second on one core: the ``[input] format = "lsst"`` path.

Usage::

    .venv/bin/python bench/bench_lsst.py [--schemas 704 900 1101] [--repeats 5] [--seconds 2]

For each schema: alerts built from the installed schema with real catalogue orbits
(:func:`core.lsst.simulate.make_alert`, no cutouts, no previous detections: a known asteroid's
alert), encoded in the wire format, then timed in three stages over the same messages: the Avro
decode alone (fastavro), decode + mapping to the ``neo.v1`` object, and the whole
:func:`core.lsst.decode_lsst_record` (the daemon's per-message call, validation included), next
to :func:`core.contract.records.decode_record` on the same records as ``neo.v1`` JSON. Each stage is
run ``--repeats`` times for ``--seconds``; the median rate is printed with the machine and command.
A measurement, never an assertion: the figures move with the machine's load.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import machine_info  # noqa: E402
from core.contract.records import decode_record  # noqa: E402
from core.lsst import alert_to_obj, decode_alert, decode_lsst_record, encode_alert  # noqa: E402
from core.lsst.simulate import make_alert  # noqa: E402


def messages(schema_id: int, n: int = 500) -> tuple[list[bytes], list[bytes]]:
    """``n`` wire-format alerts and the same records as neo.v1 JSON."""
    with gzip.open(ROOT / "data" / "catalog.jsonl.gz", "rb") as fh:
        catalog = [orjson.loads(line) for _, line in zip(range(n), fh, strict=False)]
    wire, json_lines = [], []
    for k, record in enumerate(catalog):
        alert = make_alert(
            schema_id, record, mjd_tai=60_900.0 + k * 1e-3, ra_deg=(k * 7.3) % 360.0,
            dec_deg=-20.0, dia_source_id=k + 1, ss_object_id=10_000 + k,
        )  # fmt: skip
        data = encode_alert(alert, schema_id)
        wire.append(data)
        json_lines.append(orjson.dumps(alert_to_obj(decode_alert(data)[1], schema_id)))
    return wire, json_lines


def rate(fn: Callable[[bytes], Any], items: list[bytes], seconds: float) -> float:
    """Items per second of ``fn`` over ``items`` (cycled) for about ``seconds``."""
    for item in items[:50]:
        fn(item)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for item in items:
            fn(item)
        done += len(items)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=int, nargs="+", default=[704, 900, 1101])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    info = machine_info()
    print(f"machine: {info}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{'schema':>6}  {'avro decode':>12}  {'+ mapping':>10}  {'+ validation':>12}  "
          f"{'neo.v1 JSON':>11}   (median alerts/s of {args.repeats} runs)")  # fmt: skip
    for schema_id in args.schemas:
        wire, json_lines = messages(schema_id)
        stages: dict[str, Callable[[bytes], Any]] = {
            "decode": decode_alert,
            "map": lambda d, s=schema_id: alert_to_obj(decode_alert(d)[1], s),
            "record": decode_lsst_record,
        }
        medians = {
            name: statistics.median(rate(fn, wire, args.seconds) for _ in range(args.repeats))
            for name, fn in stages.items()
        }
        json_rate = statistics.median(
            rate(decode_record, json_lines, args.seconds) for _ in range(args.repeats)
        )
        version = f"{schema_id // 100:>3}.{schema_id % 100:<2}"
        print(
            f"{version}  {medians['decode']:>12,.0f}  {medians['map']:>10,.0f}  "
            f"{medians['record']:>12,.0f}  {json_rate:>11,.0f}"
        )


if __name__ == "__main__":
    main()
