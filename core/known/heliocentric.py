"""Known objects on heliocentric or cislunar orbits: a JSON-lines table, propagated with ASSIST.

One object per line::

    {"name": "...", "designation": "1991 VG", "norad_id": null, "cospar_id": null,
     "status": "suspected_artificial", "orbit": {neo.v1 orbit: a_au (or q_au), e, i_deg,
     node_deg, peri_deg, M_deg, epoch_jd (TDB)}, "nongrav": {"a1": ..., "a2": ..., "a3": ...}}

or, instead of ``orbit``, a state vector (cislunar objects, a spacecraft's ephemeris point)::

    "state": {"epoch_jd_tdb": ..., "r_au": [x, y, z], "v_au_d": [vx, vy, vz]}

heliocentric ecliptic J2000, the frame of the orbit code. Objects are propagated with
:func:`core.orbits.propagate.propagate` (ASSIST: DE440 planets and Moon, GR, Earth J2-J4, the
Marsden non-gravitational terms when given) and observed as :mod:`core.orbits.predict` does
(light time, astrometric). ``status`` is ``artificial`` (a catalogued spacecraft or stage) or
``suspected_artificial`` (an object whose artificial origin was proposed but never shown).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core._types import FloatArray
from core.known.errors import CatalogueError
from core.orbits.elements import elements_to_state

__all__ = [
    "BUNDLED_TABLE",
    "HelioObject",
    "HelioStatus",
    "parse_heliocentric_lines",
    "read_heliocentric",
]

HelioStatus = Literal["artificial", "suspected_artificial"]
BUNDLED_TABLE = Path(__file__).resolve().parents[2] / "data" / "known_heliocentric.jsonl"
"""The table this project ships (data/SOURCES.md says what it holds and where it comes from)."""


@dataclass(frozen=True, slots=True)
class HelioObject:
    """One known object with its heliocentric ecliptic J2000 state at ``epoch_jd_tdb``."""

    name: str
    designation: str | None
    norad_id: int | None
    cospar_id: str | None
    status: HelioStatus
    state6: FloatArray
    epoch_jd_tdb: float
    a123: tuple[float, float, float]
    elements: dict[str, float] | None
    source: str


def _num(obj: dict[str, Any], key: str, where: str) -> float:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}.{key} must be a finite number")
    return float(value)


def _opt_str(rec: dict[str, Any], key: str) -> str | None:
    value = rec.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty string")
    return value.strip()


def _state(rec: dict[str, Any]) -> tuple[FloatArray, float, dict[str, float] | None]:
    if isinstance(rec.get("orbit"), dict):
        orb = rec["orbit"]
        a = _num(orb, "a_au", "orbit") if orb.get("a_au") is not None else None
        q = _num(orb, "q_au", "orbit") if a is None else None
        els = {k: _num(orb, k, "orbit") for k in ("e", "i_deg", "node_deg", "peri_deg", "M_deg")}
        epoch = _num(orb, "epoch_jd", "orbit")
        state = elements_to_state(
            a, els["e"], els["i_deg"], els["node_deg"], els["peri_deg"], els["M_deg"], q_au=q
        )
        elements = dict(els, a_au=a) if a is not None else dict(els, q_au=float(q or 0.0))
        return np.asarray(state, dtype=np.float64), epoch, elements
    if isinstance(rec.get("state"), dict):
        st = rec["state"]
        r, v = st.get("r_au"), st.get("v_au_d")
        if not (isinstance(r, list) and isinstance(v, list) and len(r) == 3 and len(v) == 3):
            raise ValueError("state.r_au and state.v_au_d must be 3 numbers each")
        vec = np.array([float(x) for x in (*r, *v)], dtype=np.float64)
        if not np.all(np.isfinite(vec)) or np.linalg.norm(vec[:3]) == 0.0:
            raise ValueError("state must be finite and not at the Sun's centre")
        return vec, _num(st, "epoch_jd_tdb", "state"), None
    raise ValueError("an object needs an 'orbit' or a 'state'")


def _object(rec: Any, where: str) -> HelioObject:
    if not isinstance(rec, dict):
        raise ValueError("a line must be a JSON object")
    name = _opt_str(rec, "name") or _opt_str(rec, "designation")
    if name is None:
        raise ValueError("an object needs a name or a designation")
    status = rec.get("status", "artificial")
    if status not in ("artificial", "suspected_artificial"):
        raise ValueError("status must be 'artificial' or 'suspected_artificial'")
    norad = rec.get("norad_id")
    if norad is not None and (isinstance(norad, bool) or not isinstance(norad, int)):
        raise ValueError("norad_id must be an integer")
    state, epoch, elements = _state(rec)
    ng = rec.get("nongrav") or {}
    if not isinstance(ng, dict):
        raise ValueError("nongrav must be an object")
    a123 = tuple(_num(ng, k, "nongrav") if k in ng else 0.0 for k in ("a1", "a2", "a3"))
    return HelioObject(
        name=name,
        designation=_opt_str(rec, "designation"),
        norad_id=norad,
        cospar_id=_opt_str(rec, "cospar_id"),
        status=status,
        state6=state,
        epoch_jd_tdb=epoch,
        a123=(a123[0], a123[1], a123[2]),
        elements=elements,
        source=where,
    )


def parse_heliocentric_lines(lines: Iterable[str], path: str = "<table>") -> Iterator[HelioObject]:
    """The objects of a table's lines (blank lines and ``#`` comments skipped).

    Raises
    ------
    CatalogueError
        A line that is not JSON or not a valid object, with its line number.
    """
    for lineno, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            rec = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogueError(path, lineno, f"not JSON: {exc.msg}") from None
        try:
            yield _object(rec, f"{path}:{lineno}")
        except (ValueError, TypeError) as exc:
            raise CatalogueError(path, lineno, str(exc)) from None


def read_heliocentric(path: str) -> list[HelioObject]:
    """Every object of a table file (see :func:`parse_heliocentric_lines`)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return list(parse_heliocentric_lines(fh, path))
    except OSError as exc:
        raise CatalogueError(path, None, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CatalogueError(path, None, f"not UTF-8 text: {exc.reason}") from None
