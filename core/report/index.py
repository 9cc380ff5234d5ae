"""The index of a directory of object pages: every object, most suspicious verdict first.

:func:`page_name` gives each object a file name that is safe on any file system and in a URL
(the designation's letters, digits, ``.``, ``-`` and ``_``, then 8 hex digits of its SHA-256,
so that two designations never share a file); :func:`render_index` the HTML table linking them.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.report.facts import VERDICT_ORDER, read_facts

__all__ = ["index_order", "page_name", "render_index"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def page_name(designation: str) -> str:
    """``<slug>-<hash8>.html`` for ``designation``."""
    slug = _UNSAFE.sub("_", designation).strip("._")[:60] or "object"
    digest = hashlib.sha256(designation.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}.html"


def index_order(result: Mapping[str, Any]) -> tuple[int, float, str]:
    """Sort key: verdict (most suspicious first), then the score (highest first)."""
    f = read_facts(result)
    return (VERDICT_ORDER.get(f.verdict, len(VERDICT_ORDER)), -(f.score or 0.0), f.designation)


def render_index(
    results: Sequence[Mapping[str, Any]],
    title: str = "Object pages",
    link: Callable[[str], str] = page_name,
) -> str:
    """The index page: one row per result (in :func:`index_order`), linking its page
    (``link(designation)``: the file beside it by default)."""
    rows = []
    for result in sorted(results, key=index_order):
        f = read_facts(result)
        score = "—" if f.score is None else f"{f.score:.3f}"
        arc = f.arc or {}
        rows.append(
            f'<tr><td><a href="{html.escape(link(f.designation), quote=True)}">'
            f"{html.escape(f.designation)}</a></td><td>{html.escape(f.verdict)}</td>"
            f'<td class="num">{score}</td>'
            f'<td class="num">{html.escape(str(arc.get("observations", "")))}</td>'
            f"<td>{html.escape(f.fit_failed or ('fitted' if f.fit else ''))}</td></tr>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';'
        " style-src 'unsafe-inline'\">"
        f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;"
        "margin:1rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px}"
        "td.num{text-align:right}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{len(results)} objects, most suspicious first.</p>"
        "<table><tr><th>object</th><th>verdict</th><th>score</th><th>observations</th>"
        "<th>orbit</th></tr>" + "".join(rows) + "</table></body></html>"
    )
