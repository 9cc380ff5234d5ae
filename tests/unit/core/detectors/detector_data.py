"""Seeded synthetic data for the detector tests: a Gaussian cloud and far-away outliers."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core._types import FloatArray


class Blobs(NamedTuple):
    train: FloatArray  # inliers only
    test: FloatArray  # inliers then outliers
    labels: FloatArray  # 1 = outlier


def make_blobs(n_train: int = 800, d: int = 8, seed: int = 0) -> Blobs:
    """Inliers ~ N(0, I); outliers sit 5 sd away along random signed axes."""
    rng = np.random.default_rng(seed)
    train = rng.normal(size=(n_train, d))
    inliers = rng.normal(size=(150, d))
    outliers = rng.normal(size=(25, d)) + 5.0 * rng.choice([-1.0, 1.0], size=(25, d))
    test = np.vstack([inliers, outliers])
    return Blobs(train, test, np.r_[np.zeros(150), np.ones(25)])
