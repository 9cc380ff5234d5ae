"""Avro object container files read block by block, so that one broken block loses only itself.

An object container (Avro 1.x specification, "Object Container Files") is the magic
``Obj\\x01``, a metadata map (``avro.schema``: the writer's schema as JSON, ``avro.codec``),
a 16-byte sync marker, then blocks: a count of datums, a byte size, the (compressed) datums,
and the sync marker again. ZTF sends every alert as such a file of one datum; the brokers
(Fink) write their alert files so; Rubin's own tools store alerts so.

:func:`read_container` reads every block it can: a block whose datums do not decode, whose
size runs past the end, or that is not followed by the sync marker is reported in
:attr:`Container.errors` (its index and the reason) and the reader moves on to the next sync
marker, so the datums of the other blocks are still read. A header that cannot be read is a
:class:`~core.errors.RecordError` (nothing after it can be found). Codecs: ``null`` and
``deflate`` (the two every Avro implementation must support).

The parsed schema is cached per schema text: the alerts of one stream share one schema, and
parsing ZTF's costs far more than decoding one alert.
"""

from __future__ import annotations

import functools
import io
import json
import zlib
from typing import Any

import fastavro
import msgspec

from core.errors import RecordError

__all__ = [
    "CONTAINER_MAGIC",
    "BlockError",
    "Container",
    "read_container",
    "read_first_prefix",
    "read_header",
]

CONTAINER_MAGIC = b"Obj\x01"
"""The first four bytes of an Avro object container file."""

_SYNC_SIZE = 16
_MAX_BLOCK_DATUMS = 1_000_000


class BlockError(msgspec.Struct, frozen=True):
    """A block that could not be read: its 0-based index and why."""

    block: int
    reason: str


class Container(msgspec.Struct, frozen=True):
    """What :func:`read_container` read: the writer's schema (as JSON), the datums in file
    order, and the blocks that were skipped."""

    schema: Any
    datums: list[Any]
    errors: list[BlockError]


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    # an Avro long: zig-zag, base-128 little-endian groups
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated integer")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise ValueError("integer longer than 10 bytes")


_KNOWN: dict[tuple[int, bytes, bytes], bytes] = {}
_KNOWN_MAX = 64
_EDGE = 256


def _interned(value: bytes) -> bytes:
    # one bytes object per distinct schema text: the schema caches below are keyed on it, and a
    # bytes object hashes its ~10-26 KiB once, not once a message (every ZTF packet repeats it)
    if len(value) < 4 * _EDGE:
        return value
    key = (len(value), value[:_EDGE], value[-_EDGE:])
    known = _KNOWN.get(key)
    if known is not None and known == value:
        return known
    if len(_KNOWN) < _KNOWN_MAX:
        _KNOWN[key] = value
    return value


def read_header(data: bytes | bytearray | memoryview) -> tuple[dict[str, bytes], bytes, int]:
    """``(metadata, sync marker, offset of the first block)`` of a container.

    Raises
    ------
    RecordError
        Not a container, or a header that cannot be read (``field`` ``"$"``).
    """
    view = memoryview(data)
    if bytes(view[:4]) != CONTAINER_MAGIC:
        raise RecordError("$", "not an Avro object container (no 'Obj\\x01' magic)")
    meta: dict[str, bytes] = {}
    pos = 4
    try:
        while True:
            count, pos = _varint(view, pos)
            if count == 0:
                break
            if count < 0:
                count = -count
                _, pos = _varint(view, pos)  # the block's byte size, not needed
            for _ in range(count):
                n, pos = _varint(view, pos)
                key = bytes(view[pos : pos + n]).decode("utf-8")
                pos += n
                n, pos = _varint(view, pos)
                if n < 0 or pos + n > len(view):
                    raise ValueError("metadata value runs past the end")
                meta[key] = _interned(bytes(view[pos : pos + n]))
                pos += n
        sync = bytes(view[pos : pos + _SYNC_SIZE])
        if len(sync) != _SYNC_SIZE:
            raise ValueError("no sync marker")
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError("$", f"Avro container header unreadable: {exc}") from None
    if "avro.schema" not in meta:
        raise RecordError("$", "Avro container header has no avro.schema")
    return meta, sync, pos + _SYNC_SIZE


@functools.lru_cache(maxsize=32)
def _parsed(schema_text: bytes) -> tuple[Any, Any]:
    schema = json.loads(schema_text)
    return schema, fastavro.parse_schema(schema)


