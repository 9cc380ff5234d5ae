"""Import a module with other modules hidden from the importing thread (private to :mod:`core`).

Some imports drag in heavy packages they only probe for: ``skops.io`` imports torch through
scikit-learn's array-API shims (:mod:`core._skops`), and ``torch._dynamo`` (imported by every
torch optimizer's constructor) imports triton, a GPU kernel compiler that loads its native
library and, at interpreter exit, prints nanobind's "leaked ..." report
(:mod:`core.detectors._ae_torch`).
While :func:`import_hiding` runs, ``import NAME`` of a hidden module fails in the importing
thread alone (other threads are left alone), so the probe sees the module as not installed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

__all__ = ["import_hiding"]


class _Hide(importlib.abc.MetaPathFinder):
    """Make ``import NAME`` (and its submodules) fail in one thread."""

    def __init__(self, names: frozenset[str]) -> None:
        self._names = names
        self._thread = threading.get_ident()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in self._names and threading.get_ident() == self._thread:
            raise ModuleNotFoundError(f"{fullname} is hidden during this import", name=fullname)
        return None


def import_hiding(module: str, hidden: Sequence[str]) -> ModuleType:
    """Import ``module`` with the top-level packages ``hidden`` unimportable meanwhile.

    Modules already imported are not affected: when one of ``hidden`` is in ``sys.modules``,
    or ``module`` is, the import runs as usual.
    """
    if module in sys.modules or any(name in sys.modules for name in hidden):
        return importlib.import_module(module)
    hider = _Hide(frozenset(hidden))
    sys.meta_path.insert(0, hider)
    try:
        return importlib.import_module(module)
    finally:
        sys.meta_path.remove(hider)
