"""Fixtures of the detector tests."""

from __future__ import annotations

import pytest
from detector_data import Blobs, make_blobs


@pytest.fixture(scope="session")
def blobs() -> Blobs:
    return make_blobs()
