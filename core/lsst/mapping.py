"""Rubin/LSST alert -> ``neo.v1`` record: the solar-system content mapped to the project's types.

What is read (schema 7.x to 11.x of ``lsst/alert_packet``):

==================  =========================================================================
alert part          becomes
==================  =========================================================================
``mpc_orbits``      (10.0 on) ``orbit`` (a, q, e, i, node, argperi, mean anomaly, epoch, Earth
                    MOID, U as condition code) with ``orbit.sigma`` from the ``*_unc`` columns;
                    ``physical.H``; ``nongrav`` A1/A2/A3 with their sigma (units below)
``MPCORB``          (8.x, 9.x) ``orbit`` and ``physical.H`` (no uncertainties in these schemas)
``ssObject``        (7.x) no orbit in these schemas: its id keys the record, MOID and the r-band
                    H go to ``meta``
``diaSource`` and   one ADES row each (``observations.ades``): time, RA/Dec with their errors,
``prvDiaSources``   band, an AB magnitude from the PSF flux, station ``X05`` (Rubin's MPC code)
``diaSource``       the trail/streak cues of the alerting detection: ``trail``
==================  =========================================================================

Units of the non-gravitational terms. The MPC's own description of its ``mpc_orbits`` table
(docs of the MPC's replicated tables, "Schema: mpc_orbits") gives ``a1``, ``a2``, ``a3`` and
``yarkovsky`` in 10^-10 au/d^2 and ``srp`` in m^2/ton; the Rubin schema's doc strings give
``a1``-``a3`` in m^2/ton, copied from ``srp``. An A1/A2 in m^2/ton is not an acceleration, and
the one real MPC orbit with a fitted Yarkovsky term that ships here (2012 HN13, MPC orbit JSON
of ``mpc-orb`` 0.2.6: yarkovsky = -0.00119 +/- 0.00016) gives A2 = -1.19e-13 au/d^2 in 10^-10
au/d^2: the natural Yarkovsky size of a body of H = 22.96 (D ~ 0.1-0.2 km,
:data:`core.constants.A2_NATURAL_AU_D2_KM` / D = 0.6-1.2e-13). Read as m^2/ton it would be
meaningless. So: ``A_k [au/d^2] = a_k * 1e-10`` (and ``yarkovsky`` for A2 when ``a2`` is null),
``srp`` is an area-to-mass ratio (``srp * 1e-3`` m^2/kg), kept in ``meta.srp_m2_kg``.

Times: ``midpointMjdTai`` is TAI; ADES ``obsTime`` is UTC, converted with ERFA's leap-second
table. ``raErr`` is an error in the RA coordinate (deg): ADES ``rmsRA`` is in arcsec of
RA*cos(Dec), so ``rmsRA = raErr * 3600 * cos(dec)``. The magnitude is the AB magnitude of the PSF
flux (nJy): ``m = 31.4 - 2.5 log10(f)`` (AB zero point 3631 Jy, Oke & Gunn 1983); absent for a
non-positive difference flux.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime, timedelta
from typing import Any, TypeGuard

import erfa

from core.alerts.times import check_alert_time, now_jd
from core.contract.designations import canonical_designation
from core.errors import RecordError

__all__ = ["NONGRAV_UNIT_AU_D2", "RUBIN_STATION", "alert_key", "alert_to_obj"]

RUBIN_STATION = "X05"
"""MPC observatory code of the Vera C. Rubin Observatory (Rubin Observatory, Cerro Pachon)."""

NONGRAV_UNIT_AU_D2 = 1e-10
"""The unit of ``mpc_orbits.a1``-``a3`` and ``yarkovsky``: 10^-10 au/d^2 (see the module doc)."""

_AB_ZERO_POINT_NJY_MAG = 2.5 * math.log10(3631e9)  # 31.40: m_AB = this - 2.5 log10(f_nJy)
_MJD_ZERO = 2_400_000.5
_MJD_EPOCH = datetime(1858, 11, 17)  # MJD 0
_MAX_ROWS = 10_000


def _version(schema_id: int) -> str:
    return f"{schema_id // 100}.{schema_id % 100}"


def alert_key(alert: dict[str, Any]) -> str:
    """The id the alert's object is keyed on: the solar-system object's id, else the source's.

    For a known asteroid ``diaObject`` is null; ``ssObjectId`` (of the diaSource, or of the
    ssSource/ssObject block) identifies it across alerts. A source with neither is keyed on its
    own ``diaSourceId``.
    """
    ss = _ss_object_id(alert)
    if ss is not None:
        return f"ss:{ss}"
    source = alert.get("diaSource") or {}
    ident = alert.get("diaSourceId", source.get("diaSourceId"))
    return f"dia:{ident}"


def _ss_object_id(alert: dict[str, Any]) -> int | None:
    source = alert.get("diaSource") or {}
    for part in (source, alert.get("ssSource") or {}, alert.get("ssObject") or {}):
        value = part.get("ssObjectId")
        if value:  # 0 and null both mean "none" in the Rubin schemas
            return int(value)
    return None


def alert_to_obj(alert: dict[str, Any], schema_id: int) -> dict[str, Any]:
    """The ``neo.v1`` object (not yet validated) of one decoded alert.

    Raises
    ------
    RecordError
        When the alert has no diaSource, or more rows than a record may carry.
    """
    source = alert.get("diaSource")
    if not isinstance(source, dict):
        raise RecordError("diaSource", "a Rubin alert must carry its diaSource")
    orbit_row = alert.get("mpc_orbits") or alert.get("MPCORB")
    obj: dict[str, Any] = {"designation": _designation(alert, orbit_row)}
    meta: dict[str, Any] = {
        "source": "lsst",
        "lsst_schema": _version(schema_id),
        "key": alert_key(alert),
        "diaSourceId": source.get("diaSourceId", alert.get("diaSourceId")),
    }
    ss = _ss_object_id(alert)
    if ss is not None:
        meta["ssObjectId"] = ss
    if orbit_row is not None:
        _orbit_part(obj, meta, orbit_row, modern="mpc_orbits" in alert)
    ss_object = alert.get("ssObject")
    if isinstance(ss_object, dict) and schema_id < 800:  # 7.x: no orbit in the alert
        for name, key in (("MOID", "moid_au"), ("r_H", "H_r")):
            if _finite(ss_object.get(name)):
                meta[key] = float(ss_object[name])
    rows = [source, *(alert.get("prvDiaSources") or ())]
    if len(rows) > _MAX_ROWS:
        raise RecordError("prvDiaSources", f"more than {_MAX_ROWS} detections in one alert")
    now = now_jd()
    for k, row in enumerate(rows):
        if isinstance(row, dict) and _finite(mjd := row.get("midpointMjdTai")):
            where = "diaSource" if k == 0 else f"prvDiaSources[{k - 1}]"
            check_alert_time(mjd + _MJD_ZERO, f"{where}.midpointMjdTai", now)
    ades = [r for r in map(_ades_row, rows) if r is not None]
    ades.sort(key=lambda r: r["obsTime"])
    if ades:
        obj["observations"] = {"ades": ades}
    trail = _trail(source)
    if trail:
        obj["trail"] = trail
    obj["meta"] = meta
    return obj


def _designation(alert: dict[str, Any], orbit_row: dict[str, Any] | None) -> str:
    labels: list[Any] = []
    if orbit_row is not None:
        labels += [
            orbit_row.get("designation"),
            orbit_row.get("unpacked_primary_provisional_designation"),
            orbit_row.get("mpcDesignation"),
        ]
    labels.append((alert.get("ssSource") or {}).get("designation"))
    for label in labels:
        if isinstance(label, str) and label.strip():
            try:
                return canonical_designation(label)
            except ValueError:
                return label.strip()
    return "LSST " + alert_key(alert)


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _orbit_part(
    obj: dict[str, Any], meta: dict[str, Any], row: dict[str, Any], *, modern: bool
) -> None:
    names = (
        {"a": "a", "q": "q", "e": "e", "i": "i", "node": "node", "peri": "argperi",
         "M": "mean_anomaly", "epoch": "epoch_mjd", "H": "h"}
        if modern
        else {"a": "a", "q": "q", "e": "e", "i": "incl", "node": "node", "peri": "peri",
              "M": "M", "epoch": "epoch", "H": "mpcH"}
    )  # fmt: skip
    get = {k: row.get(v) for k, v in names.items()}
    if _finite(get["H"]):
        obj["physical"] = {"H": float(get["H"])}
    if not (_finite(get["e"]) and _finite(get["i"]) and (_finite(get["a"]) or _finite(get["q"]))):
        return  # no usable orbit: the observations alone are scored
    orbit: dict[str, Any] = {"e": float(get["e"] or 0.0), "i_deg": float(get["i"] or 0.0)}
    for key, name in (("a_au", "a"), ("q_au", "q"), ("node_deg", "node"), ("peri_deg", "peri"),
                      ("M_deg", "M")):  # fmt: skip
        value = get[name]
        if _finite(value):
            orbit[key] = float(value)
    if orbit.get("a_au") is not None and orbit["e"] >= 1.0:
        orbit.pop("a_au")  # the contract takes q for open orbits
    if _finite(get["epoch"]):
        orbit["epoch_jd"] = float(get["epoch"]) + _MJD_ZERO
    if modern:
        if _finite(row.get("earth_moid")) and row["earth_moid"] >= 0:
            orbit["moid_au"] = float(row["earth_moid"])
        u = row.get("u_param")
        if isinstance(u, int) and 0 <= u <= 9:
            orbit["condition_code"] = u
        sigma = {
            key: float(row[col])
            for key, col in (("a_au", "a_unc"), ("q_au", "q_unc"), ("e", "e_unc"),
                             ("i_deg", "i_unc"), ("node_deg", "node_unc"),
                             ("peri_deg", "argperi_unc"), ("M_deg", "mean_anomaly_unc"))
            if _finite(row.get(col)) and row[col] >= 0 and key in orbit
        }  # fmt: skip
        if sigma:
            orbit["sigma"] = sigma
        _nongrav_part(obj, meta, row)
    obj["orbit"] = orbit


def _nongrav_part(obj: dict[str, Any], meta: dict[str, Any], row: dict[str, Any]) -> None:
    nongrav: dict[str, float] = {}
    a2_col = "a2" if _finite(row.get("a2")) else "yarkovsky"
    for key, col in (("A1", "a1"), ("A2", a2_col), ("A3", "a3")):
        if _finite(row.get(col)):
            nongrav[key] = float(row[col]) * NONGRAV_UNIT_AU_D2
            unc = row.get(f"{col}_unc")
            if _finite(unc) and unc >= 0:
                nongrav[f"{key}_sigma"] = float(unc) * NONGRAV_UNIT_AU_D2
    if nongrav:
        obj["nongrav"] = nongrav
    if _finite(row.get("srp")):
        meta["srp_m2_kg"] = float(row["srp"]) * 1e-3
        if _finite(row.get("srp_unc")):
            meta["srp_sigma_m2_kg"] = float(row["srp_unc"]) * 1e-3


@functools.lru_cache(maxsize=64)
def _tai_minus_utc_s(mjd_day: int) -> float:
    """TAI - UTC (s) on a day, from ERFA's leap-second table (``eraDat``)."""
    year, month, day, _ = erfa.jd2cal(_MJD_ZERO, float(mjd_day))
    return float(erfa.dat(int(year), int(month), int(day), 0.0))


