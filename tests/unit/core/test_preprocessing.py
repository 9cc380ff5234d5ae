"""Preprocessor: fitted imputation, indicators, clipping, scaling, selection; row == batch."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from core.errors import NotFittedError
from core.preprocessing import Preprocessor

NAN = np.nan


def _matrix(n: int = 500, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(10.0, 2.0, n)
    b = rng.exponential(1.0, n)
    b[rng.random(n) < 0.2] = NAN  # 20% missing
    const = np.full(n, 7.0)
    dup = 3.0 * a + 1.0  # exact linear copy of a
    all_nan = np.full(n, NAN)
    return np.column_stack([a, b, const, dup, all_nan])


def test_imputation_indicators_and_names() -> None:
    X = _matrix()
    pre = Preprocessor(clip_quantiles=None, scaler="none").fit(X)
    assert pre.statistics_[1] == pytest.approx(np.nanmedian(X[:, 1]))
    assert pre.statistics_[4] == 0.0  # all-NaN column
    np.testing.assert_array_equal(pre.indicator_features_, [1, 4])
    # const, dup and the all-NaN column (and its constant indicator) are dropped
    names = pre.get_feature_names_out(["a", "b", "const", "dup", "all_nan"])
    assert names == ["a", "b", "b__missing"]
    np.testing.assert_array_equal(pre.source_index_, [0, 1, 1])
    out = pre.transform(np.array([[1.0, NAN, 7.0, 4.0, NAN]]))
    np.testing.assert_array_equal(out, [[1.0, pre.statistics_[1], 1.0]])
    assert pre.get_feature_names_out() == ["x0", "x1", "x1__missing"]


def test_without_indicators_or_selection() -> None:
    X = _matrix()
    pre = Preprocessor(add_missing_indicator=False, feature_selection=False).fit(X)
    assert pre.transform(X).shape == (500, 5)
    assert np.isfinite(pre.transform(X)).all()


@pytest.mark.parametrize("scaler", ["standard", "minmax", "robust"])
def test_scalers_use_training_statistics(scaler: str) -> None:
    X = _matrix()
    pre = Preprocessor(scaler=scaler, clip_quantiles=None).fit(X)  # type: ignore[arg-type]
    Z = pre.transform(X)
    if scaler == "standard":
        np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(Z.std(axis=0), 1.0)
    elif scaler == "minmax":
        np.testing.assert_allclose(Z.min(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(Z.max(axis=0), 1.0)
    else:
        np.testing.assert_allclose(np.median(Z[:, 0]), 0.0, atol=1e-12)
        q25, q75 = np.quantile(Z[:, 0], [0.25, 0.75])
        assert q75 - q25 == pytest.approx(1.0)
    # the same statistics apply to new data (not re-estimated per batch)
    new = np.array([[100.0, 1.0, 7.0, 301.0, NAN]])
    assert pre.transform(new)[0, 0] == pytest.approx((100.0 - pre.center_[0]) / pre.scale_[0])


def test_clipping_at_training_quantiles_and_infinities() -> None:
    X = _matrix()
    pre = Preprocessor(clip_quantiles=(0.01, 0.99), scaler="none").fit(X)
    lo, hi = np.quantile(X[:, 0], [0.01, 0.99])
    out = pre.transform(np.array([[1e9, 1.0, 7.0, 0.0, NAN], [-np.inf, np.inf, 7.0, 0.0, NAN]]))
    assert out[0, 0] == pytest.approx(hi)
    assert out[1, 0] == pytest.approx(lo)
    assert out[1, 1] == pytest.approx(pre.upper_[1])
    unclipped = Preprocessor(clip_quantiles=None, scaler="none").fit(X)
    out = unclipped.transform(np.array([[1e9, np.inf, 7.0, 0.0, NAN]]))
    assert out[0, 0] == 1e9  # beyond training range, kept
    assert out[0, 1] == np.nanmax(X[:, 1])  # +inf -> training max


def test_clipping_never_erases_a_rare_flag() -> None:
    flag = np.zeros(5000)
    flag[:3] = 1.0  # 0.06% of rows: the 0.999 quantile is 0
    X = np.column_stack([np.random.default_rng(0).normal(size=5000), flag])
    pre = Preprocessor(scaler="none").fit(X)
    assert pre.get_feature_names_out(["x", "flag"]) == ["x", "flag"]
    assert pre.transform(np.array([[0.0, 1.0]]))[0, 1] == 1.0


def test_a_row_transforms_the_same_alone_and_in_a_batch() -> None:
    X = _matrix()
    pre = Preprocessor(scaler="robust").fit(X)
    test = _matrix(n=50, seed=1)
    batch = pre.transform(test)
    alone = np.vstack([pre.transform(test[i : i + 1]) for i in range(len(test))])
    np.testing.assert_array_equal(alone, batch)


def test_contract_errors() -> None:
    pre = Preprocessor(scaler="minmax")
    assert clone(pre).get_params() == pre.get_params()
    with pytest.raises(NotFittedError):
        pre.transform(_matrix())
    with pytest.raises(ValueError, match="finite or NaN"):
        Preprocessor().fit(np.array([[1.0], [np.inf]]))
    with pytest.raises(ValueError, match="expected 5 features"):
        Preprocessor().fit(_matrix()).transform(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="scaler"):
        Preprocessor(scaler="zscore").fit(_matrix())  # type: ignore[arg-type]
