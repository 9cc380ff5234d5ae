"""The one exception of :mod:`core.known`: a catalogue file that cannot be read."""

from __future__ import annotations

from core.errors import CoreError

__all__ = ["CatalogueError"]


class CatalogueError(CoreError):
    """A catalogue file, or one entry of it, cannot be used.

    Parameters
    ----------
    path : str
        The file.
    line : int or None
        The 1-based line of the offending entry (None: the file as a whole).
    reason : str
        What is wrong.
    """

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason

    def __reduce__(self) -> tuple[type[CatalogueError], tuple[str, int | None, str]]:
        return (type(self), (self.path, self.line, self.reason))
