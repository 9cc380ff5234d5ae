"""The text formats by name: each one's parser of an open text stream.

Its own module so that :mod:`core.formats.detect` names the formats in its errors without
importing the package that imports it (no import cycle).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TextIO

from core.formats import ades, cad, nea, obs80, sbdb

__all__ = ["FORMATS", "Parser"]

Parser = Callable[[TextIO], Iterator[dict[str, Any]]]

FORMATS: Mapping[str, Parser] = {
    "obs80": obs80.parse,
    "ades": ades.parse,
    "nea": nea.parse,
    "sbdb": sbdb.parse,
    "cad": cad.parse,
}
"""Format name → parser of an open text stream."""
