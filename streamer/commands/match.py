"""``neo-streamer match``: each object's observations against the known artificial objects.

Reads astrometry (MPC 80-column, ADES PSV/CSV, or neo.v1 JSONL with observations; ``--format``
detected by default) and a catalogue: the TLE/OMM/heliocentric-table files of ``--known`` (any
number) and the bundled heliocentric table (``data/known_heliocentric.jsonl``, left out with
``--no-bundled``). Every object is matched as Find_Orb's ``sat_id`` does
(:func:`core.known.match.match_astrometry`), and one JSON line per object goes to ``--output``::

    {"designation": ..., "known_match": {best match} or null, "matches": [...],
     "catalogue_size": N, "catalogue_date": ISO, "nearest": {"name", "separation_arcsec"},
     "skipped": [element sets SGP4 could not propagate to these times]}

A readable line per object goes to stderr. Exit code 0, or 2 when the input or a catalogue file
cannot be read (the catalogue error names the file and line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``match`` options to ``parser``."""
    parser.add_argument("--input", required=True, type=Path, metavar="OBS", help="astrometry file")
    parser.add_argument(
        "--format", choices=("obs80", "ades", "neo"), default=None, help="default: detected"
    )
    parser.add_argument(
        "--known",
        action="append",
        default=[],
        metavar="PATH",
        help="catalogue file: .tle/.txt/.3le (TLE), .xml/.json/.csv (OMM), .jsonl (orbits); "
        "repeatable",
    )
    parser.add_argument(
        "--no-bundled", action="store_true", help="leave out the bundled heliocentric table"
    )
    parser.add_argument(
        "--max-age-days",
        type=float,
        default=None,
        metavar="D",
        help="use element sets at most D days from the observations (default 60)",
    )
    parser.add_argument("--output", default="-", metavar="PATH", help="JSON lines; '-' = stdout")


def run(args: argparse.Namespace) -> int:
    """Match every object of ``args.input``; return the exit code."""
    import dataclasses

    import msgspec

    from core.errors import FitError, FormatError
    from core.known.catalogue import load_catalogue
    from core.known.errors import CatalogueError
    from core.known.match import match_astrometry
    from core.known.tolerances import Tolerances
    from core.orbits.astrometry import read_astrometry
    from streamer.commands._jsonl import open_output

    try:
        catalogue = load_catalogue(args.known, bundled=not args.no_bundled)
    except CatalogueError as exc:
        print(f"neo-streamer match: catalogue: {exc}", file=sys.stderr)
        return 2
    try:
        objects = read_astrometry(args.input, args.format)
    except (FormatError, OSError, EOFError) as exc:
        print(f"neo-streamer match: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    tol = Tolerances()
    if args.max_age_days is not None:
        tol = dataclasses.replace(tol, max_age_days=args.max_age_days)
    print(
        f"catalogue: {len(catalogue.element_sets)} element sets, "
        f"{len(catalogue.heliocentric)} heliocentric objects",
        file=sys.stderr,
    )
    encoder = msgspec.json.Encoder()
    try:
        with open_output(args.output) as out:
            for designation, astrometry in objects.items():
                if isinstance(astrometry, FitError):
                    print(f"{designation}: unusable observations: {astrometry}", file=sys.stderr)
                    continue
                try:
                    report = match_astrometry(catalogue, astrometry, tol)
                except FitError as exc:  # an unknown station, a space observer without position
                    print(f"{designation}: {exc}", file=sys.stderr)
                    continue
                best = report.best
                line = {
                    "designation": designation,
                    "known_match": best,
                    "matches": report.matches,
                    "catalogue_size": report.catalogue_size,
                    "catalogue_date": report.catalogue_date,
                    "nearest": {
                        "name": report.nearest_name,
                        "separation_arcsec": report.nearest_separation_arcsec,
                    },
                    "skipped": report.skipped,
                }
                out.write(encoder.encode(line) + b"\n")
                if best is None:
                    near = report.nearest_separation_arcsec
                    where = "" if near is None else f' (nearest {report.nearest_name}, {near:.0f}")'
                    print(f"{designation}: no known object{where}", file=sys.stderr)
                else:
                    print(
                        f"{designation}: {best.name} (NORAD {best.norad_id}, {best.cospar_id}) "
                        f'{best.separation_arcsec:.1f}" of {best.tolerance_arcsec:.0f}", '
                        f"age {best.element_age_days:.1f} d, confidence {best.confidence:.2f}",
                        file=sys.stderr,
                    )
    except OSError as exc:
        print(f"neo-streamer match: cannot write {args.output}: {exc}", file=sys.stderr)
        return 2
    return 0
