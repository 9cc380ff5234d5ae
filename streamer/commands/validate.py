"""``neo-streamer validate``: check a neo.v1 JSONL file line by line.

Prints ``line N: field: reason`` for each invalid line, then a summary. Exit code 0 when every
line is valid, 1 when some are not, 2 when the file cannot be read. Blank lines are skipped.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``validate`` options to ``parser``."""
    parser.add_argument(
        "--input",
        required=True,
        metavar="PATH",
        help="neo.v1 JSONL file (.jsonl or .jsonl.gz); '-' reads standard input",
    )
    parser.add_argument(
        "--max-errors",
        type=int,
        default=0,
        metavar="N",
        help="print at most N error lines (all lines are still checked); 0 = no limit",
    )


def run(args: argparse.Namespace) -> int:
    """Validate every line of ``args.input``; return the exit code."""
    from core.contract.records import decode_record
    from core.errors import RecordError
    from streamer.commands._jsonl import numbered_lines, open_binary

    path: str = args.input
    max_errors: int = args.max_errors
    valid = invalid = dropped = 0
    unknown: list[str] = []
    try:
        with open_binary(path) as stream:
            for number, line in numbered_lines(stream):
                try:
                    decode_record(line, unknown=unknown)
                except RecordError as exc:
                    invalid += 1
                    if max_errors <= 0 or invalid <= max_errors:
                        print(f"line {number}: {exc.field}: {exc.reason}")
                else:
                    valid += 1
                    for field in unknown:  # valid: a newer producer's field, dropped
                        print(f"line {number}: {field}: unknown field, dropped")
                    dropped += len(unknown)
                unknown.clear()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        print(f"neo-streamer validate: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    if max_errors > 0 and invalid > max_errors:
        print(f"... {invalid - max_errors} more invalid lines not shown")
    summary = f"{valid} valid, {invalid} invalid"
    print(summary + (f", {dropped} unknown fields dropped" if dropped else ""))
    return 1 if invalid else 0
