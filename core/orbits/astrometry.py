"""Astrometry of one object, as columns, read from MPC 80-column, ADES or neo.v1 files.

The lines/rows are parsed by the project's own readers (:mod:`core.formats` groups a file per
object, :mod:`core.contract.observations` reads the 80-column and ADES fields); this module adds
what an orbit needs besides RA/Dec: the observation type (for default weights) and the position of
space-based and roving observers:

- obs80 two-line records: an ``S`` (satellite) or ``V`` (roving) line holds RA/Dec, the ``s``/``v``
  line after it the observer. ``s``: column 33 ``1`` (km) or ``2`` (au), then X, Y, Z geocentric
  equatorial J2000 in columns 35-46, 47-58, 59-70 (sign first). ``v``: longitude east (deg),
  latitude (deg) and altitude (m) in columns 35-44, 46-55, 57-61 (MPC, *Format of observation
  records*, "Observations from roving observers / satellites").
- ADES: ``sys`` ``ICRF_KM``/``ICRF_AU`` with ``ctr`` 399 and ``pos1..3`` (geocentric equatorial), or
  ``sys`` ``WGS84`` with ``pos1..3`` = longitude, latitude, altitude (m) (ADES 2022, IAU WG).

Radar lines and the ``X``/``x`` (deleted/replaced discovery) observations are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np

from core._types import FloatArray
from core.constants import AU_KM
from core.contract.observations import parse_ades_rows, parse_obs80_line
from core.errors import FitError, FormatError, RecordError
from core.formats import ades as ades_format
from core.formats import obs80 as obs80_format
from core.formats._common import open_text
from core.formats.detect import detect_format

__all__ = ["Astrometry", "AstrometryFormat", "read_astrometry"]

AstrometryFormat = Literal["obs80", "ades", "neo"]
_ADES_EXTRA = ("sys", "ctr", "pos1", "pos2", "pos3", "mode")
_SKIPPED_TYPES = frozenset("Xx")  # deleted / replaced discovery observations


class Astrometry(msgspec.Struct, frozen=True):
    """Optical astrometry of one object, one array entry per observation.

    Attributes
    ----------
    time_jd_utc, ra_deg, dec_deg : ndarray
        Observation times (UTC Julian dates; UT before 1961) and astrometric J2000 RA/Dec.
    rms_ra_arcsec, rms_dec_arcsec : ndarray
        Reported uncertainties (ADES ``rmsRA`` is of RA cos Dec); NaN = use the default weight.
    mag : ndarray
        Magnitudes, NaN when not given; ``band`` the band letters (None when not given).
    station : tuple of str
        MPC observatory codes.
    observer_pos_au : ndarray (n, 3) or None
        Heliocentric ecliptic J2000 observer positions when already known; None: computed from
        the stations (:func:`core.orbits.observers.observer_positions_au`).
    space_pos_au, roving_geodetic : ndarray (n, 3)
        Geocentric equatorial position of a space-based observer (au), and longitude/latitude/
        altitude (deg, deg, m) of a roving one; NaN rows for the others.
    obs_type : tuple of str
        obs80 column 15 (``C`` CCD, ``P`` photographic, ``S`` satellite, ...); ADES rows get ``C``
        unless ``mode`` says otherwise (``PHO`` -> ``P``).
    designation : str
        The object, as the file names it.
    """

    time_jd_utc: FloatArray
    ra_deg: FloatArray
    dec_deg: FloatArray
    rms_ra_arcsec: FloatArray
    rms_dec_arcsec: FloatArray
    mag: FloatArray
    band: tuple[str | None, ...]
    station: tuple[str, ...]
    observer_pos_au: FloatArray | None = None
    space_pos_au: FloatArray | None = None
    roving_geodetic: FloatArray | None = None
    obs_type: tuple[str, ...] = ()
    designation: str = ""

    def __len__(self) -> int:
        return int(self.time_jd_utc.size)

    @classmethod
    def from_columns(
        cls,
        time_jd_utc: Sequence[float] | FloatArray,
        ra_deg: Sequence[float] | FloatArray,
        dec_deg: Sequence[float] | FloatArray,
        station: Sequence[str],
        *,
        rms_ra_arcsec: Sequence[float] | FloatArray | None = None,
        rms_dec_arcsec: Sequence[float] | FloatArray | None = None,
        mag: Sequence[float] | FloatArray | None = None,
        band: Sequence[str | None] | None = None,
        observer_pos_au: FloatArray | None = None,
        space_pos_au: FloatArray | None = None,
        roving_geodetic: FloatArray | None = None,
        obs_type: Sequence[str] | None = None,
        designation: str = "",
    ) -> Astrometry:
        """Build from columns (missing optional columns become NaN / None / ``C``)."""
        t = np.asarray(time_jd_utc, dtype=np.float64).ravel()
        n = t.size

        def col(values: Sequence[float] | FloatArray | None) -> FloatArray:
            if values is None:
                return np.full(n, np.nan)
            arr = np.asarray(values, dtype=np.float64).ravel()
            if arr.size != n:
                raise ValueError("all columns must have the same length")
            return arr

        def rows3(values: FloatArray | None) -> FloatArray | None:
            if values is None:
                return None
            arr = np.asarray(values, dtype=np.float64)
            if arr.shape != (n, 3):
                raise ValueError(f"expected ({n}, 3) positions, got {arr.shape}")
            return arr

        if len(station) != n:
            raise ValueError("all columns must have the same length")
        return cls(
            time_jd_utc=t,
            ra_deg=col(ra_deg),
            dec_deg=col(dec_deg),
            rms_ra_arcsec=col(rms_ra_arcsec),
            rms_dec_arcsec=col(rms_dec_arcsec),
            mag=col(mag),
            band=tuple(band) if band is not None else (None,) * n,
            station=tuple(station),
            observer_pos_au=rows3(observer_pos_au),
            space_pos_au=rows3(space_pos_au),
            roving_geodetic=rows3(roving_geodetic),
            obs_type=tuple(obs_type) if obs_type is not None else ("C",) * n,
            designation=designation,
        )

    @classmethod
    def from_obs80(cls, lines: Sequence[str], designation: str = "") -> Astrometry:
        """Parse the 80-column lines of one object (two-line records included).

        Raises
        ------
        FitError
            A malformed line (its 1-based position in ``lines`` is named), an ``s``/``v``
            line without its first line, or no optical observation at all.
        """
        times, ras, decs, mags, bands, stations, types = [], [], [], [], [], [], []
        nan3 = (np.nan, np.nan, np.nan)
        space: list[tuple[float, float, float]] = []
        roving: list[tuple[float, float, float]] = []
        pending = ""  # "S" or "V" while a first line waits for its position line
        for i, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n")
            try:
                row = parse_obs80_line(line)
            except FormatError as exc:
                raise FitError(f"line {i} of {designation or 'the object'}: {exc}") from None
            kind = line[14]
            if row is None:
                if kind in "sv":
                    if pending != kind.upper():
                        raise FitError(f"line {i}: '{kind}' line without its '{kind.upper()}' line")
                    (space if kind == "s" else roving)[-1] = _second_line(line, i)
                    pending = ""
                continue  # radar
            if pending:
                raise FitError(f"line {i - 1}: '{pending}' line without its position line")
            if kind in _SKIPPED_TYPES:
                continue
            times.append(row.time_jd)
            ras.append(row.ra_deg)
            decs.append(row.dec_deg)
            mags.append(row.mag)
            bands.append(row.band)
            stations.append(row.station)
            types.append(kind)
            space.append(nan3)
            roving.append(nan3)
            pending = kind if kind in "SV" else ""
        if pending:
            raise FitError(f"the last '{pending}' line of {designation!r} lacks its position line")
        if not times:
            raise FitError(f"{designation or 'object'}: no optical observation")
        return cls.from_columns(
            times,
            ras,
            decs,
            stations,
            mag=mags,
            band=bands,
            space_pos_au=np.array(space),
            roving_geodetic=np.array(roving),
            obs_type=types,
            designation=designation,
        )

    @classmethod
    def from_ades(cls, rows: Sequence[Mapping[str, Any]], designation: str = "") -> Astrometry:
        """Parse ADES rows (mappings with the ADES field names) of one object.

        Raises
        ------
        FitError
            A row is invalid, or its observer position (``sys``/``ctr``/``pos1..3``) is.
        """
        try:
            arrays = parse_ades_rows(rows)
        except RecordError as exc:
            raise FitError(f"ADES {exc}") from None
        n = len(rows)
        space = np.full((n, 3), np.nan)
        roving = np.full((n, 3), np.nan)
        types = []
        for k, row in enumerate(rows):
            types.append("P" if str(row.get("mode", "")).upper() == "PHO" else "C")
            system = str(row.get("sys") or "").upper()
            if not system:
                continue
            try:
                pos = np.array([float(row[f"pos{j}"]) for j in (1, 2, 3)])
            except (KeyError, TypeError, ValueError):
                raise FitError(f"ADES row {k}: sys {system} without numeric pos1..pos3") from None
            if system == "WGS84":
                roving[k] = pos
                types[-1] = "V"
            elif system in ("ICRF_KM", "ICRF_AU"):
                if str(row.get("ctr", "399")).strip() != "399":
                    raise FitError(
                        f"ADES row {k}: ctr {row.get('ctr')} (only geocentric 399 is supported)"
                    )
                space[k] = pos / AU_KM if system == "ICRF_KM" else pos
                types[-1] = "S"
            else:
                raise FitError(f"ADES row {k}: unsupported observer system sys={system}")
        return cls(
            time_jd_utc=np.array(arrays.time_jd),
            ra_deg=np.array(arrays.ra_deg),
            dec_deg=np.array(arrays.dec_deg),
            rms_ra_arcsec=np.array(arrays.rms_ra_arcsec),
            rms_dec_arcsec=np.array(arrays.rms_dec_arcsec),
            mag=np.array(arrays.mag),
            band=arrays.band,
            station=arrays.station,
            space_pos_au=space,
            roving_geodetic=roving,
            obs_type=tuple(types),
            designation=designation,
        )

    def sorted_by_time(self) -> Astrometry:
        """The same observations in time order (stable)."""
        return self.take(np.argsort(self.time_jd_utc, kind="stable"))

    def select(self, mask: np.ndarray) -> Astrometry:
        """The observations where ``mask`` is true (boolean array), order kept."""
        return self.take(np.flatnonzero(mask))

    def take(self, idx: np.ndarray) -> Astrometry:
        """The observations at the integer positions ``idx``, in that order."""

        def rows(arr: FloatArray | None) -> FloatArray | None:
            return None if arr is None else arr[idx]

        return Astrometry(
            time_jd_utc=self.time_jd_utc[idx],
            ra_deg=self.ra_deg[idx],
            dec_deg=self.dec_deg[idx],
            rms_ra_arcsec=self.rms_ra_arcsec[idx],
            rms_dec_arcsec=self.rms_dec_arcsec[idx],
            mag=self.mag[idx],
            band=tuple(self.band[i] for i in idx),
            station=tuple(self.station[i] for i in idx),
            observer_pos_au=rows(self.observer_pos_au),
            space_pos_au=rows(self.space_pos_au),
            roving_geodetic=rows(self.roving_geodetic),
            obs_type=tuple(self.obs_type[i] for i in idx),
            designation=self.designation,
        )


def _second_line(line: str, lineno: int) -> tuple[float, float, float]:
    try:
        if line[14] == "s":
            unit = line[32]
            x, y, z = (float(line[a:b].replace(" ", "")) for a, b in ((34, 46), (46, 58), (58, 70)))
            if unit == "1":
                return (x / AU_KM, y / AU_KM, z / AU_KM)
            if unit == "2":
                return (x, y, z)
            raise ValueError(f"unit flag {unit!r} in column 33 (1 = km, 2 = au)")
        lon, lat, alt = (float(v) for v in line[34:70].split()[:3])
    except (ValueError, IndexError) as exc:
        raise FitError(f"line {lineno}: unreadable observer position: {exc}") from None
    return (lon, lat, alt)


def read_astrometry(
    path: str | Path, fmt: AstrometryFormat | None = None
) -> dict[str, Astrometry | FitError]:
    """Read a file of astrometry, grouped per object (first-appearance order).

    Parameters
    ----------
    path : str or Path
        An MPC 80-column file, an ADES PSV/CSV file, or neo.v1 JSON lines with
        ``observations`` (``*.gz`` read through gzip).
    fmt : {"obs80", "ades", "neo"}, optional
        Detected from the content when None.

    Returns
    -------
    dict
        Designation -> its :class:`Astrometry`, or the :class:`FitError` saying why that
        object's observations cannot be used (the other objects are unaffected).

    Raises
    ------
    FormatError
        The file as a whole cannot be read (unknown format, a line without designation).
    """
    name = fmt or _detect(path)
    out: dict[str, Astrometry | FitError] = {}
    if name == "obs80":
        with open_text(path) as fh:
            for rec in obs80_format.parse(fh):
                out[rec["designation"]] = _safe(
                    lambda r=rec: Astrometry.from_obs80(
                        r["observations"]["obs80"], r["designation"]
                    )
                )
    elif name == "ades":
        with open_text(path) as fh:
            for rec in ades_format.parse(fh, keep=_ADES_EXTRA):
                out[rec["designation"]] = _safe(
                    lambda r=rec: Astrometry.from_ades(r["observations"]["ades"], r["designation"])
                )
    elif name == "neo":
        with open_text(path) as fh:
            for lineno, line in enumerate(fh, start=1):
                if line.strip():
                    _neo_line(line, lineno, out)
    else:
        raise FormatError(f"not an astrometry format: {name!r} (obs80, ades or neo)")
    return out


def _neo_line(line: str, lineno: int, out: dict[str, Astrometry | FitError]) -> None:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not JSON: {exc.msg}", line=lineno) from None
    if not isinstance(rec, dict) or not isinstance(rec.get("designation"), str):
        raise FormatError("not a neo.v1 record (no designation)", line=lineno)
    key = rec["designation"]
    obs = rec.get("observations")
    if not isinstance(obs, dict) or not (obs.get("obs80") or obs.get("ades")):
        out[key] = FitError(f"{key}: the record carries no observations")
    elif obs.get("obs80"):
        out[key] = _safe(lambda: Astrometry.from_obs80(obs["obs80"], key))
    else:
        out[key] = _safe(lambda: Astrometry.from_ades(obs["ades"], key))


def _safe(build: Any) -> Astrometry | FitError:
    try:
        result: Astrometry = build()
    except FitError as exc:
        return exc
    return result


def _detect(path: str | Path) -> AstrometryFormat:
    with open_text(path) as fh:
        first = next((ln for ln in fh if ln.strip()), "")
    if first.lstrip().startswith("{"):
        return "neo"
    name = detect_format(path)
    if name not in ("obs80", "ades"):
        raise FormatError(f"{Path(path).name}: a {name} file holds no astrometry")
    return "obs80" if name == "obs80" else "ades"
