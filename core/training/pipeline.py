"""The training pipeline: catalog → split → features → search → select → ensemble → validate.

Steps (each with a progress bar on stderr when ``progress`` is on):

1. **Load** the neo.v1 JSONL catalog (gzip or plain); invalid lines are reported, not fatal.
2. **Split** the real naturals, seeded, into train / validation / test (60 / 20 / 20).
   **Missingness augmentation** (:mod:`core.training.augment`): in every split, ``missing_fraction``
   of the naturals lose optional parts in the patterns real feeds show (no H, orbit only,
   no orbit, ...), so partial records are normal and evaluation covers them.
3. **Inject** artificial objects (:mod:`core.training.synthetic`) into validation and test, built on
   templates from the same (augmented) split (never from train), ``injected_fraction`` of
   its naturals. **Natural hard negatives**: every split (train included) gains
   ``hard_negative_fraction`` synthetic natural minimoons
   (:func:`core.training.synthetic.generate_natural_minimoons`, on that split's templates), so the
   detectors learn that a small body on an Earth-like orbit with a rock's density is natural.
4. **Features** (:func:`core.features.extract_features`) and the **preprocessor**, fitted on
   the training rows only. With ``hide_missingness`` the block-presence flags
   (:data:`PRESENCE_FEATURES`) and missing-value indicators are kept from the detectors:
   absence of data is not evidence of artificiality.
5. **Search** (:mod:`core.training.search`) for each detector kind; every candidate is fitted
   on train and ranked on validation by average precision, ties by ROC-AUC, then by order (the
   grid lists cheaper forests first). A dead candidate, one that flags no injected object at the
   threshold giving the target false-alert rate on validation naturals (constant or tied
   scores: 0 % detection, 0 % false alerts), ranks after every live one; a kind whose every
   candidate is dead is left out of the ensemble with a warning (``excluded_members`` in the
   report).
6. **Ensemble** of the best member per kind, weighted by validation AP; the combination
   method (weighted average, voting, stacking, dynamic) is also chosen on validation AP.
7. **Threshold** on validation naturals at ``target_false_alert_rate`` (default 1 %); the
   category cuts at 1/5 and 1/20 of that rate (see :mod:`core.serving.model`). Feature-contribution
   sensitivities by occlusion on validation anomalies (:mod:`core.serving.explain`).
8. **Final evaluation** on the untouched test split, per member and for the ensemble:
   ROC-AUC and AP with bootstrap CIs, false-alert and detection rates at thresholds fixed on
   validation (:mod:`core.training.evaluation`). **The hard question** (``metrics.hard_question``):
   the same for the test's artificial objects against its natural Earth-like objects only
   (real ones, a within 0.1 au of 1, e < 0.1, i < 2 deg, and the test's minimoons; records
   the model never saw), overall, where A1 is known (both classes carry an A1) and where
   only the orbit is. **km-size ranks** (``metrics.km_size_ranks``): the rank among the real
   catalogue's scores of every catalogue object larger than 1 km, and of those with A1/A2.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from core._types import FloatArray, IntArray
from core.contract.records import NeoRecord, decode_record
from core.detectors.base import BaseDetector
from core.detectors.ensemble import EnsembleDetector, Method
from core.errors import ModelError, RecordError
from core.features import FEATURE_SCHEMA, extract_features
from core.features.schema import STATISTICAL_NAMES
from core.preprocessing import Preprocessor
from core.serving.explain import ContributionModel, occlusion_sensitivity
from core.serving.model import DENSITY_PRIOR, SIZE_PRIOR, CategoryCuts, TrainedModel, physics_prior
from core.training.augment import COMPLETE, drop_parts
from core.training.calibration import verdict_calibration
from core.training.evaluation import (
    DetectorEvaluation,
    average_precision,
    bootstrap_interval,
    evaluate_scores,
    roc_auc,
    threshold_at_false_alert_rate,
)
from core.training.report import ReportPlotData
from core.training.search import DETECTOR_KINDS, SearchMethod, Trial, grid_candidates, run_search
from core.training.synthetic import generate_artificial, generate_natural_minimoons, is_earth_like

__all__ = [
    "NEVER_EVIDENCE_FEATURES",
    "PRESENCE_FEATURES",
    "InvalidLine",
    "TrainingConfig",
    "TrainingResult",
    "load_catalog",
    "train",
]

_log = structlog.get_logger(__name__)
_METHODS: tuple[Method, ...] = ("weighted_average", "voting", "stacking", "dynamic")
_OCCLUSION_ROWS = 200
_DEAD = "detects no injected object at its validation alert threshold (every candidate)"

PRESENCE_FEATURES: tuple[str, ...] = (*STATISTICAL_NAMES, "ind_mean_confidence")
"""Features that measure how complete a record is rather than what it says (kept in the
schema for explanations; hidden from the detectors with ``hide_missingness``)."""


NEVER_EVIDENCE_FEATURES: tuple[str, ...] = (
    "phys_H",
    "phys_log10_d_km",
    "phys_log10_d_implied_km",
    "phys_log10_d_h_assumed_km",
    "phys_log10_d_best_km",
    "phys_size_albedo_km",
    "ng_log10_abs_a2",
    "ng_log10_abs_a3",
    "ng_sign_a2",
    "ng_log10_a2_ratio",
    "ng_a1_snr",
)
"""Features kept from the detectors because their unusual values are never evidence of an
artificial object (issue 20): a large size (a km-size body is natural whatever else it shows;
the detectors see the one-sided ``phys_H_faint`` and ``phys_log10_d_best_small_km`` instead),
the transverse and normal terms A2/A3 (Yarkovsky drift, model terms) and the A1 signal-to-noise
ratio (a measurement quality; what a detected A1 means is in the A/M and density columns).
They stay in the schema for the indicators and the explanations."""


@dataclass(frozen=True, slots=True)
class InvalidLine:
    """A catalog line that failed validation (1-based line number)."""

    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides a training run.

    Attributes
    ----------
    catalog : Path
        neo.v1 JSONL (``.gz`` allowed) of real natural objects.
    search : {"grid", "random", "bayesian"}
    n_trials : int
        Trials per detector kind for random and Bayesian search.
    seed : int
        Seeds the split, the injection, the search and the detectors.
    quick : bool
        Small configurations (quick grid, few epochs, fewer bootstrap replicates).
    max_records : int or None
        Use a seeded subset of this many catalog records (tests).
    injected_fraction : float
        Injected objects per natural in validation and test.
    missing_fraction : float
        Share of the naturals of every split rewritten into partial records
        (:func:`core.training.augment.drop_parts`).
    hide_missingness : bool
        Keep :data:`PRESENCE_FEATURES` and missing-value indicators out of the detectors.
    hard_negative_fraction : float
        Synthetic natural minimoons per natural added to every split (natural hard negatives).
    target_false_alert_rate : float
        False-alert rate on validation naturals that sets the alert threshold.
    n_boot : int
        Bootstrap replicates of the confidence intervals.
    progress : bool
        Show tqdm progress bars on stderr.
    """

    catalog: Path
    search: SearchMethod = "grid"
    n_trials: int = 12
    seed: int = 0
    quick: bool = False
    max_records: int | None = None
    injected_fraction: float = 0.1
    missing_fraction: float = 0.5
    hide_missingness: bool = True
    target_false_alert_rate: float = 0.01
    hard_negative_fraction: float = 0.02
    n_boot: int = 200
    progress: bool = True
    detector_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def quick_config(cls, catalog: Path, *, seed: int = 0, **changes: Any) -> TrainingConfig:
        """A configuration that trains in seconds: quick grid, short training, 50 replicates."""
        return replace(cls(catalog=catalog, seed=seed, quick=True, n_boot=50), **changes)


