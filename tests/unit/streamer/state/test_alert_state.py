"""Survey alerts through the batch step and the state step, without a broker: the real alerts
of tests/fixtures/alerts (SOURCE.txt), and an edited copy of one (said where)."""

from __future__ import annotations

import asyncio
import copy
import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fastavro
import orjson

from core.contract.records import NeoRecord
from core.serving.inference import EncodedResult
from streamer.config import AppConfig, load_config
from streamer.ops.metrics import Metrics
from streamer.pipeline.batch import AlertRule, InputItem, ItemOutcome, process_batch
from streamer.state.objectstore import ObjectStore, head_key
from streamer.state.store import PartitionStore, StateManager

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "alerts"
ZTF = sorted(FIXTURES.glob("fink_ztf_*.avro"))
RUBIN = sorted(FIXTURES.glob("fink_rubin_*.avro"))
RULE = AlertRule(min_score=2.0, categories=frozenset())


class ConstantScorer:
    model_version = "v1"

    def predict_encoded(
        self, records: Sequence[NeoRecord], cache_keys: Sequence[str] | None = None
    ) -> list[EncodedResult]:
        return [
            EncodedResult(orjson.dumps({"designation": r.designation}), 0.1, "natural", "v1")
            for r in records
        ]


def _cfg(tmp_path: Path) -> AppConfig:
    overrides = {"state.enabled": True, "state.dir": str(tmp_path / "state"),
                 "state.rescore": False, "input.format": "auto"}  # fmt: skip
    return load_config(None, env={}, overrides=overrides)


def _manager(cfg: AppConfig) -> tuple[StateManager, PartitionStore]:
    manager = StateManager(cfg, Metrics(), ThreadPoolExecutor(1))
    store = PartitionStore.open(Path(cfg.state.dir) / "p0")
    manager._stores[("in", 0)] = store
    return manager, store


def _item(offset: int, value: bytes) -> InputItem:
    return InputItem("in", 0, offset, b"k", value, 1_700_000_000_000)


def _unassociated() -> bytes:
    # edited copy of a real packet: it names no asteroid
    reader = fastavro.reader(io.BytesIO(ZTF[0].read_bytes()))
    alert = copy.deepcopy(next(iter(reader)))
    assert isinstance(alert, dict)
    alert["candidate"].update(ssnamenr="null", ssdistnr=-999.0)
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(reader.writer_schema), [alert])
    return buf.getvalue()


def test_ztf_packets_skip_the_batch_step_and_land_in_their_objects_state(
    tmp_path: Path,
) -> None:
    manager, store = _manager(_cfg(tmp_path))
    items = [_item(k, p.read_bytes()) for k, p in enumerate(ZTF)] + [_item(9, _unassociated())]
    assert process_batch(items, ConstantScorer(), RULE, "auto") == []  # all for the state
    outcomes = manager._apply(items)
    assert len(outcomes) == len(items)
    skipped = [o for o in outcomes if o.skipped is not None]
    assert [(o.item.offset, o.skipped, o.outputs) for o in skipped] == [(9, "no_association", [])]
    keys = {out.key for o in outcomes for out in o.outputs if out.kind == "changelog"}
    objects = ["45538", "183318", "29153", "95496", "86371"]
    assert {k for k in keys if k in {head_key(x) for x in objects}} == {
        head_key(x) for x in objects
    }
    (obs,) = ObjectStore(store.db).observations("29153")
    assert (obs.stn, obs.band, obs.mag, obs.ra) == ("I41", "g", 17.9702, 14.5716846)


def test_a_rubin_alert_is_scored_and_its_detections_join_the_state(tmp_path: Path) -> None:
    manager, store = _manager(_cfg(tmp_path))
    items = [_item(k, p.read_bytes()) for k, p in enumerate(RUBIN)]
    outcomes = process_batch(items, ConstantScorer(), RULE, "auto")
    assert [o.designation for o in outcomes] == ["2013 LL24", "2012 JD69"]
    assert all(o.observations is not None for o in outcomes)
    assert (
        sorted(o.unknown_fields for o in outcomes)
        == [("brokerIngestMjd", "lsst_schema_version")] * 2
    )

    async def step() -> list[ItemOutcome]:
        return await manager.apply(items, outcomes)

    done = asyncio.run(step())
    assert len(done) == len(items)  # the same outcomes: nothing added, nothing lost
    for o in done:
        kinds = [out.kind for out in o.outputs]
        assert kinds == ["result", "changelog", "changelog"], kinds  # the observation, the summary
    (obs,) = ObjectStore(store.db).observations("2013 LL24")
    assert (obs.stn, obs.band, obs.mag) == ("X05", "i", 20.106)
