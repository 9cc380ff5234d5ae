"""PyTorch autoencoder detector: anomalies reconstruct badly.

The only module of :mod:`core` that imports torch. An MLP encoder compresses a row to
``latent_dim`` numbers and a mirrored decoder rebuilds it; the raw score is the per-row mean
squared reconstruction error. Training uses Adam with early stopping on a held-out validation
split (``patience`` epochs without improvement) and restores the best epoch's weights.

Determinism: weight init, the split, shuffling and dropout draw from a forked torch RNG seeded
with ``random_state`` (global RNG state is left untouched); on CPU two fits with one seed give
identical weights. Scoring runs in eval mode (batch norm uses its running statistics, dropout
is off) under ``torch.inference_mode``. Training runs in float32; scoring runs a float64 copy of
the trained network, row by row in effect: the float32 kernels sum in a different order for
one row than for many (scores differed by ~1e-7 between a record alone and in a batch); the
float64 noise (~1e-16) is removed by the rounding of raw scores in
:class:`~core.detectors.base.BaseDetector`, so a record scores identically alone and in any
batch.

Persistence: :meth:`AutoencoderDetector.get_state` returns a JSON-serialisable config and a
``state_dict`` of tensors; :meth:`AutoencoderDetector.from_state` rebuilds the fitted detector.
:meth:`AutoencoderDetector.save_state` / :meth:`AutoencoderDetector.load_state` write and read
them as files (``torch.save``, ``torch.load(..., weights_only=True)``), so no other module
needs torch.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import orjson
import structlog
import torch
from torch import nn

from core._types import FloatArray
from core.calibration import ScoreCalibrator
from core.detectors.base import BaseDetector

__all__ = ["AutoencoderDetector"]

_log = structlog.get_logger(__name__)

Activation = Literal["relu", "tanh", "elu", "leaky_relu"]
_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
}
_SCORE_CHUNK = 65536  # rows per forward pass at scoring: bounds memory, no per-row loop


class _Block(nn.Module):
    """Linear → [BatchNorm] → activation → dropout, with an optional residual shortcut."""

    def __init__(
        self,
        d_in: int,
        d_out: int,
        *,
        activation: str,
        dropout: float,
        bn: bool,
        residual: bool,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(d_in, d_out)]
        if bn:
            layers.append(nn.BatchNorm1d(d_out))
        layers += [_ACTIVATIONS[activation](), nn.Dropout(dropout)]
        self.body = nn.Sequential(*layers)
        self.shortcut: nn.Module | None = None
        if residual:
            self.shortcut = nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return out if self.shortcut is None else out + self.shortcut(x)


class _Net(nn.Module):
    """Encoder (hidden blocks → latent) and mirrored decoder (hidden blocks → linear output).

    Residual shortcuts live inside each hidden block, never across the latent bottleneck,
    so the network cannot learn the identity around it.
    """

    def __init__(self, d: int, hidden: tuple[int, ...], latent: int, **block: Any) -> None:
        super().__init__()
        enc: list[nn.Module] = []
        prev = d
        for h in hidden:
            enc.append(_Block(prev, h, **block))
            prev = h
        enc.append(nn.Linear(prev, latent))
        dec: list[nn.Module] = []
        prev = latent
        for h in reversed(hidden):
            dec.append(_Block(prev, h, **block))
            prev = h
        dec.append(nn.Linear(prev, d))  # inputs are scaled, not in [0, 1]: no sigmoid
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.decoder(self.encoder(x))
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
        ``"auto"`` = CUDA when available, else CPU.
    num_threads : int or None, default=None
        If set, ``torch.set_num_threads`` before fit and scoring (process-wide: leave None
        when an executor already parallelises across workers).
    random_state : int, default=0

    Attributes
    ----------
    net_ : torch.nn.Module
        The fitted network, in eval mode.
    device_ : str
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
        self._apply_threads()
        self.device_ = _resolve_device(self.device)
        rng_devices = [torch.cuda.current_device()] if self.device_.startswith("cuda") else []
        with torch.random.fork_rng(devices=rng_devices):
            torch.manual_seed(self.random_state)
            self.net_ = self._build(X.shape[1]).to(self.device_)
            self._train(torch.as_tensor(X, dtype=torch.float32, device=self.device_))
        _log.info(
            "autoencoder_fitted",
            device=self.device_,
            epochs=self.n_epochs_,
            best_epoch=self.best_epoch_,
            best_val_loss=self.best_val_loss_,
        )

    def _build(self, d: int) -> _Net:
        return _Net(
            d,
            tuple(self.hidden_layers),
            self.latent_dim,
            activation=self.activation,
            dropout=self.dropout,
            bn=self.batch_norm,
            residual=self.residual,
        )

    def _train(self, data: torch.Tensor) -> None:
        gen = torch.Generator().manual_seed(self.random_state)
        n = data.shape[0]
        perm = torch.randperm(n, generator=gen).to(data.device)
        n_val = math.ceil(n * self.validation_fraction) if self.validation_fraction > 0 else 0
        n_val = min(n_val, n - 2)  # batch norm needs >= 2 training rows
        train, val = data[perm[n_val:]], data[perm[:n_val]]
        if n_val == 0:
            val = train
        opt = torch.optim.Adam(
            self.net_.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        best_loss, best_state, best_epoch, stale = math.inf, None, 0, 0
        self.history_: list[dict[str, float]] = []
        for epoch in range(self.max_epochs):
            train_loss = self._epoch(train, opt, gen)
            val_loss = float(self._mse(val).mean())
            self.history_.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
            if val_loss < best_loss:
                best_loss, best_epoch, stale = val_loss, epoch, 0
                best_state = copy.deepcopy(self.net_.state_dict())
            else:
                stale += 1
                if stale >= self.patience:
                    break
        assert best_state is not None  # max_epochs >= 1 and losses are finite
        self.net_.load_state_dict(best_state)
        self.net_.eval()
        self.best_epoch_, self.best_val_loss_ = best_epoch, best_loss
        self.n_epochs_ = len(self.history_)

    def _epoch(
        self, train: torch.Tensor, opt: torch.optim.Optimizer, gen: torch.Generator
    ) -> float:
        self.net_.train()
        n = train.shape[0]
        order = torch.randperm(n, generator=gen).to(train.device)
        starts = list(range(0, n, self.batch_size))
        if len(starts) > 1 and n - starts[-1] == 1:
            starts.pop()  # a last batch of one row breaks batch norm: merge it
        total = 0.0
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else n
            batch = train[order[start:stop]]
            opt.zero_grad(set_to_none=True)
            loss = torch.mean((self.net_(batch) - batch) ** 2)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.detach()) * (stop - start)
        return total / n

    def _mse(self, data: torch.Tensor) -> torch.Tensor:
        self.net_.eval()
        with torch.inference_mode():
            parts = [
                torch.mean((self.net_(chunk) - chunk) ** 2, dim=1)
                for chunk in torch.split(data, _SCORE_CHUNK)
            ]
        return torch.cat(parts) if parts else torch.zeros(0)

    def _raw_scores(self, X: FloatArray) -> FloatArray:
        self._apply_threads()
        net = self._scoring_net()
        data = torch.as_tensor(X, dtype=torch.float64, device=self.device_)
        with torch.inference_mode():
            parts = [
                torch.mean((net(chunk) - chunk) ** 2, dim=1)
                for chunk in torch.split(data, _SCORE_CHUNK)
            ]
        raw: FloatArray = torch.cat(parts).to("cpu").numpy() if parts else np.zeros(0)
        return raw

    def _scoring_net(self) -> _Net:
        """A float64 eval-mode copy of the trained network (made once, after fit or load)."""
        cached: _Net | None = getattr(self, "_net64", None)
        if cached is None or getattr(self, "_net64_of", None) is not self.net_:
            cached = copy.deepcopy(self.net_).to(torch.float64).eval()
            self._net64, self._net64_of = cached, self.net_
        return cached

    def save_state(self, config_path: Path, weights_path: Path) -> None:
        """Write :meth:`get_state` to a JSON config file and a torch ``state_dict`` file."""
        config, state = self.get_state()
        config_path.write_bytes(orjson.dumps(config))
        torch.save(state, weights_path)

    @classmethod
    def load_state(cls, config_path: Path, weights_path: Path, device: str = "cpu") -> Self:
        """Read files written by :meth:`save_state`; the weights load with ``weights_only``."""
        config = orjson.loads(config_path.read_bytes())
        state: dict[str, torch.Tensor] = torch.load(
            weights_path, map_location="cpu", weights_only=True
        )
        return cls.from_state(config, state, device=device)

    def _apply_threads(self) -> None:
        if self.num_threads is not None and torch.get_num_threads() != self.num_threads:
            torch.set_num_threads(self.num_threads)

    def get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Return ``(config, state_dict)``: JSON-serialisable config and CPU weight tensors."""
        self._check_fitted()
        params = self.get_params()
        params["hidden_layers"] = list(params["hidden_layers"])
        config = {
            "params": params,
            "n_features_in": int(self.n_features_in_),
            "calibrator": self.calibrator_.get_state(),
            "threshold": float(self.threshold_),
            "history": self.history_,
            "best_epoch": int(self.best_epoch_),
            "best_val_loss": float(self.best_val_loss_),
        }
        state = {k: v.detach().to("cpu").clone() for k, v in self.net_.state_dict().items()}
        return config, state

    @classmethod
    def from_state(
        cls, config: dict[str, Any], state_dict: dict[str, torch.Tensor], device: str = "auto"
    ) -> Self:
        """Rebuild a fitted detector from :meth:`get_state` output on ``device``."""
        params = dict(config["params"])
        params["hidden_layers"] = tuple(params["hidden_layers"])
        params["device"] = device
        det = cls(**params)
        det.device_ = _resolve_device(device)
        det.n_features_in_ = int(config["n_features_in"])
        det.net_ = det._build(det.n_features_in_)
        det.net_.load_state_dict(state_dict)
        det.net_.to(det.device_).eval()
        det.calibrator_ = ScoreCalibrator.from_state(config["calibrator"])
        det.threshold_ = float(config["threshold"])
        det.history_ = list(config["history"])
        det.best_epoch_ = int(config["best_epoch"])
        det.best_val_loss_ = float(config["best_val_loss"])
        det.n_epochs_ = len(det.history_)
        return det


def _resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device
