"""The tornado chart every sensitivity analysis shares: one bar per factor, widest on top."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bayescollab.plots._axes import figure_and_axes
from bayescollab.sensitivity.tornado import Swing

__all__ = ["tornado_plot"]


def tornado_plot(
    swings: Sequence[Swing],
    *,
    baseline: float | None = None,
    title: str = "",
    xlabel: str = "probability",
    top: int | None = 15,
    ax: Any = None,
):
    """Draw the widest ``top`` swings as bars, widest at the top; return the figure.

    ``baseline`` (the query at the current setting) is drawn as a vertical line; each bar end is
    annotated with what produced it (``low_label`` / ``high_label``), so a reader can see which
    state or parameter value pushes the probability which way.
    """
    if not swings:
        raise ValueError("tornado_plot needs at least one swing; got none")
    ranked = sorted(swings, key=lambda s: s.width, reverse=True)[: top or None]
    ranked = ranked[::-1]  # barh draws bottom-up; the widest goes on top
    fig, ax = figure_and_axes(ax, (8, 0.45 * len(ranked) + 1.4))
    for i, s in enumerate(ranked):
        lo, hi = min(s.low, s.high), max(s.low, s.high)
        ax.barh(i, hi - lo, left=lo, color="#4c72b0", alpha=0.85, height=0.6)
        ends = (s.low_label, s.high_label)
        left_label, right_label = ends if s.low <= s.high else ends[::-1]
        if left_label:
            ax.text(lo, i, f"{left_label} ", va="center", ha="right", fontsize=7)
        if right_label:
            ax.text(hi, i, f" {right_label}", va="center", ha="left", fontsize=7)
    ax.set_yticks(range(len(ranked)), [s.label for s in ranked], fontsize=8)
    if baseline is not None:
        ax.axvline(baseline, color="black", linewidth=1, linestyle="--", label=f"now {baseline:.3f}")
        ax.legend(loc="lower right", fontsize=7)
    ax.set_xlabel(xlabel)
    # room either side for the end labels: a third of the plotted span, at least 0.02
    lows = [min(s.low, s.high) for s in ranked] + ([baseline] if baseline is not None else [])
    highs = [max(s.low, s.high) for s in ranked] + ([baseline] if baseline is not None else [])
    span = max(max(highs) - min(lows), 0.02)
    ax.set_xlim(min(lows) - span / 3, max(highs) + span / 3)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
