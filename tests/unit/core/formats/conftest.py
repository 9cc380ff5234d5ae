"""Shared paths of the real-file excerpts used by the parser tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """``tests/fixtures``: small real excerpts, each folder with its SOURCE.txt."""
    return Path(__file__).resolve().parents[3] / "fixtures"
