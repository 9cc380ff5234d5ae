"""``core._hide.import_hiding``: a probe sees a hidden package as not installed, nothing else."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core._hide import import_hiding

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``probe_pkg`` records whether ``hidden_pkg`` (which exists) could be imported."""
    (tmp_path / "hidden_pkg").mkdir()
    (tmp_path / "hidden_pkg" / "__init__.py").write_text("VALUE = 1\n")
    (tmp_path / "probe_pkg.py").write_text(
        "try:\n    import hidden_pkg\n    FOUND = True\nexcept ImportError:\n    FOUND = False\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("probe_pkg", "hidden_pkg"):
        sys.modules.pop(name, None)


def test_the_probe_sees_the_hidden_package_missing_and_it_imports_afterwards(
    packages: None,
) -> None:
    probe = import_hiding("probe_pkg", ["hidden_pkg"])
    assert probe.FOUND is False
    assert "hidden_pkg" not in sys.modules
    import hidden_pkg  # the finder is gone again

    assert hidden_pkg.VALUE == 1


def test_an_already_imported_package_is_not_hidden(packages: None) -> None:
    import hidden_pkg  # noqa: F401

    assert import_hiding("probe_pkg", ["hidden_pkg"]).FOUND is True


def test_training_without_a_gpu_never_loads_triton() -> None:
    # A fresh interpreter: an optimizer's constructor imports torch._dynamo, which would import
    # triton (and print nanobind's leak report at exit) but for core.detectors._ae_torch.
    code = (
        "import sys, torch, core.detectors._ae_torch\n"
        "net = torch.nn.Linear(3, 1)\n"
        "torch.optim.Adam(net.parameters())\n"
        "print(torch.cuda.is_available(), 'torch._dynamo' in sys.modules,"
        " any(m.split('.')[0] == 'triton' for m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    gpu, dynamo, triton = out.stdout.split()
    assert dynamo == "True"  # the import it probes from did happen
    if gpu == "False":
        assert triton == "False"
    assert "nanobind" not in out.stderr
