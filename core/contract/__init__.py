"""The message contracts: what a valid input is, declared once with its constraints.

* :mod:`core.contract.neo_v1`: the ``neo.v1`` message declared as typed structs with their
  bounds, which :func:`core.contract.records.decode_record` decodes into first;
  :mod:`core.contract.records`: the record types (:class:`NeoRecord`), the checks across fields,
  and :func:`record_from_obj`, which reads what the declaration does not answer for (unknown
  fields, errors to word), with the limits and checks of ``_checks``.
* :mod:`core.contract.observations`: MPC 80-column lines, ADES rows and ISO-8601 times parsed
  into arrays (vectorised in ``_obs_fast``).
* :mod:`core.contract.designations`: packed and canonical designations, the join key.
* :mod:`core.contract.obs`: the ``neo.obs.v1`` observation message (:class:`Observation`,
  :class:`ObsMessage`, :func:`decode_obs_message`, :func:`is_obs_message`): what messages
  decode into and what the per-object state stores; :mod:`core.contract.obsstream` writes
  messages (``produce --per observation``).
* :mod:`core.contract.uncertainty`: the uncertainty blocks of ``neo.v1`` (``orbit.sigma``,
  ``orbit.covariance``, ``orbit.fit``), which both decoders of :mod:`core.contract.records` use.
"""

from core.contract.obs import (
    MAX_OBS_MESSAGE_BYTES,
    MAX_OBS_PER_MESSAGE,
    Observation,
    ObsMessage,
    decode_obs_message,
    is_obs_message,
    observation_to_obj,
)

__all__ = [
    "MAX_OBS_MESSAGE_BYTES",
    "MAX_OBS_PER_MESSAGE",
    "ObsMessage",
    "Observation",
    "decode_obs_message",
    "is_obs_message",
    "observation_to_obj",
]
