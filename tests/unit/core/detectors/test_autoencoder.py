"""Autoencoder: determinism, early stopping with the best epoch restored, persistence, numpy
scoring against the torch network, scoring without torch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from detector_data import make_blobs
from sklearn.metrics import roc_auc_score

from core.detectors._ae_torch import build_net
from core.detectors.autoencoder import AutoencoderDetector, MlpForward

BUNDLED = Path(__file__).parents[4] / "models"

SMALL = {"hidden_layers": (16,), "latent_dim": 3, "batch_size": 64, "device": "cpu"}


def test_two_fits_with_one_seed_give_identical_scores() -> None:
    data = make_blobs(n_train=400)
    a = AutoencoderDetector(**SMALL, max_epochs=5, random_state=7).fit(data.train)
    b = AutoencoderDetector(**SMALL, max_epochs=5, random_state=7).fit(data.train)
    c = AutoencoderDetector(**SMALL, max_epochs=5, random_state=8).fit(data.train)
    np.testing.assert_array_equal(a.score_samples(data.test), b.score_samples(data.test))
    assert not np.array_equal(a.score_samples(data.test), c.score_samples(data.test))


def test_early_stopping_restores_the_best_epoch() -> None:
    data = make_blobs(n_train=300)
    params = {**SMALL, "learning_rate": 0.05, "patience": 3, "random_state": 1}
    stopped = AutoencoderDetector(**params, max_epochs=60).fit(data.train)
    val = [h["val_loss"] for h in stopped.history_]
    assert stopped.n_epochs_ == stopped.best_epoch_ + 1 + 3 < 60
    assert stopped.best_val_loss_ == min(val) < val[-1]
    # Training is deterministic, so a run cut at the best epoch holds the best weights:
    # the early-stopped model must score exactly like it.
    cut = AutoencoderDetector(**params, max_epochs=stopped.best_epoch_ + 1).fit(data.train)
    np.testing.assert_array_equal(stopped.score_samples(data.test), cut.score_samples(data.test))


@pytest.mark.parametrize(
    ("activation", "batch_norm", "residual"),
    [("tanh", False, True), ("elu", True, True), ("leaky_relu", False, False)],
)
def test_architecture_options_detect_outliers(
    activation: str, batch_norm: bool, residual: bool
) -> None:
    data = make_blobs(n_train=400)
    det = AutoencoderDetector(
        **{**SMALL, "hidden_layers": (16, 8)},
        activation=activation,  # type: ignore[arg-type]
        batch_norm=batch_norm,
        residual=residual,
        max_epochs=10,
    ).fit(data.train)
    assert roc_auc_score(data.labels, det.score_samples(data.test)) >= 0.9


def test_state_round_trips_through_json_and_an_npz_archive(tmp_path: Path) -> None:
    data = make_blobs(n_train=300)
    det = AutoencoderDetector(**SMALL, max_epochs=3).fit(data.train)
    det.save_state(tmp_path / "ae.json", tmp_path / "ae.npz")
    assert sorted(tmp_path.iterdir()) == [tmp_path / "ae.json", tmp_path / "ae.npz"]
    back = AutoencoderDetector.load_state(tmp_path / "ae.json", tmp_path / "ae.npz")
    np.testing.assert_array_equal(back.score_samples(data.test), det.score_samples(data.test))
    np.testing.assert_array_equal(back.predict(data.test), det.predict(data.test))
    assert back.get_params() == det.get_params()
    assert back.history_ == det.history_ and back.best_epoch_ == det.best_epoch_
    config, weights = det.get_state()
    again = AutoencoderDetector.from_state(json.loads(json.dumps(config)), weights)
    np.testing.assert_array_equal(again.score_samples(data.test), det.score_samples(data.test))


def test_weights_saved_by_torch_as_models_were_before_load_and_score_the_same(
    tmp_path: Path,
) -> None:
    data = make_blobs(n_train=300)
    det = AutoencoderDetector(**SMALL, max_epochs=3).fit(data.train)
    config, weights = det.get_state()
    (tmp_path / "ae.json").write_text(json.dumps(config))
    torch.save({k: torch.from_numpy(v) for k, v in weights.items()}, tmp_path / "ae.pt")
    back = AutoencoderDetector.load_torch_state(tmp_path / "ae.json", tmp_path / "ae.pt")
    np.testing.assert_array_equal(back.score_samples(data.test), det.score_samples(data.test))


def torch_scores(weights: dict[str, np.ndarray], params: dict[str, Any], X: np.ndarray) -> Any:
    """Raw scores of ``X`` by the torch network itself in float64: the reference the numpy
    forward pass is checked against."""
    net = build_net(X.shape[1], params)
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
    net = net.to(torch.float64).eval()
    with torch.inference_mode():
        data = torch.as_tensor(X, dtype=torch.float64)
        return torch.mean((net(data) - data) ** 2, dim=1).numpy()


ARCHITECTURES = [
    {"activation": act, "batch_norm": bn, "residual": res, "hidden_layers": hidden}
    for act in ("relu", "tanh", "elu", "leaky_relu")
    for bn in (True, False)
    for res, hidden in ((False, (12, 6)), (True, (12, 12)), (True, (12, 6)))
]


@pytest.mark.parametrize("arch", ARCHITECTURES, ids=lambda a: "-".join(map(str, a.values())))
def test_numpy_scoring_equals_the_torch_network_in_float64(arch: dict[str, object]) -> None:
    data = make_blobs(n_train=300)
    # large learning rate and a shifted input: activations on both sides of 0, batch norm
    # statistics far from (0, 1), so every folded term matters
    params = {**SMALL, **arch, "learning_rate": 0.05}
    det = AutoencoderDetector(**params, max_epochs=4).fit(data.train * 3.0 + 1.0)  # type: ignore[arg-type]
    X = data.test * 3.0 + 1.0
    reference = torch_scores(det.weights_, det.get_params(), X)
    np.testing.assert_allclose(det._raw_scores(X), reference, rtol=1e-12, atol=0.0)
    # one row alone scores as in the batch
    np.testing.assert_array_equal(det.score_samples(X[:1]), det.score_samples(X)[:1])


def _weights() -> tuple[dict[str, np.ndarray], dict[str, object]]:
    det = AutoencoderDetector(**SMALL, max_epochs=1).fit(make_blobs(n_train=100).train)
    return dict(det.weights_), det.get_params()


def test_weights_that_do_not_fit_the_architecture_are_refused_by_name() -> None:
    weights, params = _weights()
    missing = {k: v for k, v in weights.items() if k != "decoder.1.bias"}
    with pytest.raises(ValueError, match=re.escape("missing weights 'decoder.1.bias'")):
        MlpForward(missing, 8, params)
    with pytest.raises(ValueError, match=re.escape("'encoder.0.body.0.weight' have shape (16, 8)")):
        MlpForward(weights, 9, params)
    with pytest.raises(ValueError, match=re.escape("unexpected weights ['extra']")):
        MlpForward({**weights, "extra": np.zeros(1)}, 8, params)
    bad = {**weights, "encoder.1.weight": np.full_like(weights["encoder.1.weight"], np.nan)}
    with pytest.raises(ValueError, match=re.escape("'encoder.1.weight' must be finite")):
        MlpForward(bad, 8, params)
    wide = {**params, "hidden_layers": (32,)}
    with pytest.raises(
        ValueError,
        match=re.escape("'encoder.0.body.0.weight' have shape (16, 8), expected (32, 8)"),
    ):
        MlpForward(weights, 8, wide)


def test_scoring_does_not_import_torch_and_training_does() -> None:
    code = (
        "import sys, core.detectors, core.detectors.ensemble\n"
        "import core.preprocessing, core.calibration\n"
        "import numpy as np\n"
        "from core.serving.registry import load_model\n"
        "det = core.detectors.AutoencoderDetector\n"
        f"model = load_model({str(BUNDLED)!r})\n"
        "model.score_matrix(np.zeros((3, len(model.feature_names))))\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "det(hidden_layers=(4,), latent_dim=2, max_epochs=1).fit(np.random.rand(20, 3))\n"
        "assert 'torch' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
