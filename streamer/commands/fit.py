"""``neo-streamer fit``: orbits from astrometry, one fit per object, as neo.v1 records.

Reads an MPC 80-column, ADES PSV/CSV or neo.v1 JSONL file (``--format``, detected by default),
fits each object's orbit (:func:`core.orbits.fit.fit_orbit`: initial orbit, then the
differential correction with DE440/ASSIST), and writes one neo.v1 record per fitted object to
``--output`` (stdout with ``-``), which ``neo-streamer score`` reads as is. A readable summary
goes to stderr, with a progress bar when there are several objects and stderr is a terminal. An
object that cannot be fitted is reported as ``DESIGNATION: fit failed: REASON -> verdict
undetermined`` on stderr and
the others go on.

Exit code 0 when at least one object was fitted, 1 when none was, 2 when the input cannot be
read.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from core.orbits.result import OrbitFit

__all__ = ["add_arguments", "run"]

T = TypeVar("T")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``fit`` options to ``parser``."""
    parser.add_argument(
        "--input",
        required=True,
        type=Path,
        metavar="PATH",
        help="astrometry file (.gz read through gzip)",
    )
    parser.add_argument(
        "--format",
        choices=("obs80", "ades", "neo"),
        default=None,
        help="input format (default: detected)",
    )
    parser.add_argument(
        "--nongrav",
        choices=("auto", "none", "a1", "a1a2"),
        default="auto",
        help="non-gravitational terms: auto = A1 (then A2) only where significant (default)",
    )
    parser.add_argument(
        "--epoch",
        type=float,
        default=None,
        metavar="JD",
        help="epoch of the elements, TDB JD (default: mid-arc)",
    )
    parser.add_argument(
        "--output",
        default="-",
        metavar="PATH",
        help="neo.v1 JSONL of the fitted orbits; '-' = stdout (default)",
    )


def _progress(items: list[T], enabled: bool) -> Iterable[T]:
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is optional at run time
        return items
    return tqdm(items, desc="fitting", unit="object", file=sys.stderr, disable=None, leave=False)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def amr_text(fit: OrbitFit) -> tuple[str, str]:
    """(A/M, density) texts of the summary: for a significant A1 (|A1| / sigma > 3) the A/M's
    1-sigma range from A1's sigma at C_R = 1, with the C_R 1..2 range of the nominal value
    beside it, and the implied density; otherwise the 3-sigma upper bound of A/M (C_R = 1)
    and no density (issue 28: an insignificant A1 says nothing about the density)."""
    from core.orbits.srp import C_R_RANGE, SRP_AU_D2_PER_M2_KG

    a1, sigma = fit.a1_au_d2, fit.a1_sigma_au_d2
    if a1 is None or sigma is None or not math.isfinite(sigma) or sigma <= 0.0:
        return "-", "-"
    if abs(a1) / sigma <= 3.0:
        return f"<{(abs(a1) + 3.0 * sigma) / SRP_AU_D2_PER_M2_KG:.2g}", "-"
    lo, hi = (a1 - sigma) / SRP_AU_D2_PER_M2_KG, (a1 + sigma) / SRP_AU_D2_PER_M2_KG
    c_lo, c_hi = (
        a1 / (SRP_AU_D2_PER_M2_KG * C_R_RANGE[1]),
        a1 / (SRP_AU_D2_PER_M2_KG * C_R_RANGE[0]),
    )
    amr = f"{lo:.2g}..{hi:.2g} (C_R 1-2: {c_lo:.2g}..{c_hi:.2g})"
    density = fit.density_kg_m3()
    return amr, "-" if density is None else f"{density[1]:.0f}..{density[2]:.0f}"


