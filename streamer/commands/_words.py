"""Counted nouns in the commands' messages: "1 record", "2 records"."""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, in the plural (``noun + "s"`` unless given) when ``n != 1``.

    >>> counted(1, "record"), counted(0, "record"), counted(3, "invalid line")
    ('1 record', '0 records', '3 invalid lines')
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
