"""One batch of input messages in, the outputs to publish out: pure and synchronous.

:func:`process_batch` decodes and validates each message, scores the valid records in one call
to the scorer (:class:`core.serving.inference.InferenceEngine` or its stand-in in a scoring
process), and encodes what each input produced: a result (and an alert when the :class:`AlertRule`
matches) or a dead letter that says why. It runs in an executor thread or a scoring process;
:mod:`streamer.pipeline.workers` moves batches to it and publishes what comes back.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import msgspec
import orjson

from core.alerts.route import alert_observations, to_state
from core.contract.deadletter import MAX_ORIGINAL_BYTES, DeadLetter, DeadLetterSource
from core.contract.records import NeoRecord
from core.errors import RecordError
from core.serving.categories import UNDETERMINED
from core.serving.inputs import InputFormat, decoder_for

__all__ = [
    "MAX_OUTPUT_BYTES",
    "AlertRule",
    "InputItem",
    "ItemOutcome",
    "Output",
    "OutputKind",
    "Scored",
    "Scorer",
    "dead_letter",
    "message_key",
    "process_batch",
]

OutputKind = Literal["result", "alert", "dead_letter", "changelog", "known"]


class Scored(Protocol):
    """One scored record (:class:`core.serving.inference.EncodedResult` is one)."""

    @property
    def document(self) -> bytes:
        """The neo.anomaly.v1 object, JSON-encoded, without ``source``."""
        ...

    @property
    def anomaly_score(self) -> float:
        """Its ``anomaly_score``."""
        ...

    @property
    def category(self) -> str:
        """Its ``category``."""
        ...

    @property
    def model_version(self) -> str:
        """The version of the model that scored it."""
        ...

    @property
    def evidence(self) -> str:
        """Its ``evidence``: ``physics``, ``orbit`` or ``none``."""
        ...


class Scorer(Protocol):
    """What the workers need from :class:`core.serving.inference.InferenceEngine`."""

    @property
    def model_version(self) -> str:
        """Version of the model that scores."""
        ...

    def predict_encoded(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> Sequence[Scored]:
        """One scored record per record, in order.

        ``cache_keys`` identify each record's whole content (the workers pass a hash of the
        message bytes they hold, far cheaper than hashing the decoded record).
        """
        ...


class InputItem(msgspec.Struct, frozen=True, gc=False):
    """One fetched input message; ``epoch`` is the assignment generation it was fetched in.

    A frozen msgspec struct (built in C): the daemon makes one per fetched message and each
    scoring process one per message it scores; a frozen dataclass costs ten times more
    (docs/performance.md, "Design measurements of the daemon's hot path").
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    epoch: int = 0

    @property
    def tp(self) -> tuple[str, int]:
        """``(topic, partition)``."""
        return (self.topic, self.partition)

    def source(self) -> dict[str, Any]:
        """The ``"source"`` object every output carries."""
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset}


class Output(msgspec.Struct, frozen=True, gc=False):
    """One message to publish.

    A frozen msgspec struct: outputs cross from the scoring processes to the daemon by pickle,
    and a struct pickles through C (in half the time of a named tuple, whose
    ``__getnewargs__`` is Python: docs/performance.md), where a dataclass would be rebuilt
    field by field.
    """

    kind: OutputKind
    key: bytes | None
    value: bytes | None  # None: a tombstone (the state changelog's deletions)
    partition: int | None = None  # None: by the key, as Kafka's default partitioner