@dataclass
class TrainingResult:
    """Output of :func:`train`: the model, its report and the data behind the plots."""

    model: TrainedModel
    report: dict[str, Any]
    plot: ReportPlotData
    invalid_lines: list[InvalidLine]
    training_data_sha256: str


def load_catalog(path: Path) -> tuple[list[NeoRecord], list[InvalidLine], str]:
    """Read and validate a neo.v1 JSONL catalog: (records, invalid lines, sha256 of the file)."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    records: list[NeoRecord] = []
    invalid: list[InvalidLine] = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(decode_record(line))
        except RecordError as exc:
            invalid.append(InvalidLine(lineno, exc.field, exc.reason))
    return records, invalid, digest


def _detector(kind: str, params: Mapping[str, Any], config: TrainingConfig) -> BaseDetector:
    fixed: dict[str, Any] = {"random_state": config.seed}
    if kind == "iforest":
        from core.detectors.iforest import IsolationForestDetector

        return IsolationForestDetector(**{**fixed, **params})
    if kind == "ocsvm":
        from core.detectors.ocsvm import OneClassSVMDetector

        return OneClassSVMDetector(**{**fixed, **params})
    from core.detectors.autoencoder import AutoencoderDetector

    # Large batches: on a small CPU the per-step overhead dominates, not the arithmetic.
    # 25 epochs with patience 4: the grid's six fits are most of the training time, and the
    # validation loss has flattened by then on the catalog (measured).
    fixed |= {"device": "cpu", "batch_size": 1024, "patience": 4}
    fixed |= {"max_epochs": 10, "hidden_layers": (32, 16)} if config.quick else {"max_epochs": 25}
    return AutoencoderDetector(**{**fixed, **params})


@dataclass
class _Split:
    """One labelled evaluation set (validation or test) in preprocessed space."""

    X: FloatArray
    raw: FloatArray
    labels: IntArray
    families: list[tuple[str, ...]]
    patterns: list[str]
    hard: Any  # bool mask: natural Earth-like objects (real or minimoon)


class _Stage:
    """A tqdm bar per pipeline stage (disabled when progress is off)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str, total: int) -> Iterator[Any]:
        from tqdm import tqdm

        start = time.perf_counter()
        with tqdm(total=total, desc=name, disable=not self.enabled, leave=True) as bar:
            yield bar
        self.timings[name] = round(time.perf_counter() - start, 3)


