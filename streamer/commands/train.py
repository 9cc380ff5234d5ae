"""``neo-streamer train``: train the ensemble on a catalog and register the model.

With no arguments it trains on the bundled catalog (``data/catalog.jsonl.gz``) and registers
the model into the project's registry (``models/``), making it current. ``--out DIR`` writes
to the registry at DIR instead. Progress bars go to stderr; the evaluation table to stdout.
Exit 0 on success, 1 when training fails (too few valid records, every member failing).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_CATALOG", "DEFAULT_REGISTRY", "add_arguments", "run"]

_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOG = _ROOT / "data" / "catalog.jsonl.gz"
DEFAULT_REGISTRY = _ROOT / "models"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` options to ``parser``."""
    parser.add_argument(
        "--catalog",
        type=Path,
        default=DEFAULT_CATALOG,
        metavar="PATH",
        help="neo.v1 JSONL catalog of real objects (default: the bundled one)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_REGISTRY,
        metavar="DIR",
        help="model registry to register into (default: the project's models/)",
    )
    parser.add_argument(
        "--search",
        choices=("grid", "random", "bayesian"),
        default="grid",
        help="candidate search (default: the aNEOS grid)",
    )
    parser.add_argument(
        "--trials",
        type=int,
        default=12,
        metavar="N",
        help="trials per detector for random/bayesian search (default 12)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small configurations that train in seconds (tests, smoke runs)",
    )
    parser.add_argument(
        "--max-records",
        type=int,
        default=None,
        metavar="N",
        help="train on a seeded subset of N catalog records",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def run(args: argparse.Namespace) -> int:
    """Train, write the report and register; return the exit code."""
    from core.errors import ModelError
    from core.registry import save_model
    from core.report import write_report
    from core.training import TrainingConfig, train
    from streamer.logging import configure_logging

    configure_logging("warning")
    changes: dict[str, Any] = {
        "search": args.search,
        "n_trials": args.trials,
        "max_records": args.max_records,
        "progress": not args.no_progress,
    }
    if args.quick:
        config = TrainingConfig.quick_config(args.catalog, seed=args.seed, **changes)
    else:
        config = TrainingConfig(catalog=args.catalog, seed=args.seed, **changes)
    start = time.perf_counter()
    try:
        result = train(config)
    except (ModelError, OSError) as exc:
        print(f"neo-streamer train: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    result.report["training_time_s"] = round(elapsed, 2)
    for bad in result.invalid_lines[:20]:
        print(f"catalog line {bad.line}: {bad.field}: {bad.reason}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_report(Path(tmp), result.report, result.plot)
        target = save_model(
            result.model,
            args.out,
            training_data_sha256=result.training_data_sha256,
            extra_files={p.name: p for p in files},
        )
    _print_table(result.report)
    print(f"invalid catalog lines: {len(result.invalid_lines)}")
    print(f"training time: {elapsed:.1f} s")
    print(f"registered {result.model.model_id} {result.model.version} at {target} (current)")
    return 0


def _print_table(report: dict[str, Any]) -> None:
    print(f"{'detector':<12} {'ROC-AUC [95% CI]':<26} {'AP [95% CI]':<26} {'FAR':>7} {'DR':>7}")
    for name, ev in report["metrics"]["test"].items():
        auc, ap = ev["roc_auc"], ev["average_precision"]
        print(
            f"{name:<12} {auc['value']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}]{'':<6} "
            f"{ap['value']:.3f} [{ap['low']:.3f}, {ap['high']:.3f}]{'':<6} "
            f"{ev['false_alert_rate']:>7.2%} {ev['detection_rate']:>7.2%}"
        )
    _print_hard(report["metrics"])


def _print_hard(metrics: dict[str, Any]) -> None:
    """The hard question (artificial vs natural Earth-like only) and the km-size ranks."""
    hard = metrics.get("hard_question")
    if hard:
        print("hard question, test artificial vs natural Earth-like only (never seen):")
        for name, e in hard.items():
            cells = []
            for key in ("roc_auc", "average_precision"):
                iv = e.get(key)
                cells.append(
                    "n/a"
                    if iv is None
                    else f"{iv['value']:.3f} [{iv['low']:.3f}, {iv['high']:.3f}]"
                )
            print(
                f"  {name:<22} ROC-AUC {cells[0]:<22} AP {cells[1]:<22}"
                f" ({e['n_artificial']} vs {e['n_natural_earth_like']})"
            )
    km = metrics.get("km_size_ranks")
    if km:
        print(
            f"catalogue objects > 1 km in the top 1 %: {km['km_size_in_top_1pct']} of"
            f" {km['n_km_size']} (with A1/A2: {km['km_size_with_nongrav_in_top_1pct']} of"
            f" {km['n_km_size_with_nongrav']})"
        )
