"""``neo-streamer convert``: turn obs80 / ADES / NEA.txt / SBDB / CNEOS files into neo.v1 JSONL.

One JSON object per line, one line per object (see :mod:`core.formats`). The format is
detected from the content unless ``--format`` is given. Output goes to standard output by
default; a ``.gz`` output path is gzip-compressed. Exit code 0 on success, 2 when the input
cannot be read or parsed (the message names the line); a partly written output file is
removed then.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path
from typing import IO

__all__ = ["add_arguments", "run"]

_FORMATS = ("obs80", "ades", "nea", "sbdb", "cad")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``convert`` options to ``parser``."""
    parser.add_argument("--input", required=True, metavar="PATH", help="input file (plain or .gz)")
    parser.add_argument(
        "--format",
        choices=_FORMATS,
        default=None,
        help="input format; detected from the content when omitted",
    )
    parser.add_argument(
        "--output",
        default="-",
        metavar="PATH",
        help="neo.v1 JSONL output (.gz compresses); '-' (default) writes standard output",
    )


def run(args: argparse.Namespace) -> int:
    """Convert ``args.input`` into neo.v1 JSONL at ``args.output``; return the exit code."""
    import orjson

    from core.errors import FormatError
    from core.formats import read_records
    from streamer.commands._words import counted

    output: str = args.output
    out: IO[bytes] | gzip.GzipFile
    raw: IO[bytes] | None = None
    if output == "-":
        out = sys.stdout.buffer
    else:
        raw = open(output, "wb")  # noqa: SIM115 - closed in the finally below
        # No file name and mtime=0 in the gzip header: the same input gives the same bytes.
        out = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
            if (output.endswith(".gz"))
            else raw
        )
    count = 0
    failed = True
    try:
        for obj in read_records(args.input, args.format):
            out.write(orjson.dumps(obj) + b"\n")
            count += 1
        failed = False
    except FormatError as exc:
        print(f"neo-streamer convert: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"neo-streamer convert: cannot read {args.input}: {exc}", file=sys.stderr)
    finally:
        if raw is None:
            out.flush()
        else:
            out.close()
            raw.close()
            if failed:
                Path(output).unlink(missing_ok=True)
    if failed:
        return 2
    written = counted(count, "record")
    print(f"{written} written to {output if output != '-' else 'stdout'}", file=sys.stderr)
    return 0