def summary_line(designation: str, fit: OrbitFit) -> str:
    """One readable line per fitted object."""
    el = fit.elements
    a1 = "-"
    if fit.a1_au_d2 is not None:
        a1 = f"{fit.a1_au_d2:.2e}±{_fmt(fit.a1_sigma_au_d2, '.1e')}"
    amr, rho = amr_text(fit)
    bound = "BOUND" if fit.bound_to_earth else "no"
    return (
        f"{designation:<14} {fit.n_used:>5}/{fit.n_used + fit.n_rejected:<5} {fit.arc_days:>8.1f} "
        f"{fit.rms_arcsec:>5.2f} {_fmt(el.get('a_au'), '8.4f'):>8} {_fmt(el.get('e'), '.4f'):>6} "
        f"{_fmt(el.get('i_deg'), '6.2f'):>6} {_fmt(fit.moid_au, '.4f'):>7} {a1:>17} {amr:>13} "
        f"{rho:>11} {bound:>5} {_fmt(fit.min_geo_dist_au, '.4f'):>8}"
    )


HEADER = (
    f"{'object':<14} {'used/obs':>11} {'arc_d':>8} {'rms″':>5} {'a_au':>8} {'e':>6} {'i_deg':>6} "
    f"{'MOID':>7} {'A1 au/d²':>17} {'A/M m²/kg':>13} {'ρ kg/m³':>11} {'Earth':>5} {'min_geo':>8}"
)


def failure_record(
    designation: str, astrometry: object, exc: Exception
) -> tuple[dict[str, Any], str]:
    """The neo.v1 record of an object that was not fitted, and a note for the summary.

    The record has no orbit (neo.v1's ``orbit`` needs elements); ``meta.fit`` carries
    ``failed`` (the cause) and, for one night's tracklet, its verdict
    (:func:`core.orbits.geoscore.tracklet_verdict`): ``geocentric_score``,
    ``distance_min_au``/``distance_max_au``, and ``reasons`` with "possible artificial object"
    above a score of 10.
    """
    from core.orbits.astrometry import Astrometry
    from core.orbits.geoscore import tracklet_facts

    facts: dict[str, Any] = {"failed": str(exc) or type(exc).__name__}
    note = ""
    if isinstance(astrometry, Astrometry):
        facts.update(tracklet_facts(astrometry))
        if "geocentric_score" in facts:
            note = (
                f" — geocentric score {facts['geocentric_score']:.0f}, distance "
                f"{facts['distance_min_au']:.2g}..{facts['distance_max_au']:.2g} au"
            )
            if facts.get("reasons"):
                note += f" ({'; '.join(facts['reasons'])})"
    return {"designation": designation, "meta": {"source": "fit", "fit": facts}}, note


def run(args: argparse.Namespace) -> int:
    """Fit every object of ``args.input``; return the exit code."""
    import orjson

    from core.errors import FitError, FormatError
    from core.orbits.astrometry import read_astrometry
    from core.orbits.fit import fit_orbit
    from streamer.commands._jsonl import open_output

    try:
        objects = read_astrometry(args.input, args.format)
    except (FormatError, OSError, EOFError) as exc:
        print(f"neo-streamer fit: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    lines: list[str] = []
    fitted = failed = 0
    try:
        with open_output(args.output) as out:
            items = list(objects.items())
            for designation, astrometry in _progress(items, enabled=len(items) > 1):
                try:
                    if isinstance(astrometry, FitError):
                        raise astrometry
                    fit = fit_orbit(astrometry, nongrav=args.nongrav, epoch_jd=args.epoch)
                except FitError as exc:
                    failed += 1
                    record, note = failure_record(designation, astrometry, exc)
                    # every failure is a verdict (issue 28 item 4): undetermined, not natural
                    lines.append(f"{designation}: {exc}{note} -> verdict undetermined")
                    out.write(orjson.dumps(record) + b"\n")
                    continue
                fitted += 1
                lines.append(summary_line(designation, fit))
                out.write(
                    orjson.dumps(fit.to_neo_obj(designation), option=orjson.OPT_SERIALIZE_NUMPY)
                    + b"\n"
                )
    except OSError as exc:
        print(f"neo-streamer fit: cannot write {args.output}: {exc}", file=sys.stderr)
        return 2
    print(HEADER, file=sys.stderr)
    for line in lines:
        print(line, file=sys.stderr)
    print(f"fitted {fitted} objects, {failed} failed", file=sys.stderr)
    return 0 if fitted else 1
