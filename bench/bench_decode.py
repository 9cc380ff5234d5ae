"""Decode speed of ``neo.v1``: :func:`core.contract.records.decode_record` on the sample stream.

The bundled sample stream (``data/sample_stream.jsonl.gz``) is split by what a message holds:
no observations, ADES rows, or 80-column lines; each group is decoded whole ``--rounds`` times
and the best round is reported, in microseconds per message, as one JSON line. Reads whichever
``core`` is first on ``PYTHONPATH``, so the same script measures two versions of the code::

    PYTHONPATH=. .venv/bin/python -m bench.bench_decode [--rounds 25]
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/bench_decode.py
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_stream.jsonl.gz"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args(argv)

    from core.contract import records

    lines = [line for line in gzip.decompress(SAMPLE.read_bytes()).splitlines() if line.strip()]
    groups = {
        "no_observations": [m for m in lines if b'"observations"' not in m],
        "ades": [m for m in lines if b'"ades"' in m],
        "obs80": [m for m in lines if b'"obs80"' in m],
    }
    out: dict[str, object] = {"code": str(Path(records.__file__).resolve().parents[2])}
    for name, messages in groups.items():
        best = float("inf")
        for _ in range(args.rounds):
            started = time.perf_counter()
            for message in messages:
                records.decode_record(message)
            best = min(best, time.perf_counter() - started)
        out[f"{name}_us"] = round(best / len(messages) * 1e6, 2)
        out[f"{name}_messages"] = len(messages)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
