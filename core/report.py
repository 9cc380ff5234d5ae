"""The training report next to each model: ``report.json`` and ``report.png``.

``report.json`` holds the evaluation table and the training summary (plain JSON).
``report.png`` has three panels (matplotlib, Agg backend, no display needed):

1. ensemble score distributions of held-out real naturals versus injected artificial
   objects on the test split, with the alert threshold;
2. the catalog in the a–e plane, the top-scored real objects marked;
3. the catalog in the a–i plane, the same objects marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from core._types import FloatArray

__all__ = ["ReportPlotData", "write_report"]


@dataclass(frozen=True, slots=True)
class ReportPlotData:
    """Arrays behind ``report.png``.

    Attributes
    ----------
    natural_scores, injected_scores : ndarray
        Ensemble anomaly scores of the test split's naturals and injected objects.
    threshold : float
        Alert threshold on the anomaly score.
    a_au, e, i_deg : ndarray
        Orbital elements of the catalog objects (NaN where unknown).
    catalog_scores : ndarray
        Ensemble anomaly score of each catalog object.
    top_k : int
        How many top-scored catalog objects to mark.
    """

    natural_scores: FloatArray
    injected_scores: FloatArray
    threshold: float
    a_au: FloatArray
    e: FloatArray
    i_deg: FloatArray
    catalog_scores: FloatArray
    top_k: int = 25


def write_report(directory: Path, summary: dict[str, Any], plot: ReportPlotData) -> list[Path]:
    """Write ``report.json`` and ``report.png`` into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "report.json"
    json_path.write_bytes(
        orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    )
    png_path = directory / "report.png"
    _plot(png_path, plot)
    return [json_path, png_path]


def _plot(path: Path, plot: ReportPlotData) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    try:
        ax = axes[0]
        bins = np.linspace(0.0, 1.0, 51)
        ax.hist(plot.natural_scores, bins=bins, alpha=0.6, density=True, label="real naturals")
        ax.hist(plot.injected_scores, bins=bins, alpha=0.6, density=True, label="injected")
        ax.axvline(plot.threshold, color="k", linestyle="--", label="threshold")
        ax.set_yscale("log")
        ax.set_xlabel("ensemble anomaly score")
        ax.set_ylabel("density")
        ax.set_title("Test split: naturals vs injected objects")
        ax.legend()

        order = np.argsort(-np.nan_to_num(plot.catalog_scores, nan=-1.0))
        top = order[: plot.top_k]
        for ax, y, label in ((axes[1], plot.e, "e"), (axes[2], plot.i_deg, "i (deg)")):
            ax.scatter(plot.a_au, y, s=1, c="0.6", alpha=0.4, rasterized=True, label="catalog")
            ax.scatter(plot.a_au[top], y[top], s=18, c="red", label=f"top {plot.top_k} scored")
            ax.set_xlim(0.5, 5.0)
            ax.set_xlabel("a (au)")
            ax.set_ylabel(label)
            ax.set_title(f"Catalog, a-{label.split()[0]} plane")
            ax.legend(loc="upper right")
        fig.tight_layout()
        fig.savefig(path, dpi=90)
    finally:
        plt.close(fig)
