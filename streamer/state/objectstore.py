"""The per-object layout of a partition's RocksDB store: one key per observation.

An object's state is not one value rewritten whole at each observation (whose cost grew with
the arc) but keys in one sorted keyspace, as RocksDB does best:

* ``h`` + id: the object's :class:`~core.serving.arcstate.ObjectSummary` (MessagePack): the
  arc's count, nights and first/last times, and the results' bookkeeping;
* ``o`` + id + time + digest: one :class:`~core.contract.obs.Observation` (MessagePack, the
  contract's declaration: an observer's ``sys``/``ctr``/``pos1..3`` included). The time is
  the big-endian IEEE double of its UTC Julian date (positive, so the bytes sort as the
  numbers do), the digest 6 bytes of BLAKE2b of the value (two observations at one time).

The id is length-prefixed (2 bytes, big-endian), so no id is a prefix of another's keys.
Adding an observation reads the object's summary, the observations within the duplicate
tolerance of its time and its two neighbours in time (seeks, not scans), and writes one key
and the summary: the same work at 5 observations as at 5,000. Only a refit reads the whole
arc (:meth:`ObjectStore.observations`), and expiry reads the summaries (``h`` keys) alone.
Each written or deleted key is also a changelog record (:class:`Row`): the changelog holds
exactly the store's keys, and a restore writes its records back as they are.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import msgspec
from rocksdict import Rdict

from core.contract.obs import Observation
from core.serving.arcstate import (
    Bookkeeping,
    ObjectState,
    ObjectSummary,
    nights_after_insert,
    nights_after_trim,
    same_observation,
)
from streamer.errors import StreamerError

__all__ = [
    "MergeCounts",
    "ObjectStore",
    "Row",
    "StateLayoutError",
    "check_layout",
    "fold_changelog",
    "head_key",
    "is_layout_key",
]

Row = tuple[bytes, bytes | None]
"""One changelog record: a key of the store and its value (None: deleted)."""

_HEAD = b"h"
_OBS = b"o"
_TIME = struct.Struct(">d")
_DIGEST = 6
_DEG_PER_ARCSEC = 1.0 / 3600.0

_OBS_ENC = msgspec.msgpack.Encoder()
_OBS_DEC = msgspec.msgpack.Decoder(Observation)
_SUM_DEC = msgspec.msgpack.Decoder(ObjectSummary)


def _id(object_id: str) -> bytes:
    raw = object_id.encode()
    return struct.pack(">H", len(raw)) + raw


def head_key(object_id: str) -> bytes:
    """The key of ``object_id``'s summary."""
    return _HEAD + _id(object_id)


def _prefix(object_id: str) -> bytes:
    return _OBS + _id(object_id)


def is_layout_key(key: bytes) -> bool:
    """Whether ``key`` is one of this layout's (a summary or an observation key)."""
    if len(key) < 3 or key[:1] not in (_HEAD, _OBS):
        return False
    size = int.from_bytes(key[1:3], "big")
    extra = len(key) - 3 - size
    return extra == 0 if key[:1] == _HEAD else extra == _TIME.size + _DIGEST


class StateLayoutError(StreamerError):
    """A changelog record whose key is not of this layout (written by an older version,
    which kept one value per object): restoring it would silently lose or misread state."""


def check_layout(key: bytes) -> None:
    """Raise :class:`StateLayoutError` unless ``key`` is one of this layout's."""
    if not is_layout_key(key):
        raise StateLayoutError(
            f"state changelog record with key {key[:40]!r} is not of this version's layout "
            "(one summary key and one key per observation for each object): it was written "
            "by an older neo-streamer. Delete the changelog topic and the state directory to "
            "rebuild the state from the input, or start with a new kafka.group_id"
        )


@dataclass(frozen=True, slots=True)
class MergeCounts:
    """What :meth:`ObjectStore.merge` did."""

    added: int
    duplicates: int
    trimmed: int


