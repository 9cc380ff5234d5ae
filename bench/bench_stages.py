"""Where the time goes on the worker path: per-stage cost per record, measured, not guessed.

Two views:

* ``stage_costs``: ``time.perf_counter`` sections around each stage of the path a batch takes
  through the daemon, run in this process on re-keyed sample records (cache off, so every
  record is scored): decode + validate (``decode_record``), the cache key
  (``streamer.pipeline.batch.message_key``, the sha256 of the message bytes),
  feature extraction, preprocessing, each ensemble member's ``anomaly_score``, the ensemble's
  combination and calibration, feature contributions, the rest of ``predict_encoded`` (result
  documents, categories, ``orjson`` encoding), encode (the remainder of
  ``streamer.pipeline.batch.process_batch``: source, alert rule, outcomes), and on the
  real broker: produce (send + acknowledgement of a batch of result documents with the
  daemon's producer) and commit (one ``commit`` of 6 partitions, amortised over the records
  of one ``commit_interval_ms`` at the measured daemon rate).
* ``process_profile``: py-spy, from outside, on the real daemon (``neo-streamer run`` with
  the shipped defaults) working through a pre-filled topic: the daemon process and its
  scoring processes are sampled for a few seconds and each sample is charged to the innermost
  frame in ``core/`` or ``streamer/`` (or the library's when none). It shows what the event
  loop and the scoring processes spend their time on under load.

Usage::

    .venv/bin/python -m bench.bench_stages [--batch 256] [--model models] [--no-daemon]
        [--records 120000] [--profile-seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from bench import harness
from core.contract.records import decode_record
from core.features import extract_features
from core.serving.inference import InferenceEngine
from core.serving.registry import load_model
from streamer.config import AppConfig
from streamer.pipeline.batch import AlertRule, InputItem, message_key, process_batch


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Fastest seconds of ``fn()`` over ``repeat`` calls (after one warm-up), and its value.

    The minimum, as ``timeit`` advises: on a shared machine the slower calls measure the
    neighbours, not the code.
    """
    value = fn()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - started)
    return best, value


def _loaded(model_path: Path) -> Any:
    """The model, with the heap then frozen as a scoring process freezes it after loading
    (``gc.freeze``: the collector no longer re-scans the model's objects)."""
    model = load_model(model_path)
    gc.collect()
    gc.freeze()
    return model


def stage_costs(model_path: Path, batch: int, repeat: int, n: int = 256) -> dict[str, float]:
    """Microseconds per record of each in-process stage, ``n`` records in ``batch``-sized calls.

    The same ``n`` records at every batch size (they differ: some carry observations to
    parse), so the columns compare.
    """
    values = [v for _, v in harness.rekeyed_messages(n)]
    chunks = [values[i : i + batch] for i in range(0, n, batch)]
    model = _loaded(model_path)
    engine = InferenceEngine(model, cache_size=0)
    rule = AlertRule(0.99, frozenset({"artificial_candidate"}))
    items = [[InputItem("in", 0, i, None, v, 0) for i, v in enumerate(c)] for c in chunks]
    recs = [[decode_record(v) for v in c] for c in chunks]
    fms = [extract_features(r) for r in recs]
    Xs = [model.preprocessor.transform(fm.values) for fm in fms]
    outs = [model.score_matrix(fm.values) for fm in fms]

    def each(fn: Callable[[int], Any]) -> Callable[[], list[Any]]:
        return lambda: [fn(k) for k in range(len(chunks))]

    t: dict[str, float] = {}
    t["decode"], _ = _timed(each(lambda k: [decode_record(v) for v in chunks[k]]), repeat)
    t["cache_key"], _ = _timed(each(lambda k: [message_key(v) for v in chunks[k]]), repeat)
    t["features"], _ = _timed(each(lambda k: extract_features(recs[k])), repeat)
    t["preprocess"], _ = _timed(each(lambda k: model.preprocessor.transform(fms[k].values)), repeat)
    members = 0.0
    for name, det in model.ensemble.members_:

        def member(k: int, det: Any = det) -> Any:
            return det.anomaly_score(Xs[k])

        t[f"detector:{name}"], _ = _timed(each(member), repeat)
        members += t[f"detector:{name}"]
    ensemble, _ = _timed(each(lambda k: model.ensemble.score_details(Xs[k])), repeat)
    t["ensemble_combine"] = max(0.0, ensemble - members)
    scored, _ = _timed(each(lambda k: model.score_matrix(fms[k].values)), repeat)
    t["contributions"], _ = _timed(
        each(lambda k: model.contributions.explain(outs[k].X, fms[k].values, outs[k].scores, 5)),
        repeat,
    )
    predict, _ = _timed(each(lambda k: engine.predict_encoded(recs[k])), repeat)
    # the engine has no cache, so predict_encoded computes no keys: the rest of it is the
    # result documents
    modelled = t["features"] + scored + t["contributions"]
    t["result_documents"] = max(0.0, predict - modelled)
    whole, _ = _timed(each(lambda k: process_batch(items[k], engine, rule)), repeat)
    t["encode"] = max(0.0, whole - t["decode"] - t["cache_key"] - predict)
    t["process_batch_total"] = whole
    return {k: 1e6 * v / n for k, v in t.items()}


