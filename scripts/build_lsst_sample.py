"""Build ``data/lsst_alerts.avro``: Rubin alerts with real catalogue orbits, for demos and tests.

Run from the project root (no ``../shared`` needed: it reads the bundled catalog)::

    .venv/bin/python scripts/build_lsst_sample.py [--out data/lsst_alerts.avro]

No real Rubin solar-system alert ships offline (the ``lsst-alert-packet`` sample has none), so
each alert is built from the installed 11.1 schema (:func:`core.lsst.simulate.make_alert`): the
``mpc_orbits`` block holds a real orbit of ``data/catalog.jsonl.gz`` (2019 MPC NEA.txt with its
SBDB A1/A2 and sigma where present, written back in the MPC's 10^-10 au/d^2), the detection
(time, place, flux) is drawn with a fixed seed, and a few detections carry trail cues (a long
trail, the streak flag, a glint trail) to show the ``trailed_or_streaked`` indicator. The file is
an Avro object container (schema in its header), as ``lsst.alert.packet`` writes them;
``neo-streamer produce --format lsst`` replays it in the wire format. Deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from pathlib import Path

import fastavro
import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.lsst.simulate import make_alert  # noqa: E402
from core.lsst.wire import schema_for  # noqa: E402

SCHEMA_ID = 1101
SEED = 20261203
N_ALERTS = 200


def build(out: Path) -> int:
    """Write the sample; returns the number of alerts."""
    with gzip.open(ROOT / "data" / "catalog.jsonl.gz", "rb") as fh:
        catalog = [orjson.loads(line) for line in fh]
    rng = np.random.default_rng(SEED)
    with_nongrav = [r for r in catalog if r.get("nongrav")]
    picks = with_nongrav[:20] + [
        catalog[int(i)] for i in rng.choice(len(catalog), N_ALERTS - 20, replace=False)
    ]
    alerts = []
    for n, record in enumerate(picks):
        cue = n % 40
        alerts.append(
            make_alert(
                SCHEMA_ID,
                record,
                mjd_tai=60_900.0 + float(rng.uniform(0.0, 30.0)),
                ra_deg=float(rng.uniform(0.0, 360.0)),
                dec_deg=float(rng.uniform(-70.0, 20.0)),
                dia_source_id=900_000_000 + n,
                ss_object_id=700_000 + n,
                psf_flux_njy=float(rng.uniform(800.0, 40_000.0)),
                band=str(rng.choice(list("ugrizy"))),
                trail_length_arcsec=[None, 45.0, 8.0, 2.0][cue] if cue < 4 else None,
                streak=cue == 1,
                glint=cue == 2,
            )
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        fastavro.writer(
            fh, schema_for(SCHEMA_ID), alerts, codec="deflate", sync_marker=b"neo-streamerLSST"
        )
    return len(alerts)


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # fastavro orders a schema's keys by set iteration when it writes the file header:
        # a fixed hash seed makes the file byte-identical from run to run
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "lsst_alerts.avro")
    args = parser.parse_args()
    print(f"{build(args.out)} alerts written to {args.out}")


if __name__ == "__main__":
    main()
