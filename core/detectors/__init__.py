"""Anomaly detectors with one contract (see :mod:`core.detectors.base`).

None of them imports torch: the autoencoder is trained in PyTorch by
:mod:`core.detectors._ae_torch`, imported only when it trains (or reads a model saved in the
old torch format), and scored in numpy.

:mod:`core.detectors.ensemble` combines fitted detectors into one, and is a detector itself.
"""

from __future__ import annotations

from core.detectors.autoencoder import AutoencoderDetector
from core.detectors.base import BaseDetector
from core.detectors.iforest import IsolationForestDetector
from core.detectors.ocsvm import OneClassSVMDetector

__all__ = [
    "AutoencoderDetector",
    "BaseDetector",
    "IsolationForestDetector",
    "OneClassSVMDetector",
]
