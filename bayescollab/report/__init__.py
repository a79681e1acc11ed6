"""The shareable assessment report: one self-contained HTML file per survey.

:func:`~bayescollab.report.build.build_report` assesses a survey and gathers each
collaboration's numbers (:mod:`.gather`), :mod:`.figures` draws them as embedded PNGs, and
:func:`~bayescollab.report.render.render_report` fills the Jinja2 template. ``bayescollab report``
(:mod:`bayescollab.cli.report_commands`) is the command; :func:`write_report` is the same from
Python. Import cost stays low: the submodules load when first used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayescollab.model import Model
    from bayescollab.report.build import Report

__all__ = ["SECTIONS", "write_report"]

#: every collaboration's sections, in order: (id suffix, heading). Tests check each is present.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("glance", "The collaboration at a glance"),
    ("mechanisms", "Where each mechanism stands"),
    ("outcomes", "Predicted collaborative behaviour and performance"),
    ("bottlenecks", "The bottlenecks and the levers that address them"),
    ("measure-next", "What to measure next"),
    ("web", "The causal web, coloured by this collaboration's posterior"),
    ("reading", "How the answers were read"),
    ("provenance", "Provenance"),
)


def write_report(model: Model, survey: Path | str, output: Path | str, **kwargs: Any) -> Report:
    """Build, draw and render the report of ``survey``, write it to ``output`` atomically, return it.

    Keyword arguments go to :func:`~bayescollab.report.build.build_report`. The file is staged
    beside ``output`` and renamed into place at the end, so a failed run leaves no half page.
    """
    from bayescollab._output import atomic_path
    from bayescollab.report.build import build_report
    from bayescollab.report.figures import collaboration_figures
    from bayescollab.report.render import render_report

    report = build_report(model, survey, **kwargs)
    for section in report.collaborations:
        section.figures = collaboration_figures(model, section, given=section.given)
    html = render_report(report)
    output = Path(output)
    with atomic_path(output) as staged:
        staged.write_text(html, encoding="utf-8")
    return report
