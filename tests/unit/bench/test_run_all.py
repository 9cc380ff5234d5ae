"""The benchmark results document: required keys, ratios and target verdicts from raw results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # bench/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.run_all import doc_section, summarize, table, write_results  # noqa: E402


def _raw() -> dict[str, Any]:
    def case(name: str, guarantee: str, rps: float, rss: float) -> dict[str, Any]:
        return {
            "case": name,
            "guarantee": guarantee,
            "rps": rps,
            "rss_mib": {"median": rss - 10, "max": rss},  # summed over the processes
            "pss_mib": {"median": rss - 210, "max": rss - 200},
        }

    return {
        "date": "2025-01-02",
        "quick": False,
        "command": "python -m bench.run_all",
        "machine": {"cpus": 2},
        "transport": {"rps": 20_000.0},
        "daemon": [
            case("alo-w1-b256", "at_least_once", 8_000.0, 600.0),
            case("alo-w2-b256", "at_least_once", 12_000.0, 700.0),
            case("eos-w2-b256", "exactly_once", 9_000.0, 1_300.0),
            {**case("alo-w2-b256-r2", "at_least_once", 15_000.0, 1_900.0), "replicas": 2},
        ],
        "naive": {"rps": 200.0},
        "latency": {
            "100": {"p50": 30.0, "p95": 50.0, "p99": 60.0, "n": 1500},
            "1000": {"p50": 40.0, "p95": 90.0, "p99": 300.0, "n": 15000},
            "5000": {"p50": 80.0, "p95": 150.0, "p99": 200.0, "n": 75000},
        },
    }


def test_summary_has_the_required_keys_and_values() -> None:
    s = summarize(_raw())
    assert s["passthrough_rps"] == 20_000.0
    assert s["daemon_rps"] == 12_000.0  # best at-least-once case
    assert s["daemon_config"] == "alo-w2-b256"
    assert s["daemon_eos_rps"] == 9_000.0
    assert s["naive_rps"] == 200.0
    assert s["latency_ms"] == {
        "100": {"p50": 30.0, "p95": 50.0, "p99": 60.0},
        "1000": {"p50": 40.0, "p95": 90.0, "p99": 300.0},
        "5000": {"p50": 80.0, "p95": 150.0, "p99": 200.0},
    }
    # the largest steady-state PSS of any single-daemon case (replicas are reported beside)
    assert s["rss_mib"] == 1_100.0
    assert s["memory"] == {
        "case": "eos-w2-b256",
        "pss_mib": 1_100.0,
        "rss_sum_mib": 1_300.0,
        "best_case_pss_mib": 500.0,
    }
    assert s["daemon_vs_passthrough"] == 0.6
    assert s["speedup_vs_naive"] == 60.0
    assert s["machine"] == {"cpus": 2}


def test_targets_are_judged_in_the_right_direction() -> None:
    met = {name: t["met"] for name, t in summarize(_raw())["targets"].items()}
    assert met == {
        "daemon_rps": True,
        "daemon_vs_passthrough": True,
        "speedup_vs_naive": True,
        "p99_ms_at_1000": False,  # 300 ms > 250 ms
        "rss_mib": False,  # 1,100 MiB > 1 GiB
    }


def test_results_written_to_the_dated_file_and_latest(tmp_path: Path) -> None:
    s = summarize(_raw())
    paths = write_results(s, tmp_path, "2025-01-02")
    assert [p.name for p in paths] == ["2025-01-02.json", "latest.json"]
    for path in paths:
        loaded = json.loads(path.read_text())
        assert {"passthrough_rps", "daemon_rps", "naive_rps", "latency_ms", "rss_mib"} <= set(
            loaded
        )
        assert loaded["latency_ms"]["1000"]["p99"] == 300.0
    quick = write_results(s, tmp_path, "2025-01-02", "-quick")
    assert [p.name for p in quick] == ["2025-01-02-quick.json", "latest-quick.json"]


def test_table_marks_missed_targets() -> None:
    text = table(summarize(_raw()))
    lines = {line.split("|")[1].strip(): line for line in text.splitlines()[2:]}
    assert lines["latency @ 1000/s p50/p95/p99"].rstrip(" |").endswith("NO")
    assert lines["daemon / naive"].rstrip(" |").endswith("yes")


def test_a_ratio_just_under_its_target_is_not_rounded_up_to_it() -> None:
    raw = _raw()
    raw["transport"] = {"rps": 24_048.0}  # the best daemon case: 12,000 records/s, 0.499
    lines = {line.split("|")[1].strip(): line for line in table(summarize(raw)).splitlines()[2:]}
    cells = [c.strip() for c in lines["daemon / passthrough"].split("|")]
    assert cells[2:5] == ["0.499", ">= 0.5", "NO"]


def test_doc_section_shows_the_stages_and_the_cost_by_kind_of_record() -> None:
    us = {"decode": 10.0, "process_batch_total": 80.0}
    raw = _raw()
    raw["stages"] = {
        "batch": 1024,
        "us_per_record": us,
        "us_per_record_batch1": {k: 10 * v for k, v in us.items()},
        "broker": {"produce_us_per_record": 15.0, "commit_ms_per_call": 0.5},
        "by_kind": {
            "without observations": {"share": 0.96, "decode_us": 11.0, "process_batch_us": 57.0},
            "with observations": {"share": 0.04, "decode_us": 527.0, "process_batch_us": 747.5},
        },
    }
    text = doc_section(summarize(raw))
    assert "| decode | 10.0 | 100.0 |" in text
    assert "| without observations | 96.0 % | 57.0 | 11.0 |" in text
    assert "| with observations | 4.0 % | 747.5 | 527.0 |" in text


def _with_stages(**extra: Any) -> dict[str, Any]:
    """:func:`_raw` with a minimal stage-cost section, ``extra`` keys added to it."""
    raw = _raw()
    raw["stages"] = {
        "batch": 1024,
        "us_per_record": {"decode": 10.0},
        "us_per_record_batch1": {"decode": 100.0},
        "broker": {"produce_us_per_record": 15.0, "commit_ms_per_call": 0.5},
        **extra,
    }
    return raw


def test_doc_section_shows_the_daemon_profile_by_role_and_view() -> None:
    profile = {
        "daemon": {
            "samples": 1044,
            "self": [["aiokafka/codec.py:zstd_encode", 11.1]],
            "ours": [["streamer/kafka/source.py:Source.run", 17.8], ["streamer/x.py:f", 2.0]],
        },
        "scoring processes": {
            "samples": 2711,
            "self": [["core/_ades_fast.py:decode_ades_message", 8.7]],
            "ours": [["core/_ades_fast.py:decode_ades_message", 8.7]],
        },
    }
    lines = doc_section(summarize(_with_stages(profile=profile))).splitlines()
    header = "| daemon, self | daemon, ours | scoring processes, self | scoring processes, ours |"
    at = lines.index(header)
    assert lines[at + 2] == (
        "| `aiokafka/codec.py:zstd_encode` 11.1 % | `streamer/kafka/source.py:Source.run` 17.8 % | "
        "`core/_ades_fast.py:decode_ades_message` 8.7 % | "
        "`core/_ades_fast.py:decode_ades_message` 8.7 % |"
    )
    assert lines[at + 3] == "|  | `streamer/x.py:f` 2.0 % |  |  |"  # columns end unevenly
    assert "Samples: daemon 1,044, scoring processes 2,711." in lines


def test_doc_section_says_why_a_profile_is_missing() -> None:
    missing = {"error": "py-spy is not installed (pip install py-spy)"}
    text = doc_section(summarize(_with_stages(profile=missing)))
    assert "Profile of the running daemon: not taken (py-spy is not installed" in text


def test_the_ceiling_is_the_fastest_passthrough_with_the_shipped_settings() -> None:
    from bench.run_all import transport_ceiling

    variants = [
        {"rps": 31_000.0, "settings": {"compression_type": "zstd"}, "when": "before"},
        {"rps": 38_000.0, "settings": {"compression_type": "none"}, "when": "before"},
        {"rps": 33_000.0, "settings": {"compression_type": "zstd"}, "when": "after"},
        {"rps": 45_000.0, "settings": {"compression_type": "none"}, "when": "after"},
    ]
    ceiling = transport_ceiling(variants, "zstd")
    assert ceiling["rps"] == 33_000.0 and ceiling["when"] == "after"
    assert ceiling["uncompressed_rps"] == 45_000.0
    assert ceiling["variants"] == variants
    raw = _raw()
    raw["transport"] = ceiling
    s = summarize(raw)
    assert s["passthrough_rps"] == 33_000.0
    assert s["passthrough_compression"] == "zstd"
    assert s["passthrough_uncompressed_rps"] == 45_000.0
    assert s["daemon_vs_passthrough"] == 12_000.0 / 33_000.0
    assert s["daemon_vs_passthrough_uncompressed"] == 12_000.0 / 45_000.0
    cells = {
        row.split("|")[1].strip(): row.split("|")[2].strip() for row in table(s).splitlines()[2:]
    }
    assert cells["passthrough (transport ceiling, zstd as shipped)"] == "33,000 rec/s"
    assert cells["passthrough without compression"] == "45,000 rec/s"
    assert cells["daemon / passthrough"] == "0.364"
    assert cells["daemon / passthrough without compression"] == "0.267"
    # shipped without compression: one ceiling, nothing beside it
    shipped_bare = transport_ceiling(variants, "none")
    assert shipped_bare["rps"] == 45_000.0
    raw["transport"] = shipped_bare
    assert "without compression" not in table(summarize(raw))


def test_a_ceiling_needs_a_run_with_the_shipped_settings() -> None:
    from bench.run_all import transport_ceiling

    with pytest.raises(ValueError, match="lz4"):
        transport_ceiling([{"rps": 1.0, "settings": {"compression_type": "none"}}], "lz4")


def _passthrough_run(
    rps: float, when: str, compression: str, *, cpu: float, broker: float | None, **extra: Any
) -> dict[str, Any]:
    """One passthrough run as ``bench_transport`` reports it."""
    return {
        "rps": rps,
        "when": when,
        "settings": {"compression_type": compression},
        "cpu_us_per_record": cpu,
        "broker_cpu_us_per_record": broker,
        **extra,
    }


def test_doc_gives_cpu_per_record_of_the_event_loop_and_of_every_passthrough_run() -> None:
    raw = _raw()
    raw["daemon"][1].update(daemon_cpu_us_per_record=101.4, loop_cpu_us_per_record=21.6)
    raw["transport"] = {
        "rps": 45_000.0,
        "variants": [
            _passthrough_run(31_000.0, "before", "zstd", cpu=27.2, broker=6.0),
            # no two samples inside the window; no broker pid
            _passthrough_run(45_000.0, "after", "none", cpu=float("nan"), broker=None),
        ],
    }
    text = doc_section(summarize(raw))
    assert "| alo-w2-b256 | 12,000 | 101 | 22 |" in text
    assert "| alo-w1-b256 | 8,000 | n/a | n/a |" in text  # not measured: said so
    assert "| before | zstd | 31,000 | 27 | 6 |" in text
    assert "| after | none | 45,000 | n/a | n/a |" in text


def _cores(
    daemon: float, broker: float, harness: float, other: float, idle: float, *, steal: float = 0.0
) -> dict[str, float]:
    return {
        "daemon": daemon,
        "broker": broker,
        "harness": harness,
        "other": other,
        "idle": idle,
        "steal": steal,
    }


def test_doc_says_where_the_cores_went_in_each_daemon_case_and_passthrough_run() -> None:
    raw = _raw()
    raw["daemon"][1]["cores"] = _cores(0.836, 0.104, 0.018, -0.004, 0.046)
    raw["daemon"][2]["cores"] = _cores(0.7, 0.1, 0.02, 0.0, 0.05, steal=0.13)
    cores = _cores(0.0, 0.07, 0.38, 0.02, 0.53)
    raw["transport"] = {
        "rps": 45_000.0,
        "variants": [
            _passthrough_run(45_000.0, "before", "zstd", cpu=17.0, broker=3.0, cores=cores)
        ],
    }
    text = doc_section(summarize(raw))
    assert "daemon / broker / harness / other / idle" in text
    assert "| 84 / 10 / 2 / 0 / 5 |" in text  # a share sampled below zero shows as 0
    assert "| 70 / 10 / 2 / 0 / 5 (steal 13) |" in text  # a hypervisor's share is shown
    assert "| alo-w1-b256 | 8,000 | n/a | n/a | n/a | 400 | 600 | n/a |" in text
    assert "| before | zstd | 45,000 | 17 | 3 | 38 / 7 / 2 / 53 |" in text
