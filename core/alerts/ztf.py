"""ZTF alerts -> ``neo.obs.v1`` observations of the known asteroid they are associated with.

A ZTF alert (schemas ``ztf.alert`` 1.x to 4.x, IPAC/Caltech, github.com/ZwickyTransientFacility
/ztf-avro-alert) carries one ``candidate`` (the alerting detection) and up to 30 days of
``prv_candidates`` (earlier detections and non-detections at the same place). IPAC matches each
detection against the MPC's known objects: ``ssnamenr`` is the nearest one's name and
``ssdistnr`` its distance in arcsec (``ssnamenr`` ``"null"`` or null and ``ssdistnr`` -999 when
there is none).

What becomes an observation of the object ``ssnamenr`` names:

* the candidate, when ``ssnamenr`` is set, ``0 <= ssdistnr <= max_ssdistnr_arcsec`` and the
  difference is positive (``isdiffpos`` ``t``/``1``);
* each ``prv_candidates`` row that is a detection (``candid`` set: the others are upper
  limits) of the same object under the same rule.

Each observation: the time is the middle of the exposure, ``jd + exptime / 2`` (``jd`` is the
UTC Julian date of the exposure's start in the ZTF schema; ``exptime`` 30 s where a 1.x alert
lacks it: ZTF's survey exposure), RA/Dec (deg, J2000), ``magpsf`` in the ZTF band of ``fid``
(1 ``g``, 2 ``r``, 3 ``i``), station ``I41`` (ZTF, Palomar), mode ``CCD``. The object is named
by its MPC designation: ZTF writes numbers (``"45538"``), ``"(97125)1999VG102"``, provisional
designations without their space (``"2010QX3"``) and packed forms; a number goes in ``permID``,
anything else in ``provID`` (:func:`core.contract.designations.canonical_designation` reads
them).

An alert without an association (or with one beyond the limit, or a negative difference) is
not an error: :class:`Unassociated` says why and the caller counts it. A value that cannot be
right is a :class:`~core.errors.RecordError` naming the field: a negative ``ssdistnr`` with
``ssnamenr`` set, a name that is no designation, a time before 1990 or in the future.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

import msgspec

from core.alerts.times import check_alert_time
from core.alerts.times import now_jd as clock_jd
from core.contract.designations import canonical_designation
from core.errors import RecordError

__all__ = [
    "DEFAULT_MAX_SSDISTNR_ARCSEC",
    "ZTF_STATION",
    "Unassociated",
    "is_ztf_alert",
    "ztf_designation",
    "ztf_tracklet",
]

ZTF_STATION = "I41"
"""MPC observatory code of the Zwicky Transient Facility (Palomar, 48-inch Oschin)."""

DEFAULT_MAX_SSDISTNR_ARCSEC = 5.0
"""Default greatest ``ssdistnr`` (arcsec) of an association: ZTF's astrometry is good to
~0.1", known orbits predict a numbered asteroid to well under 1"; IPAC's own search radius is
30", far too wide to take every match as the object."""

_BANDS = {1: "g", 2: "r", 3: "i"}
_DEFAULT_EXPTIME_S = 30.0
_JD_UNIX_EPOCH = 2_440_587.5
_SPACELESS = re.compile(r"([PCDXAI]/)?(\d{4})([A-Z]{1,2})(\d*)")
_SURVEY = re.compile(r"(\d{4})(P-L|T-[123])")
_NUMBERED = re.compile(r"\((\d+)\)\s*\S*")


class Unassociated(msgspec.Struct, frozen=True):
    """An alert that names no asteroid within the limit: ``reason`` is a metric label."""

    reason: str


def is_ztf_alert(fields: set[str] | frozenset[str]) -> bool:
    """Whether a record with these top-level field names is a ZTF alert."""
    return "candidate" in fields and "prv_candidates" in fields


