"""Throughput of :func:`core.features.extract_features` (records/s) at several batch sizes.

Usage::

    .venv/bin/python bench/bench_features.py [--input PATH] [--batch-sizes 1 1024]
                                             [--min-seconds 2] [--json OUT]

``--input`` is a neo.v1 JSONL(.gz) file or any file :func:`core.formats.read_records` reads
(NEA.txt, SBDB CSV...). Default: the bundled catalog ``data/catalog.jsonl.gz``; when it is
absent, the records of ``tests/fixtures`` (cycled), which says so in the output. Each batch
size runs over consecutive slices of the records, repeated until ``--min-seconds`` have
passed, after one warm-up call. Prints the machine, the command and one line per batch size.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.contract.records import NeoRecord, decode_record, record_from_obj  # noqa: E402
from core.features import FEATURE_SCHEMA, extract_features  # noqa: E402

CATALOG = ROOT / "data" / "catalog.jsonl.gz"
FIXTURES = ROOT / "tests" / "fixtures"


def load(path: Path) -> list[NeoRecord]:
    """Records of a neo.v1 JSONL(.gz) file, or of any format ``read_records`` detects."""
    name = path.name
    if name.endswith((".jsonl", ".jsonl.gz")):
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rb") as fh:
            return [decode_record(line) for line in fh if line.strip()]
    from core.formats import read_records

    return [record_from_obj(obj) for obj in read_records(path)]


def fixture_records() -> list[NeoRecord]:
    """Every record the parsers get out of ``tests/fixtures`` (skipping unreadable files)."""
    from core.errors import CoreError

    out: list[NeoRecord] = []
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.name == "SOURCE.txt":
            continue
        try:
            out.extend(load(path))
        except (CoreError, ValueError, OSError):
            continue
    return out


def machine() -> dict[str, Any]:
    """CPU, OS, Python, numpy and git commit of this run."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "commit": commit,
    }


def bench(records: Sequence[NeoRecord], batch: int, min_seconds: float) -> dict[str, float]:
    """Records/s of ``extract_features`` over consecutive ``batch``-sized slices."""
    cycle = itertools.cycle(range(0, len(records), batch))
    extract_features(list(records[:batch]))  # warm-up
    done = calls = 0
    elapsed = 0.0
    while elapsed < min_seconds:
        start = next(cycle)
        chunk = list(records[start : start + batch])
        t0 = time.perf_counter()
        extract_features(chunk)
        elapsed += time.perf_counter() - t0
        done += len(chunk)
        calls += 1
    return {
        "batch": batch,
        "records": done,
        "seconds": elapsed,
        "records_per_s": done / elapsed,
        "ms_per_call": 1000 * elapsed / calls,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=None)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 1024])
    parser.add_argument("--min-seconds", type=float, default=2.0)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)

    if args.input is not None:
        source, records = str(args.input), load(args.input)
    elif CATALOG.exists():
        source, records = str(CATALOG.relative_to(ROOT)), load(CATALOG)
    else:
        source, records = "tests/fixtures (data/catalog.jsonl.gz absent)", fixture_records()
    if not records:
        print("no records to benchmark", file=sys.stderr)
        return 1
    biggest = max(args.batch_sizes)
    if len(records) < biggest:  # cycle a small source up to one full batch
        records = list(itertools.islice(itertools.cycle(records), biggest))

    info = machine()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    for key, value in info.items():
        print(f"{key}: {value}")
    blocks = {
        "with_observations": sum(r.observations is not None for r in records),
        "with_close_approaches": sum(bool(r.close_approaches) for r in records),
    }
    print(f"source: {source} ({len(records)} records, {blocks})")
    print(f"schema: {FEATURE_SCHEMA.version} d={len(FEATURE_SCHEMA)} {FEATURE_SCHEMA.hash[:12]}")
    results = []
    for batch in args.batch_sizes:
        r = bench(records, batch, args.min_seconds)
        results.append(r)
        print(
            f"batch {batch:>5}: {r['records_per_s']:>12,.0f} records/s "
            f"({r['ms_per_call']:.3f} ms/call, {r['records']} records in {r['seconds']:.2f} s)"
        )
    if args.json is not None:
        payload = {"machine": info, "source": source, "argv": sys.argv, "results": results}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
