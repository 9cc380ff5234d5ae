"""Rubin alerts built from a schema and real catalogue values (for replays, tests, benchmarks).

The Rubin alert packages ship one sample alert, without solar-system content. This module
fills every field of an installed schema with its empty value (null where nullable, zero or
empty otherwise) and sets the solar-system parts from a ``neo.v1`` catalogue record: the
``mpc_orbits`` (10.0 on), ``MPCORB`` (8.x, 9.x) or ``ssObject`` (7.x) block, a diaSource at a
given time and place with optional trail cues. Values are real where the catalogue has them;
the detection itself (position, flux) is whatever the caller gives.
"""

from __future__ import annotations

from typing import Any

from core.lsst.mapping import NONGRAV_UNIT_AU_D2
from core.lsst.wire import schema_for

__all__ = ["empty_datum", "make_alert"]

_PRIMITIVE_EMPTY: dict[str, Any] = {
    "null": None, "boolean": False, "int": 0, "long": 0, "float": 0.0, "double": 0.0,
    "string": "", "bytes": b"",
}  # fmt: skip


def empty_datum(schema: Any, names: dict[str, Any] | None = None) -> Any:
    """The emptiest valid datum of a parsed Avro schema (null first where a union allows it)."""
    names = {} if names is None else names
    if isinstance(schema, str):
        if schema in _PRIMITIVE_EMPTY:
            return _PRIMITIVE_EMPTY[schema]
        return empty_datum(names[schema], names)
    if isinstance(schema, list):
        return None if "null" in schema else empty_datum(schema[0], names)
    kind = schema["type"]
    if kind == "record":
        names[schema["name"]] = schema
        return {f["name"]: empty_datum(f["type"], names) for f in schema["fields"]}
    if kind == "array":
        return []
    if kind == "map":
        return {}
    if kind == "enum":
        return schema["symbols"][0]
    if kind == "fixed":
        return b"\0" * schema["size"]
    return empty_datum(kind, names)


def _record_schema(schema: Any, field: str) -> Any:
    for f in schema["fields"]:
        if f["name"] == field:
            t = f["type"]
            return next(x for x in t if x != "null") if isinstance(t, list) else t
    raise KeyError(field)


def make_alert(
    schema_id: int,
    record: dict[str, Any],
    *,
    mjd_tai: float,
    ra_deg: float,
    dec_deg: float,
    dia_source_id: int,
    ss_object_id: int,
    psf_flux_njy: float = 5_000.0,
    band: str = "r",
    trail_length_arcsec: float | None = None,
    streak: bool = False,
    glint: bool = False,
) -> dict[str, Any]:
    """An alert of schema ``schema_id`` whose solar-system parts come from ``record``.

    ``record`` is a ``neo.v1`` object (``orbit``, ``physical.H``, ``nongrav`` as the catalogue
    has them); ``nongrav`` values are written back in the MPC's 10^-10 au/d^2.
    """
    schema = schema_for(schema_id)
    names: dict[str, Any] = {}
    alert = empty_datum(schema, names)
    source = alert["diaSource"]
    source.update(
        diaSourceId=dia_source_id, ssObjectId=ss_object_id, midpointMjdTai=mjd_tai,
        ra=ra_deg, dec=dec_deg, raErr=2.8e-5, decErr=2.8e-5, psfFlux=psf_flux_njy,
        psfFluxErr=psf_flux_njy / 50.0, band=band,
    )  # fmt: skip
    if "diaSourceId" in alert:
        alert["diaSourceId"] = dia_source_id
    else:
        alert["alertId"] = dia_source_id
    if trail_length_arcsec is not None:
        source["trailLength"] = trail_length_arcsec
        source["trailAngle"] = 37.0
    if "pixelFlags_streak" in source:
        source["pixelFlags_streak"] = streak
    if "glint_trail" in source:
        source["glint_trail"] = glint
    orbit = record.get("orbit") or {}
    h = (record.get("physical") or {}).get("H")
    designation = record["designation"]
    if "mpc_orbits" in alert:
        row = empty_datum(_record_schema(schema, "mpc_orbits"), names)
        row.update(designation=designation, unpacked_primary_provisional_designation=designation)
        pairs = (
            ("a", "a_au"), ("q", "q_au"), ("e", "e"), ("i", "i_deg"), ("node", "node_deg"),
            ("argperi", "peri_deg"), ("mean_anomaly", "M_deg"), ("earth_moid", "moid_au"),
        )  # fmt: skip
        for col, key in pairs:
            row[col] = orbit.get(key)
        sigma = orbit.get("sigma") or {}
        for col, key in (("a_unc", "a_au"), ("e_unc", "e"), ("i_unc", "i_deg")):
            row[col] = sigma.get(key)
        if orbit.get("epoch_jd") is not None:
            row["epoch_mjd"] = orbit["epoch_jd"] - 2_400_000.5
        row["h"] = h
        for col, key in (("a1", "A1"), ("a2", "A2"), ("a3", "A3")):
            value = (record.get("nongrav") or {}).get(key)
            row[col] = None if value is None else value / NONGRAV_UNIT_AU_D2
        alert["mpc_orbits"] = row
        alert["ssSource"] = empty_datum(_record_schema(schema, "ssSource"), names)
        alert["ssSource"].update(ssObjectId=ss_object_id, diaSourceId=dia_source_id)
    elif "MPCORB" in alert:
        row = empty_datum(_record_schema(schema, "MPCORB"), names)
        mpcorb_pairs: tuple[tuple[str, str], ...] = (
            ("a", "a_au"), ("q", "q_au"), ("e", "e"), ("incl", "i_deg"), ("node", "node_deg"),
            ("peri", "peri_deg"), ("M", "M_deg"),
        )  # fmt: skip
        for col, key in mpcorb_pairs:
            row[col] = orbit.get(key)
        row.update(mpcDesignation=designation, ssObjectId=ss_object_id, mpcH=h)
        if orbit.get("epoch_jd") is not None:
            row["epoch"] = orbit["epoch_jd"] - 2_400_000.5
        alert["MPCORB"] = row
        alert["ssSource"] = empty_datum(_record_schema(schema, "ssSource"), names)
        alert["ssSource"].update(ssObjectId=ss_object_id, diaSourceId=dia_source_id)
    elif "ssObject" in alert:
        row = empty_datum(_record_schema(schema, "ssObject"), names)
        row.update(ssObjectId=ss_object_id, MOID=orbit.get("moid_au"), r_H=h)
        alert["ssObject"] = row
    out: dict[str, Any] = alert
    return out
