"""Fixtures shared by the unit tests of several packages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
import pytest

from core.serving.registry import sha256_file


def _rewrite_in_torch_format(version_dir: Path) -> None:
    """Rewrite a version as models were saved before the weights were numpy arrays: the
    autoencoder's state_dict written by ``torch.save``, format "torch"."""
    import torch

    spec = orjson.loads((version_dir / "model.json").read_bytes())
    manifest = orjson.loads((version_dir / "manifest.json").read_bytes())
    for member in spec["members"]:
        if member["format"] != "npz":
            continue
        config_file, npz = member["files"]
        with np.load(version_dir / npz) as archive:
            state = {k: torch.from_numpy(archive[k]) for k in archive.files}
        pt = npz.replace(".npz", ".pt")
        torch.save(state, version_dir / pt)
        (version_dir / npz).unlink()
        member["format"], member["files"] = "torch", [config_file, pt]
        del manifest["artifacts"][npz]
        manifest["artifacts"][pt] = sha256_file(version_dir / pt)
    (version_dir / "model.json").write_bytes(orjson.dumps(spec))
    manifest["artifacts"]["model.json"] = sha256_file(version_dir / "model.json")
    (version_dir / "manifest.json").write_bytes(orjson.dumps(manifest))


@pytest.fixture
def as_torch_format() -> Callable[[Path], None]:
    """Rewrite a saved version in the format models had before the weights were numpy arrays
    (the autoencoder's state_dict written by ``torch.save``), hashes updated."""
    return _rewrite_in_torch_format
