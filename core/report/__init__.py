"""Object pages: one self-contained HTML file per object from its result (``neo.anomaly.v1``),
its astrometry and its fitted orbit. Pure and synchronous; see :mod:`core.report.page`."""

from core.report.facts import VERDICT_ORDER, Facts, read_facts
from core.report.page import PLOT_NAMES, build_page, render_page

__all__ = ["PLOT_NAMES", "VERDICT_ORDER", "Facts", "build_page", "read_facts", "render_page"]
