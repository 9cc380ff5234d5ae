"""Re-scoring an object as its arc grows: fit its orbit, rebuild its record, score it.

:func:`refit_and_score` runs in a scoring process (it is submitted to the daemon's process
pool; with ``executor = "thread"`` in the state thread): an orbit fit is seconds of CPU. The
object's observations are fitted with :func:`core.orbits.fit.fit_orbit`; the fitted orbit
becomes a ``neo.v1`` record (:meth:`~core.orbits.result.OrbitFit.to_neo_obj`) that also
carries the observations as ADES rows, and the model scores that record as it scores any
other. A fit that fails leaves the record with the observations alone (the result's ``"fit"``
is ``{"failed": reason}``). The observations are the contract's
(:class:`core.contract.obs.Observation`) as the state stored them: a space-based or roving
observer's position goes into the fit (:func:`to_astrometry`) and into the record's ADES rows.
:func:`needs_refit` is the rule for when to do it; :func:`result_document` builds the streamed
result once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

from core.contract.obs import Observation, observation_to_obj
from core.contract.records import record_from_obj
from core.serving.arcstate import ArcSummary, ObjectState, ObjectSummary
from streamer.batch import Scorer

if TYPE_CHECKING:  # imported where a fit runs: the daemon process never loads ASSIST
    from core.orbits.astrometry import Astrometry

__all__ = ["Rescored", "needs_refit", "refit_and_score", "result_document", "to_astrometry"]

MIN_NIGHTS = 2
"""An arc of one night gives no orbit worth scoring (the fit refuses it)."""


class Rescored(msgspec.Struct, frozen=True):
    """What :func:`refit_and_score` sends back: the scorer's document (``neo.anomaly.v1``
    without ``"fit"``), the fit's summary as JSON (``{"failed": reason}`` for a failed fit),
    the score and category, the model version. :func:`result_document` joins them."""

    document: bytes
    fit: bytes
    anomaly_score: float
    category: str
    model_version: str
    failed: bool


def needs_refit(state: ObjectSummary | ObjectState, arc: ArcSummary, growth: float) -> bool:
    """Whether ``state``'s orbit is refitted now: the arc has at least :data:`MIN_NIGHTS`
    nights and, since the last fit, gained a night or grew ``growth`` times in length."""
    if arc.nights < MIN_NIGHTS:
        return False
    if state.fit_nights == 0:
        return True
    return arc.nights > state.fit_nights or arc.days >= growth * state.fit_arc_days


_OBSERVER_TYPE = {"ICRF_KM": "S", "ICRF_AU": "S", "WGS84": "V"}  # obs80 column 15


def to_astrometry(object_id: str, observations: Sequence[Observation]) -> Astrometry:
    """The :class:`~core.orbits.astrometry.Astrometry` of one object's stored observations,
    a space-based observer's geocentric position (``sys`` ``ICRF_KM``/``ICRF_AU``, ``ctr``
    399) and a roving one's longitude, latitude and altitude (``WGS84``) included."""
    import numpy as np

    from core.constants import AU_KM
    from core.orbits.astrometry import Astrometry

    n = len(observations)
    space = np.full((n, 3), np.nan)
    roving = np.full((n, 3), np.nan)
    types = []
    for k, o in enumerate(observations):
        kind = _OBSERVER_TYPE.get(o.sys or "", "P" if o.mode == "PHO" else "C")
        types.append(kind)
        if kind == "V":
            roving[k] = (o.pos1, o.pos2, o.pos3)  # all three given: the contract checked
        elif kind == "S" and o.ctr == 399:
            # another centre stays NaN: the fit leaves it out as unplaced (n_unplaced)
            space[k] = (o.pos1, o.pos2, o.pos3)
            if o.sys == "ICRF_KM":
                space[k] /= AU_KM
    return Astrometry.from_columns(
        [o.time_jd_utc for o in observations],
        [o.ra for o in observations],
        [o.dec for o in observations],
        [o.stn for o in observations],
        rms_ra_arcsec=[_nan(o.rmsRA) for o in observations],
        rms_dec_arcsec=[_nan(o.rmsDec) for o in observations],
        mag=[_nan(o.mag) for o in observations],
        band=[o.band for o in observations],
        space_pos_au=space,
        roving_geodetic=roving,
        obs_type=types,
        designation=object_id,
    )


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def refit_and_score(
    object_id: str, observations: Sequence[Observation], scorer: Scorer
) -> Rescored:
    """Fit ``observations`` (one object's, time order), build its record and score it.

    Any exception of the fit (a :class:`~core.errors.FitError`, or a numerical failure of the
    integrator) becomes ``{"failed": reason}``; a scoring failure propagates (the caller
    dead-letters it).
    """
    from core.orbits.fit import fit_orbit

    astrometry = to_astrometry(object_id, observations)
    fit: dict[str, Any]
    try:
        result = fit_orbit(astrometry)
    except Exception as exc:  # the fit's own errors and the integrator's numerical ones
        obj: dict[str, Any] = {"designation": object_id}
        fit = {"failed": str(exc) or type(exc).__name__}
    else:
        obj = result.to_neo_obj(object_id)
        fit = result.summary()
    # the record's rows are the stored observations as the contract writes them (an
    # observer's sys/ctr/pos1..3 included)
    obj["observations"] = {"ades": [observation_to_obj(o) for o in observations]}
    record = record_from_obj(obj)
    (scored,) = scorer.predict_encoded([record])
    return Rescored(
        scored.document,
        orjson.dumps(fit, option=orjson.OPT_SERIALIZE_NUMPY),
        scored.anomaly_score,
        scored.category,
        scored.model_version,
        "failed" in fit,
    )


def result_document(rescored: Rescored, members: Sequence[tuple[str, Any]]) -> bytes:
    """The streamed result: the scorer's ``neo.anomaly.v1`` object with ``"fit"`` and then
    ``members`` (``arc``, ``update``, ``source``) appended, in one pass over the bytes.

    The object is the scorer's own encoding (it starts with ``{`` and ends with ``}``, and
    holds none of these keys), so the members are spliced in rather than the whole result
    decoded and encoded again.
    """
    document = rescored.document
    if document[:1] != b"{" or document[-1:] != b"}":
        raise ValueError("a scored document must be a JSON object")
    parts = [document[:-1], b"," if len(document) > 2 else b"", b'"fit":', rescored.fit]
    for name, value in members:
        parts += (b',"', name.encode(), b'":', orjson.dumps(value))
    parts.append(b"}")
    return b"".join(parts)
