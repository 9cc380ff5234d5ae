"""``neo-streamer validate``: check a neo.v1 JSONL file line by line.

Prints ``line N: field: reason`` for each invalid line, then a summary. Exit code 0 when every
line is valid, 1 when some are not, 2 when the file cannot be read. Blank lines are skipped.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext

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
    from core.errors import RecordError
    from core.records import decode_record

    path: str = args.input
    max_errors: int = args.max_errors
    valid = invalid = 0
    try:
        with _open(path) as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    decode_record(line)
                except RecordError as exc:
                    invalid += 1
                    if max_errors <= 0 or invalid <= max_errors:
                        print(f"line {number}: {exc.field}: {exc.reason}")
                else:
                    valid += 1
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        print(f"neo-streamer validate: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    if max_errors > 0 and invalid > max_errors:
        print(f"... {invalid - max_errors} more invalid lines not shown")
    print(f"{valid} valid, {invalid} invalid")
    return 1 if invalid else 0


def _open(path: str) -> AbstractContextManager[Iterable[bytes]]:
    # Bytes, not text: decode_record reports bad UTF-8 per line instead of the file failing.
    if path == "-":
        return nullcontext(sys.stdin.buffer)  # never close the process's stdin
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")
