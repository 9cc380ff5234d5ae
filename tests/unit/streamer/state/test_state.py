"""The state stores and the state step of a batch, without a broker.

Restore from the changelog, rebalances and crashes against the real broker:
``tests/integration/test_observation_stream.py``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from core.contract.obsstream import jd_to_iso
from core.serving.arcstate import ObjectState, arc_summary
from streamer.config import AppConfig, load_config
from streamer.ops.logging import configure_logging
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import InputItem, ItemOutcome
from streamer.state.objectstore import ObjectStore, fold_changelog, head_key
from streamer.state.store import PartitionStore, StateManager

_ROW = {
    "provID": "2023 DW",
    "obsTime": "2023-02-26T04:41:05.568Z",
    "ra": 175.5,
    "dec": 3.25,
    "stn": "W68",
}
_DAY_MS = 86_400_000


def _cfg(tmp_path: Path, **state: object) -> AppConfig:
    overrides = {"state.enabled": True, "state.dir": str(tmp_path / "state")}
    overrides |= {f"state.{k}": v for k, v in state.items()}
    return load_config(None, env={}, overrides=overrides)


def _item(offset: int, row: dict[str, object] | bytes, ts_ms: int = 1_700_000_000_000) -> InputItem:
    value = row if isinstance(row, bytes) else orjson.dumps(row)
    return InputItem("in", 0, offset, b"k", value, ts_ms)


def _manager(cfg: AppConfig) -> tuple[StateManager, PartitionStore, Metrics]:
    metrics = Metrics()
    manager = StateManager(cfg, metrics, ThreadPoolExecutor(1))
    store = PartitionStore.open(Path(cfg.state.dir) / "p0")
    manager._stores[("in", 0)] = store
    return manager, store, metrics


def _rows(outcomes: list[ItemOutcome]) -> list[tuple[bytes, bytes | None]]:
    return [
        (out.key or b"", out.value)
        for o in outcomes
        for out in o.outputs
        if out.kind == "changelog"
    ]


def _state_in(store: PartitionStore, oid: str) -> ObjectState | None:
    return fold_changelog(store.db.items()).get(oid)


def test_apply_merges_per_object_and_emits_one_changelog_record_per_key(tmp_path: Path) -> None:
    manager, store, metrics = _manager(_cfg(tmp_path))
    items = [
        _item(0, _ROW),
        _item(1, {**_ROW, "obsTime": "2023-02-26T05:00:00Z"}),
        _item(2, _ROW),  # a duplicate of offset 0
        _item(3, {**_ROW, "provID": "2024 PT5"}),
        _item(4, {**_ROW, "ra": 400.0}),  # hostile: RA out of range
    ]
    outcomes = manager._apply(items)
    assert len(outcomes) == 5  # every input accounted for
    by_offset = {o.item.offset: o for o in outcomes}
    changelog = [out for o in outcomes for out in o.outputs if out.kind == "changelog"]
    # one record per observation added and one summary per changed object, on the input's
    # partition: the changelog holds exactly the store's keys
    assert all(out.partition == 0 for out in changelog)
    assert len(changelog) == 3 + 2
    assert sorted(out.key for out in changelog) == sorted(store.db.keys())
    dw, pt5 = head_key("2023 DW"), head_key("2024 PT5")
    assert [out.key for out in changelog if out.key in (dw, pt5)] == [dw, pt5]
    assert by_offset[1].outputs[-1].key == dw  # the summary: on the last input that changed it
    assert by_offset[2].outputs == []
    dead = by_offset[4].outputs
    assert [out.kind for out in dead] == ["dead_letter"]
    assert orjson.loads(dead[0].value or b"")["field"] == "ra"
    state = _state_in(store, "2023 DW")
    assert state is not None and len(state.observations) == 2
    assert fold_changelog(_rows(outcomes)) == fold_changelog(store.db.items())
    assert metrics.observations_applied._value.get() == 3
    assert metrics.duplicates_dropped._value.get() == 1
    # the same inputs again (a redelivery after a crash): nothing changes, nothing emitted
    again = manager._apply(items[:4])
    assert not [out for o in again for out in o.outputs]
    assert _state_in(store, "2023 DW") == state


def test_an_observation_costs_the_same_keys_whatever_the_arc(tmp_path: Path) -> None:
    # the 2,001st observation of an object writes one observation key and the summary, as
    # the 2nd did; the summary's arc is the one counted from all the observations
    manager, store, _ = _manager(_cfg(tmp_path))
    rows = [
        {**_ROW, "obsTime": jd_to_iso(2_460_000.5 + 0.01 * k + (k // 30) * 1.0)}
        for k in range(2_000)
    ]
    manager._apply([_item(0, {"observations": rows})])
    outcomes = manager._apply([_item(1, {**_ROW, "obsTime": jd_to_iso(2_460_100.25)})])
    assert len(_rows(outcomes)) == 2
    state = _state_in(store, "2023 DW")
    assert state is not None
    summary = ObjectStore(store.db).summary("2023 DW")
    assert summary.arc() == arc_summary(state.observations)
    assert summary.arc().observations == 2_001 and summary.arc().nights == 68


def test_trimming_to_the_limit_keeps_the_arc_summary_true(tmp_path: Path) -> None:
    manager, store, _ = _manager(_cfg(tmp_path, max_observations_per_object=10))
    for k in range(25):  # one observation a day, out of order within pairs
        day = k + 1 if k % 2 == 0 else k - 1
        row = {**_ROW, "obsTime": jd_to_iso(2_460_000.5 + day + 0.1 * (k % 3))}
        manager._apply([_item(k, row)])
    state = _state_in(store, "2023 DW")
    assert state is not None and len(state.observations) == 10
    times = [o.time_jd_utc for o in state.observations]
    assert times == sorted(times)
    assert ObjectStore(store.db).summary("2023 DW").arc() == arc_summary(state.observations)


def test_a_tracklet_over_the_limit_is_dead_lettered_and_changes_nothing(tmp_path: Path) -> None:
    manager, store, _ = _manager(_cfg(tmp_path))
    manager._apply([_item(0, _ROW)])
    before = dict(store.db.items())
    rows = [{**_ROW, "obsTime": f"2023-02-27T00:00:{i % 60:02d}Z"} for i in range(100_000)]
    (outcome,) = manager._apply([_item(1, {"observations": rows})])
    assert [out.kind for out in outcome.outputs] == ["dead_letter"]
    assert "exceeds" in orjson.loads(outcome.outputs[0].value or b"")["reason"]
    assert dict(store.db.items()) == before


def test_objects_not_updated_for_expire_days_get_tombstones(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, expire_days=1.0, expire_check_interval_s=0.0)
    manager, store, metrics = _manager(cfg)
    t0 = 1_700_000_000_000
    manager._apply([_item(0, _ROW, t0), _item(1, {**_ROW, "provID": "2024 PT5"}, t0)])
    pt5_keys = {k for k in store.db.keys() if b"2024 PT5" in k}  # noqa: SIM118 (an Rdict)
    assert len(pt5_keys) == 2  # its summary and its observation
    # two days later the first object is seen again, the second not
    later = {**_ROW, "obsTime": "2023-02-28T04:41:05Z"}
    outcomes = manager._apply([_item(2, later, t0 + 2 * _DAY_MS)])
    tombstones = {k for k, v in _rows(outcomes) if v is None}
    assert tombstones == pt5_keys
    assert _state_in(store, "2024 PT5") is None and _state_in(store, "2023 DW") is not None
    assert metrics.objects_expired._value.get() == 1


def test_a_clean_close_resumes_and_an_unclean_one_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "p0"
    store = PartitionStore.open(path)
    assert store.resume_offset is None
    store.db.put(b"a", b"1")
    store.close(changelog_offset=17)
    store = PartitionStore.open(path)
    assert store.resume_offset == 17 and store.db.get(b"a") == b"1"
    store.db.close()  # a crash: no marker left
    store = PartitionStore.open(path)
    assert store.resume_offset is None and store.db.get(b"a") is None


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_damaged_store_is_wiped_with_a_warning(
    tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the warning goes to stderr whatever an earlier test configured logging with
    configure_logging("warning", "json")
    path = tmp_path / "p0"
    store = PartitionStore.open(path)
    for i in range(5_000):
        store.db.put(b"k%d" % i, b"v" * 100)
    store.close(changelog_offset=5_000)
    for sst in path.glob("*.sst"):
        if damage == "truncate":
            with sst.open("r+b") as fh:
                fh.truncate(100)
        else:
            sst.unlink()
    store = PartitionStore.open(path)
    assert store.resume_offset is None  # rebuilt from the start of the changelog
    assert store.db.get(b"k1") is None
    captured = capsys.readouterr()
    assert "state store damaged" in captured.out + captured.err


def test_a_changelog_of_the_older_one_value_per_object_layout_stops_the_restore(
    tmp_path: Path,
) -> None:
    from streamer.state.objectstore import StateLayoutError
    from streamer.state.store import _write_restored

    store = PartitionStore.open(tmp_path / "p0")
    with pytest.raises(StateLayoutError, match="older neo-streamer"):
        _write_restored(store.db, [(head_key("2023 DW"), b"\x90"), (b"2023 DW", b"\x97")])
    assert store.db.get(head_key("2023 DW")) is None  # nothing of the batch written


def test_a_light_refit_that_changes_the_verdict_asks_for_a_full_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the fits are stood in for: this is the state step's bookkeeping of kinds and verdicts
    import streamer.state.store as state_module
    from core.serving.arcstate import ObjectSummary
    from streamer.state.refit import OrbitFacts, RefitJob, Rescored

    kinds: list[str] = []
    categories = iter(["natural", "suspicious", "suspicious"])

    def fake_refit_many(jobs: list[RefitJob], scorer: object) -> list[Rescored]:
        out = []
        for job in jobs:
            kinds.append(job.kind)
            assert job.start is not None  # started from the stored orbit
            orbit = OrbitFacts(tuple(job.start[0]), job.start[1], 2.6, 1.6, 1e-5)
            doc = b'{"designation":"%s","anomaly_score":0.1}' % job.object_id.encode()
            category = next(categories)
            out.append(Rescored(doc, b"{}", 0.1, category, "v", False, job.kind, orbit))
        return out

    monkeypatch.setattr(state_module, "refit_many", fake_refit_many)
    cfg = _cfg(tmp_path, refit_far_nights=1)
    metrics = Metrics()
    manager = StateManager(cfg, metrics, ThreadPoolExecutor(1), scorer=lambda: None)  # type: ignore[arg-type, return-value]
    store = PartitionStore.open(Path(cfg.state.dir) / "p0")
    manager._stores[("in", 0)] = store
    objects = ObjectStore(store.db)
    # a main-belt object fitted before: far from the Earth, well determined, category natural
    objects.put_summary(
        "2023 DW",
        ObjectSummary(
            fit_observations=1,
            fit_nights=1,
            fit_arc_days=0.0,
            fit_state6=[2.0, 1.0, 0.0, -0.005, 0.01, 0.0],
            fit_epoch_jd=2_460_000.5,
            fit_q_au=2.6,
            fit_moid_au=1.6,
            fit_sigma_a_rel=1e-5,
            category_rank=0,
        ),
    )
    for k, day in enumerate((1, 2, 3, 4)):  # a night each
        manager._apply([_item(k, {**_ROW, "obsTime": jd_to_iso(2_460_001.5 + day)})])
    # night 1: one night held, no refit; night 2: light, verdict unchanged; night 3: light,
    # natural -> suspicious; night 4: full
    assert kinds == ["light", "light", "full"]
    assert metrics.refits.labels(kind="light")._value.get() == 2
    assert metrics.refits.labels(kind="full")._value.get() == 1
    assert not objects.summary("2023 DW").full_due
