"""The real daemon, full ensemble: sustained records/s and steady-state RSS.

Each case starts ``neo-streamer run --config <generated toml>`` as a subprocess on a shared,
pre-filled input topic (re-keyed copies of the sample stream) with a fresh consumer group and
fresh output topics, and samples the progress every 0.1 s until every input has an output:

* at-least-once: messages in the results + dead-letter topics (end offsets, no payload read);
* exactly-once: the group's committed input offsets (they commit inside each transaction;
  the output topics' end offsets also count transaction markers).

The rate is taken from 10 % of the records to the last (joining the group, loading the model
and the first fetches are excluded). RSS is sampled from ``/proc/<pid>/status`` over the same
window. The daemon is stopped with SIGTERM and must exit 0.

Usage::

    .venv/bin/python -m bench.bench_daemon [--records 100000] [--workers 1 2 4]
                                           [--batch-sizes 64 256 1024] [--model models]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import harness
from streamer.config import WORKERS_PER_PROCESS, ProcessingConfig


@dataclass(frozen=True)
class Case:
    """One daemon configuration to measure (the shipped defaults unless given)."""

    workers: int
    batch: int
    guarantee: str = "at_least_once"
    replicas: int = 1
    executor: str = "process"
    processes: int = 0  # 0: the daemon's default (one per CPU, at most workers)

    @property
    def name(self) -> str:
        """Short label, e.g. ``alo-w3-b1024`` (``-thr``: scoring threads instead of
        processes; ``-p1``: one scoring process; ``-r2``: two replicas in one group)."""
        g = "eos" if self.guarantee == "exactly_once" else "alo"
        return (
            f"{g}-w{self.workers}-b{self.batch}"
            + (f"-p{self.processes}" if self.processes else "")
            + ("-thr" if self.executor == "thread" else "")
            + (f"-r{self.replicas}" if self.replicas > 1 else "")
        )


def shipped_workers() -> int:
    """The daemon's automatic worker count on this machine (``[processing] workers = 0``):
    three per scoring process, one scoring process per CPU."""
    return ProcessingConfig().worker_count()


def default_cases(
    workers: Sequence[int],
    batches: Sequence[int],
    default_batch: int = 1024,
    default_workers: int | None = None,
) -> list[Case]:
    """Workers swept at the default batch size (the shipped count among them), batch sizes
    swept at the shipped workers, exactly-once at the shipped configuration, then the
    alternatives to scoring processes."""
    default_workers = default_workers or shipped_workers()
    cases = [Case(w, default_batch) for w in sorted({*workers, default_workers})]
    cases += [Case(default_workers, b) for b in batches if Case(default_workers, b) not in cases]
    cases.append(Case(default_workers, default_batch, "exactly_once"))
    # one interpreter: scoring threads share the lock with the Kafka I/O
    cases += [Case(1, default_batch, executor="thread"), Case(2, default_batch, executor="thread")]
    # scale-out as users do it: a second replica in the same consumer group, same machine
    cases.append(Case(WORKERS_PER_PROCESS, default_batch, replicas=2, processes=1))
    return cases


async def run_case(
    bootstrap: str,
    *,
    model: Path,
    input_topic: str,
    records: int,
    case: Case,
    workdir: Path,
) -> dict[str, Any]:
    """Run one daemon over the ``records`` messages of ``input_topic``."""
    tag = harness.new_tag()
    topics = {
        "input": input_topic,
        "results": f"bench-res-{tag}",
        "alerts": f"bench-alr-{tag}",
        "dead_letter": f"bench-dlq-{tag}",
    }
    outputs = [topics["results"], topics["alerts"], topics["dead_letter"]]
    group = f"bench-daemon-{tag}"
    await harness.create_topics(bootstrap, outputs)
    processing: dict[str, object] = {
        "workers": case.workers,
        "batch_max_size": case.batch,
        "processing_guarantee": case.guarantee,
        "executor": case.executor,
        "processes": case.processes,
        # the queue must hold a batch for every worker or the workers starve by design
        "queue_max_size": max(8192, 2 * case.workers * case.batch),
    }
    cfg = harness.daemon_config(bootstrap, model, topics, group, **processing)
    daemon = harness.DaemonProcess(workdir / case.name, cfg).start()
    others = []
    for r in range(1, case.replicas):
        cfg_r = {**cfg, "kafka": {**cfg["kafka"], "instance_id": f"{group}-{r}"}}
        others.append(harness.DaemonProcess(workdir / f"{case.name}-{r}", cfg_r).start())
    timeout = max(120.0, records / 200)
    dead_letters = 0
    broker = harness.broker_pid()
    broker_cpu = harness.RssSampler(broker) if broker is not None else None
    try:
        with (
            harness.RssSampler(daemon.pid) as rss,
            harness.MachineSampler() as machine,
            contextlib.ExitStack() as stack,
        ):
            if broker_cpu is not None:
                stack.enter_context(broker_cpu)
            replica_cpu = [stack.enter_context(harness.RssSampler(o.pid)) for o in others]
            if case.guarantee == "exactly_once":
                async with harness.GroupProgress(bootstrap, group, input_topic) as progress:
                    samples = await harness.poll_progress(
                        progress.count, records, timeout, alive=daemon.alive
                    )
            else:
                async with (
                    harness.TopicCounter(bootstrap, topics["results"]) as results,
                    harness.TopicCounter(bootstrap, topics["dead_letter"]) as dead,
                ):

                    async def count() -> int:
                        return await results.count() + await dead.count()

                    samples = await harness.poll_progress(
                        count, records, timeout, alive=daemon.alive
                    )
                    dead_letters = await dead.count()
        rate = harness.sustained_rate(samples)
        done = samples[-1][1] if samples else 0
        # from 10 % of the records on (a daemon that died before that is reported below)
        steady_from, end, counted = harness.steady_window(samples, records)
        memory = rss.mib(steady_from, end)
        proportional = rss.mib(steady_from, end, pss=True)
        window = (steady_from, end)
        steady = (steady_from, end, counted)
        # cores in use over the window (each sampler's own samples inside it: nearly, not
        # exactly, the same seconds), per record at the window's rate
        daemon_cores = rss.cores_between(*window) + sum(
            r.cores_between(*window) for r in replica_cpu
        )
        cpu_us = harness.us_per_record(daemon_cores, steady)
        # the event-loop process alone (one replica only: with more, the records each one
        # took are not known): its CPU per record bounds what one replica can reach however
        # many cores its scoring processes get
        loop_cores = rss.cores_between(*window, own=True)
        loop_us = harness.us_per_record(loop_cores, steady) if case.replicas == 1 else None
        broker_cores = broker_cpu.cores_between(*window) if broker_cpu is not None else None
        broker_us = None if broker_cores is None else harness.us_per_record(broker_cores, steady)
        # where all the machine's cores went over the same window
        rates = machine.rates(*window)
        cores = (
            harness.core_shares(rates, daemon_cores, broker_cores) if rates is not None else None
        )
    finally:
        code = daemon.stop()
        for other in others:
            code = code or other.stop()
        await harness.delete_topics(bootstrap, outputs)
    if done < records:
        raise RuntimeError(f"{case.name}: {done} of {records} records done:\n{daemon.tail()}")
    result: dict[str, Any] = {
        "case": case.name,
        "workers": case.workers,
        "batch_max_size": case.batch,
        "guarantee": case.guarantee,
        "replicas": case.replicas,
        "executor": case.executor,
        "records": records,
        "rps": rate["rps"],
        "seconds": rate["seconds"],
        # of the first replica, all its processes: RSS summed (shared pages counted once per
        # process) and PSS summed (every page once: what the daemon costs the machine)
        "rss_mib": memory,
        "pss_mib": proportional,
        # CPU per record (all threads, all replicas), independent of the machine's other load
        "daemon_cpu_us_per_record": cpu_us,
        "broker_cpu_us_per_record": broker_us,
        "loop_cpu_us_per_record": loop_us,
        # fractions of all the machine's cores: daemon, broker, harness, other, idle, steal
        "cores": cores,
        "exit_code": code,
    }
    if case.guarantee != "exactly_once":
        result["dead_letters"] = dead_letters
    return result


async def run_cases(
    bootstrap: str, model: Path, input_topic: str, records: int, cases: Sequence[Case]
) -> list[dict[str, Any]]:
    """Every case in turn (one daemon at a time: they would compete for the same cores)."""
    out = []
    with tempfile.TemporaryDirectory(prefix="neo-bench-") as tmp:
        for case in cases:
            result = await run_case(
                bootstrap,
                model=model,
                input_topic=input_topic,
                records=records,
                case=case,
                workdir=Path(tmp),
            )
            print(
                f"  daemon {case.name:<18} {result['rps']:>10,.0f} records/s  "
                f"PSS {result['pss_mib']['max']:,.0f} MiB "
                f"(RSS sum {result['rss_mib']['max']:,.0f})  "
                f"CPU {result['daemon_cpu_us_per_record']:,.0f} us/record "
                f"(event loop {result['loop_cpu_us_per_record'] or 0:,.0f})",
                flush=True,
            )
            out.append(result)
    return out


async def _main(args: argparse.Namespace) -> list[dict[str, Any]]:
    bootstrap = harness.bootstrap_servers()
    topic = f"bench-in-{harness.new_tag()}"
    await harness.create_topics(bootstrap, [topic])
    try:
        await harness.bulk_produce(bootstrap, topic, harness.rekeyed_messages(args.records))
        cases = default_cases(args.workers, args.batch_sizes)
        return await run_cases(bootstrap, args.model, topic, args.records, cases)
    finally:
        await harness.delete_topics(bootstrap, [topic])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the daemon cases alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--model", type=Path, default=harness.DEFAULT_MODEL)
    asyncio.run(_main(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
