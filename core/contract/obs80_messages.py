"""``neo.obs.v1`` messages written from an MPC 80-column file, one observation each.

:func:`obs80_records` groups a file's lines into records (a two-line satellite or roving
record stays one record); :func:`obs80_to_message` maps one record to its message with the
contract's one 80-column reader (:func:`core.contract.obs.read_obs80`): a space-based or
roving observation keeps its observer's position (``sys``/``ctr``/``pos1..3``), and the time
is read once, from columns 16-32. ``produce --per observation`` streams what these give.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from core.contract.obs import observation_to_obj, read_obs80
from core.contract.observations import parse_obs80_line
from core.errors import FormatError, RecordError

__all__ = ["obs80_records", "obs80_to_message"]

_FIRST_OF_TWO = frozenset("SV")  # column 15 of a line whose observer's position follows


def obs80_records(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """``(1-based line number, text)`` of each record of ``lines``: one line, or an ``S``/``V``
    line and the line after it joined by a newline. Blank lines are skipped; line ends are
    removed."""
    pending: tuple[int, str] | None = None
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if pending is not None:
            yield pending[0], pending[1] + "\n" + line
            pending = None
        elif len(line) > 14 and line[14] in _FIRST_OF_TWO:
            pending = (lineno, line)
        else:
            yield lineno, line
    if pending is not None:
        yield pending  # the contract words what its second line lacks


def obs80_to_message(text: str) -> tuple[str, float, dict[str, Any]] | None:
    """``(object id, time_jd_utc, neo.obs.v1 object)`` of one 80-column record (a line, or a
    two-line satellite or roving record), or None for one without an optical position of its
    own (a radar line, a position line on its own).

    The object's id goes in ``permID`` (a number), ``provID`` (a provisional designation) or
    ``trkSub`` (a temporary one), as the contract reads 80-column text; the time is kept to the
    microsecond (the format gives 1e-5 or 1e-6 day).

    Raises
    ------
    FormatError
        The record is not a valid 80-column observation (the reason names the line and its
        columns).
    """
    first = text.split("\n", 1)[0].rstrip("\r")
    if parse_obs80_line(first) is None:
        return None
    try:
        message = read_obs80(text)
    except RecordError as exc:
        raise FormatError(str(exc)) from None
    (obs,) = message.observations
    return message.object_id, obs.time_jd_utc, observation_to_obj(obs)
