"""Rubin/LSST alerts as input: the wire format, the schemas, the mapping to ``neo.v1``.

>>> record = decode_lsst_record(message)          # doctest: +SKIP

:func:`decode_lsst_record` is what the daemon calls per message under ``[input] format =
"lsst"`` (or ``"auto"``); :func:`alert_to_obj` gives the ``neo.v1`` object itself, as
``neo-streamer convert`` prints it.
"""

from __future__ import annotations

from typing import Any

from core.contract.records import NeoRecord, record_from_obj
from core.errors import RecordError
from core.lsst.mapping import alert_key, alert_to_obj
from core.lsst.wire import decode_alert, encode_alert, installed_schema_ids, is_lsst_message

__all__ = [
    "alert_key",
    "alert_to_obj",
    "decode_alert",
    "decode_lsst_container",
    "decode_lsst_record",
    "encode_alert",
    "installed_schema_ids",
    "is_lsst_message",
]


def decode_lsst_container(data: bytes, *, unknown: list[str] | None = None) -> NeoRecord:
    """The validated ``neo.v1`` record of a message that is an Avro container of one Rubin
    alert, recognised by its fields (a broker's redistribution:
    :func:`core.alerts.message.decode_rubin_container`); ``unknown`` receives the names of the
    broker's own fields, which are ignored.

    Raises
    ------
    RecordError
        As :func:`core.alerts.message.decode_rubin_container` and :func:`decode_lsst_record`.
    """
    from core.alerts.message import decode_rubin_container

    schema_id, alert = decode_rubin_container(data, unknown=unknown)
    return _mapped(alert, schema_id)


def decode_lsst_record(data: bytes) -> NeoRecord:
    """The validated ``neo.v1`` record of one Rubin alert in the wire format.

    Raises
    ------
    RecordError
        As :func:`decode_alert`, :func:`alert_to_obj` and
        :func:`core.contract.records.record_from_obj` (a mapped value outside the contract names the
        ``neo.v1`` field).
    """
    schema_id, alert = decode_alert(data)
    return _mapped(alert, schema_id)


def _mapped(alert: dict[str, Any], schema_id: int) -> NeoRecord:
    try:
        return record_from_obj(alert_to_obj(alert, schema_id))
    except RecordError:
        raise
    except (KeyError, TypeError, ValueError) as exc:  # a field of an unexpected shape
        raise RecordError("$", f"Rubin alert could not be mapped: {exc!r}") from None
