"""Minor-planet and comet designations: MPC packed forms and one canonical form for matching.

The canonical designation is the key every parser emits as ``designation`` and every
cross-source join uses:

* a numbered minor planet is its number alone: ``"433"`` (not ``"(433) Eros"``,
  not ``"433 Eros (A898 PA)"``, not ``"00433"``);
* an unnumbered one is its principal provisional designation, unpacked: ``"2024 PT5"``,
  ``"6344 P-L"``;
* a numbered periodic comet is ``"1P"``; any other comet ``"C/2023 E1"``, ``"P/2024 L4"``.

So the rule is "number if numbered, else provisional designation"; names and the bracketed
alternate designations of SBDB/CNEOS labels are dropped.

References: MPC "Packed Provisional and Permanent Designations"
(https://minorplanetcenter.net/iau/info/PackedDes.html).
"""

from __future__ import annotations

import re

__all__ = [
    "canonical_designation",
    "pack_number",
    "pack_provisional",
    "unpack_designation",
    "unpack_number",
    "unpack_provisional",
]

# 0-9, A-Z, a-z: the MPC's base-62 digit alphabet (packed numbers, cycle counts).
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B62_VALUE = {c: i for i, c in enumerate(_B62)}
_CENTURY = {"I": 18, "J": 19, "K": 20}
_CENTURY_LETTER = {v: k for k, v in _CENTURY.items()}
_SURVEYS = {"PL": "P-L", "T1": "T-1", "T2": "T-2", "T3": "T-3"}
_SURVEY_PACKED = {v: k for k, v in _SURVEYS.items()}
# Numbers 620,000 and above are packed as "~" plus four base-62 digits.
_TILDE_BASE = 620_000

_PACKED_PROV = re.compile(r"[IJK]\d\d[A-HJ-Y][0-9A-Za-z]\d[A-HJ-Z]")
_PACKED_SURVEY = re.compile(r"(PL|T[123])S(\d{4})")
_PACKED_NUMBER = re.compile(r"[0-9A-Za-z]\d{4}|~[0-9A-Za-z]{4}")
_PACKED_COMET = re.compile(r"([PCDXIA])([IJK]\d\d[A-HJ-Y]\d\d)([0a-z])")
_PACKED_PERIODIC = re.compile(r"(\d{4})([PDI])")
_PROV = re.compile(r"(\d{4}) ([A-HJ-Y])([A-HJ-Z])(\d*)")
_SURVEY = re.compile(r"(\d{4}) (P-L|T-[123])")
_OLD_PROV = re.compile(r"A\d{3} [A-HJ-Y][A-HJ-Z]")
# Comet labels: "1P/Halley", "C/2023 E1 (ATLAS)", old-style "C/1942 EA (Vaisala)".
_COMET = re.compile(r"(\d+[PDI])(?:-[A-Z]+)?(?:/|$)|([PCDXIA])/(\d{4} [A-Z]{1,2}\d*(?:-[A-Z])?)")
_NUMBER_FIRST = re.compile(r"\(?(\d+)\)?(?:\s.*)?")


def unpack_number(packed: str) -> int:
    """Unpack an MPC packed minor-planet number.

    ``"00433"`` → 433, ``"A0345"`` → 100345, ``"~0000"`` → 620000.

    Raises
    ------
    ValueError
        If ``packed`` is not a packed number.
    """
    if not _PACKED_NUMBER.fullmatch(packed):
        raise ValueError(f"not a packed minor-planet number: {packed!r}")
    if packed[0] == "~":
        value = 0
        for c in packed[1:]:
            value = value * 62 + _B62_VALUE[c]
        return _TILDE_BASE + value
    return _B62_VALUE[packed[0]] * 10_000 + int(packed[1:])