@dataclass(slots=True)
class ItemOutcome:
    """Everything one input produced."""

    item: InputItem
    outputs: list[Output]
    designation: str | None = None
    model_version: str | None = None
    error_type: str | None = None
    unknown_fields: tuple[str, ...] = ()
    """Paths of the fields the decoder did not know and dropped (a newer producer's)."""
    # a dead letter's field, reason and message key (text), for its log line
    error_field: str | None = None
    error_reason: str | None = None
    key_text: str | None = None
    skipped: str | None = None
    """Why an input was left out without being an error (a ZTF alert naming no asteroid)."""
    observations: bytes | None = None
    """A scored Rubin alert's detections as a neo.obs.v1 message, for the per-object state."""


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A result is an alert when its score reaches ``min_score`` or its category is listed,
    and its verdict rests on evidence listed in ``evidence`` (None: any).

    A result whose category is ``undetermined`` (an Earth-like orbit without physics, a
    failed fit: :mod:`core.serving.verdict`) rests on no evidence by definition: it alerts
    only where ``undetermined`` is listed in ``categories`` (the separate rule a subscriber
    opts into) or its score reaches ``min_score`` with ``evidence`` None.
    """

    min_score: float
    categories: frozenset[str] = frozenset()
    evidence: frozenset[str] | None = None

    def matches(self, result: dict[str, Any]) -> bool:
        """Whether ``result`` (a neo.anomaly.v1 dict) goes to the alert topic."""
        return self.matches_score(
            float(result["anomaly_score"]), result.get("category"), result.get("evidence")
        )

    def matches_score(
        self, anomaly_score: float, category: str | None, evidence: str | None = None
    ) -> bool:
        """:meth:`matches` for a result's score, category and evidence."""
        if category == UNDETERMINED and category in self.categories:
            return True
        if self.evidence is not None and evidence not in self.evidence:
            return False
        return anomaly_score >= self.min_score or category in self.categories


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)


def _with_source(document: bytes, item: InputItem) -> bytes:
    """``document`` (a JSON object) with ``"source"`` appended as its last member.

    The object is the scorer's own encoding, so it ends in ``}``; splicing the member in
    spares decoding and re-encoding the whole result for one small field.
    """
    if document[-1:] != b"}" or document[:1] != b"{":
        raise ValueError("a scored document must be a JSON object")
    comma = b"," if len(document) > 2 else b""
    return b"".join((document[:-1], comma, b'"source":', _dumps(item.source()), b"}"))


def message_key(value: bytes) -> str:
    """The inference cache key of a message: the sha256 of its bytes as received.

    Cheaper than :func:`core.contract.records.content_hash` (no canonical re-encoding), at the price
    of treating two encodings of one record as different. sha256 rather than blake2b: hardware-
    accelerated on current x86 and ARM CPUs (no slower on a sample record: docs/performance.md),
    and collision-resistant, so crafted input cannot share another message's cache entry.
    """
    return hashlib.sha256(value).hexdigest()


# Every output must fit in one Kafka message: aiokafka's default max_request_size is 1,048,576
# bytes and a broker's default max.message.bytes 1,048,588. An output over the limit would be
# refused on every retry and block its partition forever, so it is never produced: an oversized
# result becomes a dead letter, and a dead letter keeps only a prefix of a huge original.
MAX_OUTPUT_BYTES = 1_000_000
_DEAD_LETTER = msgspec.json.Encoder()  # base64 makes the original up to 800,000 bytes
_MAX_TEXT = 1_024  # reason, field and key inside a dead letter


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def dead_letter(item: InputItem, field_: str, reason: str, error_type: str) -> ItemOutcome:
    """The outcome of an input that cannot be processed: one ``neo.deadletter.v1`` message."""
    original = item.value or b""
    key = item.key if item.key is None or len(item.key) <= _MAX_TEXT else item.key[:_MAX_TEXT]
    key_text = None if key is None else key.decode("utf-8", "backslashreplace")
    reason, field_ = _clip(reason), _clip(field_)
    body = DeadLetter(
        reason=reason,
        field=field_,
        error_type=error_type,
        original=base64.b64encode(original[:MAX_ORIGINAL_BYTES]).decode("ascii"),
        original_is_null=item.value is None,
        original_bytes=len(original),
        original_truncated=len(original) > MAX_ORIGINAL_BYTES,
        source=DeadLetterSource(item.topic, item.partition, item.offset),
        key=key_text,
    )
    return ItemOutcome(
        item,
        [Output("dead_letter", key, _DEAD_LETTER.encode(body))],
        error_type=error_type,
        error_field=field_,
        error_reason=reason,
        key_text=key_text,
    )


