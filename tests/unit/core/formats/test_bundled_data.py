"""The bundled data sets in data/ (built by scripts/build_data.py) are complete and valid."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.contract.records import NeoRecord, record_from_obj

DATA = Path(__file__).resolve().parents[4] / "data"


def _objects(name: str) -> Iterator[dict[str, Any]]:
    with gzip.open(DATA / name, "rb") as fh:
        for line in fh:
            yield orjson.loads(line)


@pytest.fixture(scope="module")
def catalog() -> list[NeoRecord]:
    return [record_from_obj(obj) for obj in _objects("catalog.jsonl.gz")]


@pytest.fixture(scope="module")
def sample() -> list[NeoRecord]:
    return [record_from_obj(obj) for obj in _objects("sample_stream.jsonl.gz")]


def test_catalog_holds_every_2019_nea(catalog: list[NeoRecord]) -> None:
    assert len(catalog) == 20_060
    assert len({r.designation for r in catalog}) == 20_060
    assert all(r.orbit is not None for r in catalog)


def test_catalog_eros_and_apophis(catalog: list[NeoRecord]) -> None:
    by_name = {r.designation: r for r in catalog}
    eros = by_name["433"]
    assert eros.orbit is not None and eros.physical is not None
    assert (eros.orbit.a_au, eros.orbit.e, eros.orbit.i_deg) == (1.4581823, 0.2227385, 10.82858)
    assert eros.orbit.epoch_jd == 2458666.5
    assert eros.physical.H == 11.16  # NEA.txt's H is kept, SBDB's only fills gaps
    assert eros.physical.diameter_km == 16.84
    apophis = by_name["99942"]
    assert apophis.nongrav is not None and apophis.nongrav.A2 == -2.9e-14
    assert apophis.close_approaches[0].time == "2029-04-13T21:46:00Z"
    assert apophis.close_approaches[0].dist_au == 0.00025


def test_catalog_enrichment_coverage(catalog: list[NeoRecord]) -> None:
    assert sum(r.orbit is not None and r.orbit.moid_au is not None for r in catalog) > 3500
    assert sum(r.physical is not None and r.physical.albedo is not None for r in catalog) > 1000
    assert sum(r.nongrav is not None for r in catalog) > 200
    assert sum(bool(r.close_approaches) for r in catalog) > 3000


def test_sample_stream_mixes_sources(sample: list[NeoRecord], catalog: list[NeoRecord]) -> None:
    assert 2000 <= len(sample) <= 5000
    with_obs = [r for r in sample if r.observations is not None]
    assert len(with_obs) >= 100
    assert {r.observations.source for r in with_obs if r.observations} == {"obs80", "ades"}
    assert sum(bool(r.close_approaches) for r in sample) >= 300
    known = {r.designation for r in catalog}
    new_orbits = [r for r in sample if r.meta["source"] == "sbdb_neo_2024"]
    assert len(new_orbits) == 2000
    assert not known & {r.designation for r in new_orbits}  # discovered after the catalog


def test_sample_observation_records_fit_a_kafka_message() -> None:
    for obj in _objects("sample_stream.jsonl.gz"):
        assert len(orjson.dumps(obj)) < 1_000_000


def test_sample_stream_holds_marked_injected_objects_spread_through_it(
    sample: list[NeoRecord],
) -> None:
    positions = [i for i, r in enumerate(sample) if r.meta.get("source") == "synthetic"]
    assert len(positions) == 40
    assert positions[0] < len(sample) // 20 and positions[-1] > len(sample) * 19 // 20
    families = {"earth_like_orbit", "tiny_size", "radiation_pressure", "regular_approaches"}
    for i in positions:
        assert set(sample[i].meta) == {"source", "family"}
        assert len(sample[i].meta["family"]) >= 1 and set(sample[i].meta["family"]) <= families
    real = {r.designation for r in sample if r.meta.get("source") != "synthetic"}
    assert not real & {sample[i].designation for i in positions}
