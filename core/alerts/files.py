"""Alert files (Avro object containers) for ``neo-streamer convert`` and ``produce``.

A file holds ZTF alerts or Rubin alerts (Rubin's own ``lsst.vN_M.alert`` files, or a broker's
redistribution), told apart by the schema's fields (:mod:`core.alerts.message`). Each alert is
one :class:`FileAlert`: what it converts to (a ``neo.v1`` object for a Rubin alert, a
``neo.obs.v1`` tracklet for a ZTF alert's asteroid), why it converts to nothing (a ZTF alert
naming no asteroid: ``skipped``), or why it cannot be read (``error``: the field and reason of
a bad value, or a broken block of the file, whose neighbours are still read).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import msgspec

from core.alerts.container import read_container
from core.alerts.message import container_kind
from core.alerts.rubin import rubin_alert
from core.alerts.ztf import DEFAULT_MAX_SSDISTNR_ARCSEC, Unassociated, ztf_tracklet
from core.errors import FormatError, RecordError

__all__ = ["FileAlert", "read_alert_file"]

_NATIVE = re.compile(r"lsst\.v(\d+)_(\d+)\.alert")


class FileAlert(msgspec.Struct):
    """One alert of a file (or one broken block): exactly one of ``obj``, ``skipped``,
    ``error`` is set, and ``message`` (``key``, ``value``) is what ``produce`` sends."""

    index: int
    kind: str  # "ztf" or "rubin"
    obj: dict[str, Any] | None = None
    skipped: str | None = None
    error: tuple[str, str] | None = None  # (field, reason)
    key: bytes | None = None
    value: bytes | None = None


def read_alert_file(
    path: str | Path, *, max_ssdistnr_arcsec: float = DEFAULT_MAX_SSDISTNR_ARCSEC
) -> Iterator[FileAlert]:
    """Every alert of an Avro container file, in file order (see the module doc).

    Raises
    ------
    FormatError
        Not a container of ZTF or Rubin alerts, or a header that cannot be read.
    """
    path = Path(path)
    data = path.read_bytes()
    kind = container_kind(data)
    if kind == "unknown":
        raise FormatError(f"{path.name}: not an Avro container of ZTF or Rubin alerts")
    try:
        container = read_container(data)
    except RecordError as exc:
        raise FormatError(f"{path.name}: {exc.reason}") from None
    name = _full_name(container.schema)
    native = _NATIVE.fullmatch(name)
    for e in container.errors:
        yield FileAlert(-1, kind, error=(f"block[{e.block}]", e.reason))
    for k, datum in enumerate(container.datums):
        if not isinstance(datum, dict):
            yield FileAlert(k, kind, error=("$", "an Avro datum is not a record"))
            continue
        try:
            if kind == "ztf":
                yield _ztf(k, datum, container.schema, max_ssdistnr_arcsec)
            else:
                yield _rubin(k, datum, container.schema, native)
        except RecordError as exc:
            yield FileAlert(k, kind, error=(exc.field, exc.reason))


def _full_name(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    name, namespace = str(schema.get("name", "")), schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _single(schema: Any, datum: dict[str, Any]) -> bytes:
    # one alert as ZTF and the brokers send it: a container of one datum, the same schema
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), [datum])
    return buf.getvalue()


def _ztf(k: int, alert: dict[str, Any], schema: Any, limit: float) -> FileAlert:
    tracklet = ztf_tracklet(alert, max_ssdistnr_arcsec=limit)
    value = _single(schema, alert)
    if isinstance(tracklet, Unassociated):
        key = alert.get("objectId")
        encoded = key.encode() if isinstance(key, str) else None
        return FileAlert(k, "ztf", skipped=tracklet.reason, key=encoded, value=value)
    import orjson

    from core.contract.obs import decode_obs_message

    message = decode_obs_message(orjson.dumps(tracklet))  # the contract's checks, as the daemon
    return FileAlert(k, "ztf", obj=tracklet, key=message.object_id.encode(), value=value)


def _rubin(k: int, datum: dict[str, Any], schema: Any, native: re.Match[str] | None) -> FileAlert:
    from core.contract.records import record_from_obj
    from core.lsst.mapping import alert_key, alert_to_obj
    from core.lsst.wire import encode_alert, installed_schema_ids

    schema_id, alert = rubin_alert(datum)
    obj = alert_to_obj(alert, schema_id)
    record_from_obj(obj)  # the contract's checks, as the daemon makes them
    key = alert_key(alert).encode()
    if native is not None:
        native_id = int(native.group(1)) * 100 + int(native.group(2))
        if native_id in installed_schema_ids():  # replayed as Rubin sends it: the wire format
            return FileAlert(k, "rubin", obj=obj, key=key, value=encode_alert(alert, native_id))
    return FileAlert(k, "rubin", obj=obj, key=key, value=_single(schema, datum))
