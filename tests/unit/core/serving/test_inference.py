"""The inference engine: result contract, batch invariance, cache, threads, rename invariance."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import numpy as np
import orjson
import pytest

from core.contract.records import NeoRecord
from core.serving.inference import InferenceEngine
from core.serving.model import TrainedModel
from core.serving.verdict import CATEGORIES, EVIDENCE
from core.training.pipeline import TrainingConfig, load_catalog, train
from core.training.synthetic import generate_artificial

CATALOG = Path(__file__).parents[4] / "data" / "catalog.jsonl.gz"


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    config = TrainingConfig.quick_config(CATALOG, seed=2, max_records=1200, progress=False)
    return train(config).model


@pytest.fixture(scope="module")
def records() -> list[NeoRecord]:
    naturals, _, _ = load_catalog(CATALOG)
    picked = naturals[::97][:150]
    injected = generate_artificial(picked, 30, np.random.default_rng(4)).records
    return [*picked, *injected]


def _strip(result: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in result.items() if k != "designation"}


def _same(a: object, b: object) -> bool:
    """Equal, floats bit for bit (every stage, the autoencoder included, is batch-invariant)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_result_follows_the_neo_anomaly_v1_contract(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    results = InferenceEngine(model).predict_batch(records)
    assert len(results) == len(records)
    for rec, res in zip(records, results, strict=True):
        assert res["schema"] == "neo.anomaly.v1"
        assert res["designation"] == rec.designation
        assert 0.0 <= res["anomaly_score"] <= 1.0
        assert 0.0 <= res["anomaly_probability"] <= 1.0
        assert 0.0 <= res["confidence"] <= 1.0
        assert res["is_anomaly"] == (res["anomaly_score"] >= model.threshold)
        assert res["category"] in CATEGORIES
        assert res["evidence"] in EVIDENCE
        # the verdict: undetermined says what would decide it; a decided one needs nothing
        assert bool(res["needs"]) == (res["category"] == "undetermined")
        if res["evidence"] == "orbit":  # the model's category as it is
            assert (res["category"] == "natural") == (not res["is_anomaly"])
        assert res["model"] == {"id": model.model_id, "version": model.version}
        assert set(res["detectors"]) == {"iforest", "ocsvm", "autoencoder"}
        assert sum(d["weight"] for d in res["detectors"].values()) == pytest.approx(1.0)
        assert res["failed_detectors"] == []
        assert "overall" in res["indicators"]
        assert res["meta"] == dict(rec.meta)
        assert len(res["contributions"]) <= 5
        shares = [c["contribution"] for c in res["contributions"]]
        assert shares == sorted(shares, reverse=True)
        assert sum(shares) <= res["anomaly_score"] + 1e-9
    # the injected objects rank high on average: the engine scores what training measured
    scores = np.array([r["anomaly_score"] for r in results])
    assert scores[150:].mean() > scores[:150].mean() + 0.2


def test_a_record_scores_the_same_alone_and_in_a_batch(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    engine = InferenceEngine(model, cache_size=0)
    batch = engine.predict_batch(records)
    for i in (0, 7, 151, len(records) - 1):
        assert _same(engine.predict_batch([records[i]])[0], batch[i])
    halves = engine.predict_batch(records[:90]) + engine.predict_batch(records[90:])
    assert _same(halves, batch)


def test_cache_hit_is_identical_to_a_fresh_score(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    engine = InferenceEngine(model)
    fresh = engine.predict_batch(records[:20])
    again = engine.predict_batch(records[:20])
    uncached = InferenceEngine(model, cache_size=0).predict_batch(records[:20])
    assert again == fresh == uncached
    stats = engine.stats()
    assert stats["count"] == 40 and stats["cache_hits"] == 20
    assert stats["cache_hit_rate"] == 0.5
    assert stats["batches"] == 2
    assert 0.0 < stats["latency_ms_p50"] <= stats["latency_ms_p95"] <= stats["latency_ms_p99"]
    again[0]["source"] = {"topic": "x"}  # callers may add keys without touching the cache
    again[1]["detectors"]["iforest"]["score"] = -1.0  # or change nested values
    hits = engine.predict_batch(records[:2])
    assert "source" not in hits[0]
    assert hits[1] == fresh[1] and hits[1]["detectors"]["iforest"]["score"] != -1.0


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cached_results_expire_after_the_ttl(model: TrainedModel, records: list[NeoRecord]) -> None:
    clock = _Clock()
    engine = InferenceEngine(model, cache_ttl_s=10.0, timer=clock)
    fresh = engine.predict_batch(records[:5])
    clock.now += 9.9
    assert engine.predict_batch(records[:5]) == fresh
    assert engine.stats()["cache_hits"] == 5
    clock.now += 0.1  # exactly the TTL: expired, scored again (the same result)
    assert engine.predict_batch(records[:5]) == fresh
    assert engine.stats()["cache_hits"] == 5
    clock.now += 9.9  # stored again 9.9 s ago
    engine.predict_batch(records[:5])
    assert engine.stats()["cache_hits"] == 10


def test_a_zero_ttl_never_answers_from_the_cache(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    engine = InferenceEngine(model, cache_ttl_s=0.0, timer=_Clock())
    engine.predict_batch(records[:4])
    engine.predict_batch(records[:4])
    assert engine.stats()["cache_hits"] == 0


def test_a_full_cache_evicts_the_least_recently_used_result(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    engine = InferenceEngine(model, cache_size=3, timer=_Clock())

    def hits_for(batch: list[NeoRecord]) -> int:
        before = engine.stats()["cache_hits"]
        engine.predict_batch(batch)
        return int(engine.stats()["cache_hits"] - before)

    a, b, c, d = records[:4]
    assert hits_for([a, b, c]) == 0
    assert hits_for([a]) == 1  # a is now the most recently used; b the least
    assert hits_for([d]) == 0  # stored: b goes
    assert engine.stats()["cache_size"] == 3
    assert hits_for([a]) == 1 and hits_for([c]) == 1 and hits_for([d]) == 1
    assert hits_for([b]) == 0


def test_repeated_content_in_one_batch_is_scored_once_and_answered_for_each(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    results = InferenceEngine(model).predict_batch([records[3], records[3], records[4]])
    assert results[0] == results[1] != results[2]
    assert results[0] is not results[1]  # each record gets its own result dict


def test_concurrent_threads_get_the_sequential_results(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    chunks = [records[i : i + 25] for i in range(0, len(records), 25)] * 3
    sequential = InferenceEngine(model, cache_size=0)
    expected = [r for chunk in chunks for r in sequential.predict_batch(chunk)]
    engine = InferenceEngine(model, cache_size=64)  # small: threads evict each other's entries
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(engine.predict_batch, chunks))
    flat = [r for chunk in got for r in chunk]
    assert _same(flat, expected)
    assert engine.stats()["count"] == 3 * len(records)


def test_renaming_objects_does_not_change_any_score(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    engine = InferenceEngine(model, cache_size=0)
    renamed = [msgspec.structs.replace(r, designation=f"1999 XX{i}") for i, r in enumerate(records)]
    original = engine.predict_batch(records)
    other = engine.predict_batch(renamed)
    assert [_strip(r) for r in original] == [_strip(r) for r in other]
    assert other[0]["designation"] == "1999 XX0"


def test_precomputed_cache_keys_replace_content_hashes(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    engine = InferenceEngine(model)
    keys = [f"msg-{i}" for i in range(30)]
    first = engine.predict_batch(records[:30], cache_keys=keys)
    assert first == InferenceEngine(model, cache_size=0).predict_batch(records[:30])
    again = engine.predict_batch(records[:30], cache_keys=keys)
    assert again == first and engine.stats()["cache_hits"] == 30
    with pytest.raises(ValueError, match="2 cache keys for 3 records"):
        engine.predict_batch(records[:3], cache_keys=keys[:2])


def test_encoded_results_are_the_documents_predict_batch_decodes(
    model: TrainedModel, records: list[NeoRecord]
) -> None:
    engine = InferenceEngine(model)
    encoded = engine.predict_encoded(records[:40])
    decoded = InferenceEngine(model, cache_size=0).predict_batch(records[:40])
    assert [orjson.loads(e.document) for e in encoded] == decoded
    for e, res in zip(encoded, decoded, strict=True):
        assert e.anomaly_score == res["anomaly_score"]
        assert e.category == res["category"]
        assert e.model_version == model.version == res["model"]["version"]
    again = engine.predict_encoded(records[:40])
    assert [e.document for e in again] == [e.document for e in encoded]
    assert engine.stats()["cache_hits"] == 40
    # the cache holds the encoded results themselves: a hit is not decoded or re-encoded
    assert all(a is b for a, b in zip(again, encoded, strict=True))


def test_a_member_that_fails_to_score_is_reported_as_null_and_not_cached(
    model: TrainedModel, records: list[NeoRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, detector = model.ensemble.members_[1]

    def broken(X: object) -> object:
        raise RuntimeError("member down")

    monkeypatch.setattr(detector, "anomaly_score", broken)
    engine = InferenceEngine(model)
    results = engine.predict_batch(records[:20])
    for res in results:
        assert res["failed_detectors"] == [name]
        assert res["detectors"][name] == {"score": None, "weight": 0.0}
        others = [d for n, d in res["detectors"].items() if n != name]
        assert all(isinstance(d["score"], float) for d in others)
        assert sum(d["weight"] for d in others) == pytest.approx(1.0)
    assert engine.stats()["cache_size"] == 0  # not what a healthy model would say