@dataclass(frozen=True)
class _Best:
    """The selected candidate of one detector kind."""

    detector: BaseDetector
    trial: Trial
    roc_auc: float
    degenerate: bool = False
    """Even the best candidate detects no injected object at its alert threshold."""


def _search(
    kind: str, X_train: FloatArray, val: _Split, config: TrainingConfig, bar: Any
) -> tuple[_Best, list[dict[str, Any]]]:
    """Fit every candidate of ``kind`` on train, rank on validation: AP, then AUC, then order."""
    fitted: list[tuple[BaseDetector, float, bool]] = []

    def objective(params: Mapping[str, Any]) -> float:
        det = _detector(kind, {**params, **config.detector_overrides.get(kind, {})}, config)
        det.fit(X_train)
        scores = det.score_samples(val.X)
        ap, auc = average_precision(val.labels, scores), roc_auc(val.labels, scores)
        fitted.append((det, auc, _detects_nothing(scores, val.labels, config)))
        bar.update()
        return ap

    trials = run_search(
        kind,
        objective,
        method=config.search,
        n_trials=config.n_trials,
        seed=config.seed,
        quick=config.quick,
    )
    # a candidate that detects nothing at its operating point ranks after every other
    top = min(range(len(trials)), key=lambda i: (fitted[i][2], -trials[i].value, -fitted[i][1], i))
    _log.info("search_done", kind=kind, best=dict(trials[top].params), ap=trials[top].value)
    table = [
        {
            "params": dict(t.params),
            "average_precision": t.value,
            "roc_auc": fitted[i][1],
            "degenerate": fitted[i][2],
        }
        for i, t in enumerate(trials)
    ]
    return _Best(fitted[top][0], trials[top], fitted[top][1], fitted[top][2]), table


