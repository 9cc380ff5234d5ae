"""The ``neo.deadletter.v1`` output: an input the daemon could not score, with the reason.

Declared once, as a msgspec struct: the daemon builds each dead letter as a :class:`DeadLetter`
and encodes it (``streamer/pipeline/batch.py``), and ``docs/schemas/neo.deadletter.v1.schema.json``
is generated from it (``scripts/build_schemas.py``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["MAX_ORIGINAL_BYTES", "DeadLetter", "DeadLetterSource"]

MAX_ORIGINAL_BYTES = 600_000
"""A dead letter carries at most this many bytes of the message it answers."""

_Text = Annotated[str, msgspec.Meta(min_length=1)]
_Count = Annotated[int, msgspec.Meta(ge=0)]


class DeadLetterSource(msgspec.Struct, frozen=True, gc=False):
    """The input message a dead letter answers."""

    topic: str
    partition: _Count
    offset: _Count


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An input the daemon could not score: why (``field`` and ``reason``, ``error_type`` the
    exception's class), the message itself (base64, its first :data:`MAX_ORIGINAL_BYTES`
    bytes), its key and where it came from."""

    schema: Literal["neo.deadletter.v1"] = "neo.deadletter.v1"
    reason: _Text
    field: _Text
    error_type: str
    original: Annotated[
        str,
        msgspec.Meta(
            description=f"the message's first {MAX_ORIGINAL_BYTES:,} bytes, base64",
            extra_json_schema={"contentEncoding": "base64"},
        ),
    ]
    original_is_null: bool
    original_bytes: _Count
    original_truncated: bool
    source: DeadLetterSource
    key: str | None