def container_schema(data: bytes | bytearray | memoryview) -> Any:
    """The writer's schema (JSON) of a container, without reading its blocks.

    Raises
    ------
    RecordError
        As :func:`read_header`, or a schema that is not valid Avro.
    """
    meta, _, _ = read_header(data)
    return _schema_of(meta)[0]


def _schema_of(meta: dict[str, bytes]) -> tuple[Any, Any]:
    try:
        return _parsed(meta["avro.schema"])
    except Exception as exc:  # json and fastavro raise many kinds for a bad schema
        raise RecordError("$", f"Avro container schema unreadable: {exc}") from None


def read_container(
    data: bytes | bytearray | memoryview, *, max_datums: int = _MAX_BLOCK_DATUMS
) -> Container:
    """Every datum of a container, block by block (see the module doc).

    Raises
    ------
    RecordError
        The header or its schema cannot be read, an unsupported codec, or more than
        ``max_datums`` datums.
    """
    view = memoryview(data)
    meta, sync, pos = read_header(view)
    schema, parsed = _schema_of(meta)
    codec = meta.get("avro.codec", b"null").decode("ascii", "replace")
    if codec not in ("null", "deflate"):
        raise RecordError("$", f"Avro container codec {codec!r} is not supported (null, deflate)")
    datums: list[Any] = []
    errors: list[BlockError] = []
    block = 0
    end = len(view)
    while pos < end:
        try:
            count, p = _varint(view, pos)
            size, p = _varint(view, p)
            if not 0 <= count <= max_datums or size < 0 or p + size + _SYNC_SIZE > end:
                raise ValueError(f"block header out of range (count {count}, {size} bytes)")
            if bytes(view[p + size : p + size + _SYNC_SIZE]) != sync:
                raise ValueError("no sync marker after the block")
            raw = bytes(view[p : p + size])
            if codec == "deflate":
                raw = zlib.decompress(raw, -15)
            stream = io.BytesIO(raw)
            got = [fastavro.schemaless_reader(stream, parsed, None) for _ in range(count)]
            if stream.tell() != len(raw):
                raise ValueError(f"{len(raw) - stream.tell()} bytes left after the datums")
            if len(datums) + len(got) > max_datums:
                raise RecordError("$", f"more than {max_datums} datums in one container")
            datums += got
            pos = p + size + _SYNC_SIZE
        except RecordError:
            raise
        except Exception as exc:  # fastavro raises many kinds for a damaged datum
            errors.append(BlockError(block, _reason(exc)))
            nxt = bytes(view).find(sync, pos + 1)
            if nxt < 0:
                break
            pos = nxt + _SYNC_SIZE
        block += 1
    return Container(schema, datums, errors)


@functools.lru_cache(maxsize=32)
def _prefix(schema_text: bytes, last: str) -> Any:
    # the record's fields up to ``last``: Avro writes a record's fields in order, so a reader
    # of the first fields only stops there and never walks the rest
    schema = dict(json.loads(schema_text))
    names = [f.get("name") for f in schema.get("fields", ())]
    if last not in names:
        return None
    schema["fields"] = schema["fields"][: names.index(last) + 1]
    return fastavro.parse_schema(schema)


def read_first_prefix(data: bytes | bytearray | memoryview, last: str) -> dict[str, Any] | None:
    """The fields up to ``last`` of the one datum of a container of one (as ZTF sends each
    alert), without decoding the rest (a ZTF alert's ``candidate`` before its
    ``prv_candidates``), or None where that cannot be done cheaply (several datums, another
    codec, no such field, any damage): then read it whole."""
    try:
        view = memoryview(data)
        meta, sync, pos = read_header(view)
        if meta.get("avro.codec", b"null") != b"null":
            return None
        parsed = _prefix(meta["avro.schema"], last)
        if parsed is None:
            return None
        count, pos = _varint(view, pos)
        size, pos = _varint(view, pos)
        if count != 1 or size < 0 or pos + size + _SYNC_SIZE != len(view):
            return None
        if bytes(view[pos + size :]) != sync:
            return None
        out = fastavro.schemaless_reader(io.BytesIO(view[pos : pos + size]), parsed, None)
    except Exception:  # any damage: the whole read says what it is
        return None
    return out if isinstance(out, dict) else None


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError):
        text = f"datums truncated ({text})"
    return text[:200]