class ObjectStore:
    """The objects of one partition's store (``db``: a raw-mode :class:`rocksdict.Rdict`).

    Writes go to ``db`` at once (never batched behind the caller's back): the state manager
    marks the partition's store untrusted before it calls :meth:`merge`, so that work
    abandoned midway is rebuilt from the changelog, as after a crash.
    """

    def __init__(self, db: Rdict) -> None:
        self.db = db

    def summary(self, object_id: str) -> ObjectSummary:
        """The object's summary (a new one for an unknown object)."""
        raw = self.db.get(head_key(object_id))
        return ObjectSummary() if raw is None else _SUM_DEC.decode(raw)

    def put_summary(self, object_id: str, summary: ObjectSummary) -> Row:
        """Store ``summary``; its changelog record."""
        row = (head_key(object_id), msgspec.msgpack.encode(summary))
        self.db.put(*row)
        return row

    def observations(self, object_id: str) -> list[Observation]:
        """The object's observations in time order (what a refit reads)."""
        return [_OBS_DEC.decode(value) for _, value in self._items(_prefix(object_id))]

    def merge(
        self,
        object_id: str,
        summary: ObjectSummary,
        new: Iterable[Observation],
        rows: list[Row],
        *,
        time_tol_s: float,
        pos_tol_arcsec: float,
        max_observations: int,
    ) -> MergeCounts:
        """Add ``new`` to the object (``summary`` updated in place, not stored: the caller
        stores it once with :meth:`put_summary`), dropping duplicates; beyond
        ``max_observations`` the oldest are deleted. Each key written or deleted is appended
        to ``rows``."""
        prefix = _prefix(object_id)
        time_tol_d = time_tol_s / 86_400.0
        pos_tol_deg = pos_tol_arcsec * _DEG_PER_ARCSEC
        added = duplicates = trimmed = 0
        for o in new:
            t = o.time_jd_utc
            if summary.observations and self._has_same(prefix, o, time_tol_d, pos_tol_deg):
                duplicates += 1
                continue
            value = _OBS_ENC.encode(o)
            key = prefix + _TIME.pack(t) + hashlib.blake2b(value, digest_size=_DIGEST).digest()
            before, after = self._neighbours(prefix, key) if summary.observations else (None, None)
            summary.nights = nights_after_insert(summary.nights, before, t, after)
            if not summary.observations:
                summary.first_jd = summary.last_jd = t
            summary.first_jd = min(summary.first_jd, t)
            summary.last_jd = max(summary.last_jd, t)
            summary.observations += 1
            self.db.put(key, value)
            rows.append((key, value))
            added += 1
        while summary.observations > max_observations:
            first, second = self._first_two(prefix)
            summary.nights = nights_after_trim(summary.nights, first[1], second)
            summary.observations -= 1
            if second is not None:
                summary.first_jd = second
            self.db.delete(first[0])
            rows.append((first[0], None))
            trimmed += 1
        return MergeCounts(added, duplicates, trimmed)

    def delete(self, object_id: str, rows: list[Row]) -> None:
        """Delete the object (its summary and observations), tombstones appended to
        ``rows``."""
        keys = [head_key(object_id)] + [k for k, _ in self._items(_prefix(object_id))]
        for key in keys:
            self.db.delete(key)
            rows.append((key, None))

    def summaries(self) -> Iterator[tuple[str, ObjectSummary]]:
        """Every object's id and summary (the ``h`` keys alone)."""
        for key, value in self._items(_HEAD):
            yield key[3:].decode(), _SUM_DEC.decode(value)

    # -- reading around a time -----------------------------------------------------------

    def _items(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self.db.items(from_key=prefix):
            assert isinstance(key, bytes) and isinstance(value, bytes)  # a raw-mode store
            if not key.startswith(prefix):
                return
            yield key, value

    def _has_same(
        self, prefix: bytes, o: Observation, time_tol_d: float, pos_tol_deg: float
    ) -> bool:
        start = prefix + _TIME.pack(o.time_jd_utc - time_tol_d)
        end = prefix + _TIME.pack(o.time_jd_utc + time_tol_d) + b"\xff" * _DIGEST
        for key, value in self.db.items(from_key=start):
            assert isinstance(key, bytes) and isinstance(value, bytes)
            if key > end:
                return False
            if same_observation(o, _OBS_DEC.decode(value), time_tol_d, pos_tol_deg):
                return True
        return False

    def _neighbours(self, prefix: bytes, key: bytes) -> tuple[float | None, float | None]:
        it = self.db.iter()
        it.seek_for_prev(key)
        before = _time(it.key(), prefix) if it.valid() else None
        it.seek(key)
        after = _time(it.key(), prefix) if it.valid() else None
        return before, after

    def _first_two(self, prefix: bytes) -> tuple[tuple[bytes, float], float | None]:
        it = self.db.iter()
        it.seek(prefix)
        key = it.key()
        first = _time(key, prefix)
        assert first is not None  # called only while the object holds observations
        it.next()
        return (key, first), _time(it.key(), prefix) if it.valid() else None


def _time(key: object, prefix: bytes) -> float | None:
    if not isinstance(key, bytes) or not key.startswith(prefix):
        return None
    (t,) = _TIME.unpack_from(key, len(prefix))
    return float(t)


def fold_changelog(rows: Iterable[Row]) -> dict[str, ObjectState]:
    """Each object's :class:`ObjectState` from changelog records in their order (the last
    record of a key wins, a None value deletes it): what a store restored from them holds."""
    latest: dict[bytes, bytes] = {}
    for key, value in rows:
        if value is None:
            latest.pop(key, None)
        else:
            latest[key] = value
    states: dict[str, ObjectState] = {}
    observations: dict[str, list[tuple[bytes, Observation]]] = {}
    for key, value in latest.items():
        size = int.from_bytes(key[1:3], "big")
        oid = key[3 : 3 + size].decode()
        if key[:1] == _HEAD:
            s = _SUM_DEC.decode(value)
            fields = {f: getattr(s, f) for f in Bookkeeping.__struct_fields__}
            states[oid] = ObjectState(**fields)
        else:
            observations.setdefault(oid, []).append((key, _OBS_DEC.decode(value)))
    for oid, pairs in observations.items():
        state = states.setdefault(oid, ObjectState())
        state.observations = [o for _, o in sorted(pairs, key=lambda p: p[0])]
    return states
