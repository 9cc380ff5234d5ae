"""The inference engine: neo.v1 records in, ``neo.anomaly.v1`` results out.

Scoring is vectorised end to end: one feature extraction, one preprocessing transform and
one ensemble call per batch, for the records not already in the cache. The streaming path,
:meth:`InferenceEngine.predict_encoded`, returns each result JSON-encoded once (the streamer
publishes those bytes); :meth:`InferenceEngine.predict_batch` decodes them into dicts for
callers that want to read them. The result cache is keyed by ``(content_hash(record), model
version)`` and holds the encoded results, so an identical record (designation and meta
included) scored again within the TTL returns exactly what a fresh score would, without
encoding it again. Repeated content inside one batch is scored once.

The cache is a ``cachetools.LRUCache`` whose entries carry their expiry time, checked at
lookup against one clock reading per call: the behaviour of ``cachetools.TTLCache`` (least
recently used evicted first, nothing older than the TTL ever returned) without its per-entry
bookkeeping, which reads the clock and keeps a second linked list on every insert. An expired
entry keeps its slot until it is replaced or evicted.

Thread safety: one lock guards the cache and the statistics; feature extraction and scoring
run outside it, so several executor threads can score concurrently. Every dict
:meth:`~InferenceEngine.predict_batch` returns is the caller's own (decoded afresh).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import orjson
from cachetools import LRUCache

from core.contract.records import NeoRecord, content_hash
from core.features import extract_features
from core.features.physics_evidence import physical_evidence
from core.serving.model import TrainedModel
from core.serving.verdict import decide

__all__ = ["RESULT_SCHEMA", "EncodedResult", "InferenceEngine"]

RESULT_SCHEMA = "neo.anomaly.v1"


class EncodedResult(NamedTuple):
    """One scored record as the streamer publishes it."""

    document: bytes
    """The ``neo.anomaly.v1`` object, JSON-encoded (without ``source``, which the streamer
    appends)."""
    anomaly_score: float
    category: str
    model_version: str
    evidence: str = "none"
    """What the verdict rests on: ``physics``, ``orbit`` or ``none``
    (:mod:`core.serving.verdict`)."""


class InferenceEngine:
    """Score batches of records with one :class:`~core.serving.model.TrainedModel`.

    Parameters
    ----------
    model : TrainedModel
        The loaded model.
    cache_size : int
        Maximum cached results (0 disables the cache).
    cache_ttl_s : float
        Seconds a cached result stays valid.
    top_contributions : int
        Feature contributions reported per result.
    latency_window : int
        Number of recent ``predict_batch`` calls kept for the latency percentiles.
    timer : callable
        The clock the TTL is measured with, in seconds (``time.monotonic``).
    """

    def __init__(
        self,
        model: TrainedModel,
        *,
        cache_size: int = 10_000,
        cache_ttl_s: float = 3600.0,
        top_contributions: int = 5,
        latency_window: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._model = model
        self._top = top_contributions
        # Cached results are kept encoded: bytes are invisible to the garbage collector, while
        # thousands of live result dicts made every collection re-scan them.
        # entries are (expiry time, result); see the module docstring
        self._cache: LRUCache[tuple[str, str], tuple[float, EncodedResult]] | None = (
            LRUCache(maxsize=cache_size) if cache_size > 0 else None
        )
        self._ttl = cache_ttl_s
        self._timer = timer
        self._lock = threading.Lock()
        self._latencies: deque[float] = deque(maxlen=latency_window)
        self._count = 0
        self._hits = 0
        self._batches = 0
        self._model_info = {"id": model.model_id, "version": model.version}

    @property
    def model(self) -> TrainedModel:
        """The model this engine scores with."""
        return self._model

    @property
    def model_id(self) -> str:
        """Identifier of the loaded model."""
        return self._model.model_id

    @property
    def model_version(self) -> str:
        """Registry version of the loaded model."""
        return self._model.version

    def predict_batch(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Score ``records`` and return one ``neo.anomaly.v1`` dict per record, in order.

        Every dict is the caller's own (decoded from :meth:`predict_encoded`'s documents).

        Parameters
        ----------
        records : sequence of NeoRecord
        cache_keys : sequence of str, optional
            As for :meth:`predict_encoded`.
        """
        return [orjson.loads(r.document) for r in self.predict_encoded(records, cache_keys)]

    def predict_encoded(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[EncodedResult]:
        """Score ``records``; one :class:`EncodedResult` per record, in order.

        The streaming path: each result is JSON-encoded once, and the cache holds exactly
        what it returns, so a hit costs no decoding or re-encoding.

        Parameters
        ----------
        records : sequence of NeoRecord
        cache_keys : sequence of str, optional
            One key per record that identifies its whole content (designation and meta
            included), e.g. a hash of the raw message bytes the caller already holds; it
            replaces :func:`core.contract.records.content_hash`, the costliest part of a cache
            lookup. Ignored when the cache is off.
        """
        start = time.perf_counter()
        if self._cache is None:
            # No cache: no content hashes and no de-duplication, every record is scored.
            results = self._encode(self._score(records))
            self._account(len(records), 0, start)
            return results
        if cache_keys is not None and len(cache_keys) != len(records):
            raise ValueError(f"{len(cache_keys)} cache keys for {len(records)} records")
        version = self._model.version
        hashes = cache_keys if cache_keys is not None else [content_hash(r) for r in records]
        keys = [(h, version) for h in hashes]
        now = self._timer()
        get = self._cache.get
        with self._lock:  # an entry is (expiry time, result)
            slots: list[EncodedResult | None] = [
                None if (entry := get(key)) is None or entry[0] <= now else entry[1] for key in keys
            ]
        hits = len(slots) - slots.count(None)
        # Score each distinct missing content once, in first-seen order.
        todo: dict[tuple[str, str], list[int]] = {}
        for i, res in enumerate(slots):
            if res is None:
                todo.setdefault(keys[i], []).append(i)
        if todo:
            scored = self._score([records[idxs[0]] for idxs in todo.values()])
            fresh = self._encode(scored)
            for idxs, res in zip(todo.values(), fresh, strict=True):
                for i in idxs:
                    slots[i] = res
            # A result with a failed member is not what a healthy model would say: not cached.
            if not scored[0]["failed_detectors"]:
                expires = self._timer() + self._ttl  # counted from when it is stored
                with self._lock:
                    for key, res in zip(todo, fresh, strict=True):
                        self._cache[key] = (expires, res)
        self._account(len(records), hits, start)
        return slots  # type: ignore[return-value]  # every slot is filled above

    def _encode(self, results: list[dict[str, Any]]) -> list[EncodedResult]:
        version = self._model.version
        return [
            EncodedResult(
                orjson.dumps(r), r["anomaly_score"], r["category"], version, r["evidence"]
            )
            for r in results
        ]

    def _account(self, n: int, hits: int, start: float) -> None:
        elapsed = time.perf_counter() - start
        with self._lock:
            self._count += n
            self._hits += hits
            self._batches += 1
            self._latencies.append(elapsed)

    def stats(self) -> dict[str, Any]:
        """Counters and latency percentiles (ms per ``predict_batch`` call, recent window)."""
        with self._lock:
            lat = np.array(self._latencies, dtype=np.float64) * 1000.0
            count, hits, batches = self._count, self._hits, self._batches
            # entries held, an expired one included until it is replaced or evicted
            cache_len = len(self._cache) if self._cache is not None else 0
        p50, p95, p99 = np.percentile(lat, [50, 95, 99]).tolist() if lat.size else [0.0] * 3
        return {
            "count": count,
            "batches": batches,
            "cache_hits": hits,
            "cache_hit_rate": hits / count if count else 0.0,
            "cache_size": cache_len,
            "latency_ms_p50": p50,
            "latency_ms_p95": p95,
            "latency_ms_p99": p99,
            "model_id": self.model_id,
            "model_version": self.model_version,
        }

    def _score(self, records: Sequence[NeoRecord]) -> list[dict[str, Any]]:
        model = self._model
        fm = extract_features(records)
        out = model.score_matrix(fm.values)
        contributions = model.contributions.explain(out.X, fm.values, out.scores, self._top)
        probs = out.probabilities.tolist()
        # the verdict: what the category rests on, undetermined where nothing decides
        verdicts = decide(
            fm.column, records, model.cuts.categorize(out.scores, fm.indicators.overall), probs
        )
        categories = [v.category for v in verdicts]
        scores = out.scores.tolist()
        conf = out.confidence.tolist()
        anomalous = (out.scores >= model.threshold).tolist()
        failed = list(out.failed)
        indicators = fm.indicators.as_dicts()
        model_info = self._model_info
        # The detectors' part of every result, built member by member (one comprehension per
        # member over the batch, not a dict comprehension per record). A failed member scores
        # NaN, reported as null.
        columns = []
        for member_scores, member_weights in zip(
            out.member_scores.T.tolist(), out.member_weights.T.tolist(), strict=True
        ):
            if any(map(math.isnan, member_scores)):
                member_scores = [None if math.isnan(s) else s for s in member_scores]
            pairs = zip(member_scores, member_weights, strict=True)
            columns.append([{"score": s, "weight": w} for s, w in pairs])
        names = out.member_names
        detectors = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        results = [
            {
                "schema": RESULT_SCHEMA,
                "designation": rec.designation,
                "anomaly_score": score,
                "anomaly_probability": prob,
                "is_anomaly": anomaly,
                "confidence": cf,
                "category": cat,
                "model": model_info,
                "detectors": det,
                "failed_detectors": failed,
                "indicators": ind,
                "contributions": contrib,
                # the record's own dict when it is one: the result is encoded, never changed
                "meta": rec.meta if type(rec.meta) is dict else dict(rec.meta),
            }
            for rec, score, prob, cf, cat, anomaly, det, ind, contrib in zip(
                records,
                scores,
                probs,
                conf,
                categories,
                anomalous,
                detectors,
                indicators,
                contributions,
                strict=True,
            )
        ]
        for res, v in zip(results, verdicts, strict=True):
            res["evidence"] = v.evidence
            res["needs"] = list(v.needs)
            res["cautions"] = list(v.cautions)
            if v.probability is not None:  # the posterior from the measured A/M
                res["anomaly_probability"] = v.probability
            res["anomaly_probability_interval"] = list(v.interval) if v.interval else None
        # Alerts (a few percent of records) also say what physics can tell about them.
        # So do results whose verdict rests on physics or cannot be decided.
        alerts = [
            i
            for i, (flag, v) in enumerate(zip(anomalous, verdicts, strict=True))
            if flag or v.evidence == "physics" or v.needs
        ]
        for i, evidence in zip(alerts, physical_evidence(fm, alerts), strict=True):
            results[i]["physics"] = evidence
        return results
