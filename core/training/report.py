"""The training report next to each model: ``report.json`` and ``report.png``.

``report.json`` holds the evaluation table and the training summary (plain JSON).
``report.png`` has four panels (matplotlib, Agg backend, no display needed):

1. ensemble score distributions of held-out real naturals versus injected artificial
   objects on the test split, with the alert threshold;
2. the catalog in the a–e plane, the top-scored real objects marked;
3. the catalog in the a–i plane, the same objects marked;
4. the hard question: injected artificial objects versus the test's natural Earth-like
   objects only (real ones and minimoons), with ROC-AUC and AP (95 % CI) in the legend.
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
    hard_natural_scores : ndarray or None
        Scores of the test's natural Earth-like objects (the hard negatives).
    hard_summary : dict or None
        ``metrics.hard_question`` of the report (ROC-AUC and AP with CIs per subset).
    verdict : dict or None
        ``metrics.verdict`` (:mod:`core.training.calibration`): the reliability diagram.
    """

    natural_scores: FloatArray
    injected_scores: FloatArray
    threshold: float
    a_au: FloatArray
    e: FloatArray
    i_deg: FloatArray
    catalog_scores: FloatArray
    top_k: int = 25
    hard_natural_scores: FloatArray | None = None
    verdict: dict[str, Any] | None = None
    hard_summary: dict[str, Any] | None = None


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

    fig, axes = plt.subplots(1, 5, figsize=(26, 4.8))
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
        _plot_hard(axes[3], plot, bins)
        _plot_reliability(axes[4], plot.verdict)
        fig.tight_layout()
        fig.savefig(path, dpi=90)
    finally:
        plt.close(fig)


def _interval_text(entry: dict[str, Any], key: str) -> str:
    iv = entry.get(key)
    if iv is None:
        return "n/a"
    return f"{iv['value']:.3f} [{iv['low']:.3f}, {iv['high']:.3f}]"


def _plot_hard(ax: Any, plot: ReportPlotData, bins: FloatArray) -> None:
    """Panel 4: artificial objects against the natural Earth-like objects only."""
    ax.set_title("Hard question: artificial vs natural Earth-like")
    ax.set_xlabel("ensemble anomaly score")
    if plot.hard_natural_scores is None or plot.hard_summary is None:
        ax.text(0.5, 0.5, "not computed", ha="center", transform=ax.transAxes)
        return
    lines = [
        f"{name}: AUC {_interval_text(e, 'roc_auc')}, AP {_interval_text(e, 'average_precision')}"
        for name, e in plot.hard_summary.items()
    ]
    ax.hist(
        plot.hard_natural_scores, bins=bins, alpha=0.6, density=True, label="natural Earth-like"
    )
    ax.hist(plot.injected_scores, bins=bins, alpha=0.6, density=True, label="injected")
    ax.axvline(plot.threshold, color="k", linestyle="--")
    ax.set_yscale("log")
    ax.legend(loc="upper center", fontsize=8)
    ax.text(0.02, 0.02, "\n".join(lines), transform=ax.transAxes, fontsize=6.5, va="bottom")


def _plot_reliability(ax: Any, verdict: dict[str, Any] | None) -> None:
    """Panel 5: reliability diagram of the verdict's probability on the test split."""
    ax.set_title("Verdict probability: reliability (test split)")
    ax.set_xlabel("anomaly_probability (A/M posterior where measured)")
    ax.set_ylabel("share artificial")
    ax.plot([0, 1], [0, 1], color="0.5", linestyle=":")
    if verdict is None:
        ax.text(0.5, 0.5, "not computed", ha="center", transform=ax.transAxes)
        return
    pts = [b for b in verdict["reliability"] if b["n"]]
    ax.plot([b["mean_p"] for b in pts], [b["artificial_share"] for b in pts], "o-", label="bins")
    for b in pts:
        ax.annotate(str(b["n"]), (b["mean_p"], b["artificial_share"]), fontsize=6)
    el = verdict["earth_like_natural"]
    text = [f"Brier {verdict['brier']:.3f} (model alone {verdict['brier_model_probability']:.3f})"]
    if el["alert_share"] is not None:
        text.append(
            f"natural Earth-like alerting: {100 * el['alert_share']:.1f} % "
            f"(category alone {100 * el['alert_share_category_alone']:.1f} %)"
        )
    ax.text(0.02, 0.9, "\n".join(text), transform=ax.transAxes, fontsize=7, va="top")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
