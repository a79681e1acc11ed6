"""Pictures of finished sensitivity results: they draw, they never compute.

Each function takes a result of :mod:`bayescollab.sensitivity` and an optional matplotlib
``ax`` (a new figure when it is None) and returns the figure. matplotlib is imported only when
one of them is called, so ``import bayescollab.sensitivity`` does not load it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from bayescollab.plots._axes import figure_and_axes
from bayescollab.plots.tornado import tornado_plot
from bayescollab.sensitivity._query import describe_conditions
from bayescollab.sensitivity.context import ContextSensitivity, SwingKind, check_kind
from bayescollab.sensitivity.levers import LeverRanking
from bayescollab.sensitivity.parameters import PRIOR_INTERVAL, ThetaSensitivity
from bayescollab.sensitivity.report import SensitivityReport
from bayescollab.sensitivity.uncertainty import CredibleInterval, ScenarioComparison
from bayescollab.sensitivity.voi import ValueOfInformation

__all__ = [
    "context_tornado",
    "forest_plot",
    "lever_gains_plot",
    "parameter_tornado",
    "report_figure",
    "voi_plot",
]


def context_tornado(
    result: ContextSensitivity,
    *,
    kind: SwingKind = "do",
    top: int | None = 15,
    ax: Any = None,
):
    """Tornado chart of a :func:`context_sensitivity` result (``kind``: ``"do"`` or ``"observed"``).

    Drawing only: the numbers come from ``result``; the dashed line is the scenario's own
    probability.
    """
    check_kind(kind)
    swings = [s.swing(kind) for s in result.swings if np.isfinite(s.swing(kind).low)]
    where = result.scenario or ", ".join(f"{k}={v}" for k, v in result.evidence.items()) or "no evidence"
    how = "set by do()" if kind == "do" else "observed"
    return tornado_plot(
        swings,
        baseline=result.baseline,
        title=f"Contexts {how}: P({result.target}={result.state})\nunder {where}",
        xlabel=f"P({result.target}={result.state})",
        top=top,
        ax=ax,
    )


def parameter_tornado(result: ThetaSensitivity, *, top: int | None = 15, ax: Any = None):
    """Tornado of the θ components whose prior interval swings P(target=state) the most.

    Draws a finished :func:`~bayescollab.sensitivity.theta_sensitivity` result with the shared
    :func:`tornado_plot`; each bar end is labelled with the θ value that produced it. Returns
    the matplotlib figure.
    """
    target, state = result.target, result.state
    given = ", ".join(f"{k}={v}" for k, v in result.evidence.items())
    given = ", ".join(x for x in (given, *(f"do({k}={v})" for k, v in result.do.items())) if x)
    query = f"P({target}={state}" + (f" | {given})" if given else ")")
    return tornado_plot(
        result.swings(),
        baseline=result.baseline,
        title=textwrap.fill(query, 90) + f"\nθ components over their prior {PRIOR_INTERVAL:.0%} interval",
        xlabel=f"P({target}={state})",
        top=top,
        ax=ax,
    )


def voi_plot(
    result: ValueOfInformation,
    *,
    top: int | None = 15,
    kind: Literal["node", "item"] | None = None,
    title: str | None = None,
    ax: Any = None,
):
    """Horizontal bars of mutual information, best at the top; return the figure.

    Nodes (observed perfectly) and survey items are coloured apart, and the target's current
    entropy is marked: a bar reaching that line would remove all uncertainty.
    """
    rows = [r for r in result.ranking if kind is None or r.kind == kind][: top or None]
    if not rows:
        raise ValueError(f"nothing to plot for kind={kind!r}; expected 'node', 'item' or None")
    rows = rows[::-1]  # barh draws bottom-up
    fig, ax = figure_and_axes(ax, (8, 0.4 * len(rows) + 1.6))
    colours = {"node": "#4c72b0", "item": "#dd8452"}
    ax.barh(
        range(len(rows)),
        [r.mutual_information for r in rows],
        color=[colours[r.kind] for r in rows],
        height=0.65,
    )
    ax.set_yticks(range(len(rows)), [r.name for r in rows], fontsize=8)
    ax.axvline(result.entropy, color="black", linestyle="--", linewidth=1)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    names = {"node": "node, observed perfectly", "item": "survey item, one respondent"}
    handles = [Patch(color=colours[k_], label=names[k_]) for k_ in colours if any(r.kind == k_ for r in rows)]
    handles.append(
        Line2D([], [], color="black", linestyle="--", label=f"H({result.target}) = {result.entropy:.2f} bits")
    )
    ax.legend(handles=handles, loc="lower right", fontsize=7)
    ax.set_xlabel(f"mutual information with {result.target} (bits)")
    cond = describe_conditions(result.evidence, result.do, result.virtual_evidence)
    ax.set_title(title or f"What to measure next | {cond}", fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def forest_plot(
    results: ScenarioComparison | Mapping[str, CredibleInterval] | Sequence[CredibleInterval],
    state: str | None = None,
    *,
    title: str | None = None,
    ax: Any = None,
):
    """One row per scenario: its interval as a line, the mean as a dot, the point value as a
    diamond; return the figure. ``state`` defaults to the comparison's (or each interval's) own.
    """
    if isinstance(results, ScenarioComparison):
        state = state or results.state
        rows = list(results.intervals.items())
    elif isinstance(results, Mapping):
        rows = list(results.items())
    else:
        rows = [
            (ci.label or describe_conditions(ci.evidence, ci.do, ci.virtual_evidence), ci) for ci in results
        ]
    if not rows:
        raise ValueError("forest_plot needs at least one interval; got none")
    target = rows[0][1].target
    fig, ax = figure_and_axes(ax, (8, 0.5 * len(rows) + 1.5))
    for i, (_, ci) in enumerate(rows[::-1]):
        s = state or ci.state or ci.states[-1]
        ax.hlines(i, ci.lower[s], ci.upper[s], color="#4c72b0", linewidth=2.5)
        ax.plot(ci.mean[s], i, "o", color="#4c72b0", markersize=6)
        ax.plot(ci.point[s], i, "D", color="black", markersize=4)
    first = rows[0][1]
    s = state or first.state or first.states[-1]
    ax.set_yticks(range(len(rows)), [name for name, _ in rows[::-1]], fontsize=8)
    ax.plot([], [], "o", color="#4c72b0", label="mean over draws")
    ax.plot([], [], "D", color="black", label="at the model's θ")
    ax.hlines([], 0, 0, color="#4c72b0", linewidth=2.5, label=f"{first.prob:.0%} {first.source} interval")
    ax.legend(loc="best", fontsize=7)
    ax.set_xlabel(f"P({target}={s})")
    ax.set_title(title or f"P({target}={s}) by scenario ({first.n_draws} draws)", fontsize=10)
    fig.tight_layout()
    return fig


def lever_gains_plot(ranking: LeverRanking, *, top: int | None = 10, ax: Any = None):
    """Bars of the best single levers' gains in P(target = state), best at the top."""
    best = [*ranking.singles[: top or None]][::-1]
    fig, ax = figure_and_axes(ax, (8, 0.4 * len(best) + 1.6))
    ax.barh(range(len(best)), [e.gain for e in best], color="#55a868")
    ax.set_yticks(range(len(best)), [e.label for e in best], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"gain in P({ranking.target}={ranking.state})")
    ax.set_title(f"levers (now {ranking.baseline:.3f})", fontsize=10)
    return fig


def report_figure(report: SensitivityReport, top: int = 10):
    """Three panels of a :func:`~bayescollab.sensitivity.sensitivity_report`: the context
    tornado (do), the best levers' gains, and the value-of-information bars."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(19, max(4.5, 0.42 * top + 1.5)))
    context_tornado(report.contexts, kind="do", top=top, ax=axes[0])
    lever_gains_plot(report.levers, top=top, ax=axes[1])
    voi_plot(report.information, top=top, ax=axes[2])
    fig.tight_layout()
    return fig
