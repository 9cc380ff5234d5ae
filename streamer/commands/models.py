"""``neo-streamer models``: list, show or activate registered models.

``list`` prints every version (``*`` marks the current one) with its creation time and test
ROC-AUC; ``show VERSION`` prints its manifest; ``activate VERSION`` makes it current (atomic
write of ``CURRENT``); ``convert VERSION`` rewrites a model saved with its autoencoder weights
in the old torch format as numpy arrays (:func:`core.serving.registry.convert_torch_members`), so
that scoring it no longer imports torch. Exit 0 on success, 1 for an unknown version or an
unreadable registry, 2 when the registry directory does not exist.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from streamer.paths import DEFAULT_REGISTRY

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``models`` subcommands to ``parser``."""
    parser.add_argument(
        "--registry",
        type=Path,
        default=DEFAULT_REGISTRY,
        metavar="DIR",
        help="model registry (default: the project's models/)",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="list registered versions")
    show = sub.add_parser("show", help="print a version's manifest")
    show.add_argument("version", metavar="VERSION")
    act = sub.add_parser("activate", help="make a version current")
    act.add_argument("version", metavar="VERSION")
    conv = sub.add_parser(
        "convert", help="store a version's torch-format autoencoder weights as numpy arrays"
    )
    conv.add_argument("version", metavar="VERSION")
    for p in sub.choices.values():  # also accept --registry after the action
        p.add_argument(
            "--registry",
            type=Path,
            default=argparse.SUPPRESS,
            metavar="DIR",
            help="model registry (default: the project's models/)",
        )


def run(args: argparse.Namespace) -> int:
    """Carry out the action; return the exit code."""
    import orjson

    from core.errors import ModelError
    from core.serving.registry import (
        activate,
        convert_torch_members,
        current_version,
        list_versions,
        read_manifest,
    )

    root: Path = args.registry
    if not root.is_dir():
        print(
            f"neo-streamer models: no model registry at {root} (not a directory)", file=sys.stderr
        )
        return 2
    try:
        if args.action == "list":
            current = current_version(root)
            versions = list_versions(root)
            if not versions:
                print(f"no models in {root}")
            for version in versions:
                manifest = read_manifest(root / version)
                auc = manifest.get("metrics", {}).get("test", {}).get("ensemble", {})
                auc_text = f"{auc['roc_auc']['value']:.3f}" if auc else "n/a"
                mark = "*" if version == current else " "
                print(
                    f"{mark} {version}  {manifest.get('model_id')}  created "
                    f"{manifest.get('created')}  test ROC-AUC {auc_text}"
                )
            return 0
        if args.version not in list_versions(root):
            print(f"neo-streamer models: no version {args.version!r} in {root}", file=sys.stderr)
            return 1
        if args.action == "show":
            manifest = read_manifest(root / args.version)
            sys.stdout.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2).decode() + "\n")
            return 0
        if args.action == "convert":
            converted = convert_torch_members(root / args.version)
            if converted:
                print(f"{args.version}: converted {', '.join(converted)} to numpy arrays")
            else:
                print(f"{args.version}: nothing to convert")
            return 0
        activate(root, args.version)
        print(f"current model: {args.version}")
        return 0
    except ModelError as exc:
        print(f"neo-streamer models: {exc}", file=sys.stderr)
        return 1
