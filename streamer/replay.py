"""Replay from a time: ``run --from TIME`` and ``tail --since TIME``.

A time is ISO-8601 (``2025-09-06T07:00:00Z``; no zone is UTC) or a night ``YYYY-MM-DD``: the
observing night that begins on that date's evening, from 12:00 UTC that day (Rubin's
``dayObs`` convention: the date in UTC-12 h, so one night of Cerro Pachon or Palomar never
straddles two). The broker maps it to each partition's first offset whose message timestamp
is at or after it (``ListOffsets`` by timestamp: aiokafka ``offsets_for_times``); a partition
with no message that late starts at its end.

``run --from`` applies only to the partitions the consumer group has committed nothing for (a
new group): a restarted daemon goes on from its committed offsets, so the flag can stay in a
unit file without replaying again at every restart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition

__all__ = ["parse_start_time", "seek_to_time"]

_NIGHT = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_start_time(text: str) -> int:
    """Milliseconds since the Unix epoch of an ISO-8601 time or a night ``YYYY-MM-DD``.

    Raises
    ------
    ValueError
        The text is neither (the message says which forms are accepted).
    """
    value = text.strip()
    try:
        if _NIGHT.fullmatch(value):
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            moment = day + timedelta(hours=12)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO-8601 time (2025-09-06T07:00:00Z) nor a night (YYYY-MM-DD)"
        ) from None
    return round(moment.timestamp() * 1000)


async def seek_to_time(
    consumer: AIOKafkaConsumer, tps: Iterable[TopicPartition], start_ms: int
) -> dict[TopicPartition, int | None]:
    """Seek each of ``tps`` to its first offset at or after ``start_ms`` (its end where there
    is none); returns the offset of each (None: the end)."""
    tps = list(tps)
    if not tps:
        return {}
    found = await consumer.offsets_for_times(dict.fromkeys(tps, start_ms))
    placed: dict[TopicPartition, int | None] = {}
    ends = []
    for tp in tps:
        at = found.get(tp)
        if at is None:
            ends.append(tp)
            placed[tp] = None
        else:
            consumer.seek(tp, at.offset)
            placed[tp] = at.offset
    if ends:
        await consumer.seek_to_end(*ends)
    return placed
