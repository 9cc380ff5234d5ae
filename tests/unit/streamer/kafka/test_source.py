"""The assignment bookkeeping of :class:`streamer.kafka.source.Source` (no broker: the consumer's
seek is recorded). The fetch loop itself is exercised against the broker by the integration
tests."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition

from streamer.config import load_config
from streamer.delivery.offsets import OffsetTracker
from streamer.kafka.source import Source
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem


class SeekRecorder:
    def __init__(self) -> None:
        self.seeks: list[tuple[TopicPartition, int]] = []

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))


def _item(source: Source, partition: int, offset: int) -> InputItem:
    epoch = source._epochs[("in", partition)]
    return InputItem("in", partition, offset, None, b"{}", 0, epoch)


async def test_restart_seeks_to_the_committed_offsets_and_makes_earlier_items_stale() -> None:
    cfg = load_config(None, env={}, overrides={"kafka.group_id": "g"})
    tracker: OffsetTracker[tuple[str, int]] = OffsetTracker()
    source = Source(cfg, asyncio.Queue(), tracker, Metrics())
    await source.consumer.stop()  # never started; closed so that it does not warn
    recorder = SeekRecorder()
    source.consumer = recorder  # type: ignore[assignment]
    source.assigned({("in", 0), ("in", 1), ("in", 2)})
    source._first_fetch[("in", 1)] = 40  # what the fetch loop records on first delivery
    before = [_item(source, p, 50) for p in (0, 1, 2)]
    # partition 0 has a committed offset, 1 none (the first offset fetched is used), and 2
    # neither (nothing fetched yet: its position is still where the assignment put it)
    source.restart({("in", 0): 7, ("in", 1): None, ("in", 2): None})
    assert sorted(recorder.seeks) == [(TopicPartition("in", 0), 7), (TopicPartition("in", 1), 40)]
    assert not any(source.live(i) or source.accepting(i) for i in before)
    after = [_item(source, p, 7) for p in (0, 1, 2)]
    assert all(source.live(i) and source.accepting(i) for i in after)
    assert source.assignment() == {("in", 0), ("in", 1), ("in", 2)}
    # a partition revoked meanwhile is left alone
    source.revoked({("in", 2)})
    source.restart({("in", 2): 3})
    assert len(recorder.seeks) == 2 and source.assignment() == {("in", 0), ("in", 1)}
