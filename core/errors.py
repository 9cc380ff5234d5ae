"""Exceptions raised by :mod:`core`.

Every error raised on purpose by ``core`` derives from :class:`CoreError`::

    CoreError
    ├── RecordError          a neo.v1 record (or one line of input) is invalid
    ├── FormatError          a source file (obs80, ADES, NEA.txt, SBDB, CAD) cannot be parsed
    ├── NotFittedError       a detector/preprocessor was used before ``fit``
    └── ModelError           a model cannot be built, saved or loaded
        ├── IntegrityError   an artifact's sha256 does not match its manifest
        └── SchemaMismatchError  the model was trained on another feature schema
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = [
    "CoreError",
    "FormatError",
    "IntegrityError",
    "ModelError",
    "NotFittedError",
    "RecordError",
    "SchemaMismatchError",
]


class CoreError(Exception):
    """Root of every error raised on purpose by :mod:`core`."""


class RecordError(CoreError):
    """A neo.v1 record is invalid.

    Parameters
    ----------
    field : str
        Dotted path of the offending field (``"orbit.e"``,
        ``"close_approaches[3].time"``), or ``"$"`` for the message as a whole.
    reason : str
        Human-readable explanation.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[type[RecordError], tuple[str, str]]:
        return (type(self), (self.field, self.reason))


class FormatError(CoreError):
    """A source file cannot be parsed; ``line`` is 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


class NotFittedError(CoreError, _SklearnNotFittedError):  # type: ignore[misc]
    """An estimator was used before ``fit`` (also a scikit-learn ``NotFittedError``)."""


class ModelError(CoreError):
    """A model cannot be built, saved or loaded."""


class IntegrityError(ModelError):
    """A model artifact does not match the sha256 recorded in its manifest."""


class SchemaMismatchError(ModelError):
    """A model was trained on a feature schema other than the running one."""
