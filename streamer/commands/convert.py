"""``neo-streamer convert``: turn obs80 / ADES / NEA.txt / SBDB / CNEOS / Rubin alert files into
neo.v1 JSONL, and ZTF alert files into neo.obs.v1 JSONL.

Alert files (Avro containers: ZTF, a broker's Rubin alerts, Rubin's own): a Rubin alert gives
one neo.v1 record, a ZTF alert the neo.obs.v1 tracklet of the asteroid it names (one line per
alert). The summary counts the ZTF alerts without an association (left out, not errors) and
the alerts that cannot be read; each of those is named on standard error (its index, field and
reason, or the broken block) and the others are still converted (exit 0).

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
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["add_arguments", "run"]

_FORMATS = ("obs80", "ades", "nea", "sbdb", "cad", "lsst", "ztf")


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
        "--max-ssdistnr",
        type=float,
        default=5.0,
        metavar="ARCSEC",
        help="ZTF: the farthest a detection may be from the asteroid it names (default 5)",
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
    tally: dict[str, int] = {}
    try:
        for obj in _objects(args, tally):
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
    if tally:
        parts = [f"{n} {reason}" for reason, n in sorted(tally.items())]
        print(f"alerts left out: {', '.join(parts)}", file=sys.stderr)
    return 0


def _objects(args: argparse.Namespace, tally: dict[str, int]) -> Iterator[dict[str, Any]]:
    from core.formats import detect_format, read_records

    name = args.format or detect_format(args.input)
    with open(args.input, "rb") as fh:
        container = fh.read(4) == b"Obj\x01"
    if not (container and name in ("lsst", "ztf")):
        yield from read_records(args.input, name)
        return
    from core.alerts.files import read_alert_file

    for alert in read_alert_file(args.input, max_ssdistnr_arcsec=args.max_ssdistnr):
        if _FORMAT_OF[alert.kind] != name:
            raise _wrong_kind(_FORMAT_OF[alert.kind], name)
        if alert.obj is not None:
            yield alert.obj
        elif alert.skipped is not None:
            tally[alert.skipped] = tally.get(alert.skipped, 0) + 1
        elif alert.error is not None:
            label = "refused" if alert.index >= 0 else "broken_block"
            tally[label] = tally.get(label, 0) + 1
            where = f"alert {alert.index}" if alert.index >= 0 else "a block"
            field, reason = alert.error
            print(f"neo-streamer convert: {where}: {field}: {reason}", file=sys.stderr)


_FORMAT_OF = {"rubin": "lsst", "ztf": "ztf"}


def _wrong_kind(kind: str, asked: str) -> Exception:
    from core.errors import FormatError

    return FormatError(f"the file holds {kind} alerts, not {asked} (give --format {kind})")
