"""Launch linkage for the daemon's physics-backed alerts (``[linkage]``, issue 33 item 3).

A re-scored object whose alert rests on physics (``evidence = "physics"``: a measured A/M or
density says hollow) is the one a launch match can name. :func:`link_alerts` runs
:func:`core.orbits.linkage.link_launch` for those alerts only, in the scoring processes (the
state step's ``fit_executor``; in the state thread without one), clones drawn from the fitted
orbit's elements and their sigmas (``fit.elements``, ``fit.sigma``, the fit's A1/A2), and
edits each alert: ``launch_linkage`` says what was done and ``physics.launch_match`` is the
match (or null).

Bounds: the integration stops after ``max_seconds`` (checked at each daily sample, so one
sample's IAS15 steps can overrun it; the result's ``complete`` is then false);
the state step waits at most ``wait_s`` in all for a batch's linkages (one deadline, not one per
object), after which a linkage not back says so (``reason``) and its alert goes out without a
match; at most ``max_per_batch`` run per batch. A linkage that fails, times out or cannot be
made (no bound orbit) never loses the alert: it is published with the reason.

The same step puts an unmatched object's ``known_check`` sentence ("no known object within
...", :mod:`streamer.pipeline.known`) into a physics-backed alert's ``physics.summary``: what a
subscriber reads of a discovery (issue 30 item 3). Results keep ``known_check`` as they were.
"""

from __future__ import annotations

import concurrent.futures
import math
import time
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson

from streamer.config import LaunchLinkageConfig
from streamer.pipeline.batch import ItemOutcome, Output

__all__ = [
    "LinkageJob",
    "PendingAlert",
    "link_alerts",
    "linkage_job",
    "physics_alert",
    "run_linkage",
]

_ELEMENTS = ("a_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg")


class LinkageJob(msgspec.Struct, frozen=True):
    """One fitted orbit to link (what crosses to a scoring process): heliocentric ecliptic
    J2000 elements at ``epoch_jd`` (TDB), their 1-sigma uncertainties and A1, A2, A3."""

    object_id: str
    epoch_jd: float
    elements: dict[str, float]
    sigma: dict[str, float]
    a123: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """An alert output to finish: the object, its outcome, the alert's index in the outcome's
    outputs, the object's fit summary (``Rescored.fit``, decoded)."""

    object_id: str
    outcome: ItemOutcome
    index: int
    fit: dict[str, Any]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def linkage_job(object_id: str, fit: dict[str, Any]) -> LinkageJob | str:
    """The job of a fit summary, or why none can be made (a failed fit, an unbound orbit)."""
    if "failed" in fit:
        return "no fitted orbit"
    elements = fit.get("elements")
    epoch = _number(fit.get("epoch_jd"))
    if not isinstance(elements, dict) or epoch is None:
        return "no fitted orbit"
    values = {k: _number(elements.get(k)) for k in _ELEMENTS}
    complete = {k: v for k, v in values.items() if v is not None}
    if len(complete) < len(_ELEMENTS) or complete["e"] >= 1.0 or complete["a_au"] <= 0.0:
        return "no bound heliocentric orbit to integrate back"
    raw_sigma = fit.get("sigma")
    sigma = {}
    if isinstance(raw_sigma, dict):
        sigma = {k: s for k in _ELEMENTS if (s := _number(raw_sigma.get(k))) is not None}
    a1 = _number(fit.get("a1_au_d2")) or 0.0
    a2 = _number(fit.get("a2_au_d2")) or 0.0
    return LinkageJob(object_id, epoch, complete, sigma, (a1, a2, 0.0))


