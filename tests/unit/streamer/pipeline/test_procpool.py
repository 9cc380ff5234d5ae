"""streamer.pipeline.procpool: scoring in a child process gives what scoring in-process gives."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import gzip
import os
import pickle
import shutil
from pathlib import Path

import pytest

from core.errors import ModelError
from core.serving.inference import InferenceEngine
from core.serving.registry import load_model, resolve_model_dir
from streamer.pipeline.batch import AlertRule, InputItem, ItemOutcome, process_batch
from streamer.pipeline.procpool import (
    GC_THRESHOLDS,
    ModelRef,
    load_ref,
    new_process_pool,
    run_in_process,
    warm,
)

ROOT = Path(__file__).resolve().parents[4]
RULE = AlertRule(min_score=0.998, categories=frozenset({"artificial_candidate"}))


def _items(n: int) -> list[InputItem]:
    with gzip.open(ROOT / "data" / "sample_stream.jsonl.gz", "rb") as fh:
        lines = [line for _, line in zip(range(n), fh, strict=False)]
    items = [
        InputItem("neo.records", 0, i, None, line.rstrip(b"\n"), 0) for i, line in enumerate(lines)
    ]
    items.append(InputItem("neo.records", 0, n, b"k", b"{not json", 0))
    newer = (
        b'{"designation": "2099 ZZ", "colour": "red",'
        b' "orbit": {"a_au": 1.2, "e": 0.1, "i_deg": 4, "w": 1}}'
    )
    items.append(InputItem("neo.records", 0, n + 1, None, newer, 0))  # a newer producer's
    return items


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return resolve_model_dir(ROOT / "models")


def test_model_ref_pickles_and_scores_like_the_engine(model_dir: Path) -> None:
    ref = ModelRef(str(model_dir), model_dir.name, 0, 60.0)
    assert pickle.loads(pickle.dumps(ref)) == ref
    engine = InferenceEngine(load_model(model_dir), cache_size=0)
    local = process_batch(_items(40), engine, RULE)
    via_ref = process_batch(_items(40), ref, RULE)
    assert [(o.item.offset, [(x.kind, x.key, x.value) for x in o.outputs]) for o in via_ref] == [
        (o.item.offset, [(x.kind, x.key, x.value) for x in o.outputs]) for o in local
    ]


@pytest.mark.timeout(120)
def test_a_child_process_returns_the_same_encoded_outputs(model_dir: Path) -> None:
    ref = ModelRef(str(model_dir), model_dir.name, 0, 60.0)
    items = [
        InputItem(i.topic, i.partition, i.offset, i.key, i.value, 1_700_000_000_000 + k, epoch=7)
        for k, i in enumerate(_items(25))
    ]
    expected = process_batch(items, ref, RULE)

    async def remote_outcomes() -> tuple[list[ItemOutcome], bool]:
        loop = asyncio.get_running_loop()
        with new_process_pool(1) as pool:
            outcomes = await run_in_process(loop, pool, items, ref, RULE)
            torch = await loop.run_in_executor(pool, eval, "'torch' in __import__('sys').modules")
            return outcomes, torch

    remote, torch_imported = asyncio.run(asyncio.wait_for(remote_outcomes(), 110))
    # the autoencoder scores in numpy: a scoring process never holds torch (~490 MiB)
    assert not torch_imported
    assert [(o.item, [(x.kind, x.key, x.value) for x in o.outputs]) for o in remote] == [
        (o.item, [(x.kind, x.key, x.value) for x in o.outputs]) for o in expected
    ]
    # the outcomes carry the parent's own items (epoch included), not copies from the child
    assert all(any(o.item is i for i in items) for o in remote)
    # every field, the dead letter's field, reason and key (for its log line) included
    assert [dataclasses.astuple(o)[1:] for o in remote] == [
        dataclasses.astuple(o)[1:] for o in expected
    ]
    assert any(o.error_reason for o in remote)
    assert remote[-1].unknown_fields == ("colour", "orbit.w")
    assert sum(1 for o in remote if o.outputs[0].kind == "dead_letter") == 1


def test_load_ref_verifies_in_the_calling_process_and_names_the_version(
    model_dir: Path, tmp_path: Path
) -> None:
    ref = load_ref(str(model_dir.parent), 0, 60.0)  # a registry root resolves to CURRENT
    assert ref.model_dir == str(model_dir)
    assert ref.model_version == model_dir.name
    assert ref.model_id == load_model(model_dir).model_id
    assert pickle.loads(pickle.dumps(ref)) == ref
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    with (broken / "preprocessor.skops").open("ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelError):
        load_ref(str(broken), 0, 60.0)
    with pytest.raises(ModelError):
        load_ref(str(tmp_path / "missing"), 0, 60.0)


@pytest.mark.timeout(120)
def test_warm_loads_the_version_in_every_scoring_process(model_dir: Path) -> None:
    ref = ModelRef(str(model_dir), model_dir.name, 0, 60.0)

    async def warm_all() -> list[int]:
        loop = asyncio.get_running_loop()
        with new_process_pool(2) as pool:
            return await asyncio.gather(
                *(loop.run_in_executor(pool, warm, ref, 0.5) for _ in range(2))
            )

    pids = asyncio.run(asyncio.wait_for(warm_all(), 110))
    assert len(set(pids)) == 2  # each process took one warm-up call


@pytest.mark.timeout(120)
def test_scoring_processes_collect_less_often_than_the_default() -> None:
    with new_process_pool(1) as pool:
        thresholds = pool.submit(gc.get_threshold).result(timeout=110)
    assert thresholds == GC_THRESHOLDS
    assert thresholds[0] > 700  # CPython's default young threshold


def test_scoring_processes_default_to_the_cpus_and_never_exceed_workers_set() -> None:
    from streamer.config import ProcessingConfig

    cpus = len(os.sched_getaffinity(0))
    assert ProcessingConfig().scoring_processes() == cpus  # workers automatic: no cap
    assert ProcessingConfig(workers=64).scoring_processes() == min(cpus, 64)
    assert ProcessingConfig(workers=1).scoring_processes() == 1
    assert ProcessingConfig(workers=3, processes=2).scoring_processes() == 2
    assert ProcessingConfig(workers=2, processes=8).scoring_processes() == 2
    assert ProcessingConfig(processes=8).scoring_processes() == 8


def test_automatic_workers_are_three_per_scoring_process_and_one_for_threads() -> None:
    from streamer.config import WORKERS_PER_PROCESS, ProcessingConfig

    cpus = len(os.sched_getaffinity(0))
    assert WORKERS_PER_PROCESS == 3
    assert ProcessingConfig().worker_count() == 3 * cpus
    assert ProcessingConfig(processes=5).worker_count() == 15
    assert ProcessingConfig(executor="thread").worker_count() == 1
    assert ProcessingConfig(workers=2, processes=8).worker_count() == 2  # as set
    assert ProcessingConfig(workers=4, executor="thread").worker_count() == 4


def test_automatic_queue_holds_two_batches_per_worker_and_never_less_than_8192() -> None:
    from streamer.config import ProcessingConfig

    assert ProcessingConfig(processes=2).queue_capacity() == max(8_192, 2 * 6 * 1_024)
    assert ProcessingConfig(processes=8).queue_capacity() == 2 * 24 * 1_024
    assert ProcessingConfig(workers=1, batch_max_size=64).queue_capacity() == 8_192
    assert ProcessingConfig(processes=8, queue_max_size=100).queue_capacity() == 100  # as set
