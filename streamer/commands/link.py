"""``neo-streamer link``: launch linkage for the launch-compatible orbits of a neo.v1 file.

Offline by design: integrating clones back for decades takes seconds per object, which has no
place on the daemon's path. Reads a neo.v1 JSONL file, keeps the records whose orbit fires the
``launch_compatible_orbit`` indicator (v_inf <~ 6 km/s or an apsis at 1 au) and carries full
elements with an epoch, and for each (at most ``--max-objects``) draws ``--clones`` clones
from its ``orbit.sigma``, integrates them back ``--years`` years at most (never before the first
bundled GCAT deep-space launch, 1959) within ``--max-seconds`` of wall time, with a line on
stderr as each object starts, and prints one JSON line: ``{"designation", "launch_match",
"trustworthy_after_jd_tdb", "n_passages", "first_jd_tdb", "complete", "seconds"}``
(:mod:`core.orbits.linkage`; the match is the earliest departure, never a later revisit).
Invalid lines are reported on stderr and skipped. Exit code 0, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``link`` options to ``parser``."""
    parser.add_argument("input", metavar="PATH", help="neo.v1 JSONL file (.jsonl or .jsonl.gz)")
    parser.add_argument("--clones", type=int, default=32, metavar="N", help="clones per object")
    parser.add_argument(
        "--years", type=float, default=70.0, metavar="Y", help="integrate back at most Y years"
    )
    parser.add_argument(
        "--max-objects", type=int, default=20, metavar="N", help="link at most N objects"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="clone seed")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=120.0,
        metavar="S",
        help="wall-time bound per object: the backward integration stops there (default 120)",
    )


def run(args: argparse.Namespace) -> int:
    """Link every launch-compatible record of the file; return the exit code."""
    import numpy as np
    import orjson

    from core.contract.records import NeoRecord, decode_record
    from core.errors import RecordError
    from core.features import extract_features
    from core.features.indicators import FIRING_RAW
    from core.orbits.linkage import LinkageConfig, clones_from_record, link_launch
    from streamer.commands._jsonl import numbered_lines, open_binary

    records: list[NeoRecord] = []
    try:
        with open_binary(Path(args.input)) as fh:
            for number, line in numbered_lines(fh):
                try:
                    records.append(decode_record(line))
                except RecordError as exc:
                    print(f"line {number}: {exc.field}: {exc.reason}", file=sys.stderr)
    except (OSError, EOFError) as exc:
        print(f"neo-streamer link: {exc}", file=sys.stderr)
        return 2
    if not records:
        return 0
    ind = extract_features(records).indicators
    column = ind.names.index("launch_compatible_orbit")
    config = LinkageConfig(
        n_clones=args.clones, max_years=args.years, seed=args.seed, max_seconds=args.max_seconds
    )
    rng = np.random.default_rng(args.seed)
    done = 0
    for k, rec in enumerate(records):
        if done >= args.max_objects:
            break
        if ind.raw[k, column] < FIRING_RAW:
            continue
        drawn = clones_from_record(rec, config.n_clones, rng)
        if drawn is None:
            continue
        clones, epoch = drawn
        nongrav = rec.nongrav
        a123 = (0.0, 0.0, 0.0) if nongrav is None else (
            nongrav.A1 or 0.0, nongrav.A2 or 0.0, nongrav.A3 or 0.0
        )  # fmt: skip
        # progress on the terminal: one line per object before its (bounded) integration
        print(
            f"linking {rec.designation}: {config.n_clones} clones, up to {config.max_years:g}"
            f" years back, at most {config.max_seconds:g} s",
            file=sys.stderr,
            flush=True,
        )
        start = time.perf_counter()
        result = link_launch(clones, epoch, a123=a123, config=config)
        done += 1
        out = {
            "designation": rec.designation,
            "launch_match": result.launch_match,
            "trustworthy_after_jd_tdb": result.trustworthy_after_jd_tdb,
            "n_passages": len(result.passages),
            "first_jd_tdb": result.first_jd_tdb,
            "complete": result.complete,
            "seconds": round(time.perf_counter() - start, 2),
        }
        sys.stdout.write(orjson.dumps(out).decode() + "\n")
        sys.stdout.flush()
    return 0
