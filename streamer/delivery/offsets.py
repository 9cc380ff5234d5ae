"""Per-partition tracking of which input offsets may be committed.

Records of one partition finish out of order (several workers, several batches), yet Kafka
stores one committed offset per partition meaning "everything below is done". The tracker
therefore only ever offers the *contiguous processed prefix*: the first offset that is still
in flight, or one past the last tracked offset when nothing is. Offsets are compared in the
order they were tracked, not by ``+1`` arithmetic, because real partitions have holes
(compaction, transaction markers).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["OffsetTracker"]

P = TypeVar("P")


@dataclass(slots=True)
class _Partition:
    pending: deque[int] = field(default_factory=deque)  # tracked offsets, ascending
    done: set[int] = field(default_factory=set)  # finished but not yet at the head
    next_offset: int | None = None  # one past the last offset popped from the head
    committed: int | None = None


class OffsetTracker(Generic[P]):
    """Contiguous-prefix tracker, one per consumer; keys are partitions (``TopicPartition``).

    Not thread-safe: used from the event loop only.

    Examples
    --------
    >>> t = OffsetTracker[str]()
    >>> for off in (0, 1, 2):
    ...     t.track("p", off)
    >>> t.mark_done("p", 0); t.mark_done("p", 2)
    >>> t.committable()
    {'p': 1}
    """

    def __init__(self) -> None:
        self._parts: dict[P, _Partition] = {}

    def track(self, partition: P, offset: int) -> bool:
        """Register a fetched offset as in flight.

        Offsets ascend per partition. An offset at or below one already tracked means the
        consumer moved backwards (a seek or an offset reset): the partition's state starts
        over from there, which can only lower what is committable. Returns False then.
        """
        part = self._parts.setdefault(partition, _Partition())
        # the lowest offset that may come next: past the last tracked or the last finished
        floor = part.pending[-1] + 1 if part.pending else part.next_offset
        if floor is not None and offset < floor:
            fresh = _Partition(committed=part.committed)
            fresh.pending.append(offset)
            self._parts[partition] = fresh
            return False
        part.pending.append(offset)
        return True

    def mark_done(self, partition: P, offset: int) -> None:
        """Record that every output of ``offset`` is acknowledged.

        Unknown partitions/offsets (e.g. of a partition revoked meanwhile) are ignored.
        """
        part = self._parts.get(partition)
        if part is None or not part.pending or offset < part.pending[0]:
            return
        part.done.add(offset)
        while part.pending and part.pending[0] in part.done:
            head = part.pending.popleft()
            part.done.discard(head)
            part.next_offset = head + 1

    def committable(self) -> dict[P, int]:
        """``{partition: next_offset}`` for partitions whose prefix moved since the last commit."""
        out: dict[P, int] = {}
        for partition, part in self._parts.items():
            nxt = part.next_offset
            if nxt is not None and nxt != part.committed:
                out[partition] = nxt
        return out

    def mark_committed(self, offsets: dict[P, int]) -> None:
        """Remember what was committed so :meth:`committable` only reports progress."""
        for partition, offset in offsets.items():
            part = self._parts.get(partition)
            if part is not None:
                part.committed = offset

    def in_flight(self, partition: P) -> int:
        """How many tracked offsets of ``partition`` are not yet part of the prefix."""
        part = self._parts.get(partition)
        return 0 if part is None else len(part.pending)

    def forget(self, partition: P) -> None:
        """Drop all state of a partition (revoked: its unfinished work will be redelivered)."""
        self._parts.pop(partition, None)

    def partitions(self) -> list[P]:
        """Partitions currently tracked."""
        return list(self._parts)
