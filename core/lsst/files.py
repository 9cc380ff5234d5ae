"""Files of Rubin alerts: Avro object container files, or one wire-format message per file.

Rubin's own tools store alerts as Avro object container files (the schema in the file's
header: ``lsst.alert.packet`` ``Schema.store_alerts``, the package's ``fakeAlert.avro``); a
message saved from a Kafka topic is the wire format itself (``0x00``, schema id, Avro datum).
Both are read; a container's schema name (``lsst.v11_1.alert``) gives the id its alerts are
replayed with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro

from core.errors import FormatError, RecordError
from core.lsst.mapping import alert_key, alert_to_obj
from core.lsst.wire import MAGIC, decode_alert, encode_alert, installed_schema_ids

__all__ = ["CONTAINER_MAGIC", "iter_alerts", "looks_like_alert_file", "read_alert_records",
           "wire_messages"]  # fmt: skip

CONTAINER_MAGIC = b"Obj\x01"
"""The first four bytes of an Avro object container file (Avro 1.x specification)."""

_SCHEMA_NAME = re.compile(r"lsst\.v(\d+)_(\d+)\.alert")


def looks_like_alert_file(head: bytes) -> bool:
    """Whether a file starting with ``head`` is an Avro container or a wire-format message."""
    return head.startswith(CONTAINER_MAGIC) or (len(head) >= 5 and head[0] == MAGIC)


def iter_alerts(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(schema id, alert)`` for every alert of a file.

    Raises
    ------
    FormatError
        Not an alert file, a container whose schema is not a Rubin alert schema installed
        here, or a damaged file.
    """
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        if head.startswith(CONTAINER_MAGIC):
            try:
                reader = fastavro.reader(fh)
                schema_id = _container_schema_id(reader.writer_schema, path)
                for alert in reader:
                    if not isinstance(alert, dict):
                        raise FormatError(f"{path.name}: an Avro datum is not a record")
                    yield schema_id, alert
            except (ValueError, EOFError) as exc:
                raise FormatError(f"{path.name}: damaged Avro container: {exc}") from None
            return
        data = fh.read()
    if not looks_like_alert_file(data[:5]):
        raise FormatError(f"{path.name}: neither an Avro container nor a Rubin wire-format alert")
    try:
        yield decode_alert(data)
    except RecordError as exc:
        raise FormatError(f"{path.name}: {exc.reason}") from None


def _container_schema_id(schema: Any, path: Path) -> int:
    name = schema.get("name", "") if isinstance(schema, dict) else ""
    namespace = schema.get("namespace", "") if isinstance(schema, dict) else ""
    full = name if "." in name else f"{namespace}.{name}"
    match = _SCHEMA_NAME.fullmatch(full)
    if match is None:
        raise FormatError(f"{path.name}: container schema {full!r} is not a Rubin alert schema")
    schema_id = int(match.group(1)) * 100 + int(match.group(2))
    if schema_id not in installed_schema_ids():
        raise FormatError(f"{path.name}: Rubin alert schema {full!r} is not installed here")
    return schema_id


def wire_messages(path: str | Path) -> Iterator[tuple[bytes, bytes]]:
    """``(key, value)`` Kafka messages for a file's alerts: the wire format, keyed on the object."""
    for schema_id, alert in iter_alerts(path):
        yield alert_key(alert).encode(), encode_alert(alert, schema_id)


def read_alert_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """The ``neo.v1`` object of every alert of a file (for ``neo-streamer convert``)."""
    for schema_id, alert in iter_alerts(path):
        try:
            yield alert_to_obj(alert, schema_id)
        except RecordError as exc:
            raise FormatError(f"{Path(path).name}: {exc}") from None
