"""Message contracts declared once as typed msgspec structs with their constraints.

* :mod:`core.contract.obs`: the ``neo.obs.v1`` observation message (:class:`Observation`,
  :class:`ObsMessage`, :func:`decode_obs_message`, :func:`is_obs_message`).
* :mod:`core.contract.uncertainty`: the uncertainty blocks of ``neo.v1`` (``orbit.sigma``,
  ``orbit.covariance``, ``orbit.fit``), which both decoders of :mod:`core.records` use.
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
