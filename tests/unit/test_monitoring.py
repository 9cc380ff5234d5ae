"""The operator assets in tools/monitoring: Prometheus alert rules (with their rule tests), the
scrape configuration and the Grafana dashboard, checked against the daemon's real metrics.

``promtool`` (Debian's ``prometheus`` package; ``make container-deps`` installs it, as CI does)
checks the rules, runs alerts.test.yml and lints a real exposition of the daemon's metrics;
without it those tests skip with the reason. The parsing tests run everywhere.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from streamer.ops.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
MON = ROOT / "tools" / "monitoring"
DASHBOARD = MON / "grafana" / "dashboards" / "neo-streamer.json"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool missing (Debian: apt-get install prometheus; make container-deps does)",
)


def _exposed_names() -> set[str]:
    """Every sample name the daemon's /metrics can expose (counters' _total, histograms'
    _bucket/_sum/_count...)."""
    names = set()
    for family in Metrics().registry.collect():
        names.add(family.name)
        suffixes = {
            "counter": ("_total", "_created"),
            "histogram": ("_bucket", "_sum", "_count", "_created"),
        }.get(family.type, ())
        names |= {family.name + s for s in suffixes}
    return names


def _names_in(expr: str) -> set[str]:
    return set(re.findall(r"\bneo_streamer_[a-z_]+\b", expr))


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load((MON / "alerts.yml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dash["panels"] for t in panel["targets"]]


def test_rules_use_only_real_metrics() -> None:
    exposed = _exposed_names()
    rules = _rules()
    assert {r["alert"] for r in rules} >= {
        "NeoStreamerLagGrowing",
        "NeoStreamerDeadLetterRate",
        "NeoStreamerNoResults",
        "NeoStreamerRestoreStuck",
    }
    for rule in rules:
        assert _names_in(rule["expr"]) <= exposed, rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
        assert re.fullmatch(r"\d+m", rule["for"])


def test_every_rule_has_a_firing_rule_test() -> None:
    tests = yaml.safe_load((MON / "alerts.test.yml").read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert fired == {r["alert"] for r in _rules()}


def test_dashboard_panels_use_real_metrics_and_the_provisioned_source() -> None:
    exposed = _exposed_names()
    exprs = _dashboard_exprs()
    used = set().union(*(_names_in(e) for e in exprs))
    assert used <= exposed
    # throughput, lag per partition, dead letters by reason, refits, fit failures by cause,
    # state size, restore
    for name in (
        "neo_streamer_records_in_total",
        "neo_streamer_consumer_lag",
        "neo_streamer_dead_letters_total",
        "neo_streamer_orbit_fits_total",
        "neo_streamer_fit_failures_total",
        "neo_streamer_state_bytes",
        "neo_streamer_state_restoring",
        "neo_streamer_state_restore_seconds_count",
    ):
        assert name in used, name
    source = yaml.safe_load((MON / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = source["datasources"][0]["uid"]
    dash = json.loads(DASHBOARD.read_text())
    assert {p["datasource"]["uid"] for p in dash["panels"]} == {uid}
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))


def test_compose_mounts_the_files_that_exist() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("prometheus", "grafana"):
        for volume in services[name]["volumes"]:
            host = volume.split(":", 1)[0]
            assert (ROOT / host).exists(), volume
    scrape = yaml.safe_load((MON / "prometheus.yml").read_text())["scrape_configs"][0]
    assert scrape["static_configs"][0]["targets"] == ["neo-streamer:8080"]


def _promtool(*args: str, cwd: Path = MON, stdin: bytes | None = None) -> str:
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, *args], cwd=cwd, input=stdin, capture_output=True, timeout=60, check=False
    )
    out = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, out
    return out


@needs_promtool
def test_promtool_checks_and_tests_the_rules() -> None:
    assert "SUCCESS: 6 rules found" in _promtool("check", "rules", "alerts.yml")
    assert "SUCCESS" in _promtool("test", "rules", "alerts.test.yml")
    assert "valid prometheus config" in _promtool("check", "config", "prometheus.yml")


@needs_promtool
def test_promtool_lints_the_daemons_exposition() -> None:
    m = Metrics()
    m.records_in.labels(topic="neo.records").inc()
    m.consumer_lag.labels(topic="neo.records", partition="0").set(3)
    _promtool("check", "metrics", stdin=m.render())
