"""``skops.io``, imported without dragging torch in (private to :mod:`core`).

Importing ``skops.io`` lists every scikit-learn estimator (``sklearn.utils.all_estimators``),
and the package walk behind that imports each scikit-learn package it meets, including
``sklearn.externals.array_api_compat.torch``, which imports torch whenever torch is
installed: ~490 MiB of resident memory in a process that only scores (the autoencoder is
scored in numpy) for a module the walk then skips. :func:`skops_io` imports ``skops.io`` with
torch hidden from the importing thread alone; the walk ignores a package that fails to
import, and nothing else changes (skops lists the same estimators: the externals hold none).
When torch is already imported there is nothing to save and nothing is hidden.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

__all__ = ["skops_io"]


class _HideTorch(importlib.abc.MetaPathFinder):
    """Make ``import torch`` fail in one thread (others are left alone)."""

    def __init__(self) -> None:
        self._thread = threading.get_ident()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if (fullname == "torch" or fullname.startswith("torch.")) and (
            threading.get_ident() == self._thread
        ):
            raise ModuleNotFoundError(f"{fullname} is hidden while skops.io imports", name=fullname)
        return None


def skops_io() -> ModuleType:
    """The ``skops.io`` module, imported (the first time) without importing torch."""
    if "skops.io" in sys.modules or "torch" in sys.modules:
        return importlib.import_module("skops.io")
    hider = _HideTorch()
    sys.meta_path.insert(0, hider)
    try:
        return importlib.import_module("skops.io")
    finally:
        sys.meta_path.remove(hider)
