"""Turn a :class:`~bayescollab.report.build.Report` into one self-contained HTML page.

The page is a Jinja2 template (``templates/report.html.j2``) with autoescaping switched on for
everything, so a value from the CSV (an organisation called ``<script>``, a cell starting
``=cmd|``) reaches the reader as text, never as markup. The stylesheet is inlined, figures are
data URIs, and a Content-Security-Policy forbids scripts and every network fetch, so the file
opens the same offline, in a mail attachment or on a shared drive.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import jinja2

from bayescollab.report import SECTIONS

if TYPE_CHECKING:
    from bayescollab.report.build import Report

__all__ = ["render_report"]


def _pct(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f}%"


def _signed_pct(value: float, digits: int = 0) -> str:
    """A change in percentage points with an explicit sign (−, +), so the direction reads in words too."""
    points = 100 * value
    if round(points, digits) == 0:
        return f"±{0:.{digits}f} pts"
    sign = "+" if points > 0 else "−"
    return f"{sign}{abs(points):.{digits}f} pts"


def _interval(bounds: tuple[float, float] | None) -> str:
    if bounds is None:
        return "not drawn"
    return f"{_pct(bounds[0])}–{_pct(bounds[1])}"


def _words(node: str) -> str:
    return node.replace("_", " ")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bayescollab.report", "templates"),
        autoescape=True,  # every value, including the .j2 template itself
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=_pct, signed_pct=_signed_pct, interval=_interval, words=_words)
    return env


def render_report(report: Report, *, extra_context: dict[str, Any] | None = None) -> str:
    """The report as one HTML document (a string)."""
    env = _environment()
    css = env.loader.get_source(env, "report.css")[0]  # type: ignore[union-attr]
    template = env.get_template("report.html.j2")
    return template.render(report=report, css=css, sections=SECTIONS, **(extra_context or {}))