def run_linkage(job: LinkageJob, cfg: LaunchLinkageConfig) -> dict[str, Any]:
    """Link one orbit (in a scoring process): ``launch_linkage`` of its alert."""
    import numpy as np

    from core.orbits.elements import elements_to_state
    from core.orbits.linkage import LinkageConfig, draw_clones, link_launch

    started = time.perf_counter()
    e = job.elements
    nominal = elements_to_state(
        e["a_au"], e["e"], e["i_deg"], e["node_deg"], e["peri_deg"], e["M_deg"], job.epoch_jd
    )
    clones = draw_clones(
        nominal,
        cfg.n_clones,
        np.random.default_rng(cfg.seed),
        elements=dict(e),
        sigma=dict(job.sigma),
        epoch_jd_tdb=job.epoch_jd,
    )
    bounds = LinkageConfig(
        n_clones=cfg.n_clones, max_years=cfg.max_years, max_seconds=cfg.max_seconds
    )
    result = link_launch(clones, job.epoch_jd, a123=job.a123, config=bounds)
    reason = None
    if result.launch_match is None:
        reason = (
            "no Earth departure matched a launch"
            if result.complete
            else f"no match before the time bound (linkage.max_seconds = {cfg.max_seconds:g})"
        )
    return {
        "launch_match": result.launch_match,
        "complete": result.complete,
        "reason": reason,
        "n_clones": result.n_clones,
        "first_jd_tdb": result.first_jd_tdb,
        "trustworthy_after_jd_tdb": result.trustworthy_after_jd_tdb,
        "seconds": time.perf_counter() - started,
    }


def _not_linked(reason: str) -> dict[str, Any]:
    return {"launch_match": None, "complete": False, "reason": reason}


def link_alerts(
    pending: Sequence[PendingAlert],
    executor: Executor | None,
    cfg: LaunchLinkageConfig,
) -> None:
    """Link the orbits of ``pending`` and replace each alert output with its finished value
    (:func:`physics_alert`); never raises for one object's failure."""
    started = time.monotonic()
    deadline = started + cfg.wait_s
    runs: list[Future[dict[str, Any]] | dict[str, Any]] = []
    for k, p in enumerate(pending):
        job = linkage_job(p.object_id, p.fit) if cfg.enabled else "linkage.enabled is false"
        if isinstance(job, str):
            runs.append(_not_linked(job))
        elif k >= cfg.max_per_batch:
            runs.append(_not_linked(f"more than linkage.max_per_batch = {cfg.max_per_batch}"))
        elif executor is None:
            runs.append(_guarded(job, cfg))
        else:
            try:
                runs.append(executor.submit(run_linkage, job, cfg))
            except Exception as exc:  # a pool shut down or broken
                runs.append(_not_linked(f"linkage failed: {exc}"))
    for p, run in zip(pending, runs, strict=True):
        if isinstance(run, Future):
            try:
                linkage = run.result(timeout=max(deadline - time.monotonic(), 0.0))
            except concurrent.futures.TimeoutError:
                run.cancel()
                linkage = _not_linked(f"not back within linkage.wait_s = {cfg.wait_s:g} s")
            except Exception as exc:  # the process lost, the integration failed
                linkage = _not_linked(f"linkage failed: {exc or type(exc).__name__}")
        else:
            linkage = run
        out = p.outcome.outputs[p.index]
        try:
            value = physics_alert(out.value or b"{}", linkage)
        except ValueError:  # not a JSON object: the alert goes out as it was
            continue
        p.outcome.outputs[p.index] = Output(out.kind, out.key, value, out.partition)


def _guarded(job: LinkageJob, cfg: LaunchLinkageConfig) -> dict[str, Any]:
    try:
        return run_linkage(job, cfg)
    except Exception as exc:
        return _not_linked(f"linkage failed: {exc or type(exc).__name__}")


def physics_alert(value: bytes, linkage: dict[str, Any]) -> bytes:
    """A physics-backed alert with ``launch_linkage`` and ``physics.launch_match``, and the
    ``known_check`` sentence of an unmatched object appended to ``physics.summary``."""
    doc = orjson.loads(value)
    if not isinstance(doc, dict):
        raise ValueError("an alert must be a JSON object")
    doc["launch_linkage"] = linkage
    physics = doc.get("physics")
    if isinstance(physics, dict):
        physics["launch_match"] = linkage.get("launch_match")
        check = doc.get("known_check")
        if doc.get("known_match") is None and isinstance(check, dict) and check.get("message"):
            summary = physics.get("summary")
            sentence = str(check["message"])
            physics["summary"] = f"{summary}; {sentence}" if summary else sentence
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)
