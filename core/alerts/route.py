"""Which path an input message takes under an ``[input] format``: scored at once, or the state.

Observations go to the per-object state (:mod:`streamer.state.store`): ``neo.obs.v1`` messages and
ZTF alerts. Everything else is decoded to one ``neo.v1`` record and scored
(:func:`core.serving.inputs.decoder_for`); a Rubin alert's detections also go to the state
(:func:`alert_observations`), beside its record's score. :func:`to_state` is the cheap test the
batch step makes per message (a byte sniff and, for an Avro container, its schema's fields, cached);
:func:`decode_state_input` is what the state step decodes such a message with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import orjson

from core.alerts.message import container_kind, decode_ztf_message, sniff
from core.alerts.ztf import DEFAULT_MAX_SSDISTNR_ARCSEC, Unassociated
from core.contract.obs import ObsMessage, decode_obs_message
from core.contract.obsstream import is_obs_message

if TYPE_CHECKING:
    from core.contract.records import NeoRecord

__all__ = ["StateInput", "Unassociated", "alert_observations", "decode_state_input", "to_state"]


class StateInput(msgspec.Struct, frozen=True):
    """What the state step needs of ``[input]``: the format and the ZTF association limit."""

    format: str = "neo"
    ztf_max_ssdistnr_arcsec: float = DEFAULT_MAX_SSDISTNR_ARCSEC


def to_state(data: bytes, input_format: str) -> bool:
    """Whether ``data`` is observations for the state under ``input_format``."""
    kind = sniff(data)
    if kind == "container":
        return input_format in ("ztf", "auto") and container_kind(data) == "ztf"
    if kind == "lsst-wire":
        return False
    return is_obs_message(data)  # under every format, as before ZTF


def decode_state_input(data: bytes, options: StateInput) -> ObsMessage | Unassociated:
    """The observations of a message :func:`to_state` sent to the state, or why a ZTF alert
    names no asteroid (counted, not an error).

    Raises
    ------
    RecordError
        As :func:`core.alerts.message.decode_ztf_message` or
        :func:`core.contract.obsstream.decode_obs_message`.
    """
    if sniff(data) == "container":
        return decode_ztf_message(data, max_ssdistnr_arcsec=options.ztf_max_ssdistnr_arcsec)
    return decode_obs_message(data)


def alert_observations(data: bytes, record: NeoRecord) -> bytes | None:
    """The ``neo.obs.v1`` tracklet of a Rubin alert's detections (its diaSource and
    prvDiaSources, as its ``neo.v1`` record holds them), for the per-object state beside the
    record's own score; None for a message that is no Rubin alert, or one without detections.
    The object is the record's designation."""
    if sniff(data) not in ("lsst-wire", "container") or record.observations is None:
        return None
    rows = [r for r in record.observations.given if isinstance(r, dict)]
    if not rows:
        return None
    label = "permID" if record.designation.isdigit() else "provID"
    return orjson.dumps({"observations": [{label: record.designation, **r} for r in rows]})