def _detects_nothing(scores: FloatArray, labels: IntArray, config: TrainingConfig) -> bool:
    """Whether a candidate is a dead detector: at the threshold that gives the target
    false-alert rate on the validation naturals, it flags none of the injected objects.

    Such a member (constant scores, or naturals and injected tied at the top) reports 0 %
    detection and 0 % false alerts; in the ensemble it only dilutes the others.
    """
    threshold = threshold_at_false_alert_rate(scores[labels == 0], config.target_false_alert_rate)
    return not bool(np.any(scores[labels == 1] >= threshold))


def train(config: TrainingConfig) -> TrainingResult:
    """Run the whole pipeline (see the module docstring) and return the trained model."""
    stage = _Stage(config.progress)
    rng = np.random.default_rng(config.seed)
    config.catalog.open("rb").close()  # a missing catalog fails before any bar is drawn
    with stage("load catalog", 1) as bar:
        records, invalid, digest = load_catalog(config.catalog)
        if config.max_records is not None and len(records) > config.max_records:
            keep = np.sort(rng.choice(len(records), config.max_records, replace=False))
            records = [records[i] for i in keep]
        if len(records) < 50:
            raise ModelError(f"{config.catalog}: {len(records)} valid records, need at least 50")
        bar.update()
    order = rng.permutation(len(records))
    n_train, n_val = int(0.6 * len(records)), int(0.2 * len(records))
    parts = [order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]]
    train_recs, val_recs, test_recs = (
        drop_parts([records[i] for i in p], config.missing_fraction, rng) for p in parts
    )
    moons = [
        generate_natural_minimoons(
            split.records, max(10, round(config.hard_negative_fraction * len(split.records))), rng
        )
        for split in (train_recs, val_recs, test_recs)
    ]

    with stage("features", 3) as bar:
        train_fm = extract_features([*train_recs.records, *moons[0]])
        hidden = (*PRESENCE_FEATURES,) if config.hide_missingness else ()
        hidden = (*hidden, *NEVER_EVIDENCE_FEATURES)
        pre = Preprocessor(
            add_missing_indicator=not config.hide_missingness,
            exclude_features=tuple(FEATURE_SCHEMA.index(name) for name in hidden),
        ).fit(train_fm.values)
        X_train = pre.transform(train_fm.values)
        bar.update()
        splits = []
        for natural, moon in ((val_recs, moons[1]), (test_recs, moons[2])):
            n_real = len(natural.records)
            n_nat = n_real + len(moon)
            n_inj = max(10, round(config.injected_fraction * n_real))
            injected = generate_artificial(natural.records, n_inj, rng)
            fm = extract_features([*natural.records, *moon, *injected.records])
            labels = np.r_[np.zeros(n_nat, np.int64), np.ones(n_inj, np.int64)]
            families: list[tuple[str, ...]] = [()] * n_nat + list(injected.families)
            patterns = [*natural.patterns, *(["minimoon"] * len(moon)), *(["injected"] * n_inj)]
            hard = np.array(
                [is_earth_like(r) for r in natural.records] + [True] * len(moon) + [False] * n_inj
            )
            splits.append(
                _Split(pre.transform(fm.values), fm.values, labels, families, patterns, hard)
            )
            bar.update()
    val, test = splits

    best: dict[str, _Best] = {}
    trials_report: dict[str, list[dict[str, Any]]] = {}
    for kind in DETECTOR_KINDS:
        n = (
            len(grid_candidates(kind, quick=config.quick))
            if config.search == "grid"
            else config.n_trials
        )
        with stage(f"search {kind}", n) as bar:
            best[kind], trials_report[kind] = _search(kind, X_train, val, config, bar)

    excluded = {kind: _DEAD for kind in DETECTOR_KINDS if best[kind].degenerate}
    for kind in excluded:
        _log.warning("member excluded", kind=kind, reason=_DEAD, params=best[kind].trial.params)
    kinds = [kind for kind in DETECTOR_KINDS if kind not in excluded]
    if not kinds:
        raise ModelError(f"every detector kind is degenerate ({_DEAD}): no ensemble to build")
    members = [(kind, best[kind].detector) for kind in kinds]
    weights = [max(best[kind].trial.value, 1e-3) for kind in kinds]
    with stage("ensemble", len(_METHODS)) as bar:
        candidates = []
        for i, method in enumerate(_METHODS):
            ens = EnsembleDetector(members, weights=weights, method=method, prefit=True)
            ens.fit(X_train)
            s = ens.score_details(val.X).scores
            candidates.append((-average_precision(val.labels, s), -roc_auc(val.labels, s), i, ens))
            bar.update()
        ensemble = min(candidates, key=lambda c: c[:3])[3]

    with stage("threshold + contributions", 2) as bar:
        natural_val = _scores(ensemble, val)[0][val.labels == 0]
        far = config.target_false_alert_rate
        cuts = CategoryCuts(
            suspicious=threshold_at_false_alert_rate(natural_val, far),
            highly_suspicious=threshold_at_false_alert_rate(natural_val, far / 5),
            artificial_candidate=threshold_at_false_alert_rate(natural_val, far / 20),
        )
        bar.update()
        anomalous = val.X[val.labels == 1][:_OCCLUSION_ROWS]
        sensitivity = occlusion_sensitivity(
            lambda M: ensemble.score_details(M).scores, anomalous, np.median(X_train, axis=0)
        )
        contributions = ContributionModel.fit(
            X_train,
            pre.get_feature_names_out(FEATURE_SCHEMA.names),
            pre.source_index_,
            sensitivity,
        )
        bar.update()

    with stage("final evaluation", len(members) + 1) as bar:
        evaluations = _evaluate(ensemble, val=val, test=test, far=far, config=config, bar=bar)
    params = {
        "search": config.search,
        "seed": config.seed,
        "quick": config.quick,
        "members": {kind: dict(best[kind].trial.params) for kind in kinds},
        "excluded_members": {
            kind: {"reason": reason, "params": dict(best[kind].trial.params)}
            for kind, reason in excluded.items()
        },
        "ensemble": {"method": ensemble.method, "weights": ensemble.weights_.tolist()},
        "target_false_alert_rate": far,
        "size_prior": dict(SIZE_PRIOR),
        "density_prior": dict(DENSITY_PRIOR),
    }
    metrics = {
        "test": {ev.name: ev.to_dict() for ev in evaluations},
        "validation": {
            k: {"average_precision": best[k].trial.value, "roc_auc": best[k].roc_auc} for k in kinds
        },
        "detection_by_family": _by_family(ensemble, test, cuts.suspicious),
        "false_alert_by_pattern": _by_pattern(ensemble, test, cuts.suspicious),
    }
    hard_question = _hard_question(ensemble, test, config)
    metrics["hard_question"] = hard_question
    model = TrainedModel(
        schema_version=FEATURE_SCHEMA.version,
        schema_hash=FEATURE_SCHEMA.hash,
        feature_names=tuple(FEATURE_SCHEMA.names),
        preprocessor=pre,
        ensemble=ensemble,
        threshold=cuts.suspicious,
        cuts=cuts,
        contributions=contributions,
        params=params,
        metrics=metrics,
    )
    # The real catalogue only: the minimoons and injected objects are not in it.
    n_tr, n_va, n_te = (len(r.records) for r in (train_recs, val_recs, test_recs))
    catalog_raw = np.vstack([train_fm.values[:n_tr], val.raw[:n_va], test.raw[:n_te]])
    catalog_records = [*train_recs.records, *val_recs.records, *test_recs.records]
    catalog_scores = model.score_matrix(catalog_raw).scores
    metrics["km_size_ranks"] = _km_size_ranks(catalog_records, catalog_raw, catalog_scores)
    verdict = verdict_calibration(model, test.raw, test.labels, test.hard)
    metrics["verdict"] = verdict
    test_scores = _scores(ensemble, test)[0]
    plot = ReportPlotData(
        natural_scores=test_scores[test.labels == 0],
        injected_scores=test_scores[test.labels == 1],
        hard_natural_scores=test_scores[test.hard],
        hard_summary=hard_question,
        threshold=cuts.suspicious,
        a_au=catalog_raw[:, FEATURE_SCHEMA.index("orb_a_au")],
        e=catalog_raw[:, FEATURE_SCHEMA.index("orb_e")],
        i_deg=catalog_raw[:, FEATURE_SCHEMA.index("orb_i_deg")],
        catalog_scores=catalog_scores,
        verdict=verdict,
    )
    report = {
        "catalog": str(config.catalog),
        "training_data_sha256": digest,
        "n_records": len(records),
        "invalid_lines": len(invalid),
        "split": {
            "train": len(train_recs.records),
            "validation": len(val_recs.records),
            "test": len(test_recs.records),
        },
        "missing_fraction": config.missing_fraction,
        "hide_missingness": config.hide_missingness,
        "injected": {"validation": int(val.labels.sum()), "test": int(test.labels.sum())},
        "hard_negatives": {
            "minimoons": {
                "train": len(moons[0]),
                "validation": len(moons[1]),
                "test": len(moons[2]),
            },
            "earth_like_test": int(test.hard.sum()),
        },
        "params": params,
        "metrics": metrics,
        "trials": trials_report,
        "timings_s": stage.timings,
    }
    return TrainingResult(model, report, plot, invalid, digest)


