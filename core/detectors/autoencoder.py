"""Autoencoder detector: anomalies reconstruct badly. Trained with PyTorch, scored with numpy.

An MLP encoder compresses a row to ``latent_dim`` numbers and a mirrored decoder rebuilds it;
the raw score is the per-row mean squared reconstruction error. Training (Adam, early stopping
on a held-out split, the best epoch's weights restored) runs in PyTorch, in
:mod:`core.detectors._ae_torch`, imported only then.

Scoring is the trained network's eval-mode forward pass (batch norm on its running
statistics, folded into the linear layer before it; dropout off) written out in numpy
(:class:`MlpForward`), in float64. The scoring processes therefore never import torch, which
alone holds ~490 MiB of resident memory per process, and a record scores identically alone
and in any batch: the float64 noise between batch shapes (~1e-16) is removed by the rounding
of raw scores in :class:`~core.detectors.base.BaseDetector`. The tests check the numpy pass
against torch's own float64 forward pass of the same weights for every architecture option.

Persistence: :meth:`AutoencoderDetector.get_state` returns a JSON-serialisable config and the
weights (the network's ``state_dict``) as numpy arrays; :meth:`AutoencoderDetector.save_state`
writes them as a JSON file and an ``.npz`` archive read back with ``allow_pickle=False``.
Models saved before that stored the weights with ``torch.save``;
:meth:`AutoencoderDetector.load_torch_state` still reads them (``weights_only=True``, which
needs torch).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Self

import numpy as np
import orjson
import structlog

from core._types import FloatArray
from core.calibration import ScoreCalibrator
from core.detectors.base import BaseDetector

if TYPE_CHECKING:
    from core.detectors._ae_torch import Trained

__all__ = ["AutoencoderDetector", "MlpForward"]

_log = structlog.get_logger(__name__)

Activation = Literal["relu", "tanh", "elu", "leaky_relu"]
_SCORE_CHUNK = 65536  # rows per forward pass at scoring: bounds memory, no per-row loop
_BN_EPS = 1e-5  # torch.nn.BatchNorm1d's default eps
_LEAKY_SLOPE = 0.01  # torch.nn.LeakyReLU's default negative_slope


def _relu(x: FloatArray) -> None:
    np.maximum(x, 0.0, out=x)


def _tanh(x: FloatArray) -> None:
    np.tanh(x, out=x)


def _elu(x: FloatArray) -> None:  # alpha = 1, torch.nn.ELU's default
    negative = x < 0.0
    x[negative] = np.expm1(x[negative])


def _leaky_relu(x: FloatArray) -> None:
    x[x < 0.0] *= _LEAKY_SLOPE


_ACTIVATIONS: dict[str, Callable[[FloatArray], None]] = {
    "relu": _relu,
    "tanh": _tanh,
    "elu": _elu,
    "leaky_relu": _leaky_relu,
}


class _Layer(NamedTuple):
    weight: FloatArray  # (d_in, d_out): the row-vector form, x @ weight
    bias: FloatArray
    activation: Callable[[FloatArray], None] | None  # None: linear
    shortcut: Literal["none", "identity", "project"] = "none"
    project: FloatArray | None = None  # (d_in, d_out) when shortcut == "project"


class MlpForward:
    """The trained network's eval-mode forward pass in numpy float64.

    Built from the ``state_dict`` arrays of the torch network that
    :func:`core.detectors._ae_torch.build_net` makes for the same parameters; every key that
    network has must be there with its shape, and no other (``ValueError`` naming the key).

    Parameters
    ----------
    weights : dict of str to ndarray
    n_features : int
    params : dict
        The detector's ``get_params()`` (architecture: ``hidden_layers``, ``latent_dim``,
        ``activation``, ``batch_norm``, ``residual``).
    """

    def __init__(self, weights: dict[str, np.ndarray], n_features: int, params: dict[str, Any]):
        activation = params["activation"]
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}")
        act = _ACTIVATIONS[activation]
        hidden = tuple(int(h) for h in params["hidden_layers"])
        bn, residual = bool(params["batch_norm"]), bool(params["residual"])
        self._taken: set[str] = set()
        self._weights = weights
        latent = int(params["latent_dim"])
        layers: list[_Layer] = []
        for part, widths, d_in, d_out in (
            ("encoder", hidden, n_features, latent),
            ("decoder", hidden[::-1], latent, n_features),
        ):
            for k, width in enumerate(widths):
                layers.append(
                    self._block(f"{part}.{k}", d_in, width, act, bn=bn, residual=residual)
                )
                d_in = width
            w, b = self._linear(f"{part}.{len(widths)}", d_in, d_out, bias=True)
            layers.append(_Layer(w, b, None))
        extra = sorted(set(weights) - self._taken)
        if extra:
            raise ValueError(f"unexpected weights {extra}")
        del self._weights, self._taken  # only needed while building
        self.layers = tuple(layers)
        self.n_features = n_features

    def _array(self, key: str, shape: tuple[int, ...]) -> FloatArray:
        if key not in self._weights:
            raise ValueError(f"missing weights {key!r}")
        value = np.asarray(self._weights[key])
        if value.shape != shape:
            raise ValueError(f"weights {key!r} have shape {value.shape}, expected {shape}")
        if not np.issubdtype(value.dtype, np.floating) or not np.isfinite(value).all():
            raise ValueError(f"weights {key!r} must be finite floating-point numbers")
        self._taken.add(key)
        return value.astype(np.float64)

    def _linear(
        self, prefix: str, d_in: int, d_out: int, *, bias: bool
    ) -> tuple[FloatArray, FloatArray]:
        w = np.ascontiguousarray(self._array(f"{prefix}.weight", (d_out, d_in)).T)
        b = self._array(f"{prefix}.bias", (d_out,)) if bias else np.zeros(d_out)
        return w, b

    def _block(
        self,
        prefix: str,
        d_in: int,
        d_out: int,
        act: Callable[[FloatArray], None],
        *,
        bn: bool,
        residual: bool,
    ) -> _Layer:
        w, b = self._linear(f"{prefix}.body.0", d_in, d_out, bias=True)
        if bn:
            norm = f"{prefix}.body.1"
            gamma = self._array(f"{norm}.weight", (d_out,))
            beta = self._array(f"{norm}.bias", (d_out,))
            mean = self._array(f"{norm}.running_mean", (d_out,))
            var = self._array(f"{norm}.running_var", (d_out,))
            if (var < 0.0).any():
                raise ValueError(f"weights {norm + '.running_var'!r} must not be negative")
            if f"{norm}.num_batches_tracked" in self._weights:  # a counter, unused in eval mode
                self._taken.add(f"{norm}.num_batches_tracked")
            scale = gamma / np.sqrt(var + _BN_EPS)
            w = np.ascontiguousarray(w * scale)
            b = (b - mean) * scale + beta
        if not residual:
            return _Layer(w, b, act)
        if d_in == d_out:
            return _Layer(w, b, act, "identity")
        project, _ = self._linear(f"{prefix}.shortcut", d_in, d_out, bias=False)
        return _Layer(w, b, act, "project", project)

    def __call__(self, X: FloatArray) -> FloatArray:
        """The reconstruction of ``X`` (float64)."""
        x = np.asarray(X, dtype=np.float64)
        for layer in self.layers:
            out = x @ layer.weight
            out += layer.bias
            if layer.activation is not None:
                layer.activation(out)
            if layer.shortcut == "identity":
                out += x
            elif layer.project is not None:
                out += x @ layer.project
            x = out
        return x

    def reconstruction_error(self, X: FloatArray) -> FloatArray:
        """Per-row mean squared reconstruction error, ``_SCORE_CHUNK`` rows at a time."""
        X = np.asarray(X, dtype=np.float64)
        out = np.empty(X.shape[0])
        for start in range(0, X.shape[0], _SCORE_CHUNK):
            chunk = X[start : start + _SCORE_CHUNK]
            diff = self(chunk)
            diff -= chunk
            np.mean(np.square(diff, out=diff), axis=1, out=out[start : start + len(chunk)])
        return out


class AutoencoderDetector(BaseDetector):
    """MLP autoencoder; raw score = per-row reconstruction MSE.

    Parameters
    ----------
    hidden_layers : tuple of int, default=(64, 32)
        Encoder widths (the decoder mirrors them).
    latent_dim : int, default=8
    activation : {"relu", "tanh", "elu", "leaky_relu"}, default="relu"
    dropout : float, default=0.1
    batch_norm : bool, default=True
    residual : bool, default=False
        Residual shortcut around each hidden block (projected when widths differ).
    learning_rate : float, default=1e-3
    batch_size : int, default=256
    max_epochs : int, default=100
    patience : int, default=10
        Epochs without validation improvement before stopping.
    validation_fraction : float, default=0.1
        Held-out share of the training rows for early stopping (at least one row); 0 stops on
        the training loss instead.
    weight_decay : float, default=0.0
        Adam's L2 penalty.
    contamination : float, default=0.05
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where training runs; ``"auto"`` = CUDA when available, else CPU. Scoring is numpy, on
        the CPU.
    num_threads : int or None, default=None
        If set, ``torch.set_num_threads`` before training (process-wide: leave None when an
        executor already parallelises across workers).
    random_state : int, default=0

    Attributes
    ----------
    weights_ : dict of str to ndarray
        The trained network's ``state_dict`` (the best epoch's), as numpy arrays.
    device_ : str
        Where it was trained (``"cpu"`` for a loaded model).
    history_ : list of dict
        ``{"epoch", "train_loss", "val_loss"}`` per epoch run.
    best_epoch_ : int
        0-based epoch whose weights were restored.
    best_val_loss_ : float
    n_epochs_ : int
        Epochs actually run.
    """

    def __init__(
        self,
        *,
        hidden_layers: tuple[int, ...] = (64, 32),
        latent_dim: int = 8,
        activation: Activation = "relu",
        dropout: float = 0.1,
        batch_norm: bool = True,
        residual: bool = False,
        learning_rate: float = 1e-3,
        batch_size: int = 256,
        max_epochs: int = 100,
        patience: int = 10,
        validation_fraction: float = 0.1,
        weight_decay: float = 0.0,
        contamination: float = 0.05,
        device: str = "auto",
        num_threads: int | None = None,
        random_state: int = 0,
    ) -> None:
        self.hidden_layers = hidden_layers
        self.latent_dim = latent_dim
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.residual = residual
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.weight_decay = weight_decay
        self.contamination = contamination
        self.device = device
        self.num_threads = num_threads
        self.random_state = random_state

    def _fit(self, X: FloatArray, y: object) -> None:
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError("validation_fraction must be in [0, 1)")
        from core.detectors import _ae_torch

        trained: Trained = _ae_torch.train(X, self.get_params())
        self.device_ = trained.device
        self.history_ = trained.history
        self.best_epoch_, self.best_val_loss_ = trained.best_epoch, trained.best_val_loss
        self.n_epochs_ = len(self.history_)
        self._set_weights(trained.weights, X.shape[1])
        _log.info(
            "autoencoder_fitted",
            device=self.device_,
            epochs=self.n_epochs_,
            best_epoch=self.best_epoch_,
            best_val_loss=self.best_val_loss_,
        )

    def _set_weights(self, weights: dict[str, np.ndarray], n_features: int) -> None:
        self._forward = MlpForward(weights, n_features, self.get_params())
        self.weights_ = weights

    def _raw_scores(self, X: FloatArray) -> FloatArray:
        return self._forward.reconstruction_error(X)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return ``(config, weights)``: a JSON-serialisable config and the weight arrays."""
        return self._config(), {k: np.array(v) for k, v in self.weights_.items()}

    def _config(self) -> dict[str, Any]:
        self._check_fitted()
        params = self.get_params()
        params["hidden_layers"] = list(params["hidden_layers"])
        return {
            "params": params,
            "n_features_in": int(self.n_features_in_),
            "calibrator": self.calibrator_.get_state(),
            "threshold": float(self.threshold_),
            "history": self.history_,
            "best_epoch": int(self.best_epoch_),
            "best_val_loss": float(self.best_val_loss_),
        }

    @classmethod
    def from_state(cls, config: dict[str, Any], weights: dict[str, np.ndarray]) -> Self:
        """Rebuild a fitted detector from :meth:`get_state` output (``ValueError`` when the
        weights do not fit the architecture the config describes)."""
        params = dict(config["params"])
        params["hidden_layers"] = tuple(params["hidden_layers"])
        det = cls(**params)
        det.device_ = "cpu"
        det.n_features_in_ = int(config["n_features_in"])
        det._set_weights(dict(weights), det.n_features_in_)
        det.calibrator_ = ScoreCalibrator.from_state(config["calibrator"])
        det.threshold_ = float(config["threshold"])
        det.history_ = list(config["history"])
        det.best_epoch_ = int(config["best_epoch"])
        det.best_val_loss_ = float(config["best_val_loss"])
        det.n_epochs_ = len(det.history_)
        return det

    def save_state(self, config_path: Path, weights_path: Path) -> None:
        """Write :meth:`get_state` as a JSON config file and an ``.npz`` archive of weights."""
        config_path.write_bytes(orjson.dumps(self._config()))
        self.save_weights(weights_path)

    def save_weights(self, weights_path: Path) -> None:
        """Write the weights alone as an ``.npz`` archive (as :meth:`save_state` does)."""
        self._check_fitted()
        # numeric arrays only, never pickled; a file object: np.savez appends no suffix. (No
        # allow_pickle keyword: numpy < 2.1 would store it as one more array.)
        arrays: dict[str, Any] = dict(self.weights_)
        with weights_path.open("wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load_state(cls, config_path: Path, weights_path: Path) -> Self:
        """Read files written by :meth:`save_state` (``allow_pickle=False``: arrays only)."""
        config = orjson.loads(config_path.read_bytes())
        with np.load(weights_path, allow_pickle=False) as archive:
            weights = {name: archive[name] for name in archive.files}
        return cls.from_state(config, weights)

    @classmethod
    def load_torch_state(cls, config_path: Path, weights_path: Path) -> Self:
        """Read a config and a torch ``state_dict`` file, as models were saved before the
        weights were stored as numpy arrays (imports torch; the weights load with
        ``weights_only=True``)."""
        from core.detectors._ae_torch import load_torch_weights

        config = orjson.loads(config_path.read_bytes())
        return cls.from_state(config, load_torch_weights(weights_path))
