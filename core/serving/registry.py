"""The model registry: versioned model directories, verified before anything is deserialised.

Layout of a registry root::

    <root>/CURRENT                 text file naming the current version (no symlinks)
    <root>/<version>/manifest.json model id, version, created (UTC), detectors and parameters,
                                   feature schema version and hash, training-data sha256,
                                   metrics, library versions, sha256 of every artifact
    <root>/<version>/model.json    threshold, category cuts, schema names, contributions,
                                   the ensemble's fitted state (EnsembleDetector.get_state),
                                   its members and how each is stored
    <root>/<version>/preprocessor.skops, member-<name>.skops
    <root>/<version>/member-<name>.json + member-<name>.npz  (the autoencoder: config and
                                   weights; models saved before hold member-<name>.pt)
    <root>/<version>/report.json, report.png                (written by training)

Safe formats only, never plain pickle: scikit-learn objects go through skops, and before a
skops file is loaded its untrusted types (``skops.io.get_untrusted_types``) must all be in
:data:`ALLOWED_TYPES`, else loading is refused; the autoencoder's weights are numpy arrays
in an ``.npz`` archive read with ``allow_pickle=False`` (a model saved before that holds a torch
``state_dict``, read with ``torch.load(weights_only=True)`` and converted by
:func:`convert_torch_members`); the rest is small
JSON. A manifest or model.json without a required key raises :class:`~core.errors.ModelError`.

:func:`load_model` checks every artifact's sha256 against the manifest *before* reading any
of them (:class:`~core.errors.IntegrityError` on a mismatch or a missing file), then the
feature schema hash against the running :data:`core.features.FEATURE_SCHEMA`
(:class:`~core.errors.SchemaMismatchError`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import structlog

from core._skops import skops_io
from core.errors import IntegrityError, ModelError, SchemaMismatchError

if TYPE_CHECKING:
    from core.serving.model import TrainedModel

__all__ = [
    "ALLOWED_TYPES",
    "activate",
    "convert_torch_members",
    "current_version",
    "list_versions",
    "load_model",
    "read_manifest",
    "resolve_model_dir",
    "save_model",
]

ALLOWED_TYPES: frozenset[str] = frozenset(
    {
        "core.preprocessing.Preprocessor",
        "core.calibration.ScoreCalibrator",
        "core.detectors.iforest.IsolationForestDetector",
        "core.detectors.ocsvm.OneClassSVMDetector",
        "sklearn.tree._tree.Tree",
    }
)
"""Types a skops artifact may contain beyond skops' own trusted defaults."""

_log = structlog.get_logger(__name__)

CURRENT_FILE = "CURRENT"
MANIFEST = "manifest.json"
_AUTOENCODER_STATE = "save_state"


def save_model(
    model: TrainedModel,
    root: Path,
    *,
    training_data_sha256: str,
    extra_files: dict[str, Path] | None = None,
    make_current: bool = True,
) -> Path:
    """Write ``model`` as a new version under ``root`` and return its directory.

    The version is written to a temporary directory inside ``root`` and renamed into place,
    so a reader never sees a half-written version. ``model.version`` and ``model.created``
    are set here. ``extra_files`` (e.g. the training report) are copied in and hashed too.
    """
    root.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    model.created = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    model.version = _new_version(root, created)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        artifacts = _write_artifacts(model, tmp)
        for name, src in (extra_files or {}).items():
            shutil.copyfile(src, tmp / name)
            artifacts.append(name)
        manifest = _manifest(model, tmp, sorted(artifacts), training_data_sha256)
        (tmp / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        target = root / model.version
        # mkdtemp makes the directory 0700; a registered version is read by whoever serves it
        # (a container's unprivileged user, another account), like the files in it
        tmp.chmod(0o755)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if make_current:
        activate(root, model.version)
    return target


def load_model(path: Path | str) -> TrainedModel:
    """Load a model from a registry root (its current version) or a version directory.

    Raises
    ------
    IntegrityError
        An artifact is missing or its sha256 differs from the manifest.
    SchemaMismatchError
        The model was trained on another feature schema than the running one.
    ModelError
        The path is neither a registry nor a model directory, an artifact holds a type
        outside the allow-list, or reading an artifact failed in any other way: model files
        are input we do not control, so whatever a damaged one raises is a refusal.
    """
    try:
        directory = resolve_model_dir(Path(path))
        manifest = read_manifest(directory)
        try:
            return _load(directory, manifest)
        except KeyError as exc:
            # A manifest or model.json that parses but lacks a key is a damaged model.
            raise ModelError(f"{directory}: model description lacks the key {exc}") from exc
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"cannot load a model from {path}: {exc!r}") from exc


