"""Anomaly detectors with one contract (see :mod:`core.detectors.base`).

:class:`AutoencoderDetector` is imported lazily so that importing this package does not
import torch; only :mod:`core.detectors.autoencoder` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.detectors.base import BaseDetector
from core.detectors.iforest import IsolationForestDetector
from core.detectors.ocsvm import OneClassSVMDetector

if TYPE_CHECKING:
    from core.detectors.autoencoder import AutoencoderDetector

__all__ = [
    "AutoencoderDetector",
    "BaseDetector",
    "IsolationForestDetector",
    "OneClassSVMDetector",
]


def __getattr__(name: str) -> Any:
    if name == "AutoencoderDetector":
        from core.detectors.autoencoder import AutoencoderDetector

        return AutoencoderDetector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