def _obs_time(mjd_tai: float) -> str:
    # TAI -> UTC with the day's leap-second count (cached per day: docs/performance.md). A
    # detection inside a leap second itself (23:59:60) is shown as the next second.
    offset_s = _tai_minus_utc_s(math.floor(mjd_tai))
    ms = round((mjd_tai * 86_400.0 - offset_s) * 1000.0)
    when = _MJD_EPOCH + timedelta(milliseconds=ms)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _ades_row(source: dict[str, Any]) -> dict[str, Any] | None:
    mjd, ra, dec = source.get("midpointMjdTai"), source.get("ra"), source.get("dec")
    if not (_finite(mjd) and _finite(ra) and _finite(dec)):
        return None
    row: dict[str, Any] = {
        "obsTime": _obs_time(float(mjd)),
        "ra": float(ra) % 360.0,
        "dec": float(dec),
        "stn": RUBIN_STATION,
    }
    ra_err, dec_err = source.get("raErr"), source.get("decErr")
    if _finite(ra_err) and ra_err > 0:
        row["rmsRA"] = float(ra_err) * 3600.0 * math.cos(math.radians(dec))
    if _finite(dec_err) and dec_err > 0:
        row["rmsDec"] = float(dec_err) * 3600.0
    flux = source.get("psfFlux")
    if _finite(flux) and flux > 0:
        row["mag"] = round(_AB_ZERO_POINT_NJY_MAG - 2.5 * math.log10(flux), 3)
    band = source.get("band")
    if isinstance(band, str) and band:
        row["band"] = band
    return row


def _trail(source: dict[str, Any]) -> dict[str, Any]:
    trail: dict[str, Any] = {}
    failed = source.get("trail_flag") is True  # 11.x: the trail fit failed
    length = source.get("trailLength")
    if not failed and _finite(length) and length >= 0:
        trail["length_arcsec"] = float(length)
        angle = source.get("trailAngle")
        if _finite(angle):
            trail["angle_deg"] = float(angle)
    streak = (
        source.get("pixelFlags_streak") is True or source.get("pixelFlags_streakCenter") is True
    )
    if streak:
        trail["streak"] = True
    if source.get("glint_trail") is True:
        trail["glint"] = True
    if trail.get("length_arcsec") == 0.0 and len(trail) <= 2:
        return {}  # a zero-length fit and no flag: a point source
    return trail
