"""EnsembleDetector: four combination methods, per-member details, failed members skipped."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from core._types import FloatArray
from core.detectors import BaseDetector, IsolationForestDetector, OneClassSVMDetector
from core.detectors.ensemble import EnsembleDetector
from core.errors import ModelError, NotFittedError

METHODS = ["weighted_average", "voting", "stacking", "dynamic"]


class _Flaky(BaseDetector):
    """Distance-from-origin detector that can be told to fail at fit or at scoring."""

    def __init__(
        self, *, fail_fit: bool = False, fail_score: bool = False, contamination: float = 0.05
    ) -> None:
        self.fail_fit = fail_fit
        self.fail_score = fail_score
        self.contamination = contamination

    def _fit(self, X: FloatArray, y: object) -> None:
        if self.fail_fit:
            raise RuntimeError("fit exploded")

    def _raw_scores(self, X: FloatArray) -> FloatArray:
        if self.fail_score:
            raise RuntimeError("score exploded")
        return np.asarray(np.linalg.norm(X, axis=1), dtype=np.float64)


def _data() -> tuple[FloatArray, FloatArray, FloatArray]:
    rng = np.random.default_rng(0)
    train = rng.normal(size=(600, 6))
    outliers = rng.normal(size=(20, 6)) + 5.0 * rng.choice([-1.0, 1.0], size=(20, 6))
    test = np.vstack([rng.normal(size=(120, 6)), outliers])
    return train, test, np.r_[np.zeros(120), np.ones(20)]


@pytest.fixture(scope="module")
def members() -> list[tuple[str, BaseDetector]]:
    train, _, _ = _data()
    return [
        ("iforest", IsolationForestDetector(n_estimators=60).fit(train)),
        ("ocsvm", OneClassSVMDetector().fit(train)),
        ("norm", _Flaky().fit(train)),
    ]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_scores_in_unit_interval_and_ranks_outliers(
    method: str, members: list[tuple[str, BaseDetector]]
) -> None:
    train, test, labels = _data()
    ens = EnsembleDetector(members, method=method, prefit=True).fit(train)  # type: ignore[arg-type]
    details = ens.score_details(test)
    scores, member_scores, member_weights, failed = details
    assert ((scores >= 0) & (scores <= 1)).all()
    assert ((details.raw >= 0) & (details.raw <= 1)).all()
    assert roc_auc_score(labels, scores) >= 0.95
    assert member_scores.shape == member_weights.shape == (len(test), 3)
    np.testing.assert_allclose(member_weights.sum(axis=1), 1.0)
    assert failed == [] and details.member_names == ["iforest", "ocsvm", "norm"]
    np.testing.assert_array_equal(scores, ens.anomaly_score(test))
    np.testing.assert_array_equal(details.probabilities, ens.anomaly_probability(test))
    alone = np.array([ens.anomaly_score(test[i : i + 1])[0] for i in range(len(test))])
    np.testing.assert_array_equal(alone, scores)


def test_weighted_average_is_the_weighted_mean_of_member_scores(
    members: list[tuple[str, BaseDetector]],
) -> None:
    train, test, _ = _data()
    ens = EnsembleDetector(members, weights=[2.0, 1.0, 1.0], prefit=True).fit(train)
    d = ens.score_details(test)
    np.testing.assert_allclose(d.member_weights[0], [0.5, 0.25, 0.25])
    np.testing.assert_allclose(d.raw, d.member_scores @ [0.5, 0.25, 0.25])
    np.testing.assert_array_equal(d.member_scores[:, 0], members[0][1].anomaly_score(test))


def test_voting_blends_vote_share_with_mean_score(members: list[tuple[str, BaseDetector]]) -> None:
    train, test, _ = _data()
    ens = EnsembleDetector(members, method="voting", prefit=True).fit(train)
    d = ens.score_details(test)
    votes = np.column_stack([det.predict(test) for _, det in members])
    np.testing.assert_allclose(d.raw, 0.5 * votes.mean(axis=1) + 0.5 * d.member_scores.mean(axis=1))


def test_dynamic_weights_favour_confident_members(members: list[tuple[str, BaseDetector]]) -> None:
    train, test, _ = _data()
    ens = EnsembleDetector(members, method="dynamic", prefit=True).fit(train)
    d = ens.score_details(test)
    t = ens.member_thresholds_
    s = d.member_scores
    conf = np.where(s >= t, (s - t) / (1 - t), (t - s) / t)
    for i in range(len(test)):
        order = np.argsort(conf[i])
        assert (np.diff(d.member_weights[i][order]) >= -1e-15).all()


def test_stacking_learns_non_negative_weights_and_can_use_labels(
    members: list[tuple[str, BaseDetector]],
) -> None:
    train, test, labels = _data()
    ens = EnsembleDetector(members, method="stacking", prefit=True).fit(train)
    assert (ens.weights_ >= 0).all() and ens.weights_.sum() == pytest.approx(1.0)
    supervised = EnsembleDetector(members, method="stacking", prefit=True).fit(test, labels)
    assert roc_auc_score(labels, supervised.anomaly_score(test)) >= 0.95
    assert not np.array_equal(supervised.weights_, ens.weights_)


def test_member_failing_at_score_time_is_skipped_and_reported(
    members: list[tuple[str, BaseDetector]],
) -> None:
    train, test, labels = _data()
    flaky = _Flaky().fit(train)
    ens = EnsembleDetector([*members[:2], ("flaky", flaky)], prefit=True).fit(train)
    flaky.fail_score = True
    d = ens.score_details(test)
    assert d.failed == ["flaky"]
    assert np.isnan(d.member_scores[:, 2]).all()
    np.testing.assert_allclose(d.member_weights, np.tile([0.5, 0.5, 0.0], (len(test), 1)))
    np.testing.assert_allclose(d.raw, d.member_scores[:, :2].mean(axis=1))
    assert roc_auc_score(labels, d.scores) >= 0.95


def test_member_failing_at_fit_is_left_out_with_its_reason() -> None:
    train, test, labels = _data()
    ens = EnsembleDetector(
        [("iforest", IsolationForestDetector(n_estimators=30)), ("bad", _Flaky(fail_fit=True))],
        weights=[1.0, 3.0],
    ).fit(train)
    assert ens.failed_members_ == {"bad": "RuntimeError: fit exploded"}
    assert [name for name, _ in ens.members_] == ["iforest"]
    np.testing.assert_array_equal(ens.weights_, [1.0])
    assert roc_auc_score(labels, ens.anomaly_score(test)) >= 0.9


def test_all_members_failing_is_a_model_error() -> None:
    train, test, _ = _data()
    with pytest.raises(ModelError, match="failed to fit"):
        EnsembleDetector([("bad", _Flaky(fail_fit=True))]).fit(train)
    flaky = _Flaky().fit(train)
    ens = EnsembleDetector([("flaky", flaky)], prefit=True).fit(train)
    flaky.fail_score = True
    with pytest.raises(ModelError, match="failed to score"):
        ens.anomaly_score(test)


def test_fit_clones_members_unless_prefit_and_clone_works() -> None:
    train, _, _ = _data()
    member = IsolationForestDetector(n_estimators=20)
    ens = EnsembleDetector([("iforest", member)], method="dynamic", contamination=0.1)
    copy = clone(ens)
    assert copy.get_params()["method"] == "dynamic" and copy.members[0][1] is not member
    with pytest.raises(NotFittedError):
        copy.score_details(train)
    ens.fit(train)
    assert not hasattr(member, "calibrator_")  # the given member stays unfitted
    fitted = IsolationForestDetector(n_estimators=20).fit(train)
    prefit = EnsembleDetector([("fitted", fitted), ("raw", member)], prefit=True).fit(train)
    assert prefit.members_[0][1] is fitted
    assert prefit.failed_members_ == {
        "raw": "NotFittedError: IsolationForestDetector is not fitted yet; call fit first"
    }


def test_invalid_configuration() -> None:
    train, _, _ = _data()
    iso = IsolationForestDetector(n_estimators=5)
    with pytest.raises(ValueError, match="method"):
        EnsembleDetector([("a", iso)], method="median").fit(train)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unique"):
        EnsembleDetector([("a", iso), ("a", iso)]).fit(train)
    with pytest.raises(ValueError, match="weights"):
        EnsembleDetector([("a", iso)], weights=[1.0, 2.0]).fit(train)