def kind_costs(model_path: Path, batch: int, repeat: int, copies: int = 2) -> dict[str, Any]:
    """``process_batch`` and decode, µs per record, for the two kinds of sample record.

    The sample stream is lopsided: ~4 % of its records carry observation blocks of hundreds
    of rows and cost ~20 times an orbit-only record, so the 256 records of
    :func:`stage_costs` cannot say how the time splits. Here ``copies`` whole copies of the
    stream are split by kind and each kind is run through :func:`process_batch` in
    ``batch``-sized calls with the daemon's cache settings (every record a miss): fastest of
    ``repeat`` runs.
    """
    model = _loaded(model_path)
    rule = AlertRule(0.99, frozenset({"artificial_candidate"}))
    messages = harness.rekeyed_messages(copies * len(harness.sample_objects()))
    kinds = {
        "without observations": [v for _, v in messages if b'"observations"' not in v],
        "with observations": [v for _, v in messages if b'"observations"' in v],
    }
    out: dict[str, Any] = {}
    for kind, values in kinds.items():
        items = [InputItem("in", 0, i, None, v, 0) for i, v in enumerate(values)]
        chunks = [items[i : i + batch] for i in range(0, len(items), batch)]

        def whole(chunks: list[list[InputItem]] = chunks) -> None:
            engine = InferenceEngine(model)  # a fresh cache each run: every record is scored
            for chunk in chunks:
                process_batch(chunk, engine, rule)

        decode_s, _ = _timed(lambda values=values: [decode_record(v) for v in values], repeat)
        batch_s, _ = _timed(whole, repeat)
        out[kind] = {
            "share": len(values) / len(messages),
            "decode_us": 1e6 * decode_s / len(values),
            "process_batch_us": 1e6 * batch_s / len(values),
        }
    return out


async def broker_costs(bootstrap: str, batch: int, batches: int) -> dict[str, float]:
    """Produce (µs per record, batch acknowledged as the daemon awaits it) and commit (ms)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from streamer.kafka.sinks import build_producer

    topic = f"bench-stage-{harness.new_tag()}"
    await harness.create_topics(bootstrap, [topic])
    cfg = _config(bootstrap, topic)
    engine_like = orjson.dumps({"pad": "x" * 1500})  # a result document is ~1.5-2 KiB
    producer = build_producer(cfg, None)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"bench-stage-{harness.new_tag()}"
    )
    await producer.start()
    await consumer.start()
    try:
        started = time.perf_counter()
        for _ in range(batches):
            futures = [
                await producer.send(topic, value=engine_like, key=b"k%d" % i) for i in range(batch)
            ]
            await asyncio.gather(*futures)
        produce = (time.perf_counter() - started) / (batches * batch)
        tps = [TopicPartition(topic, p) for p in range(harness.PARTITIONS)]
        consumer.assign(tps)  # commit() needs an assignment, as the daemon's group has
        commits = 20
        started = time.perf_counter()
        for i in range(commits):
            await consumer.commit({tp: i + 1 for tp in tps})
        commit = (time.perf_counter() - started) / commits
    finally:
        await consumer.stop()
        await producer.stop()
        await harness.delete_topics(bootstrap, [topic])
    return {"produce_us_per_record": 1e6 * produce, "commit_ms_per_call": 1e3 * commit}


def _config(bootstrap: str, input_topic: str, **extra: object) -> AppConfig:
    cfg: AppConfig = harness.app_config(
        bootstrap, input_topic, "bench-prof", **{"http.enabled": False, **extra}
    )
    return cfg


# -- sampling profile of the running daemon (py-spy) ----------------------------------------


def _charge(stack: Sequence[str], *, ours: bool) -> str:
    """Where a py-spy stack (outermost first, each ``"function (path:line)"``) is charged:
    its innermost frame, or with ``ours`` its innermost frame in ``core/`` or ``streamer/``
    (the innermost frame when none is)."""
    first = None
    for frame in reversed(stack):
        function, _, where = frame.rpartition(" (")
        path = where.rsplit(":", 1)[0]
        if first is None:
            first = f"{'/'.join(path.split('/')[-2:])}:{function}"
            if not ours:
                return first
        if path.startswith(("core/", "streamer/")):
            return f"{path}:{function}"
    return first or "?"


def _shares(raw: str, *, ours: bool) -> collections.Counter[str]:
    """Samples per charged frame in a py-spy ``--format raw`` file (``stack count`` lines)."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            counts[_charge(stack.split(";"), ours=ours)] += int(n)
    return counts


