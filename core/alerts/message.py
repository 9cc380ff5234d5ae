"""One Kafka message of survey alerts: what it is, and what it becomes.

================================  ==============================================================
the message starts with           it is
================================  ==============================================================
``0x00`` + 4-byte schema id       a Rubin alert in Confluent's wire format (:mod:`core.lsst.wire`)
``Obj\\x01``                       an Avro object container: ZTF's alert packet, or a broker's
                                  (Fink's) redistribution of a Rubin alert; which one is read
                                  from the schema's fields (:func:`container_kind`)
``{`` (after blanks)              JSON: ``neo.obs.v1`` or ``neo.v1`` (:func:`core.contract.
                                  is_obs_message` tells them apart)
anything else                     text: one 80-column ``neo.obs.v1`` line, else left to ``neo.v1``
================================  ==============================================================

A ZTF alert becomes the ``neo.obs.v1`` observations of its asteroid (:mod:`core.alerts.ztf`),
checked by the contract's own decoder, for the per-object state, as a ``neo.obs.v1`` message
is. A Rubin alert becomes one ``neo.v1`` record (:mod:`core.lsst.mapping`), scored at once.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import orjson

from core.alerts.container import (
    CONTAINER_MAGIC,
    read_container,
    read_first_prefix,
    read_header,
)
from core.alerts.rubin import is_rubin_alert, rubin_alert
from core.alerts.ztf import DEFAULT_MAX_SSDISTNR_ARCSEC, Unassociated, is_ztf_alert, ztf_tracklet
from core.contract.obs import ObsMessage, decode_obs_message
from core.errors import RecordError

__all__ = [
    "ContainerKind",
    "MessageKind",
    "container_kind",
    "decode_rubin_container",
    "decode_ztf_message",
    "sniff",
]

MessageKind = Literal["lsst-wire", "container", "json", "text"]
ContainerKind = Literal["ztf", "rubin", "unknown"]


def sniff(data: bytes | bytearray | memoryview) -> MessageKind:
    """What a message is, from its first bytes (see the module doc)."""
    head = bytes(data[:4])
    if head[:1] == b"\x00":
        return "lsst-wire"
    if head == CONTAINER_MAGIC:
        return "container"
    if bytes(data[:256]).lstrip()[:1] in (b"{", b"["):
        return "json"
    return "text"


def _top_fields(schema: Any) -> frozenset[str]:
    if isinstance(schema, dict) and schema.get("type") == "record":
        return frozenset(f.get("name", "") for f in schema.get("fields", ()) if isinstance(f, dict))
    return frozenset()


@functools.lru_cache(maxsize=64)
def _kind_of_schema(schema_text: bytes) -> tuple[ContainerKind, str]:
    try:
        schema = orjson.loads(schema_text)
    except orjson.JSONDecodeError:
        return "unknown", "unreadable"
    fields = _top_fields(schema)
    name = str(schema.get("name", "?")) if isinstance(schema, dict) else "?"
    if is_ztf_alert(fields):
        return "ztf", name
    wrapped = [f.get("type") for f in schema.get("fields", ()) if isinstance(f, dict)]
    if is_rubin_alert(fields) or any(is_rubin_alert(_top_fields(t)) for t in wrapped):
        return "rubin", name
    return "unknown", f"{name} (fields {', '.join(sorted(fields)[:8])})"


def _kind(data: bytes | bytearray | memoryview) -> tuple[ContainerKind, str]:
    # keyed on the schema's text: every ZTF packet has its own sync marker, one schema
    try:
        meta, _, _ = read_header(data)
    except RecordError as exc:
        return "unknown", exc.reason
    return _kind_of_schema(meta["avro.schema"])


def container_kind(data: bytes | bytearray | memoryview) -> ContainerKind:
    """``ztf``, ``rubin`` or ``unknown`` for an Avro container, from its schema's fields."""
    if bytes(data[:4]) != CONTAINER_MAGIC:
        return "unknown"
    return _kind(data)[0]


def decode_ztf_message(
    data: bytes | bytearray | memoryview,
    *,
    max_ssdistnr_arcsec: float = DEFAULT_MAX_SSDISTNR_ARCSEC,
    now_jd: float | None = None,
) -> ObsMessage | Unassociated:
    """The observations of the asteroid of a ZTF alert message (a container of one alert, as
    ZTF sends them, or of several alerts of one object), or why it names none.

    Raises
    ------
    RecordError
        An unreadable container (nothing in it can be read), a ZTF value that cannot be right
        (:func:`core.alerts.ztf.ztf_tracklet`), alerts of several objects in one message, or
        observations the ``neo.obs.v1`` contract refuses.
    """
    head = read_first_prefix(data, "candidate")  # most ZTF alerts name no asteroid: cheap
    if head is not None:
        early = ztf_tracklet(
            {"candidate": head.get("candidate")}, max_ssdistnr_arcsec=max_ssdistnr_arcsec,
            now_jd=now_jd,
        )  # fmt: skip
        if isinstance(early, Unassociated):
            return early
    container = read_container(data)
    if not container.datums:
        if container.errors:
            e = container.errors[0]
            raise RecordError("$", f"Avro block {e.block} unreadable: {e.reason}")
        raise RecordError("$", "an Avro container without alerts")
    rows: list[dict[str, Any]] = []
    skipped: Unassociated | None = None
    for k, alert in enumerate(container.datums):
        if not isinstance(alert, dict):
            raise RecordError(f"alerts[{k}]", "an Avro datum is not a record")
        tracklet = ztf_tracklet(alert, max_ssdistnr_arcsec=max_ssdistnr_arcsec, now_jd=now_jd)
        if isinstance(tracklet, Unassociated):
            skipped = skipped or tracklet
            continue
        rows += tracklet["observations"]
    if not rows:
        assert skipped is not None
        return skipped
    return decode_obs_message(orjson.dumps({"observations": rows}))


def decode_rubin_container(
    data: bytes | bytearray | memoryview, *, unknown: list[str] | None = None
) -> tuple[int, dict[str, Any]]:
    """``(schema id, alert)`` of a message that is an Avro container of one Rubin alert (a
    broker's redistribution, or Rubin's own file form).

    Raises
    ------
    RecordError
        Unreadable, not a Rubin alert by its fields, or not exactly one alert.
    """
    kind, name = _kind(data)
    if kind == "ztf":
        raise RecordError("$", "a ZTF alert packet: read with [input] format ztf or auto")
    if kind != "rubin":
        raise RecordError("$", f"unknown alert schema {name!r}: neither ZTF nor Rubin fields")
    container = read_container(data)
    if container.errors and not container.datums:
        e = container.errors[0]
        raise RecordError("$", f"Avro block {e.block} unreadable: {e.reason}")
    if len(container.datums) != 1:
        raise RecordError(
            "$", f"{len(container.datums)} Rubin alerts in one message (one per message)"
        )
    datum = container.datums[0]
    if not isinstance(datum, dict):
        raise RecordError("$", "an Avro datum is not a record")
    return rubin_alert(datum, unknown)