def _scores(ensemble: EnsembleDetector, split: _Split) -> tuple[FloatArray, FloatArray, list[str]]:
    """Ensemble and member scores of a split with the model's physics prior (core.serving.model)."""
    d = ensemble.score_details(split.X)
    priors = {"size_prior": SIZE_PRIOR, "density_prior": DENSITY_PRIOR}
    factor = physics_prior(split.raw, FEATURE_SCHEMA.names, priors)
    assert factor is not None
    return d.scores * factor, d.member_scores * factor[:, None], list(d.member_names)


def _evaluate(
    ensemble: EnsembleDetector,
    *,
    val: _Split,
    test: _Split,
    far: float,
    config: TrainingConfig,
    bar: Any,
) -> list[DetectorEvaluation]:
    """Per-member and ensemble evaluation on test, thresholds fixed on validation naturals."""
    (v, v_members, names), (t, t_members, _) = _scores(ensemble, val), _scores(ensemble, test)
    columns = [(name, v_members[:, j], t_members[:, j]) for j, name in enumerate(names)]
    columns.append(("ensemble", v, t))
    out = []
    for name, v_scores, t_scores in columns:
        threshold = threshold_at_false_alert_rate(v_scores[val.labels == 0], far)
        out.append(
            evaluate_scores(
                name, test.labels, t_scores, threshold, n_boot=config.n_boot, seed=config.seed
            )
        )
        bar.update()
    return out