def pack_number(number: int) -> str:
    """Pack a minor-planet number into the MPC's 5-character form (inverse of `unpack_number`).

    Raises
    ------
    ValueError
        If ``number`` is not in 1 … 620,000 + 62**4 - 1.
    """
    if number < 1 or number >= _TILDE_BASE + 62**4:
        raise ValueError(f"number out of the packable range: {number}")
    if number < _TILDE_BASE:
        return _B62[number // 10_000] + f"{number % 10_000:04d}"
    rest = number - _TILDE_BASE
    digits = ""
    for _ in range(4):
        rest, d = divmod(rest, 62)
        digits = _B62[d] + digits
    return "~" + digits


def unpack_provisional(packed: str) -> str:
    """Unpack a 7-character packed provisional or survey designation.

    ``"K24P05T"`` → ``"2024 PT5"``, ``"J95X00A"`` → ``"1995 XA"``,
    ``"PLS2040"`` → ``"2040 P-L"``, ``"T1S3138"`` → ``"3138 T-1"``.

    Raises
    ------
    ValueError
        If ``packed`` is neither form.
    """
    survey = _PACKED_SURVEY.fullmatch(packed)
    if survey:
        return f"{survey.group(2)} {_SURVEYS[survey.group(1)]}"
    if not _PACKED_PROV.fullmatch(packed):
        raise ValueError(f"not a packed provisional designation: {packed!r}")
    year = _CENTURY[packed[0]] * 100 + int(packed[1:3])
    cycle = _B62_VALUE[packed[4]] * 10 + int(packed[5])
    return f"{year} {packed[3]}{packed[6]}{cycle if cycle else ''}"


def pack_provisional(designation: str) -> str:
    """Pack ``"2024 PT5"`` into ``"K24P05T"`` (and ``"2040 P-L"`` into ``"PLS2040"``).

    Raises
    ------
    ValueError
        If ``designation`` is not an unpacked provisional or survey designation that the
        7-character packed form can hold (years 1800-2099, cycle count below 620).
    """
    survey = _SURVEY.fullmatch(designation)
    if survey:
        return f"{_SURVEY_PACKED[survey.group(2)]}S{survey.group(1)}"
    m = _PROV.fullmatch(designation)
    if not m:
        raise ValueError(f"not a provisional designation: {designation!r}")
    year, half, order, cycle_text = m.groups()
    century = _CENTURY_LETTER.get(int(year) // 100)
    cycle = int(cycle_text) if cycle_text else 0
    if century is None or cycle >= 620:
        raise ValueError(f"cannot pack {designation!r} into 7 characters")
    return f"{century}{year[2:]}{half}{_B62[cycle // 10]}{cycle % 10}{order}"


def _unpack_comet(packed: str) -> str | None:
    periodic = _PACKED_PERIODIC.fullmatch(packed)
    if periodic:
        return f"{int(periodic.group(1))}{periodic.group(2)}"
    m = _PACKED_COMET.fullmatch(packed)
    if not m:
        return None
    kind, body, fragment = m.groups()
    year = _CENTURY[body[0]] * 100 + int(body[1:3])
    number = int(body[4:6])
    suffix = "" if fragment == "0" else f"-{fragment.upper()}"
    return f"{kind}/{year} {body[3]}{number}{suffix}"


def unpack_designation(packed: str) -> str:
    """Unpack any MPC packed designation into its canonical form.

    Handles packed numbers (``"00433"`` → ``"433"``), provisional and survey designations
    (``"K08T03C"`` → ``"2008 TC3"``), and comets (``"0001P"`` → ``"1P"``,
    ``"CJ95O010"`` → ``"C/1995 O1"``). Surrounding blanks are ignored.

    Raises
    ------
    ValueError
        If the text is not a packed designation.
    """
    text = packed.strip()
    if _PACKED_NUMBER.fullmatch(text):
        return str(unpack_number(text))
    if len(text) == 7 and (_PACKED_PROV.fullmatch(text) or _PACKED_SURVEY.fullmatch(text)):
        return unpack_provisional(text)
    comet = _unpack_comet(text)
    if comet is not None:
        return comet
    raise ValueError(f"not a packed designation: {packed!r}")


def canonical_designation(text: str) -> str:
    """Map any designation label to the canonical matching key (see the module docstring).

    Accepts packed forms (``"K19Q01E"``, ``"00433"``), MPC readable forms (``"(433) Eros"``,
    ``"2019 AB"``, ``"6344 P-L"``), SBDB ``full_name`` (``"   433 Eros (A898 PA)"``,
    ``"       (2008 TC3)"``, ``"    1P/Halley"``, ``"C/2023 E1 (ATLAS)"``) and CNEOS
    ``Object`` labels (``"(2019 QE1)"``, ``"504800 (2010 CO1)"``).

    Raises
    ------
    ValueError
        If nothing designation-like can be found in ``text``.
    """
    text = " ".join(text.split())
    if not text:
        raise ValueError("empty designation")
    if " " not in text:
        try:
            return unpack_designation(text)
        except ValueError:
            pass
    comet = _COMET.match(text)
    if comet:
        return comet.group(1) or f"{comet.group(2)}/{comet.group(3)}"
    bare = text[1:-1] if text.startswith("(") and text.endswith(")") else text
    for pattern in (_PROV, _SURVEY, _OLD_PROV):
        if pattern.fullmatch(bare):
            return bare
    numbered = _NUMBER_FIRST.fullmatch(text)
    if numbered:
        return str(int(numbered.group(1)))
    # An unnumbered object with a name but no number does not exist; a label like
    # "Eros (A898 PA)" still carries its designation in brackets.
    inner = re.search(r"\(([^()]+)\)", text)
    if inner and inner.group(1) != text:
        return canonical_designation(inner.group(1))
    raise ValueError(f"no designation found in {text!r}")
