"""Autoencoder: determinism, early stopping with the best epoch restored, persistence."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from detector_data import make_blobs
from sklearn.metrics import roc_auc_score

from core.detectors.autoencoder import AutoencoderDetector

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


def test_state_round_trips_through_weights_only_torch_load() -> None:
    data = make_blobs(n_train=300)
    det = AutoencoderDetector(**SMALL, max_epochs=3).fit(data.train)
    config, state = det.get_state()
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    loaded_state = torch.load(buf, weights_only=True)
    config = json.loads(json.dumps(config))
    back = AutoencoderDetector.from_state(config, loaded_state, device="cpu")
    np.testing.assert_array_equal(back.score_samples(data.test), det.score_samples(data.test))
    np.testing.assert_array_equal(back.predict(data.test), det.predict(data.test))
    assert back.get_params() == det.get_params()


def test_importing_the_detector_package_does_not_import_torch() -> None:
    code = (
        "import sys, core.detectors, core.ensemble, core.preprocessing, core.calibration\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "core.detectors.AutoencoderDetector\n"
        "assert 'torch' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
