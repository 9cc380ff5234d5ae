"""Where the time goes on the worker path: per-stage cost per record, measured, not guessed.

Two views:

* ``stage_costs``: ``time.perf_counter`` sections around each stage of the path a batch takes
  through the daemon, run in this process on re-keyed sample records (cache off, so every
  record is scored): decode + validate (``decode_record``), the cache key (``content_hash``),
  feature extraction, preprocessing, each ensemble member's ``anomaly_score``, the ensemble's
  combination and calibration, feature contributions, the rest of ``predict_encoded`` (result
  documents, categories, ``orjson`` encoding), encode (the remainder of
  ``streamer.batch.process_batch``: cache key, source, alert rule, outcomes), and on the
  real broker: produce (send + acknowledgement of a batch of result documents with the
  daemon's producer) and commit (one ``commit`` of 6 partitions, amortised over the records
  of one ``commit_interval_ms`` at the measured daemon rate).
* ``thread_profile``: a sampling profiler over the real :class:`streamer.app.Daemon` run
  in-process on a pre-filled topic: every few ms each thread's stack is sampled and charged to
  the innermost frame in ``core/`` or ``streamer/`` (or the library module when none), split
  into the event-loop thread and the scoring threads. It shows what the event loop spends
  its time on while the workers score.

Usage::

    .venv/bin/python -m bench.bench_stages [--batch 256] [--model models] [--no-daemon]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from bench import harness
from core.features import extract_features
from core.inference import InferenceEngine
from core.records import content_hash, decode_record
from core.registry import load_model
from streamer.batch import AlertRule, InputItem, process_batch
from streamer.config import AppConfig


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
    t["cache_key"], _ = _timed(each(lambda k: [content_hash(r) for r in recs[k]]), repeat)
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
    modelled = t["cache_key"] + t["features"] + scored + t["contributions"]
    t["result_documents"] = max(0.0, predict - modelled)
    whole, _ = _timed(each(lambda k: process_batch(items[k], engine, rule)), repeat)
    t["encode"] = max(0.0, whole - t["decode"] - predict)
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

    from streamer.sinks import build_producer

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


# -- sampling profile of the in-process daemon ---------------------------------------------


def _charge(frame: Any) -> str:
    """The innermost frame of ours (``core/``, ``streamer/``), else the innermost library."""
    first = None
    while frame is not None:
        path = frame.f_code.co_filename
        if first is None:
            first = f"{Path(path).parent.name}/{Path(path).name}:{frame.f_code.co_name}"
        for pkg in ("/core/", "/streamer/"):
            if pkg in path and "site-packages" not in path:
                rel = path[path.rindex(pkg) + 1 :]
                return f"{rel}:{frame.f_code.co_name}"
        frame = frame.f_back
    return first or "?"


class _Sampler:
    def __init__(self, interval_s: float) -> None:
        self.interval = interval_s
        self.counts: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me, main = threading.get_ident(), threading.main_thread().ident
        names = {}
        while not self.stop.wait(self.interval):
            for t in threading.enumerate():
                names[t.ident] = t.name
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                name = names.get(ident, "?")
                role = "event_loop" if ident == main else name.rstrip("_0123456789")
                self.counts[role][_charge(frame)] += 1


async def thread_profile(
    bootstrap: str, model_path: Path, records: int, workers: int, batch: int
) -> dict[str, list[tuple[str, float]]]:
    """Share of samples per function (top 15), per thread role, while the daemon works."""
    from streamer.app import Daemon
    from streamer.logging import configure_logging

    tag = harness.new_tag()
    topic = f"bench-prof-in-{tag}"
    outputs = [f"bench-prof-{k}-{tag}" for k in ("res", "alr", "dlq")]
    await harness.create_topics(bootstrap, [topic, *outputs])
    await harness.bulk_produce(bootstrap, topic, harness.rekeyed_messages(records))
    cfg = _config(
        bootstrap,
        topic,
        **{
            "topics.results": outputs[0],
            "topics.alerts": outputs[1],
            "topics.dead_letter": outputs[2],
            "model.path": str(model_path),
            "model.reload_interval_s": 0.0,
            "processing.workers": workers,
            "processing.batch_max_size": batch,
            # this profile samples the threads of this process: scoring must run in them
            "processing.executor": "thread",
            "logging.level": "warning",
        },
    )
    configure_logging("warning", "json")
    daemon = Daemon(cfg)
    sampler = _Sampler(0.002)
    run = asyncio.create_task(daemon.run())
    try:
        async with harness.TopicCounter(bootstrap, outputs[0]) as counter:
            running = lambda: not run.done()  # noqa: E731
            await harness.poll_progress(counter.count, records // 10, 600.0, alive=running)
            sampler.thread.start()
            await harness.poll_progress(counter.count, records, 600.0, alive=running)
    finally:
        sampler.stop.set()
        daemon.request_stop()
        await run
        await harness.delete_topics(bootstrap, [topic, *outputs])
    out: dict[str, list[tuple[str, float]]] = {}
    for role, counter_ in sampler.counts.items():
        total = sum(counter_.values())
        out[role] = [(fn, round(100.0 * n / total, 1)) for fn, n in counter_.most_common(15)]
    return out


def run_stages(
    bootstrap: str, model: Path, batch: int, *, repeat: int, daemon_records: int | None
) -> dict[str, Any]:
    """Everything above, as one JSON-able dict."""
    import torch
    from threadpoolctl import threadpool_limits

    result: dict[str, Any] = {"batch": batch}
    # One native thread, as the daemon runs by default ([processing] intra_op_threads = 1,
    # applied there through OMP_NUM_THREADS and friends before numpy and torch load): this
    # process imported numpy long ago with a BLAS pool of one thread per core, which the
    # limits below shrink, and torch's pool is set directly. Both are restored afterwards.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            result["us_per_record"] = stage_costs(model, batch, repeat)
            result["us_per_record_batch1"] = stage_costs(model, 1, max(1, repeat // 3))
            result["by_kind"] = kind_costs(model, batch, max(1, repeat // 3))
            result["broker"] = asyncio.run(broker_costs(bootstrap, batch, batches=40))
            if daemon_records:
                result["profile"] = asyncio.run(
                    thread_profile(bootstrap, model, daemon_records, workers=2, batch=batch)
                )
    finally:
        torch.set_num_threads(threads)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Print the stage costs and the thread profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--records", type=int, default=30_000, help="for the daemon profile")
    parser.add_argument("--no-daemon", action="store_true")
    parser.add_argument("--model", type=Path, default=harness.DEFAULT_MODEL)
    args = parser.parse_args(argv)
    res = run_stages(
        harness.bootstrap_servers(),
        args.model,
        args.batch,
        repeat=args.repeat,
        daemon_records=None if args.no_daemon else args.records,
    )
    print(orjson.dumps(res, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
