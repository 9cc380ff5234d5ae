"""Rubin/LSST alerts on the wire: Confluent's 5-byte header and Avro against bundled schemas.

A Rubin alert message is ``0x00``, then the schema id as a 4-byte big-endian integer
(``major * 100 + minor``: 703 is schema 7.3), then one Avro datum written with that schema and
no container header (Confluent's wire format; the schema ids are the ones the Rubin alert
stream registers, lsst/alert_packet ``syncAllSchemasToRegistry``). Community brokers map the id
to a bundled schema file instead of asking a registry; so do we: the schemas are the ones the
installed ``lsst-alert-packet`` package ships, every version from 7.0 on, parsed once per id.
"""

from __future__ import annotations

import functools
import io
import struct
from pathlib import Path
from typing import Any

import fastavro
import fastavro.schema

from core.contract._checks import MAX_RECORD_BYTES
from core.errors import RecordError

__all__ = [
    "MAGIC",
    "MIN_MAJOR",
    "decode_alert",
    "encode_alert",
    "installed_schema_ids",
    "is_lsst_message",
    "schema_for",
    "split_header",
]

MAGIC = 0
"""The first byte of a message in Confluent's wire format."""

MIN_MAJOR = 7
"""Oldest schema major version read (the issue's floor: 7.x carries ``ssObject``)."""

_HEADER = struct.Struct(">bI")


def _schema_root() -> Path:
    import lsst.alert.packet  # the schemas' package; imported only when a schema is needed

    return Path(lsst.alert.packet.__file__).parent / "schema"


@functools.cache
def installed_schema_ids() -> dict[int, Path]:
    """``{schema id: path of its alert .avsc}`` for every installed schema from 7.0 on."""
    found: dict[int, Path] = {}
    for alert in _schema_root().glob("*/*/lsst.v*_*.alert.avsc"):
        minor_dir = alert.parent
        major, minor = minor_dir.parent.name, minor_dir.name
        if major.isdigit() and minor.isdigit() and int(major) >= MIN_MAJOR:
            found[int(major) * 100 + int(minor)] = alert
    return dict(sorted(found.items()))


@functools.cache
def schema_for(schema_id: int) -> Any:
    """The parsed Avro schema of an id (named types resolved from their sibling files).

    Raises
    ------
    RecordError
        When no installed schema has that id.
    """
    path = installed_schema_ids().get(schema_id)
    if path is None:
        known = ", ".join(f"{i // 100}.{i % 100}" for i in installed_schema_ids())
        raise RecordError(
            "$",
            f"Rubin alert schema id {schema_id} ({schema_id // 100}.{schema_id % 100}) is not "
            f"installed (lsst-alert-packet has {known})",
        )
    return fastavro.schema.load_schema(str(path))


def is_lsst_message(data: bytes) -> bool:
    """Whether ``data`` starts with the wire header of an installed schema."""
    if len(data) < _HEADER.size or data[0] != MAGIC:
        return False
    return _HEADER.unpack_from(data)[1] in installed_schema_ids()


def split_header(data: bytes) -> tuple[int, memoryview]:
    """``(schema id, Avro body)`` of a wire-format message.

    Raises
    ------
    RecordError
        For a message shorter than the header or with another first byte than 0.
    """
    if len(data) < _HEADER.size:
        raise RecordError(
            "$", f"Rubin alert of {len(data)} bytes is shorter than its 5-byte header"
        )
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise RecordError(
            "$", f"wrong magic byte {data[0]:#04x} (the wire format starts with 0x00)"
        )
    return schema_id, memoryview(data)[_HEADER.size :]


def decode_alert(data: bytes) -> tuple[int, dict[str, Any]]:
    """``(schema id, alert)`` of one wire-format message.

    Raises
    ------
    RecordError
        Too large, a wrong header, a schema not installed, a body that is truncated, does not
        match its schema or has bytes left over after the datum.
    """
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError("$", f"message of {len(data)} bytes exceeds {MAX_RECORD_BYTES}")
    schema_id, body = split_header(data)
    schema = schema_for(schema_id)
    stream = io.BytesIO(body)
    try:
        alert = fastavro.schemaless_reader(stream, schema, None)
    except EOFError:
        raise RecordError("$", f"Avro body truncated (schema {_version(schema_id)})") from None
    except Exception as exc:  # fastavro raises plain ValueError/UnicodeDecodeError/IndexError
        raise RecordError(
            "$", f"Avro body does not match schema {_version(schema_id)}: {exc}"
        ) from None
    left = len(body) - stream.tell()
    if left:
        raise RecordError(
            "$", f"{left} bytes left after the Avro datum (schema {_version(schema_id)})"
        )
    if not isinstance(alert, dict):
        raise RecordError("$", "Avro datum is not a record")
    return schema_id, alert


def encode_alert(alert: dict[str, Any], schema_id: int) -> bytes:
    """One wire-format message: the header and ``alert`` written with schema ``schema_id``."""
    stream = io.BytesIO()
    stream.write(_HEADER.pack(MAGIC, schema_id))
    fastavro.schemaless_writer(stream, schema_for(schema_id), alert)
    return stream.getvalue()


def _version(schema_id: int) -> str:
    return f"{schema_id // 100}.{schema_id % 100}"