def _by_family(ensemble: EnsembleDetector, test: _Split, threshold: float) -> dict[str, float]:
    """Detection rate at the threshold among test injected objects, per family and overall."""
    scores = _scores(ensemble, test)[0]
    injected = np.flatnonzero(test.labels == 1)
    groups: dict[str, list[int]] = {"all_families": [], "partial": []}
    for i in injected:
        fams = test.families[i]
        groups["all_families" if len(fams) == 4 else "partial"].append(int(i))
        for f in fams:
            groups.setdefault(f, []).append(int(i))
    return {k: float(np.mean(scores[v] >= threshold)) for k, v in groups.items() if v}


def _by_pattern(ensemble: EnsembleDetector, test: _Split, threshold: float) -> dict[str, Any]:
    """False-alert rate at the threshold among test naturals, per missingness pattern."""
    scores = _scores(ensemble, test)[0]
    natural = test.labels == 0
    out: dict[str, Any] = {}
    for pattern in sorted({p for p, is_nat in zip(test.patterns, natural, strict=True) if is_nat}):
        rows = natural & np.array([p == pattern for p in test.patterns])
        out[pattern] = {"n": int(rows.sum()), "rate": float(np.mean(scores[rows] >= threshold))}
    out.setdefault(COMPLETE, {"n": 0, "rate": 0.0})
    return out


