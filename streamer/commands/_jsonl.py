"""Reading neo.v1 JSONL input for the CLI commands (validate, screen, score, produce).

Files are read as bytes, not text, so that a line with bad UTF-8 is reported by
:func:`core.contract.records.decode_record` for that line instead of failing the whole file.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import IO, cast

__all__ = ["numbered_lines", "open_binary", "open_output"]


def open_binary(path: str | Path) -> AbstractContextManager[IO[bytes]]:
    """Open ``path`` for binary reading: ``-`` is stdin (left open), ``*.gz`` is decompressed.

    Errors surface as :class:`OSError` (``gzip.BadGzipFile`` is one) or :class:`EOFError`
    (a truncated gzip stream) while reading.
    """
    name = str(path)
    if name == "-":
        return nullcontext(sys.stdin.buffer)  # never close the process's stdin
    if name.endswith(".gz"):
        return cast("AbstractContextManager[IO[bytes]]", gzip.open(name, "rb"))
    return open(name, "rb")


def numbered_lines(stream: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line)`` for every non-blank line; numbers are 1-based."""
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


class open_output:  # noqa: N801 - used as a context manager like open()
    """Binary output: stdout (flushed, not closed) for ``-``, else the file."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        if self._target == "-":
            return sys.stdout.buffer
        self._fh = open(self._target, "wb")
        return self._fh

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
        else:
            sys.stdout.flush()
