"""``neo-streamer report``: an HTML page per object from a file of results, and an index.

``--input`` holds ``neo.anomaly.v1`` results, one JSON object a line (what ``score`` writes or
``tail --json`` prints; ``.gz`` read through gzip); an object with several results (the
updates of a growing arc) gets the page of its last one. ``--observations`` (MPC 80-column,
ADES or neo.v1 JSON lines with observations: :func:`core.orbits.astrometry.read_astrometry`)
gives each object its astrometry, matched by designation; ``--records`` (the neo.v1 records
that were scored) the orbit to draw for a result without a fit. ``--out DIR`` receives one page per
object (:func:`core.report.index.page_name`) and ``index.html``, most suspicious verdict first.
Lines that are not a result (bad JSON, no designation, error lines) are counted and skipped.
Exit 0 when a page was written, 1 when none was, 2 when a file cannot be read or written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from streamer.commands._jsonl import numbered_lines, open_binary
from streamer.commands._words import counted

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``report`` options to ``parser``."""
    parser.add_argument(
        "--input", required=True, type=Path, metavar="PATH", help="neo.anomaly.v1 JSON lines"
    )
    parser.add_argument(
        "--observations",
        type=Path,
        metavar="FILE",
        help="the objects' astrometry (MPC 80-column, ADES, or neo.v1 JSON lines)",
    )
    parser.add_argument(
        "--records",
        type=Path,
        metavar="FILE",
        help="the neo.v1 records that were scored (JSONL): their orbits, drawn where a result"
        " has no fit",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")


def _read_by_designation(path: Path) -> tuple[dict[str, dict[str, Any]], int]:
    """The last JSON object of each designation in ``path``, and the lines that are none."""
    import orjson

    latest: dict[str, dict[str, Any]] = {}
    skipped = 0
    with open_binary(path) as stream:
        for _, line in numbered_lines(stream):
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                skipped += 1
                continue
            name = obj.get("designation") if isinstance(obj, dict) else None
            if not isinstance(name, str) or not name:
                skipped += 1
                continue
            latest[name] = obj
    return latest, skipped


def run(args: argparse.Namespace) -> int:
    """Write the pages; return the exit code."""
    from core.errors import FormatError
    from core.orbits.astrometry import Astrometry, read_astrometry
    from core.report import build_page
    from core.report.index import page_name, render_index

    try:
        results, skipped = _read_by_designation(args.input)
    except (OSError, EOFError) as exc:
        print(f"neo-streamer report: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    orbits: dict[str, Any] = {}
    if args.records is not None:
        try:
            records, _ = _read_by_designation(args.records)
        except (OSError, EOFError) as exc:
            print(f"neo-streamer report: cannot read {args.records}: {exc}", file=sys.stderr)
            return 2
        orbits = {k: r.get("orbit") for k, r in records.items() if isinstance(r.get("orbit"), dict)}
    astrometry: dict[str, Astrometry] = {}
    if args.observations is not None:
        try:
            read = read_astrometry(args.observations)
        except (OSError, EOFError, FormatError) as exc:
            print(f"neo-streamer report: cannot read {args.observations}: {exc}", file=sys.stderr)
            return 2
        astrometry = {k: v for k, v in read.items() if isinstance(v, Astrometry)}
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, result in results.items():
            page = build_page(result, astrometry.get(name), orbits.get(name))
            (args.out / page_name(name)).write_text(page, encoding="utf-8")
        (args.out / "index.html").write_text(render_index(list(results.values())), "utf-8")
    except OSError as exc:
        print(f"neo-streamer report: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    with_obs = sum(1 for name in results if name in astrometry)
    print(
        f"wrote {counted(len(results), 'page')} ({with_obs} with observations) and index.html"
        f" to {args.out}; skipped {counted(skipped, 'line')} that are no result",
        file=sys.stderr,
    )
    return 0 if results else 1
