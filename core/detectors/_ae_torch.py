"""The autoencoder's PyTorch side: the network, its training, and legacy weight files (private).

The only module of :mod:`core` that imports torch. :class:`~core.detectors.autoencoder.
AutoencoderDetector` imports it when it trains, or when it loads a model saved before the
weights were stored as numpy arrays (a torch ``state_dict`` file); scoring never needs it.

Determinism: weight init, the split, shuffling and dropout draw from a forked torch RNG seeded
with ``random_state`` (global RNG state is left untouched); on CPU two fits with one seed give
identical weights.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from core._hide import import_hiding
from core._types import FloatArray

# Every torch optimizer's constructor imports torch._dynamo, which imports triton only to probe
# for it (torch.utils._triton.has_triton_package). triton compiles GPU kernels: without a GPU
# it is never used here, and loading its native library prints nanobind's "leaked ..." report
# at interpreter exit (seen at the end of `make test`). Without a GPU, dynamo is imported with
# triton hidden, so torch records "no triton" and never loads it.
if not torch.cuda.is_available():
    import_hiding("torch._dynamo", ["triton"])

__all__ = [
    "ACTIVATIONS",
    "Trained",
    "apply_threads",
    "build_net",
    "load_torch_weights",
    "resolve_device",
    "train",
]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
}
_CHUNK = 65536  # rows per forward pass of the validation loss: bounds memory


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
        layers += [ACTIVATIONS[activation](), nn.Dropout(dropout)]
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
    so the network cannot learn the identity around it. The ``state_dict`` key names are the
    layout :class:`core.detectors.autoencoder.MlpForward` reads.
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


def build_net(d: int, params: dict[str, Any]) -> _Net:
    """The untrained network for ``d`` inputs and a detector's ``get_params()``."""
    return _Net(
        d,
        tuple(params["hidden_layers"]),
        params["latent_dim"],
        activation=params["activation"],
        dropout=params["dropout"],
        bn=params["batch_norm"],
        residual=params["residual"],
    )


def resolve_device(device: str) -> str:
    """``"auto"`` is CUDA when available, else CPU; anything else is taken as given."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def apply_threads(num_threads: int | None) -> None:
    """``torch.set_num_threads`` when ``num_threads`` is set and differs."""
    if num_threads is not None and torch.get_num_threads() != num_threads:
        torch.set_num_threads(num_threads)


class Trained(NamedTuple):
    """What :func:`train` returns."""

    weights: dict[str, np.ndarray]
    """The best epoch's ``state_dict`` as CPU numpy arrays (float32; the batch count int64)."""
    device: str
    history: list[dict[str, float]]
    best_epoch: int
    best_val_loss: float


def train(X: FloatArray, params: dict[str, Any]) -> Trained:
    """Train the network on ``X`` with a detector's ``get_params()``; Adam, early stopping on
    a held-out split (``patience`` epochs without improvement), best epoch restored."""
    apply_threads(params["num_threads"])
    device = resolve_device(params["device"])
    rng_devices = [torch.cuda.current_device()] if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=rng_devices):
        torch.manual_seed(params["random_state"])
        net = build_net(X.shape[1], params).to(device)
        data = torch.as_tensor(X, dtype=torch.float32, device=device)
        history, best_epoch, best_loss = _train(net, data, params)
    weights = {k: v.detach().to("cpu").numpy().copy() for k, v in net.state_dict().items()}
    return Trained(weights, device, history, best_epoch, best_loss)


def _train(
    net: _Net, data: torch.Tensor, params: dict[str, Any]
) -> tuple[list[dict[str, float]], int, float]:
    seed = params["random_state"]
    gen = torch.Generator().manual_seed(seed)
    n = data.shape[0]
    perm = torch.randperm(n, generator=gen).to(data.device)
    fraction = params["validation_fraction"]
    n_val = math.ceil(n * fraction) if fraction > 0 else 0
    n_val = min(n_val, n - 2)  # batch norm needs >= 2 training rows
    train_rows, val = data[perm[n_val:]], data[perm[:n_val]]
    if n_val == 0:
        val = train_rows
    opt = torch.optim.Adam(
        net.parameters(), lr=params["learning_rate"], weight_decay=params["weight_decay"]
    )
    best_loss, best_state, best_epoch, stale = math.inf, None, 0, 0
    history: list[dict[str, float]] = []
    for epoch in range(params["max_epochs"]):
        train_loss = _epoch(net, train_rows, opt, gen, params["batch_size"])
        val_loss = float(_mse(net, val).mean())
        history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
        if val_loss < best_loss:
            best_loss, best_epoch, stale = val_loss, epoch, 0
            best_state = copy.deepcopy(net.state_dict())
        else:
            stale += 1
            if stale >= params["patience"]:
                break
    assert best_state is not None  # max_epochs >= 1 and losses are finite
    net.load_state_dict(best_state)
    net.eval()
    return history, best_epoch, best_loss


def _epoch(
    net: _Net,
    train_rows: torch.Tensor,
    opt: torch.optim.Optimizer,
    gen: torch.Generator,
    batch_size: int,
) -> float:
    net.train()
    n = train_rows.shape[0]
    order = torch.randperm(n, generator=gen).to(train_rows.device)
    starts = list(range(0, n, batch_size))
    if len(starts) > 1 and n - starts[-1] == 1:
        starts.pop()  # a last batch of one row breaks batch norm: merge it
    total = 0.0
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else n
        batch = train_rows[order[start:stop]]
        opt.zero_grad(set_to_none=True)
        loss = torch.mean((net(batch) - batch) ** 2)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        total += float(loss.detach()) * (stop - start)
    return total / n


def _mse(net: _Net, data: torch.Tensor) -> torch.Tensor:
    net.eval()
    with torch.inference_mode():
        parts = [
            torch.mean((net(chunk) - chunk) ** 2, dim=1) for chunk in torch.split(data, _CHUNK)
        ]
    return torch.cat(parts) if parts else torch.zeros(0)


def load_torch_weights(path: Path) -> dict[str, np.ndarray]:
    """A ``state_dict`` file (``torch.save``, as models were stored before the numpy arrays),
    read with ``torch.load(weights_only=True)``, as numpy arrays."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path.name} is not a state_dict of tensors")
    return {str(k): v.detach().numpy().copy() for k, v in state.items()}
