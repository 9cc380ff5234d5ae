"""``/objects/<id>``: the daemon's HTTP server draws an object's page from its latest result
(and observations), lists the objects at ``/objects/``, and stays read-only."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import orjson
import pytest

from core.contract.obs import Observation
from core.contract.obsstream import jd_to_iso
from streamer.ops.http import HealthServer
from streamer.ops.pages import ObjectPages
from streamer.pipeline.batch import InputItem, ItemOutcome, Output

NAME = '2024 <b>"X"</b> & co'


ORBIT = {
    "a_au": 1.5,
    "e": 0.2,
    "i_deg": 5.0,
    "node_deg": 10.0,
    "peri_deg": 20.0,
    "M_deg": 30.0,
    "epoch_jd": 2460000.5,
}


def _outcome(name: str, category: str, score: float) -> ItemOutcome:
    doc = {
        "schema": "neo.anomaly.v1",
        "designation": name,
        "category": category,
        "anomaly_score": score,
    }
    record = orjson.dumps({"designation": name, "orbit": ORBIT})
    item = InputItem("t", 0, 1, name.encode(), record, 0)
    return ItemOutcome(item, [Output("result", name.encode(), orjson.dumps(doc))], name)


async def _get(port: int, path: str, method: str = "GET") -> tuple[int, bytes, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, body


class _State:
    """A StateManager's lookup, for one object."""

    def __init__(self, name: str, state: list[Observation]) -> None:
        self._name, self._state = name, state

    async def lookup(self, object_id: str) -> list[Observation] | None:
        return self._state if object_id == self._name else None


@pytest.mark.asyncio
async def test_object_page_index_and_404() -> None:
    with ThreadPoolExecutor(2) as pool:
        pages = ObjectPages(2, pool)
        pages.remember([_outcome(NAME, "suspicious", 0.9), _outcome("a", "natural", 0.1)])
        obs = [
            Observation(
                obsTime=jd_to_iso(2460000.5 + k / 100),
                time_jd_utc=2460000.5 + k / 100,
                ra=10.0 + k / 50,
                dec=5.0,
                stn="G96",
            )
            for k in range(5)
        ]
        pages.state = _State("only-state", obs)  # type: ignore[assignment]
        server = HealthServer("127.0.0.1", 0, lambda: (True, "ok"), lambda: b"", pages)
        await server.start()
        assert server.port is not None
        try:
            status, head, body = await _get(server.port, "/objects/" + quote(NAME, safe=""))
            assert status == 200 and b"text/html; charset=utf-8" in head
            page = body.decode()
            assert "<b>" not in page and "&lt;b&gt;" in page
            assert "suspicious: unusual" in page
            assert 'data-plot="orbit"' in page  # the input record's orbit (no fit)
            # observations from state alone: a page with the sky track, not yet scored
            status, _, body = await _get(server.port, "/objects/only-state")
            assert status == 200 and b'data-plot="sky"' in body and b"not scored yet" in body
            assert (await _get(server.port, "/objects/nobody"))[0] == 404
            assert (await _get(server.port, "/objects/%ff"))[0] == 400
            assert (await _get(server.port, "/objects/a", "POST"))[0] == 405
            status, _, body = await _get(server.port, "/objects/")
            index = body.decode()
            assert status == 200 and index.index("suspicious") < index.index("natural")
            assert 'href="/objects/' + quote(NAME, safe="") + '"' in index
            # the least recently updated result is dropped beyond the capacity
            pages.remember([_outcome("b", "natural", 0.2)])
            assert (await _get(server.port, "/objects/" + quote(NAME, safe="")))[0] == 404
        finally:
            await server.stop()


@pytest.mark.asyncio
async def test_no_pages_when_capacity_is_zero() -> None:
    with ThreadPoolExecutor(1) as pool:
        pages = ObjectPages(0, pool)
        pages.remember([_outcome("a", "natural", 0.1)])
        server = HealthServer("127.0.0.1", 0, lambda: (True, "ok"), lambda: b"", pages)
        await server.start()
        assert server.port is not None
        try:
            assert (await _get(server.port, "/objects/a"))[0] == 404
            assert (await _get(server.port, "/objects/"))[0] == 404
        finally:
            await server.stop()
