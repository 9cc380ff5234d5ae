"""Which decoder turns an input message into a ``neo.v1`` record: ``[input] format``.

======  =====================================================================================
neo     ``neo.v1`` JSON (:func:`core.contract.records.decode_record`)
lsst    a Rubin/LSST alert: Confluent wire header + Avro (:func:`core.lsst.decode_lsst_record`)
auto    per message: a first byte 0 is the wire format (a schema id that is not installed is
        then a dead letter naming it), anything else is read as ``neo.v1`` JSON
======  =====================================================================================

Light to import (``streamer.config`` takes :data:`InputFormat` from here, before numpy may be
loaded): the decoders are imported when one is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from core.contract.records import NeoRecord

__all__ = ["INPUT_FORMATS", "Decoder", "InputFormat", "decoder_for"]

InputFormat = Literal["neo", "lsst", "auto"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("neo", "lsst", "auto")


class Decoder(Protocol):
    """Bytes of one message -> a validated record; ``unknown`` collects dropped field paths."""

    def __call__(self, data: object, *, unknown: list[str] | None = None) -> NeoRecord:
        """Decode ``data``; raises :class:`core.errors.RecordError` when it cannot."""
        ...


def decoder_for(input_format: InputFormat) -> Decoder:
    """The decoder of one ``[input] format``: bytes of one message -> a validated record.

    Every decoder raises :class:`core.errors.RecordError` for a message it cannot read. A Rubin
    alert has no unknown fields to drop: its schema id names every field it carries.
    """
    from core.contract.records import decode_record
    from core.errors import RecordError
    from core.lsst import decode_lsst_record

    def lsst(data: object, *, unknown: list[str] | None = None) -> NeoRecord:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise RecordError("$", f"a Rubin alert must be bytes, got {type(data).__name__}")
        return decode_lsst_record(bytes(data))

    def auto(data: object, *, unknown: list[str] | None = None) -> NeoRecord:
        if isinstance(data, (bytes, bytearray, memoryview)) and data[:1] == b"\x00":
            return decode_lsst_record(bytes(data))
        return decode_record(data, unknown=unknown)

    if input_format == "neo":
        return decode_record
    if input_format == "lsst":
        return lsst
    if input_format == "auto":
        return auto
    raise ValueError(f"unknown input format {input_format!r}; choose from {INPUT_FORMATS}")