def process_profile(
    bootstrap: str, model_path: Path, records: int, seconds: float
) -> dict[str, Any]:
    """Share of samples per function (top 15) in the daemon process and in its scoring
    processes, sampled by py-spy from outside while ``neo-streamer run`` (shipped defaults)
    works through ``records`` messages: ``{role: {"samples", "self", "ours"}}``, where
    ``self`` charges each sample to its innermost frame and ``ours`` to its innermost frame
    in ``core/`` or ``streamer/`` (what our code spends, the libraries it calls included).

    From outside because an in-process sampler needs the interpreter lock to look at the
    other threads, so its samples fall where they release it (inside numpy calls) and
    overstate those: such a sampler charged 27 % of the scoring to the ISO time parser, py-spy
    5 %. ``--nonblocking``: the processes are not paused to be sampled.
    """
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        return {"error": "py-spy is not installed (pip install py-spy)"}
    with tempfile.TemporaryDirectory(prefix="neo-prof-") as tmp:
        daemon_pid, files, errors = asyncio.run(
            _sample_daemon(
                py_spy, bootstrap, model_path, records=records, seconds=seconds, tmp=Path(tmp)
            )
        )
        views: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )
        for pid, path in files.items():
            if path.exists():
                raw = path.read_text()
                role = "daemon" if pid == daemon_pid else "scoring processes"
                views[role, "self"] += _shares(raw, ours=False)
                views[role, "ours"] += _shares(raw, ours=True)
    out: dict[str, Any] = {}
    for (role, view), counts in views.items():
        total = sum(counts.values())
        if total:
            top = [(fn, round(100.0 * n / total, 1)) for fn, n in counts.most_common(15)]
            out.setdefault(role, {"samples": total})[view] = top
    if errors and not out:
        out["error"] = errors[0]
    return out


async def _sample_daemon(
    py_spy: str, bootstrap: str, model_path: Path, *, records: int, seconds: float, tmp: Path
) -> tuple[int, dict[int, Path], list[str]]:
    """Run the daemon and py-spy every process of it once 10 % of ``records`` are done:
    ``(daemon pid, raw profile file per pid, py-spy errors)``."""
    topics = harness.daemon_topics("bench-prof")
    await harness.create_topics(bootstrap, list(topics.values()))
    await harness.bulk_produce(bootstrap, topics["input"], harness.rekeyed_messages(records))
    cfg = harness.daemon_config(bootstrap, model_path, topics, f"{topics['input']}-group")
    files: dict[int, Path] = {}
    errors: list[str] = []
    daemon = harness.DaemonProcess(tmp / "daemon", cfg).start()
    try:
        async with harness.TopicCounter(bootstrap, topics["results"]) as counter:
            await harness.poll_progress(counter.count, records // 10, 600.0, alive=daemon.alive)
            spies = []
            for pid in [daemon.pid, *harness._descendants(daemon.pid)]:
                files[pid] = tmp / f"{pid}.txt"
                spies.append(
                    await asyncio.create_subprocess_exec(
                        py_spy, "record", "--nonblocking", "--rate", "250",
                        "--duration", str(max(1, round(seconds))), "--format", "raw",
                        "--output", str(files[pid]), "--pid", str(pid),
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=asyncio.subprocess.PIPE,
                    )
                )  # fmt: skip
            for spy in spies:
                _, err = await spy.communicate()
                if spy.returncode:
                    errors.append(err.decode(errors="replace").strip()[-300:])
    finally:
        daemon.stop()
        await harness.delete_topics(bootstrap, list(topics.values()))
    return daemon.pid, files, errors


def run_stages(
    bootstrap: str,
    model: Path,
    batch: int,
    *,
    repeat: int,
    daemon_records: int | None,
    profile_s: float = 6.0,
) -> dict[str, Any]:
    """Everything above, as one JSON-able dict."""
    from threadpoolctl import threadpool_limits

    result: dict[str, Any] = {"batch": batch}
    # One native thread, as the daemon runs by default ([processing] intra_op_threads = 1,
    # applied there through OMP_NUM_THREADS and friends before numpy loads): this process
    # imported numpy long ago with a BLAS pool of one thread per core, which the limits below
    # shrink and then restore.
    with threadpool_limits(limits=1):
        result["us_per_record"] = stage_costs(model, batch, repeat)
        result["us_per_record_batch1"] = stage_costs(model, 1, max(1, repeat // 3))
        result["by_kind"] = kind_costs(model, batch, max(1, repeat // 3))
        result["broker"] = asyncio.run(broker_costs(bootstrap, batch, batches=40))
        if daemon_records:
            result["profile"] = process_profile(bootstrap, model, daemon_records, profile_s)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Print the stage costs and the thread profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--records", type=int, default=120_000, help="for the daemon profile")
    parser.add_argument("--profile-seconds", type=float, default=6.0)
    parser.add_argument("--no-daemon", action="store_true")
    parser.add_argument("--model", type=Path, default=harness.DEFAULT_MODEL)
    args = parser.parse_args(argv)
    res = run_stages(
        harness.bootstrap_servers(),
        args.model,
        args.batch,
        repeat=args.repeat,
        daemon_records=None if args.no_daemon else args.records,
        profile_s=args.profile_seconds,
    )
    print(orjson.dumps(res, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