def _hard_question(
    ensemble: EnsembleDetector, test: _Split, config: TrainingConfig
) -> dict[str, Any]:
    """ROC-AUC and AP of the test's artificial objects against its natural Earth-like ones.

    Subsets: ``all``; ``a1_known`` (both classes have a measured radial A1: |A1|/sigma > 3
    on a body <= 150 m, so an A/M and a density, ``srp_log10_amr_m2_kg`` finite);
    ``orbit_only`` (neither has); ``orbit_only_earth_like`` (and the artificial objects are
    on Earth-like orbits too: what the orbit alone cannot decide).
    """
    scores = _scores(ensemble, test)[0]
    has_a1 = np.isfinite(test.raw[:, FEATURE_SCHEMA.index("srp_log10_amr_m2_kg")])
    artificial = test.labels == 1
    earth_like_art = artificial & np.array(["earth_like_orbit" in f for f in test.families])
    subsets = {
        "all": (artificial, test.hard),
        "a1_known": (artificial & has_a1, test.hard & has_a1),
        "orbit_only": (artificial & ~has_a1, test.hard & ~has_a1),
        "orbit_only_earth_like": (earth_like_art & ~has_a1, test.hard & ~has_a1),
    }
    real_moon = np.array([p == "minimoon" for p in test.patterns])
    out: dict[str, Any] = {}
    for name, (pos, neg) in subsets.items():
        entry: dict[str, Any] = {
            "n_artificial": int(pos.sum()),
            "n_natural_earth_like": int(neg.sum()),
            "n_minimoons": int((neg & real_moon).sum()),
        }
        if pos.sum() >= 5 and neg.sum() >= 5:
            rows = pos | neg
            labels, s = pos[rows].astype(np.int64), scores[rows]
            for metric_name, metric in (
                ("roc_auc", roc_auc),
                ("average_precision", average_precision),
            ):
                iv = bootstrap_interval(labels, s, metric, n_boot=config.n_boot, seed=config.seed)
                entry[metric_name] = {"value": iv.value, "low": iv.low, "high": iv.high}
        out[name] = entry
    return out


def _km_size_ranks(records: list[NeoRecord], raw: FloatArray, scores: FloatArray) -> dict[str, Any]:
    """Ranks (1 = highest score) of the catalogue's objects larger than 1 km among all of it.

    Tied scores share the best rank (1 + the number of strictly higher scores): a body tied
    with the top counts as in the top, the strict reading of "none in the top 1 %".
    """
    n = len(scores)
    descending = -np.sort(scores)[::-1]
    rank = np.searchsorted(descending, -scores, side="left").astype(np.int64) + 1
    top = max(1, int(np.ceil(0.01 * n)))
    big = raw[:, FEATURE_SCHEMA.index("phys_log10_d_best_km")] > 0.0
    with_ng = big & np.array([r.nongrav is not None for r in records])
    listed = sorted(np.flatnonzero(with_ng).tolist(), key=lambda i: int(rank[i]))
    return {
        "n_catalogue": n,
        "top_1pct_rank": top,
        "n_km_size": int(big.sum()),
        "km_size_in_top_1pct": int((big & (rank <= top)).sum()),
        "n_km_size_with_nongrav": int(with_ng.sum()),
        "km_size_with_nongrav_in_top_1pct": int((with_ng & (rank <= top)).sum()),
        "km_size_with_nongrav_best": [
            {
                "designation": records[i].designation,
                "rank": int(rank[i]),
                "percentile": round(100.0 * float(rank[i]) / n, 3),
                "score": float(scores[i]),
            }
            for i in listed[:10]
        ],
    }
