"""``neo-streamer screen``: rank neo.v1 records by the rule-based indicators (no model needed).

Reads a neo.v1 JSONL file (``.jsonl`` or ``.jsonl.gz``; default: the bundled
``data/sample_stream.jsonl.gz``), extracts features and indicators in batches, and prints the
top N records by overall indicator score with the reasons of their firing indicators, as a
table or (``--json``) one JSON object per line. Invalid lines are reported on stderr as
``line N: field: reason`` and skipped. Exit code 0 on success, 1 when the file holds no valid
record, 2 when it cannot be read.
"""

from __future__ import annotations

import argparse
import heapq
import sys
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_INPUT", "add_arguments", "run"]

DEFAULT_INPUT = Path(__file__).resolve().parents[2] / "data" / "sample_stream.jsonl.gz"
"""The bundled sample stream, resolved against the project root (not the working directory)."""

_BATCH = 1024
_NAME_WIDTH = 18


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``screen`` options to ``parser``."""
    parser.add_argument(
        "--input",
        default=str(DEFAULT_INPUT),
        metavar="PATH",
        help="neo.v1 JSONL file (.jsonl or .jsonl.gz); default: the bundled sample stream",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=10,
        metavar="N",
        help="show the N highest-scoring records (default: %(default)s)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per line instead of a table"
    )


def run(args: argparse.Namespace) -> int:
    """Screen ``args.input``; return the exit code."""
    import orjson

    from core.contract.records import NeoRecord, decode_record
    from core.errors import RecordError
    from core.features import extract_features
    from streamer.commands._jsonl import numbered_lines, open_binary

    path: str = args.input
    top: int = max(int(args.top), 0)
    # Min-heap of (score, -line, line, designation, indicators dict): ties keep file order.
    best: list[tuple[float, int, int, str, dict[str, Any]]] = []
    batch: list[NeoRecord] = []
    lines: list[int] = []
    valid = invalid = 0

    def flush() -> None:
        if not batch:
            return
        ind = extract_features(batch).indicators
        for k, (rec, number) in enumerate(zip(batch, lines, strict=True)):
            item = (float(ind.overall[k]), -number)
            if len(best) < top or item > best[0][:2]:
                entry = (*item, number, rec.designation, ind.as_dict(k))
                if len(best) < top:
                    heapq.heappush(best, entry)
                else:
                    heapq.heapreplace(best, entry)
        batch.clear()
        lines.clear()

    try:
        with open_binary(path) as stream:
            for number, line in numbered_lines(stream):
                try:
                    batch.append(decode_record(line))
                except RecordError as exc:
                    invalid += 1
                    print(f"line {number}: {exc.field}: {exc.reason}", file=sys.stderr)
                    continue
                lines.append(number)
                valid += 1
                if len(batch) >= _BATCH:
                    flush()
            flush()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        print(f"neo-streamer screen: cannot read {path}: {exc}", file=sys.stderr)
        return 2

    ranked = sorted(best, key=lambda e: (-e[0], e[2]))
    if args.json:
        for rank, (_, _, number, designation, ind) in enumerate(ranked, start=1):
            obj = {"rank": rank, "line": number, "designation": designation, "indicators": ind}
            sys.stdout.write(orjson.dumps(obj).decode() + "\n")
    else:
        _print_table(ranked)
    summary = f"{valid} records screened, {invalid} invalid lines skipped"
    print(summary, file=sys.stderr if args.json else sys.stdout)
    return 0 if valid else 1


def _print_table(ranked: list[tuple[float, int, int, str, dict[str, Any]]]) -> None:
    indent = " " * (6 + 7 + _NAME_WIDTH + 2)
    print(f"{'rank':>4}  {'score':>5}  {'designation':<{_NAME_WIDTH}}  firing indicators")
    for rank, (score, _, _, designation, ind) in enumerate(ranked, start=1):
        firing = [it for it in ind["items"] if it["reason"] is not None]
        firing.sort(key=lambda it: -it["weighted_score"])
        head = f"{rank:>4}  {score:5.3f}  {designation[:_NAME_WIDTH]:<{_NAME_WIDTH}}  "
        if not firing:
            print(head + "-")
            continue
        for k, it in enumerate(firing):
            text = f"{it['name']} ({it['raw_score']:.2f}): {it['reason']}"
            print((head if k == 0 else indent) + text)
