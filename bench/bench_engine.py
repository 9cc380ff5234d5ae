"""Inference-engine throughput and latency on one core, and the training time.

Usage::

    .venv/bin/python bench/bench_engine.py [--model models] [--input data/catalog.jsonl.gz]
                                           [--batch-sizes 1 64 1024] [--min-seconds 2]
                                           [--train] [--json bench/results/engine.json]

One core: OMP/MKL/OpenBLAS threads are set to 1 before numpy is imported (and torch's
intra-op threads to 1 for ``--train``; scoring does not use torch). For each batch size it
measures, over consecutive slices of the catalog repeated until ``--min-seconds`` have passed
(after one warm-up call):

* ``engine``: :meth:`InferenceEngine.predict_encoded` (the daemon's path) end to end with the
  cache off (features, indicators, preprocessing, the full ensemble, contributions, result
  documents, JSON-encoded);
* ``<member>``: the pipeline with that detector alone (features + preprocessing + the
  detector's calibrated score), so each detector's cost can be read next to the ensemble's;
* ``stages`` at the largest batch: seconds per 1,000 records of each stage of the engine.

Then the single-record latency (p50/p99 over 2,000 calls, cache off). The training time is
taken from the model's ``report.json``; ``--train`` runs the default training again into a
temporary registry and times it. Prints the machine and the command; writes the JSON.
"""

# ruff: noqa: E402  (thread counts must be set before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_features import machine
from core.contract.records import NeoRecord
from core.features import extract_features
from core.serving.inference import InferenceEngine
from core.serving.model import TrainedModel
from core.serving.registry import load_model, resolve_model_dir
from core.training.pipeline import load_catalog


def _rate(
    fn: Callable[[Sequence[NeoRecord]], object],
    records: Sequence[NeoRecord],
    batch: int,
    min_s: float,
) -> float:
    """Records per second of ``fn`` over consecutive slices of ``records``."""
    slices = [records[i : i + batch] for i in range(0, len(records) - batch + 1, batch)]
    fn(slices[0])  # warm-up
    done, start, k = 0, time.perf_counter(), 0
    while True:
        chunk = slices[k % len(slices)]
        fn(chunk)
        done += len(chunk)
        k += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_s:
            return done / elapsed


def _member_pipeline(model: TrainedModel, name: str) -> Callable[[Sequence[NeoRecord]], object]:
    detector = dict(model.ensemble.members_)[name]

    def run(records: Sequence[NeoRecord]) -> object:
        X = model.preprocessor.transform(extract_features(records).values)
        return detector.anomaly_score(X)

    return run


def _stages(model: TrainedModel, records: Sequence[NeoRecord], reps: int) -> dict[str, float]:
    """Seconds per 1,000 records of each engine stage on one batch (median of ``reps``)."""
    from core.contract.records import content_hash

    timings: dict[str, list[float]] = {}

    @contextmanager
    def clock(name: str) -> Iterator[None]:
        t = time.perf_counter()
        yield
        timings.setdefault(name, []).append(time.perf_counter() - t)

    for _ in range(reps):
        with clock("content_hash"):
            [content_hash(r) for r in records]
        with clock("features+indicators"):
            fm = extract_features(records)
        with clock("preprocess"):
            X = model.preprocessor.transform(fm.values)
        for name, det in model.ensemble.members_:
            with clock(f"member {name}"):
                det.anomaly_score(X)
        with clock("ensemble score_details"):
            out = model.ensemble.score_details(X)
        with clock("contributions"):
            model.contributions.explain(X, fm.values, out.scores, 5)
        with clock("indicator dicts"):
            [fm.indicators.as_dict(i) for i in range(len(records))]
    scale = 1000.0 / len(records)
    return {k: round(float(np.median(v)) * scale, 5) for k, v in timings.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models")
    parser.add_argument("--input", type=Path, default=ROOT / "data" / "catalog.jsonl.gz")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64, 1024])
    parser.add_argument("--min-seconds", type=float, default=2.0)
    parser.add_argument("--train", action="store_true", help="re-run and time the training")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "engine.json")
    args = parser.parse_args(argv)

    model = load_model(args.model)  # scoring needs no torch (the autoencoder scores in numpy)
    records, _, _ = load_catalog(args.input)
    # Serve as the daemon does (streamer/pipeline/serving.py freezes the heap after each model
    # load):
    # the long-lived objects — here the model and the input records — are kept out of the
    # cyclic GC's full scans, so what is timed is the scoring, not re-scans of the model.
    gc.collect()
    gc.freeze()
    info = {"machine": machine(), "command": " ".join([sys.executable, *sys.argv])}
    print(f"machine: {json.dumps(info['machine'])}")
    print(f"command: {info['command']}")
    print(f"model: {model.model_id} {model.version}; {len(records)} records from {args.input}")

    engine = InferenceEngine(model, cache_size=0)
    pipelines: dict[str, Callable[[Sequence[NeoRecord]], object]] = {
        name: _member_pipeline(model, name) for name, _ in model.ensemble.members_
    }
    pipelines["engine (full ensemble)"] = engine.predict_encoded
    throughput: dict[str, dict[str, float]] = {}
    for name, fn in pipelines.items():
        throughput[name] = {}
        for batch in args.batch_sizes:
            rate = _rate(fn, records, batch, args.min_seconds)
            throughput[name][str(batch)] = round(rate, 1)
            print(f"{name:<24} batch {batch:>5}: {rate:>10,.0f} records/s")

    stages = _stages(model, records[: max(args.batch_sizes)], reps=5)
    print("stage costs, s per 1,000 records: " + json.dumps(stages))

    latencies = []
    for rec in records[:2000]:
        t = time.perf_counter()
        engine.predict_encoded([rec])
        latencies.append(time.perf_counter() - t)
    p50, p99 = (float(v) * 1000 for v in np.percentile(latencies, [50, 99]))
    print(f"single-record latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms")

    report = json.loads((resolve_model_dir(args.model) / "report.json").read_bytes())
    training: dict[str, Any] = {"from_report_s": report.get("training_time_s")}
    if args.train:
        import torch  # training the autoencoder does, on one thread here

        from streamer.cli import main as cli

        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            cli(["train", "--out", tmp, "--no-progress"])
            training["measured_s"] = round(time.perf_counter() - t, 1)
    print(f"training time: {training}")

    result = {
        **info,
        "model": {"id": model.model_id, "version": model.version},
        "threads": {"OMP_NUM_THREADS": "1", "torch (training)": 1 if args.train else None},
        "throughput_records_per_s": throughput,
        "stage_s_per_1000_records": stages,
        "single_record_latency_ms": {"p50": round(p50, 3), "p99": round(p99, 3)},
        "training_time_s": training,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
