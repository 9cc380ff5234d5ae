"""``neo-streamer score``: score a neo.v1 JSONL file offline with a registered model.

One ``neo.anomaly.v1`` result per input line, in input order, JSON lines on ``--output``
(stdout with ``-``). An invalid line gives an error line in its place, with its own schema
(:data:`ERROR_SCHEMA`, docs/schema.md),
``{"schema": "neo.anomaly.error.v1", "error": {"line": N, "field": ..., "reason": ...}}``, and
scoring continues. Records are scored in batches of 1024. Blank lines are skipped. Exit 0
when at least one record was scored; 1 when none was (every line invalid, or no line); 2 when
the input cannot be read, the output cannot be written or the model cannot be loaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streamer.commands._jsonl import numbered_lines, open_binary
from streamer.commands._jsonl import open_output as _open_output
from streamer.commands._words import counted
from streamer.paths import DEFAULT_REGISTRY, model_path_hint

__all__ = ["BATCH_SIZE", "ERROR_SCHEMA", "add_arguments", "run"]

BATCH_SIZE = 1024
ERROR_SCHEMA = "neo.anomaly.error.v1"
"""``schema`` of the line written in place of an invalid input line (no score)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``score`` options to ``parser``."""
    parser.add_argument(
        "--input",
        required=True,
        type=Path,
        metavar="PATH",
        help="neo.v1 JSONL file (.jsonl or .jsonl.gz)",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=DEFAULT_REGISTRY,
        metavar="DIR",
        help="model registry (its current model) or one model version directory "
        "(default: the project's models/)",
    )
    parser.add_argument(
        "--output",
        default="-",
        metavar="PATH",
        help="where results go, one JSON line each; '-' = stdout (default)",
    )


def run(args: argparse.Namespace) -> int:
    """Score every line of ``args.input``; return the exit code."""
    import orjson

    from core.contract.records import NeoRecord, decode_record
    from core.errors import ModelError, RecordError
    from core.serving.inference import InferenceEngine
    from core.serving.registry import load_model
    from streamer.ops.logging import configure_logging

    configure_logging("warning")
    try:
        engine = InferenceEngine(load_model(args.model), cache_size=0)
    except (ModelError, OSError) as exc:
        print(f"neo-streamer score: cannot load model from {args.model}: {exc}", file=sys.stderr)
        if hint := model_path_hint(args.model):
            print(f"neo-streamer score: {hint}", file=sys.stderr)
        return 2
    scored = errors = 0
    try:
        with _open_output(args.output) as out:
            pending: list[tuple[int, NeoRecord | dict[str, Any]]] = []

            def flush() -> None:
                records = [item for _, item in pending if not isinstance(item, dict)]
                results = iter(engine.predict_encoded(records)) if records else iter(())
                for _, item in pending:
                    line = orjson.dumps(item) if isinstance(item, dict) else next(results).document
                    out.write(line + b"\n")
                pending.clear()

            for number, line in _lines(args.input):
                try:
                    pending.append((number, decode_record(line)))
                    scored += 1
                except RecordError as exc:
                    errors += 1
                    error = {"line": number, "field": exc.field, "reason": exc.reason}
                    pending.append((number, {"schema": ERROR_SCHEMA, "error": error}))
                if len(pending) >= BATCH_SIZE:
                    flush()
            flush()
    except _InputError as exc:
        print(f"neo-streamer score: cannot read {args.input}: {exc.__cause__}", file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or exc
        print(f"neo-streamer score: cannot write {args.output}: {reason}", file=sys.stderr)
        return 2
    print(
        f"scored {counted(scored, 'record')}, {counted(errors, 'invalid line')}, "
        f"model {engine.model_version}",
        file=sys.stderr,
    )
    if not scored:
        print(f"neo-streamer score: nothing was scored in {args.input}", file=sys.stderr)
        return 1
    return 0


class _InputError(Exception):
    """Reading the input failed (the cause is the OSError or EOFError)."""


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        with open_binary(path) as stream:
            yield from numbered_lines(stream)
    except (OSError, EOFError) as exc:
        raise _InputError from exc
