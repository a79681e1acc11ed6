"""The report's figures: drawn from finished records, embedded as base64 PNG data URIs.

PNG rather than SVG keeps the file size predictable (the causal web has about a hundred
labelled shapes) and prints the same in every browser. Each figure comes with alt text that
states its content in words, and the tables beside it carry the same numbers, so colour is
never the only carrier of meaning: the level bars are also hatched and labelled.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

from bayescollab.model import Model
from bayescollab.plots import causal_web, voi_plot
from bayescollab.plots._axes import figure_and_axes
from bayescollab.report.gather import CollaborationReport, ElementRow

__all__ = ["collaboration_figures", "level_bars", "outcome_bars", "png_data_uri"]

#: figure resolution: sharp enough on screen and on A4, small enough to mail
DPI = 96
LEVEL_COLOURS = ("#d7301f", "#fdae61", "#1a9850")  # low, medium, high
LEVEL_HATCHES = ("xx", "..", "")


def png_data_uri(fig: Any, *, dpi: int = DPI) -> str:
    """The figure as a ``data:image/png;base64,...`` URI; the figure is closed afterwards."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def level_bars(elements: Sequence[ElementRow], *, ax: Any = None):
    """Stacked bars, one pair per element: prior (thin, above) and posterior, split by level."""
    fig, ax = figure_and_axes(ax, (8.0, 0.62 * len(elements) + 1.2))
    labels = []
    for i, row in enumerate(elements):
        y = len(elements) - 1 - i
        for which, height, offset, alpha in (("prior", 0.18, 0.26, 0.55), ("posterior", 0.42, -0.06, 1.0)):
            left = 0.0
            for k, s in enumerate(row.states):
                width = s.prior if which == "prior" else s.posterior
                ax.barh(
                    y + offset,
                    width,
                    left=left,
                    height=height,
                    color=LEVEL_COLOURS[k % 3],
                    hatch=LEVEL_HATCHES[k % 3],
                    edgecolor="white",
                    alpha=alpha,
                )
                if which == "posterior" and width >= 0.12:
                    ax.text(
                        left + width / 2,
                        y + offset,
                        f"{width:.0%}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
                    )
                left += width
        labels.append((y, row.title))
    ax.set_yticks([y for y, _ in labels], [t for _, t in labels], fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability (thin bar: prior; thick bar: posterior given the answers)")
    names = [s.label for s in elements[0].states] if elements else []
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=LEVEL_COLOURS[k], hatch=LEVEL_HATCHES[k], edgecolor="white", label=name)
        for k, name in enumerate(names)
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def outcome_bars(outcomes: Sequence[ElementRow], *, ax: Any = None):
    """Prior and posterior of each outcome state side by side, with the credible interval."""
    fig, ax = figure_and_axes(ax, (8.0, 3.2))
    width = 0.38
    ticks, tick_labels = [], []
    x = 0.0
    for row in outcomes:
        for s in row.states:
            ax.bar(x - width / 2, s.prior, width, color="#bdbdbd", edgecolor="#636363", hatch="//")
            err = None
            if s.interval is not None:
                err = [[max(s.posterior - s.interval[0], 0.0)], [max(s.interval[1] - s.posterior, 0.0)]]
            ax.bar(x + width / 2, s.posterior, width, color="#3182bd", yerr=err, capsize=3)
            ticks.append(x)
            tick_labels.append(f"{row.title.split()[-1]}\n{s.state}")
            x += 1.0
        x += 0.6
    ax.set_xticks(ticks, tick_labels, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(facecolor="#bdbdbd", edgecolor="#636363", hatch="//", label="prior"),
            Patch(facecolor="#3182bd", label="posterior (bar: credible interval)"),
        ],
        frameon=False,
        fontsize=8,
    )
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _alt_levels(elements: Sequence[ElementRow]) -> str:
    parts = [
        f"{e.title}: most likely {e.most_likely.label} ({e.most_likely.posterior:.0%})" for e in elements
    ]
    return "Bar chart of the maturity levels. " + "; ".join(parts) + "."


def _alt_outcomes(outcomes: Sequence[ElementRow]) -> str:
    parts = [
        f"{o.title}: "
        + ", ".join(f"{s.state} {s.prior:.0%} before, {s.posterior:.0%} after" for s in o.states)
        for o in outcomes
    ]
    return "Bar chart of the predicted outcomes. " + "; ".join(parts) + "."


def collaboration_figures(
    model: Model, section: CollaborationReport, *, given: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """The four figures of one collaboration: name -> {"src": data URI, "alt": text}."""
    figures = {
        "levels": {"src": png_data_uri(level_bars(section.elements)), "alt": _alt_levels(section.elements)},
        "outcomes": {
            "src": png_data_uri(outcome_bars(section.outcomes)),
            "alt": _alt_outcomes(section.outcomes),
        },
    }
    items = section.voi.items()[:10]
    if items:
        fig = voi_plot(section.voi, kind="item", top=10, title="What one more answer would tell (bits)")
        figures["voi"] = {
            "src": png_data_uri(fig),
            "alt": "Bar chart of the survey items ranked by mutual information with collaborative behaviour; "
            + ", ".join(f"{r.name} {r.mutual_information:.3f} bits" for r in items[:5])
            + " lead.",
        }
    web = causal_web(
        model,
        good_end=section.good_end,
        evidence=dict(given),
        # no CSV text in the drawing: matplotlib would read a '$' in an id as mathtext
        title="Causal web coloured by this collaboration's posterior",
    )
    figures["web"] = {
        "src": png_data_uri(web, dpi=72),
        "alt": "The causal web of the programme theory: contexts as boxes, mechanisms and outcomes as "
        "ellipses filled from red (unlikely to be at its good end) to green (likely), given the answers.",
    }
    return figures
