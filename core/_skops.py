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

from types import ModuleType

from core._hide import import_hiding

__all__ = ["skops_io"]


def skops_io() -> ModuleType:
    """The ``skops.io`` module, imported (the first time) without importing torch."""
    return import_hiding("skops.io", ["torch"])