def process_batch(
    items: Sequence[InputItem],
    scorer: Scorer,
    rule: AlertRule,
    input_format: InputFormat = "neo",
) -> list[ItemOutcome]:
    """Decode, validate and score ``items``; pure and synchronous (runs in the executor).

    Undecodable or invalid messages become dead letters (``RecordError``'s field and reason).
    Fields the contract does not know are dropped, not dead-lettered: their paths go into the
    outcome's ``unknown_fields`` for the daemon's metric.
    When ``predict_encoded`` raises for the batch, records are scored one by one so a single
    record that breaks the model is dead-lettered (``error_type`` = the exception's class)
    instead of taking its batch with it. A result larger than :data:`MAX_OUTPUT_BYTES` is
    dead-lettered (``ResultTooLarge``) rather than sent to a broker that would refuse it.
    """
    decode = decoder_for(input_format)
    outcomes: list[ItemOutcome | None] = [None] * len(items)
    valid: list[tuple[int, NeoRecord]] = []
    keys: list[str] = []
    unknown: list[str] = []  # filled by the decoder, rarely: only a newer producer's messages
    dropped: dict[int, tuple[str, ...]] = {}
    for i, item in enumerate(items):
        if item.value is None:
            outcomes[i] = dead_letter(item, "$", "empty message (null value)", "RecordError")
            continue
        if to_state(item.value, input_format):
            continue  # observations (neo.obs.v1, a ZTF alert) for the per-object state
        try:
            valid.append((i, decode(item.value, unknown=unknown)))
            keys.append(message_key(item.value))
            if unknown:
                dropped[i] = tuple(unknown)
                unknown.clear()
        except RecordError as exc:
            unknown.clear()
            outcomes[i] = dead_letter(item, exc.field, exc.reason, "RecordError")
        except Exception as exc:  # a decoder bug must not stop the stream: dead-letter it
            unknown.clear()
            outcomes[i] = dead_letter(item, "$", f"undecodable: {exc!r}", type(exc).__name__)
    if valid:
        try:
            scored: list[Scored | BaseException] = list(
                scorer.predict_encoded([rec for _, rec in valid], keys)
            )
        except Exception:  # retried record by record just below
            scored = []
            for (_, rec), cache_key in zip(valid, keys, strict=True):
                try:
                    scored.append(scorer.predict_encoded([rec], [cache_key])[0])
                except Exception as exc:  # the record goes to the dead letters
                    scored.append(exc)
        for (i, rec), result in zip(valid, scored, strict=True):
            item = items[i]
            if not isinstance(result, BaseException):
                try:
                    value = _with_source(result.document, item)
                except ValueError as exc:  # a scorer bug: this record goes to the dead letters
                    result = exc
            if isinstance(result, BaseException):
                reason, error_type = f"scoring failed: {result}", type(result).__name__
                outcome = dead_letter(item, "$", reason, error_type)
                outcome.designation = rec.designation
                outcomes[i] = outcome
                continue
            key = item.key if item.key is not None else rec.designation.encode("utf-8")
            if len(value) + len(key) > MAX_OUTPUT_BYTES:
                reason = f"result of {len(value)} bytes exceeds the {MAX_OUTPUT_BYTES}-byte limit"
                outcome = dead_letter(item, "$", reason, "ResultTooLarge")
                outcome.designation = rec.designation
                outcomes[i] = outcome
                continue
            outs = [Output("result", key, value)]
            if rule.matches_score(result.anomaly_score, result.category, result.evidence):
                outs.append(Output("alert", key, value))
            outcome = ItemOutcome(
                item, outs, rec.designation, result.model_version, None, dropped.get(i, ())
            )
            if item.value is not None and item.value[:1] in (b"\x00", b"O"):
                outcome.observations = alert_observations(item.value, rec)
            outcomes[i] = outcome
    return [o for o in outcomes if o is not None]