def _load(directory: Path, manifest: dict[str, Any]) -> TrainedModel:
    # imported here: reading a registry (CURRENT, manifests) must not import scikit-learn
    from core.detectors.ensemble import EnsembleDetector
    from core.features import FEATURE_SCHEMA
    from core.serving.explain import ContributionModel
    from core.serving.model import CategoryCuts, TrainedModel

    _verify_artifacts(directory, manifest)
    schema = manifest["feature_schema"]
    if schema["hash"] != FEATURE_SCHEMA.hash:
        raise SchemaMismatchError(
            f"model {manifest['version']} was trained on feature schema {schema['version']} "
            f"(hash {schema['hash'][:12]}), the running code has {FEATURE_SCHEMA.version} "
            f"(hash {FEATURE_SCHEMA.hash[:12]}); retrain with `neo-streamer train`"
        )
    spec = orjson.loads((directory / "model.json").read_bytes())
    if spec["schema_hash"] != schema["hash"]:
        raise IntegrityError(f"{directory}: model.json and manifest disagree on the schema hash")
    members = [(m["name"], _load_member(directory, m)) for m in spec["members"]]
    ensemble = EnsembleDetector.from_state(spec["ensemble"], members)
    return TrainedModel(
        schema_version=spec["schema_version"],
        schema_hash=spec["schema_hash"],
        feature_names=tuple(spec["feature_names"]),
        preprocessor=_load_skops(directory / "preprocessor.skops"),
        ensemble=ensemble,
        threshold=float(spec["threshold"]),
        cuts=CategoryCuts(**spec["cuts"]),
        contributions=ContributionModel.from_json(spec["contributions"]),
        model_id=manifest["model_id"],
        version=manifest["version"],
        created=manifest["created"],
        params=manifest["params"],
        metrics=manifest["metrics"],
    )


