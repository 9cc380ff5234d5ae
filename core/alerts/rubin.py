"""Rubin alerts recognised by their fields, whatever their schema is called.

The brokers redistribute Rubin alerts with their own schema: Fink writes an Avro container
whose top-level record is ``topLevelRecord`` (or ``topLevelRecord.value``) with the Rubin
fields (``diaSourceId``, ``diaSource``, ``prvDiaSources``, ``ssSource``, ``MPCORB`` or
``mpc_orbits``, the cutouts) and its own (``brokerIngestMjd``, ``lsst_schema_version``...).
A record is a Rubin alert when it carries a ``diaSource`` record (at the top level, or in the one
record field that wraps it). The schema version it was written with is, in order:

* the broker's ``lsst_schema_version`` text (``"lsst.v9_0"``), when present;
* else read from the fields: ``mpc_orbits`` is 10.0 on, ``MPCORB`` 8.x-9.x (taken as 9.0),
  ``ssObject`` 7.x (7.0), none of them 9.0.

Fields no installed Rubin schema has (the broker's) are ignored and their names returned, so
the caller counts them (the daemon's unknown-fields metric). The mapping itself is
:func:`core.lsst.mapping.alert_to_obj`'s: orbit with its sigmas and A1/A2/A3 where the alert gives
them, the detection and ``prvDiaSources`` as ADES rows, times from TAI to UTC.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from core.errors import RecordError

__all__ = ["is_rubin_alert", "rubin_alert", "rubin_fields"]

_VERSION = re.compile(r"(?:lsst\.)?v?(\d+)[._](\d+)(?:\.alert)?")


@functools.cache
def rubin_fields() -> frozenset[str]:
    """Every top-level field name of every installed Rubin alert schema (7.0 on)."""
    from core.lsst.wire import installed_schema_ids, schema_for

    names: set[str] = set()
    for schema_id in installed_schema_ids():
        names.update(f["name"] for f in schema_for(schema_id)["fields"])
    return frozenset(names)


def is_rubin_alert(fields: set[str] | frozenset[str]) -> bool:
    """Whether a record with these top-level field names is a Rubin alert."""
    return "diaSource" in fields


def _unwrap(record: dict[str, Any]) -> dict[str, Any]:
    if "diaSource" in record:
        return record
    inner = [v for v in record.values() if isinstance(v, dict) and "diaSource" in v]
    if len(inner) == 1:
        return inner[0]
    raise RecordError("diaSource", "not a Rubin alert: no diaSource record")


def rubin_alert(
    record: dict[str, Any], unknown: list[str] | None = None
) -> tuple[int, dict[str, Any]]:
    """``(schema id, alert)`` of a record that carries a Rubin alert (see the module doc).

    ``unknown`` receives the names of the fields no Rubin schema has.

    Raises
    ------
    RecordError
        No ``diaSource``, or an ``lsst_schema_version`` that is no Rubin version.
    """
    alert = _unwrap(record)
    if not isinstance(alert.get("diaSource"), dict):
        raise RecordError("diaSource", "a Rubin alert must carry its diaSource")
    schema_id = _schema_id(alert if "lsst_schema_version" in alert else record)
    if unknown is not None:
        known = rubin_fields()
        unknown.extend(k for k in alert if k not in known)
    return schema_id, alert


def _schema_id(alert: dict[str, Any]) -> int:
    text = alert.get("lsst_schema_version")
    if isinstance(text, str) and text.strip():
        match = _VERSION.fullmatch(text.strip())
        if match is None:
            raise RecordError("lsst_schema_version", f"not a Rubin schema version: {text[:40]!r}")
        return int(match.group(1)) * 100 + int(match.group(2))
    if "mpc_orbits" in alert:
        return 1000
    if "MPCORB" in alert:
        return 900
    if "ssObject" in alert:
        return 700
    return 900
