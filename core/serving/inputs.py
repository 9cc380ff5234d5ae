"""Which decoder turns an input message into a ``neo.v1`` record: ``[input] format``.

======  =====================================================================================
neo     ``neo.v1`` JSON (:func:`core.contract.records.decode_record`)
lsst    a Rubin/LSST alert: Confluent wire header + Avro (:func:`core.lsst.decode_lsst_record`),
        or an Avro container of one Rubin alert by its fields (a broker's, :mod:`core.alerts`)
ztf     ZTF alert packets (Avro containers): observations for the per-object state
        (:mod:`core.alerts.route`); any other message is a dead letter saying what it is
auto    per message (:func:`core.alerts.message.sniff`): a first byte 0 is the wire format (a
        schema id that is not installed is then a dead letter naming it), an Avro container
        is ZTF or Rubin by its fields, anything else is read as ``neo.v1`` JSON
======  =====================================================================================

Under every format a ``neo.obs.v1`` message goes to the state, as ZTF alerts do under ``ztf``
and ``auto`` (:func:`core.alerts.route.to_state`); the decoders below never see them.

Light to import (``streamer.config`` takes :data:`InputFormat` from here, before numpy may be
loaded): the decoders are imported when one is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from core.contract.records import NeoRecord

__all__ = ["INPUT_FORMATS", "Decoder", "InputFormat", "decoder_for"]

InputFormat = Literal["neo", "lsst", "ztf", "auto"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("neo", "lsst", "ztf", "auto")


class Decoder(Protocol):
    """Bytes of one message -> a validated record; ``unknown`` collects dropped field paths."""

    def __call__(self, data: object, *, unknown: list[str] | None = None) -> NeoRecord:
        """Decode ``data``; raises :class:`core.errors.RecordError` when it cannot."""
        ...


_WHAT = {
    "lsst-wire": "a Rubin wire-format alert (use format lsst or auto)",
    "container": "an Avro container of another schema",
    "json": "JSON (use format neo or auto)",
    "text": "text",
}


def decoder_for(input_format: InputFormat) -> Decoder:
    """The decoder of one ``[input] format``: bytes of one message -> a validated record.

    Every decoder raises :class:`core.errors.RecordError` for a message it cannot read. A Rubin
    alert has no unknown fields to drop: its schema id names every field it carries.
    """
    from core.alerts.message import sniff
    from core.contract.records import decode_record
    from core.errors import RecordError
    from core.lsst import decode_lsst_container, decode_lsst_record

    def lsst(data: object, *, unknown: list[str] | None = None) -> NeoRecord:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise RecordError("$", f"a Rubin alert must be bytes, got {type(data).__name__}")
        if sniff(data) == "container":
            return decode_lsst_container(bytes(data), unknown=unknown)
        return decode_lsst_record(bytes(data))

    def ztf(data: object, *, unknown: list[str] | None = None) -> NeoRecord:
        # only what is no ZTF alert reaches here: a ZTF alert goes to the state
        what = sniff(data) if isinstance(data, (bytes, bytearray, memoryview)) else "text"
        raise RecordError("$", f"not a ZTF alert packet (an Avro container): {_WHAT[what]}")

    def auto(data: object, *, unknown: list[str] | None = None) -> NeoRecord:
        if isinstance(data, (bytes, bytearray, memoryview)):
            kind = sniff(data)
            if kind == "lsst-wire":
                return decode_lsst_record(bytes(data))
            if kind == "container":  # a Rubin one: a ZTF alert went to the state
                return decode_lsst_container(bytes(data), unknown=unknown)
        return decode_record(data, unknown=unknown)

    if input_format == "neo":
        return decode_record
    if input_format == "lsst":
        return lsst
    if input_format == "ztf":
        return ztf
    if input_format == "auto":
        return auto
    raise ValueError(f"unknown input format {input_format!r}; choose from {INPUT_FORMATS}")
