"""streamer.commands.run: start-up pieces that do not need a broker."""

from __future__ import annotations

import subprocess
import sys

from streamer.commands.run import limit_intra_op_threads


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
        "from streamer.logging import configure_logging\n"
        "from streamer.commands import run\n"
        "print(int('numpy' in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
