"""The ``neo-streamer`` command line.

Each subcommand lives in ``streamer/commands/<name>.py`` and exposes
``add_arguments(parser)`` and ``run(args) -> int``. Command modules import heavy
dependencies (torch, aiokafka, scikit-learn) inside ``run`` so that ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from streamer.errors import ConfigError

__all__ = ["main"]

# (name, module, one-line help)
_COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "convert",
        "streamer.commands.convert",
        "convert obs80/ADES/NEA.txt/SBDB/CAD files to neo.v1 JSONL",
    ),
    ("validate", "streamer.commands.validate", "check a neo.v1 JSONL file line by line"),
    ("screen", "streamer.commands.screen", "rank records by the rule-based indicators (no model)"),
    ("train", "streamer.commands.train", "train the ensemble and register the model"),
    ("score", "streamer.commands.score", "score a neo.v1 JSONL file offline"),
    ("report", "streamer.commands.report", "an HTML page per object from a file of results"),
    ("fit", "streamer.commands.fit", "fit orbits (with A1, A/M, Earth-bound) to astrometry"),
    ("link", "streamer.commands.link", "launch linkage of launch-compatible orbits (offline)"),
    ("match", "streamer.commands.match", "match observations with known artificial objects"),
    ("models", "streamer.commands.models", "list, show or activate registered models"),
    ("run", "streamer.commands.run", "run the streaming daemon"),
    (
        "produce",
        "streamer.commands.produce",
        "feed records or observation files into a Kafka topic",
    ),
    ("tail", "streamer.commands.tail", "print results or alerts from Kafka as they arrive"),
)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neo-streamer",
        description="Screen Near-Earth-Object data for artificial or anomalous objects.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name, help_text in _COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # command not built yet
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args._run(args)
    except ConfigError as exc:
        print(f"neo-streamer: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
