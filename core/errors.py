"""Exceptions raised by :mod:`core`.

Every error raised on purpose by ``core`` derives from :class:`CoreError`::

    CoreError
    ├── RecordError          a neo.v1 record (or one line of input) is invalid
    ├── FormatError          a source file (obs80, ADES, NEA.txt, SBDB, CAD) cannot be parsed
    ├── FitError             no orbit can be fitted to an object's astrometry (the reason says why)
    ├── NotFittedError       a detector/preprocessor was used before ``fit``
    └── ModelError           a model cannot be built, saved or loaded
        ├── IntegrityError   an artifact's sha256 does not match its manifest
        └── SchemaMismatchError  the model was trained on another feature schema

:class:`NotFittedError` is also scikit-learn's ``NotFittedError``. It is defined on first
access (PEP 562): importing scikit-learn costs ~85 MiB, and a process that only decodes and
validates records (the daemon's own process when scoring runs in processes) never needs it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CoreError",
    "FitError",
    "FormatError",
    "IntegrityError",
    "ModelError",
    "NotFittedError",  # noqa: F822  (defined on first access, see __getattr__)
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


class FitError(CoreError):
    """No orbit can be determined from an object's astrometry.

    The message always starts with ``"fit failed: "`` followed by the reason (too few
    observations, a single night, an unknown station, a diverging fit, ...); ``reason`` holds
    the reason alone. One object's failure never stops the others.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"fit failed: {reason}")
        self.reason = reason

    def __reduce__(self) -> tuple[type[FitError], tuple[str]]:
        return (type(self), (self.reason,))


def _not_fitted_error() -> type[CoreError]:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    class NotFittedError(CoreError, SklearnNotFittedError):  # type: ignore[misc]
        """An estimator was used before ``fit`` (also a scikit-learn ``NotFittedError``)."""

    NotFittedError.__module__ = __name__
    NotFittedError.__qualname__ = "NotFittedError"  # pickles by name, like the others
    return NotFittedError


def __getattr__(name: str) -> Any:
    if name == "NotFittedError":
        cls = _not_fitted_error()
        globals()[name] = cls  # defined once: later lookups never reach __getattr__
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ModelError(CoreError):
    """A model cannot be built, saved or loaded."""


class IntegrityError(ModelError):
    """A model artifact does not match the sha256 recorded in its manifest."""


class SchemaMismatchError(ModelError):
    """A model was trained on a feature schema other than the running one."""
