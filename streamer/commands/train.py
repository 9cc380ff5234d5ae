"""``neo-streamer train``: train the ensemble on a catalog and register the model.

With no arguments it trains on the bundled catalog (``data/catalog.jsonl.gz``) and registers
the model into the project's registry (``models/``). ``--out DIR`` writes to the registry at
DIR instead. Progress bars go to stderr; the evaluation table to stdout.

Whether the new model becomes current (what a running daemon hot-swaps to within
``model.reload_interval_s``): ``--activate`` makes it current, ``--no-activate`` never does.
Without either, it becomes current only in a registry that has no current model yet (nothing
serves from it, so nothing is swapped); otherwise it is registered beside the current one and
``neo-streamer models activate VERSION`` makes it current when you decide to. A ``--quick``
model is a smoke model and never becomes current (``--quick --activate`` is refused).

Exit 0 on success, 1 when training fails (too few valid records, every member failing),
2 when the catalog cannot be read, for contradictory options, or when the ``[train]`` extra
(torch, optuna, matplotlib, tqdm) is not installed: the runtime install and the container image
leave it out, since scoring needs none of it.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from streamer.paths import DEFAULT_CATALOG, DEFAULT_REGISTRY

__all__ = [
    "DEFAULT_CATALOG",
    "DEFAULT_REGISTRY",
    "TRAIN_EXTRA",
    "add_arguments",
    "missing_train_modules",
    "run",
]

# The [train] extra of pyproject.toml: imported lazily by training, so checked up front.
TRAIN_EXTRA = ("torch", "optuna", "matplotlib", "tqdm")


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
    parser.add_argument(
        "--activate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="make the new model current (what a running daemon hot-swaps to). Default: only "
        "when the registry has no current model yet; --quick models never",
    )


def missing_train_modules() -> list[str]:
    """The modules of the ``[train]`` extra that are not installed (empty when all are)."""
    return [name for name in TRAIN_EXTRA if importlib.util.find_spec(name) is None]


def run(args: argparse.Namespace) -> int:
    """Train, write the report and register; return the exit code."""
    missing = missing_train_modules()
    if missing:
        print(
            f"neo-streamer train: the training extra is not installed (missing: "
            f"{', '.join(missing)}): pip install 'neo-streamer[train]' (a checkout: make install)",
            file=sys.stderr,
        )
        return 2
    from core.errors import ModelError
    from core.serving.registry import save_model
    from core.training.pipeline import TrainingConfig, train
    from core.training.report import write_report
    from streamer.ops.logging import configure_logging

    configure_logging("warning")
    if args.quick and args.activate:
        print(
            "neo-streamer train: a --quick model is never made current; train without --quick, "
            "or activate it deliberately with `neo-streamer models activate VERSION`",
            file=sys.stderr,
        )
        return 2
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
    except (OSError, EOFError) as exc:  # training reads the catalog and writes nothing
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"neo-streamer train: cannot read {args.catalog}: {reason}", file=sys.stderr)
        return 2
    except ModelError as exc:
        print(f"neo-streamer train: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    result.report["training_time_s"] = round(elapsed, 2)
    for bad in result.invalid_lines[:20]:
        print(f"catalog line {bad.line}: {bad.field}: {bad.reason}", file=sys.stderr)
    make_current = _make_current(args)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_report(Path(tmp), result.report, result.plot)
        target = save_model(
            result.model,
            args.out,
            training_data_sha256=result.training_data_sha256,
            extra_files={p.name: p for p in files},
            make_current=make_current,
        )
    _print_table(result.report)
    for kind, info in result.report["params"]["excluded_members"].items():
        print(f"excluded {kind}: {info['reason']}")
    print(f"invalid catalog lines: {len(result.invalid_lines)}")
    print(f"training time: {elapsed:.1f} s")
    model = result.model
    if make_current:
        print(f"registered {model.model_id} {model.version} at {target} (current)")
    else:
        print(
            f"registered {model.model_id} {model.version} at {target} (not current; make it "
            f"current with: neo-streamer models --registry {args.out} activate {model.version})"
        )
    return 0


def _make_current(args: argparse.Namespace) -> bool:
    """``--activate``/``--no-activate``, else: not for --quick, only into a registry without
    a current model (see the module docstring)."""
    from core.serving.registry import current_version

    if args.quick:
        return False
    if args.activate is not None:
        return bool(args.activate)
    return current_version(args.out) is None


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
    verdict = metrics.get("verdict")
    if verdict:
        el = verdict["earth_like_natural"]
        print(
            f"verdict probability (test split, {verdict['n']} records,"
            f" {verdict['n_with_area_to_mass']} with an A/M): Brier {verdict['brier']:.4f}"
            f" (model alone {verdict['brier_model_probability']:.4f})"
        )
        if el["alert_share"] is not None:
            print(
                f"natural Earth-like test objects alerting by default: {el['alert_share']:.2%}"
                f" of {el['n']} (by category alone {el['alert_share_category_alone']:.2%});"
                f" undetermined {el['undetermined_share']:.2%}"
            )
