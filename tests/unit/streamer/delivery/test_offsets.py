"""The contiguous-prefix offset tracker."""

from __future__ import annotations

from streamer.delivery.offsets import OffsetTracker


def _tracker(*offsets: int, partition: str = "p") -> OffsetTracker[str]:
    t: OffsetTracker[str] = OffsetTracker()
    for off in offsets:
        assert t.track(partition, off)
    return t


def test_nothing_done_nothing_committable() -> None:
    t = _tracker(0, 1, 2)
    assert t.committable() == {}


def test_in_order_completion_commits_next_offset() -> None:
    t = _tracker(0, 1, 2)
    t.mark_done("p", 0)
    assert t.committable() == {"p": 1}
    t.mark_done("p", 1)
    t.mark_done("p", 2)
    assert t.committable() == {"p": 3}


def test_gap_blocks_the_prefix_until_filled() -> None:
    t = _tracker(10, 11, 12, 13)
    t.mark_done("p", 10)
    t.mark_done("p", 12)
    t.mark_done("p", 13)
    assert t.committable() == {"p": 11}  # 11 still in flight: never commit past it
    t.mark_done("p", 11)
    assert t.committable() == {"p": 14}


def test_out_of_order_completion() -> None:
    t = _tracker(0, 1, 2, 3, 4)
    for off in (4, 2, 3, 1):
        t.mark_done("p", off)
        assert t.committable() == {}
    t.mark_done("p", 0)
    assert t.committable() == {"p": 5}
    assert t.in_flight("p") == 0


def test_holes_in_the_partition_are_not_in_flight() -> None:
    # offsets 3..4 do not exist (compaction or a transaction marker)
    t = _tracker(0, 1, 2, 5, 6)
    for off in (0, 1, 2, 5):
        t.mark_done("p", off)
    assert t.committable() == {"p": 6}
    t.mark_done("p", 6)
    assert t.committable() == {"p": 7}


def test_committable_reports_only_progress() -> None:
    t = _tracker(0, 1)
    t.mark_done("p", 0)
    assert t.committable() == {"p": 1}
    t.mark_committed({"p": 1})
    assert t.committable() == {}
    t.mark_done("p", 1)
    assert t.committable() == {"p": 2}


def test_partitions_are_independent() -> None:
    t: OffsetTracker[tuple[str, int]] = OffsetTracker()
    for off in range(3):
        t.track(("t", 0), off)
        t.track(("t", 1), off + 100)
    t.mark_done(("t", 1), 100)
    t.mark_done(("t", 0), 1)
    assert t.committable() == {("t", 1): 101}
    assert t.in_flight(("t", 0)) == 3
    assert t.in_flight(("t", 1)) == 2


def test_forget_drops_state_and_ignores_late_completions() -> None:
    t = _tracker(0, 1)
    t.forget("p")
    t.mark_done("p", 0)
    assert t.committable() == {}
    assert t.partitions() == []


def test_unknown_and_stale_marks_are_ignored() -> None:
    t = _tracker(5, 6)
    t.mark_done("q", 5)
    t.mark_done("p", 3)  # below the tracked range
    assert t.committable() == {}


def test_moving_backwards_restarts_the_partition() -> None:
    t = _tracker(0, 1, 2)
    t.mark_done("p", 0)
    assert t.committable() == {"p": 1}
    assert t.track("p", 1) is False  # a seek back: state starts over from offset 1
    assert t.committable() == {}
    t.mark_done("p", 1)
    assert t.committable() == {"p": 2}
