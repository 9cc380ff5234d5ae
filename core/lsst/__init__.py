"""Rubin/LSST alerts as input: the wire format, the schemas, the mapping to ``neo.v1``.

>>> record = decode_lsst_record(message)          # doctest: +SKIP

:func:`decode_lsst_record` is what the daemon calls per message under ``[input] format =
"lsst"`` (or ``"auto"``); :func:`alert_to_obj` gives the ``neo.v1`` object itself, as
``neo-streamer convert`` prints it.
"""

from __future__ import annotations

from core.contract.records import NeoRecord, record_from_obj
from core.errors import RecordError
from core.lsst.mapping import alert_key, alert_to_obj
from core.lsst.wire import decode_alert, encode_alert, installed_schema_ids, is_lsst_message

__all__ = [
    "alert_key",
    "alert_to_obj",
    "decode_alert",
    "decode_lsst_record",
    "encode_alert",
    "installed_schema_ids",
    "is_lsst_message",
]


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
    try:
        return record_from_obj(alert_to_obj(alert, schema_id))
    except RecordError:
        raise
    except (KeyError, TypeError, ValueError) as exc:  # a field of an unexpected shape
        raise RecordError("$", f"Rubin alert could not be mapped: {exc!r}") from None
