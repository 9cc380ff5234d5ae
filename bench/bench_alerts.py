"""Survey alert messages decoded per second on one core, per input format, with and without
cutouts: what the daemon does per message under ``[input] format = "auto"``.

Usage::

    .venv/bin/python bench/bench_alerts.py [--repeats 5] [--seconds 2]

Messages (the real alerts of tests/fixtures/alerts, SOURCE.txt, cycled):

* ``ztf``: the five ZTF 3.2 packets (Avro containers of one alert, ~66 KB with their three
  FITS cutouts) through :func:`core.alerts.route.to_state` and
  :func:`core.alerts.route.decode_state_input` (the batch step's sniff, then the state step's
  decode: container, association, the neo.obs.v1 contract's checks);
* ``ztf, no cutouts``: the same alerts with the cutouts null (as a stream without stamps);
* ``ztf, no association``: the same alerts naming no asteroid, cutouts kept (most of ZTF's
  stream: only the candidate is decoded, :func:`core.alerts.container.read_first_prefix`);
* ``rubin broker``: the two Fink-redistributed Rubin 9.0 alerts (containers, ~140 KB with
  cutouts) through :func:`core.serving.inputs.decoder_for` ``("auto")`` (to a validated neo.v1
  record), and without their cutouts;
* ``rubin wire``: native wire-format alerts of schemas 9.0 and 11.1 built from real catalogue
  orbits (:func:`core.lsst.simulate.make_alert`: no cutouts), same decoder.

Each row is run ``--repeats`` times for ``--seconds``; the median rate is printed with the
machine and command. A measurement, never an assertion: the figures move with the load.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import io
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_lsst import rate  # noqa: E402
from bench.harness import machine_info  # noqa: E402
from core.alerts.route import StateInput, decode_state_input, to_state  # noqa: E402
from core.lsst import encode_alert  # noqa: E402
from core.lsst.simulate import make_alert  # noqa: E402
from core.serving.inputs import decoder_for  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "alerts"
_CUTOUTS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")


def _edited(data: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    # the same packet with ``edit`` applied to each alert, written back with its schema
    reader = fastavro.reader(io.BytesIO(data))
    schema = reader.writer_schema
    alerts = [copy.deepcopy(a) for a in reader]
    for a in alerts:
        assert isinstance(a, dict)
        edit(a)
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), alerts)
    return buf.getvalue()


def _no_cutouts(alert: dict[str, Any]) -> None:
    for name in _CUTOUTS:
        alert[name] = None


def _no_association(alert: dict[str, Any]) -> None:
    # naming no asteroid (most of ZTF's stream), cutouts kept
    alert["candidate"].update(ssnamenr="null", ssdistnr=-999.0)


def _wire(schema_id: int, n: int = 200) -> list[bytes]:
    with gzip.open(ROOT / "data" / "catalog.jsonl.gz", "rb") as fh:
        catalog = [orjson.loads(line) for _, line in zip(range(n), fh, strict=False)]
    return [
        encode_alert(
            make_alert(
                schema_id,
                r,
                mjd_tai=60_900.0 + k * 1e-3,
                ra_deg=(k * 7.3) % 360.0,
                dec_deg=-20.0,
                dia_source_id=k + 1,
                ss_object_id=10_000 + k,
            ),
            schema_id,
        )
        for k, r in enumerate(catalog)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    print(f"machine: {machine_info()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    ztf = [p.read_bytes() for p in sorted(FIXTURES.glob("fink_ztf_*.avro"))]
    rubin = [p.read_bytes() for p in sorted(FIXTURES.glob("fink_rubin_*.avro"))]
    options = StateInput("auto")
    auto = decoder_for("auto")

    def ztf_step(data: bytes) -> Any:
        assert to_state(data, "auto")
        return decode_state_input(data, options)

    rows: list[tuple[str, Callable[[bytes], Any], list[bytes]]] = [
        ("ztf 3.2, no association", ztf_step, [_edited(d, _no_association) for d in ztf]),
        ("ztf 3.2 packet, cutouts", ztf_step, ztf),
        ("ztf 3.2 packet, no cutouts", ztf_step, [_edited(d, _no_cutouts) for d in ztf]),
        ("rubin 9.0 broker, cutouts", auto, rubin),
        ("rubin 9.0 broker, no cutouts", auto, [_edited(d, _no_cutouts) for d in rubin]),
        ("rubin 9.0 wire, no cutouts", auto, _wire(900)),
        ("rubin 11.1 wire, no cutouts", auto, _wire(1101)),
    ]
    print(f"{'messages':<30} {'bytes':>8} {'alerts/s':>10}   (median of {args.repeats} runs)")
    for name, fn, items in rows:
        median = statistics.median(rate(fn, items, args.seconds) for _ in range(args.repeats))
        size = sum(map(len, items)) // len(items)
        print(f"{name:<30} {size:>8,} {median:>10,.0f}")


if __name__ == "__main__":
    main()
