"""Where the project's bundled files are, and how a configured path is resolved.

Every command finds the bundled model registry, catalog and sample stream here, beside the
package (an editable install or a checkout), whatever the working directory. A relative path
written in a configuration file is taken relative to that file; one given on the command line
or in the environment, relative to the working directory. Either way the configuration holds
the absolute path, so an error names the directory that was really looked at.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DEFAULT_CATALOG",
    "DEFAULT_REGISTRY",
    "PROJECT_ROOT",
    "SAMPLE_STREAM",
    "absolute",
    "model_path_hint",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The directory holding ``streamer/``, ``core/``, ``data/`` and ``models/``."""

DEFAULT_REGISTRY = PROJECT_ROOT / "models"
"""The bundled model registry (``models/``)."""

DEFAULT_CATALOG = PROJECT_ROOT / "data" / "catalog.jsonl.gz"
"""The bundled training catalog."""

SAMPLE_STREAM = PROJECT_ROOT / "data" / "sample_stream.jsonl.gz"
"""The bundled sample stream (``produce --input sample``, ``screen``)."""


def absolute(value: str, base: Path | None = None) -> str:
    """``value`` as an absolute path: relative ones are joined to ``base`` (default: cwd).

    Empty stays empty (an unset optional file). ``~`` is expanded. Symbolic links are kept,
    so the path shown is the one the operator would recognise.
    """
    if not value:
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (base if base is not None else Path.cwd()) / path
    return os.path.normpath(path)


def model_path_hint(path: str | Path) -> str:
    """A hint when ``path`` does not exist but names a version of the bundled registry (a
    bare version name given where a directory is expected), else ``""``."""
    given = Path(path)
    if given.exists() or not given.name:
        return ""
    version_dir = DEFAULT_REGISTRY / given.name
    if not (version_dir / "manifest.json").is_file():
        return ""
    return (
        f"{given.name} is a version of the project's registry: give its directory, "
        f"models/{given.name} ({version_dir}), or the registry itself, models/"
    )
