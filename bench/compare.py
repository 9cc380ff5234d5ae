"""A/B of two commits: the shipped defaults of each, alternated on the same machine and broker.

A shared machine drifts by tens of percent between runs minutes apart (the passthrough alone
measured 37,612 and 51,864 records/s in one ``make bench``), more than most changes to the
code. Two full runs an hour apart cannot say whether a change helped. Here short runs of the
two code trees alternate, each pair back to back, so both sides of a pair see the same phase
of the machine; the order flips every pair, so neither side always goes first.

BASE is checked out into a temporary worktree (``git worktree add --detach``) and run with this
checkout's virtualenv, its own packages first on ``PYTHONPATH``; each side measures with its
own ``bench`` package (``bench_daemon.run_cases``, one case: this checkout's automatic
worker count, batch 1,024). The worktree is removed afterwards.

Usage::

    .venv/bin/python -m bench.compare BASE [--pairs 7] [--records 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import harness
from bench.bench_daemon import shipped_workers

# run inside either tree; only what bench_daemon has offered since it exists
_RUNNER = """
import asyncio, json
from bench import harness
from bench.bench_daemon import Case, run_cases
async def main(records):
    bootstrap = harness.bootstrap_servers()
    topic = f"ab-{harness.new_tag()}"
    await harness.create_topics(bootstrap, [topic])
    try:
        await harness.bulk_produce(bootstrap, topic, harness.rekeyed_messages(records))
        case = Case({workers}, 1024)
        (r,) = await run_cases(bootstrap, harness.DEFAULT_MODEL, topic, records, [case])
    finally:
        await harness.delete_topics(bootstrap, [topic])
    print("RESULT " + json.dumps({"rps": r["rps"], "cpu_us": r["daemon_cpu_us_per_record"]}))
asyncio.run(main({records}))
"""


def run_side(tree: Path, records: int, workers: int) -> dict[str, float]:
    """One run of the shipped defaults with the code of ``tree`` (``workers`` in flight):
    ``{"rps", "cpu_us"}``."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "KAFKA_BOOTSTRAP_SERVERS": harness.bootstrap_servers(),
        # the broker's pid file stays where this checkout's broker keeps it
        "KAFKA_STATE_DIR": os.environ.get("KAFKA_STATE_DIR", str(harness.ROOT / ".kafka")),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUNNER.replace("{records}", str(records)).replace("{workers}", str(workers)),
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, float] = json.loads(line.removeprefix("RESULT "))
            return result
    raise RuntimeError(f"{tree}: no result (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def summarize(pairs: Sequence[tuple[dict[str, float], dict[str, float]]]) -> dict[str, Any]:
    """Medians of each side and of the per-pair ratios (head / base), and how many pairs
    the head won on each measure."""
    base_rps = [b["rps"] for b, _ in pairs]
    head_rps = [h["rps"] for _, h in pairs]
    base_cpu = [b["cpu_us"] for b, _ in pairs]
    head_cpu = [h["cpu_us"] for _, h in pairs]
    return {
        "pairs": len(pairs),
        "base": {"rps": statistics.median(base_rps), "cpu_us": statistics.median(base_cpu)},
        "head": {"rps": statistics.median(head_rps), "cpu_us": statistics.median(head_cpu)},
        "rps_ratio": statistics.median(h / b for b, h in zip(base_rps, head_rps, strict=True)),
        "cpu_ratio": statistics.median(h / b for b, h in zip(base_cpu, head_cpu, strict=True)),
        "head_faster": sum(h > b for b, h in zip(base_rps, head_rps, strict=True)),
        "head_cheaper": sum(h < b for b, h in zip(base_cpu, head_cpu, strict=True)),
        "raw": [{"base": b, "head": h} for b, h in pairs],
    }


def compare(base: str, pairs: int, records: int) -> dict[str, Any]:
    """Alternate ``pairs`` runs of ``base`` and of this checkout (the working tree), both with
    this checkout's automatic worker count."""
    head = harness.ROOT
    workers = shipped_workers()
    with tempfile.TemporaryDirectory(prefix="neo-ab-") as tmp:
        tree = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(head), "worktree", "add", "--detach", str(tree), base],
            check=True,
            capture_output=True,
        )
        try:
            (tree / ".venv").symlink_to(head / ".venv")  # harness.NEO_STREAMER of that tree
            done: list[tuple[dict[str, float], dict[str, float]]] = []
            for i in range(pairs):
                if i % 2 == 0:
                    b, h = run_side(tree, records, workers), run_side(head, records, workers)
                else:
                    h, b = run_side(head, records, workers), run_side(tree, records, workers)
                print(
                    f"  pair {i + 1}: base {b['rps']:,.0f} records/s {b['cpu_us']:.1f} us/record"
                    f" | head {h['rps']:,.0f} records/s {h['cpu_us']:.1f} us/record",
                    flush=True,
                )
                done.append((b, h))
        finally:
            subprocess.run(
                ["git", "-C", str(head), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )
    return {"base_commit": base, "records": records, "workers": workers, **summarize(done)}


def main(argv: Sequence[str] | None = None) -> int:
    """Print the comparison as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the commit to compare this checkout against")
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    result = compare(args.base, args.pairs, args.records)
    print(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
