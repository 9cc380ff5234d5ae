"""JPL Small-Body Database (SBDB) query CSV exports → neo.v1 orbit/physical records.

Columns are found by their SBDB names, so any export layout works; the ones used:

============================== =============================================
SBDB column                    neo.v1
============================== =============================================
``full_name`` (else ``pdes``)  ``designation`` (canonical, see core.contract.designations)
``e``, ``a``, ``q``, ``i``     ``orbit.e``, ``orbit.a_au``, ``orbit.q_au``, ``orbit.i_deg``
``om``, ``w``, ``ma``          ``orbit.node_deg``, ``orbit.peri_deg``, ``orbit.M_deg``
``epoch`` (JD TDB)             ``orbit.epoch_jd``
``moid`` (au)                  ``orbit.moid_au``
``condition_code``             ``orbit.condition_code``
``H``, ``diameter`` (km)       ``physical.H``, ``physical.diameter_km``
``albedo``, ``rot_per`` (h)    ``physical.albedo``, ``physical.rot_per_h``
``spec_B`` (else ``spec_T``)   ``physical.spectral_type`` (SMASS first, then Tholen)
``A1``, ``A2``, ``A3``         ``nongrav.A1/A2/A3`` (au/d²)
``sigma_a``, ``sigma_q``,      ``orbit.sigma.a_au``, ``.q_au``, ``.e``, ``.i_deg``,
``sigma_e``, ``sigma_i``,      ``.node_deg``, ``.peri_deg``, ``.M_deg`` (1-sigma, the
``sigma_om``, ``sigma_w``,     element's unit)
``sigma_ma``
``A1_sigma`` .. ``A3_sigma``   ``nongrav.A1_sigma`` .. ``A3_sigma`` (au/d²)
============================== =============================================

For e >= 1 SBDB reports a negative ``a``; the record then carries ``q_au`` only (and no
``sigma.a_au``), as the neo.v1 contract asks. When rounding makes ``a*(1-e)`` and ``q``
disagree by more than 0.5 % (4-digit exports of near-parabolic comets), ``a`` is dropped and
``q`` kept.

Rows with ``spkid`` 0 are not SBDB objects (SPK-IDs start at
1,000,000; one public export has hand-added "The sun"/"The earth" rows with spkid 0) and are
skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any, TextIO

from core.contract.designations import canonical_designation
from core.errors import FormatError
from core.formats._common import check_width, compact, optional_float

__all__ = ["parse"]

_ORBIT = (
    ("a", "a_au"),
    ("q", "q_au"),
    ("e", "e"),
    ("i", "i_deg"),
    ("om", "node_deg"),
    ("w", "peri_deg"),
    ("ma", "M_deg"),
    ("epoch", "epoch_jd"),
    ("moid", "moid_au"),
)
_PHYSICAL = (
    ("H", "H"),
    ("diameter", "diameter_km"),
    ("albedo", "albedo"),
    ("rot_per", "rot_per_h"),
)
_AQ_AGREE = 5e-3  # relative; half the validator's tolerance, so kept pairs validate
_NONGRAV = (
    ("A1", "A1"), ("A2", "A2"), ("A3", "A3"),
    ("A1_sigma", "A1_sigma"), ("A2_sigma", "A2_sigma"), ("A3_sigma", "A3_sigma"),
)  # fmt: skip
_SIGMA = (
    ("sigma_a", "a_au"),
    ("sigma_q", "q_au"),
    ("sigma_e", "e"),
    ("sigma_i", "i_deg"),
    ("sigma_om", "node_deg"),
    ("sigma_w", "peri_deg"),
    ("sigma_ma", "M_deg"),
)


def _floats(row: dict[str, str], names: tuple[tuple[str, str], ...], lineno: int) -> dict[str, Any]:
    return compact(
        {
            ours: optional_float(row.get(theirs) or "", line=lineno, field=theirs)
            for theirs, ours in names
        }
    )


def _orbit(row: dict[str, str], lineno: int) -> dict[str, Any] | None:
    orbit = _floats(row, _ORBIT, lineno)
    code = (row.get("condition_code") or "").strip()
    if code:
        if not code.isdigit():
            raise FormatError(f"condition_code: not an integer: {code!r}", line=lineno)
        orbit["condition_code"] = int(code)
    if not orbit:
        return None
    if "e" not in orbit or "i_deg" not in orbit:
        raise FormatError("orbit without e or i", line=lineno)
    a, q, e = orbit.get("a_au"), orbit.get("q_au"), orbit["e"]
    if e >= 1 or (a is not None and q is not None and abs(a * (1 - e) - q) > _AQ_AGREE * q):
        # Rounded exports (4 significant digits) of near-parabolic orbits make a*(1-e)
        # disagree with q; q is the well-determined element there, so it is kept.
        orbit.pop("a_au", None)
    if "a_au" not in orbit and "q_au" not in orbit:
        raise FormatError("orbit without a or q", line=lineno)
    sigma = _floats(row, _SIGMA, lineno)
    if "a_au" not in orbit:
        sigma.pop("a_au", None)
    if sigma:
        orbit["sigma"] = sigma
    return orbit


def _designation(row: dict[str, str], lineno: int) -> str:
    label = (row.get("full_name") or row.get("pdes") or "").strip()
    try:
        return canonical_designation(label)
    except ValueError:
        raise FormatError(f"no designation in {label!r}", line=lineno) from None


def parse(stream: TextIO) -> Iterator[dict[str, Any]]:
    """Parse an open SBDB CSV export into one record dict per object row.

    Raises
    ------
    FormatError
        With the 1-based line number, for a header without ``full_name``/``pdes`` or ``e``,
        a row of the wrong width, a non-numeric value, or an incomplete orbit.
    """
    reader = csv.reader(stream, skipinitialspace=True)
    header = [h.strip() for h in next(reader, [])]
    if not header or not ({"full_name", "pdes"} & set(header)) or "e" not in header:
        raise FormatError("not an SBDB export: the header lacks full_name/pdes or e", line=1)
    for values in reader:
        lineno = reader.line_num
        if not any(v.strip() for v in values):
            continue
        check_width(values, header, lineno)
        row = {k: v.strip() for k, v in zip(header, values, strict=True)}
        if row.get("spkid") == "0":
            continue
        record: dict[str, Any] = {"designation": _designation(row, lineno)}
        orbit = _orbit(row, lineno)
        if orbit is not None:
            record["orbit"] = orbit
        physical = _floats(row, _PHYSICAL, lineno)
        spectral = row.get("spec_B") or row.get("spec_T")
        if spectral:
            physical["spectral_type"] = spectral
        if physical:
            record["physical"] = physical
        nongrav = _floats(row, _NONGRAV, lineno)
        if nongrav:
            record["nongrav"] = nongrav
        record["meta"] = {"source": "sbdb"}
        yield record