def ztf_designation(name: str, where: str = "candidate.ssnamenr") -> str:
    """The canonical designation of a ZTF ``ssnamenr``.

    Raises
    ------
    RecordError
        When the name is no designation the MPC would know.
    """
    text = name.strip()
    numbered = _NUMBERED.fullmatch(text)
    if numbered:
        text = numbered.group(1)
    else:
        spaceless = _SPACELESS.fullmatch(text)
        survey = _SURVEY.fullmatch(text)
        if spaceless:
            prefix, year, letters, digits = spaceless.groups()
            text = f"{prefix or ''}{year} {letters}{digits}"
        elif survey:
            text = f"{survey.group(1)} {survey.group(2)}"
    try:
        return canonical_designation(text)
    except ValueError:
        raise RecordError(where, f"unreadable designation {name[:40]!r}") from None


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _iso(jd_utc: float) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=jd_utc - _JD_UNIX_EPOCH)
    millis = round(moment.microsecond / 1000)
    moment = moment.replace(microsecond=0) + timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _name(row: dict[str, Any]) -> str | None:
    name = row.get("ssnamenr")
    if not isinstance(name, str) or not name.strip() or name.strip().lower() == "null":
        return None
    return name


def ztf_tracklet(
    alert: dict[str, Any],
    *,
    max_ssdistnr_arcsec: float = DEFAULT_MAX_SSDISTNR_ARCSEC,
    now_jd: float | None = None,
) -> dict[str, Any] | Unassociated:
    """The ``neo.obs.v1`` tracklet (``{"observations": [...]}``) of one ZTF alert's asteroid,
    in time order, or why the alert names none.

    Raises
    ------
    RecordError
        ``field`` names the value (``candidate.ssdistnr``, ``prv_candidates[3].jd``...).
    """
    candidate = alert.get("candidate")
    if not isinstance(candidate, dict):
        raise RecordError("candidate", "a ZTF alert must carry its candidate")
    name = _name(candidate)
    if name is None:
        return Unassociated("no_association")
    designation = ztf_designation(name)
    distance = candidate.get("ssdistnr")
    if not _finite(distance):
        raise RecordError(
            "candidate.ssdistnr", f"must be a number with ssnamenr set, got {distance!r}"
        )
    if distance < 0:
        raise RecordError("candidate.ssdistnr", f"negative ({distance}) with ssnamenr {name!r}")
    if distance > max_ssdistnr_arcsec:
        return Unassociated("beyond_ssdistnr")
    if not _positive(candidate):
        return Unassociated("negative_difference")
    now = now_jd if now_jd is not None else clock_jd()
    rows = [_observation(candidate, designation, "candidate", now)]
    for k, prv in enumerate(alert.get("prv_candidates") or ()):
        if not isinstance(prv, dict) or prv.get("candid") is None:
            continue  # an upper limit, not a detection
        prv_name = _name(prv)
        if prv_name is None or not _positive(prv):
            continue
        where = f"prv_candidates[{k}]"
        if ztf_designation(prv_name, f"{where}.ssnamenr") != designation:
            continue  # another object detected at the same place
        d = prv.get("ssdistnr")
        if not _finite(d) or d < 0 or d > max_ssdistnr_arcsec:
            continue
        rows.append(_observation(prv, designation, where, now))
    rows.sort(key=lambda r: r["obsTime"])
    return {"observations": rows}


def _positive(row: dict[str, Any]) -> bool:
    return row.get("isdiffpos") not in ("f", "0")


def _number(row: dict[str, Any], name: str, where: str) -> float:
    value = row.get(name)
    if not _finite(value):
        raise RecordError(f"{where}.{name}", f"must be a finite number, got {value!r}")
    return float(value)


def _observation(
    row: dict[str, Any], designation: str, where: str, now_jd: float
) -> dict[str, Any]:
    jd, ra, dec = (_number(row, name, where) for name in ("jd", "ra", "dec"))
    check_alert_time(jd, f"{where}.jd", now_jd)
    exptime = row.get("exptime")
    exposure_s = float(exptime) if _finite(exptime) and exptime > 0 else _DEFAULT_EXPTIME_S
    out: dict[str, Any] = {
        "permID" if designation.isdigit() else "provID": designation,
        "obsTime": _iso(jd + exposure_s / 2.0 / 86_400.0),
        "ra": ra,
        "dec": dec,
        "stn": ZTF_STATION,
        "mode": "CCD",
    }
    mag = row.get("magpsf")
    if _finite(mag) and 0.0 < mag < 30.0:
        out["mag"] = round(float(mag), 4)
    band = _BANDS.get(row.get("fid"))  # type: ignore[arg-type]
    if band is not None:
        out["band"] = band
    return out
