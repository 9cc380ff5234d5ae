"""streamer.commands.run: start-up pieces that do not need a broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from streamer.commands.run import limit_intra_op_threads

ROOT = Path(__file__).resolve().parents[3]


def test_thread_limit_sets_every_pool_variable_but_keeps_operator_values() -> None:
    env = {"MKL_NUM_THREADS": "4"}
    limit_intra_op_threads(1, env)
    assert env == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "4"}


def test_the_limit_is_applied_before_numpy_is_imported() -> None:
    # `run` loads its config and applies the limit before importing the daemon (which pulls
    # in numpy through core); once numpy is loaded, the variables no longer matter.
    code = (
        "import sys, streamer.cli\n"
        "from streamer.config import aiokafka_security_kwargs, load_config\n"
        "from streamer.ops.logging import configure_logging\n"
        "from streamer.commands import run\n"
        "print(int('numpy' in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def _run_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``neo-streamer run ARGS`` started in ``cwd`` (no $NEO_STREAMER_CONFIG)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NEO_STREAMER_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "streamer.cli", "run", *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_model_is_reported_at_the_path_resolved_from_the_config_file(
    tmp_path: Path,
) -> None:
    # issue 23 item 1: a relative model.path in a config file is relative to that file, and
    # the exit-4 error names the absolute directory that was looked at.
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "config.toml").write_text(
        '[model]\npath = "no-such-registry"\n[http]\nenabled = false\n'
        '[processing]\nexecutor = "thread"\n[logging]\nformat = "json"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = _run_in(elsewhere, "--config", str(conf_dir / "config.toml"))
    assert out.returncode == 4, out.stderr
    assert str(conf_dir / "no-such-registry") in out.stderr


def test_run_with_a_bare_version_name_logs_the_directory_to_give(tmp_path: Path) -> None:
    # issue 23 item 14
    from core.serving.registry import current_version
    from streamer.paths import DEFAULT_REGISTRY

    version = current_version(DEFAULT_REGISTRY)
    assert version is not None
    out = _run_in(
        tmp_path,
        *("--model", version, "--log-format", "json", "--set", "http.enabled=false"),
        *("--set", "processing.executor=thread"),
    )
    assert out.returncode == 4, out.stderr
    assert f"give its directory, models/{version}" in out.stderr