def convert_torch_members(directory: Path | str) -> list[str]:
    """Rewrite a version's torch-format autoencoder weights as an ``.npz`` archive, in place.

    Models saved before the weights were stored as numpy arrays hold a torch ``state_dict``
    (``member-<name>.pt``); loading one imports torch in every process that scores. The
    version's artifacts are verified first, the weights converted exactly (the same float32
    arrays), ``model.json`` and the manifest's hashes rewritten and the ``.pt`` file removed;
    the version keeps its name. Returns the names of the members converted (empty when there
    were none). A daemon that reads this version while it is being rewritten refuses it with an
    :class:`~core.errors.IntegrityError` and keeps what it serves.

    Raises
    ------
    IntegrityError, ModelError
        As :func:`load_model`, before anything is written.
    """
    from core.detectors.autoencoder import AutoencoderDetector

    directory = resolve_model_dir(Path(directory))
    manifest = read_manifest(directory)
    _verify_artifacts(directory, manifest)
    spec = orjson.loads((directory / "model.json").read_bytes())
    converted: list[str] = []
    removed: list[str] = []
    artifacts: dict[str, str] = dict(manifest["artifacts"])
    for member in spec["members"]:
        if member["format"] != "torch":
            continue
        config_file, weights_file = member["files"]
        try:
            det = AutoencoderDetector.load_torch_state(
                directory / config_file, directory / weights_file
            )
        except Exception as exc:
            raise ModelError(f"{directory}: cannot read {weights_file}: {exc!r}") from exc
        npz = f"member-{member['name']}.npz"
        det.save_weights(directory / npz)
        member["format"], member["files"] = "npz", [config_file, npz]
        del artifacts[weights_file]
        artifacts[npz] = sha256_file(directory / npz)
        converted.append(member["name"])
        removed.append(weights_file)
    if not converted:
        return []
    _replace_file(directory / "model.json", orjson.dumps(spec))
    artifacts["model.json"] = sha256_file(directory / "model.json")
    manifest["artifacts"] = dict(sorted(artifacts.items()))
    _replace_file(directory / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    for name in removed:
        (directory / name).unlink()
    _log.info("model_converted", directory=str(directory), members=converted)
    return converted


def _replace_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def resolve_model_dir(path: Path) -> Path:
    """The version directory that ``path`` names (a registry root means its current)."""
    if (path / CURRENT_FILE).is_file():
        version = current_version(path)
        if version is None:
            raise ModelError(f"{path}: CURRENT is empty")
        path = path / version
    if not (path / MANIFEST).is_file():
        raise ModelError(f"{path} is neither a model registry nor a model directory")
    return path


def read_manifest(directory: Path) -> dict[str, Any]:
    """The parsed ``manifest.json`` of a version directory."""
    try:
        manifest: dict[str, Any] = orjson.loads((directory / MANIFEST).read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ModelError(f"{directory}: unreadable manifest: {exc}") from exc
    return manifest


def list_versions(root: Path) -> list[str]:
    """Versions under ``root`` (directories with a manifest), oldest first."""
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file()
    )


def current_version(root: Path) -> str | None:
    """The version named by ``<root>/CURRENT``, or None when there is none."""
    try:
        text = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def activate(root: Path, version: str) -> None:
    """Make ``version`` current: atomic replace of ``CURRENT`` (temp file + ``os.replace``)."""
    if version not in list_versions(root):
        raise ModelError(f"no model version {version!r} in {root}")
    fd, tmp = tempfile.mkstemp(prefix=".CURRENT-", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(version + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, root / CURRENT_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _new_version(root: Path, created: datetime) -> str:
    base = created.strftime("%Y%m%dT%H%M%SZ")
    existing = set(list_versions(root))
    version, n = base, 1
    while version in existing:
        n += 1
        version = f"{base}-{n}"
    return version


def _write_artifacts(model: TrainedModel, directory: Path) -> list[str]:
    artifacts = ["model.json", "preprocessor.skops"]
    _dump_skops(model.preprocessor, directory / "preprocessor.skops")
    # The ensemble's own fitted state (weights, calibration) goes into model.json; its
    # members are stored one file each (the autoencoder cannot go through skops).
    members = []
    for name, det in model.ensemble.members_:
        if hasattr(det, _AUTOENCODER_STATE):
            files = [f"member-{name}.json", f"member-{name}.npz"]
            det.save_state(directory / files[0], directory / files[1])
            members.append({"name": name, "format": "npz", "files": files})
        else:
            files = [f"member-{name}.skops"]
            _dump_skops(det, directory / files[0])
            members.append({"name": name, "format": "skops", "files": files})
        artifacts.extend(files)
    spec = {
        "schema_version": model.schema_version,
        "schema_hash": model.schema_hash,
        "feature_names": list(model.feature_names),
        "threshold": model.threshold,
        "cuts": {
            "suspicious": model.cuts.suspicious,
            "highly_suspicious": model.cuts.highly_suspicious,
            "artificial_candidate": model.cuts.artificial_candidate,
            "indicator_evidence": model.cuts.indicator_evidence,
        },
        "contributions": model.contributions.to_json(),
        "ensemble": model.ensemble.get_state(),
        "members": members,
    }
    (directory / "model.json").write_bytes(orjson.dumps(spec))
    return artifacts


def _manifest(
    model: TrainedModel, directory: Path, artifacts: list[str], data_sha256: str
) -> dict[str, Any]:
    detectors = [
        {
            "name": name,
            "type": f"{type(det).__module__}.{type(det).__name__}",
            "params": _json_safe(det.get_params()),
        }
        for name, det in model.ensemble.members_
    ]
    return {
        "model_id": model.model_id,
        "version": model.version,
        "created": model.created,
        "detectors": detectors,
        "ensemble": {
            "method": model.ensemble.method,
            "weights": [float(w) for w in model.ensemble.weights_],
        },
        "feature_schema": {
            "version": model.schema_version,
            "hash": model.schema_hash,
            "n_features": len(model.feature_names),
        },
        "training_data_sha256": data_sha256,
        "params": model.params,
        "metrics": model.metrics,
        "libraries": {
            "python": platform.python_version(),
            **{pkg: _pkg_version(pkg) for pkg in ("numpy", "scikit-learn", "torch", "skops")},
        },
        "artifacts": {name: sha256_file(directory / name) for name in artifacts},
    }


def _verify_artifacts(directory: Path, manifest: dict[str, Any]) -> None:
    artifacts = manifest.get("artifacts")
    if not isinstance(artifacts, dict) or "model.json" not in artifacts:
        raise IntegrityError(f"{directory}: manifest lists no artifacts")
    for name, expected in artifacts.items():
        path = directory / name
        if Path(name).name != name or not path.is_file():
            raise IntegrityError(f"{directory}: artifact {name!r} is missing")
        actual = sha256_file(path)
        if actual != expected:
            raise IntegrityError(
                f"{directory}: artifact {name!r} has sha256 {actual[:12]}..., "
                f"the manifest says {str(expected)[:12]}...; the model was modified or corrupted"
            )


def _dump_skops(obj: Any, path: Path) -> None:
    sio = skops_io()
    sio.dump(obj, path, compression=zipfile.ZIP_DEFLATED)


def _load_skops(path: Path) -> Any:
    sio = skops_io()
    untrusted = sio.get_untrusted_types(file=path)
    refused = sorted(set(untrusted) - ALLOWED_TYPES)
    if refused:
        raise ModelError(f"{path.name} holds types outside the allow-list: {refused}")
    return sio.load(path, trusted=list(untrusted))


def _load_member(directory: Path, member: dict[str, Any]) -> Any:
    if member["format"] == "skops":
        return _load_skops(directory / member["files"][0])
    if member["format"] in ("npz", "torch"):
        from core.detectors.autoencoder import AutoencoderDetector

        config_file, weights_file = member["files"]
        if member["format"] == "npz":
            return AutoencoderDetector.load_state(directory / config_file, directory / weights_file)
        if importlib.util.find_spec("torch") is None:
            raise ModelError(
                f"{directory.name}: member {member['name']!r} stores its autoencoder as a torch "
                "state_dict and torch is not installed here (the [train] extra; the container "
                "image has none): run `neo-streamer models convert VERSION` where torch is"
            )
        _log.warning(
            "torch_member_format",
            directory=str(directory),
            member=member["name"],
            hint="this model stores its autoencoder as a torch state_dict, so loading it imports "
            "torch (~490 MiB per process); `neo-streamer models convert VERSION` rewrites it",
        )
        return AutoencoderDetector.load_torch_state(
            directory / config_file, directory / weights_file
        )
    raise ModelError(f"unknown member format {member['format']!r}")


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _pkg_version(name: str) -> str | None:
    try:
        return package_version(name)
    except PackageNotFoundError:
        return None
