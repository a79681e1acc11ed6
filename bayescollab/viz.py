"""The causal web as a file: the probabilities through :class:`~bayescollab.Model`, the drawing
from :func:`bayescollab.plots.causal_web`, the file written here.

The picture follows the seeds' own convention (000, 'A novel means of depicting CMOC chains'):
contexts as green boxes, mechanisms and outcomes as blue ellipses, laid out left to right by
life-cycle depth. With evidence, each mechanism is filled by P(good end | evidence). Only
matplotlib is needed, so it works from pip-installed packages alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from bayescollab.model import Model
from bayescollab.plots.web import causal_web

__all__ = ["draw_causal_web", "good_end_probabilities"]


def good_end_probabilities(
    model: Model,
    evidence: Mapping[str, str],
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, float]:
    """P(good end | evidence) of every unobserved mechanism and outcome: its top state's
    probability, or its bottom state's for an adverse node (more conflict is worse).

    Contexts have no good or bad end, and observed ones show their value, so they are left out.
    Each node is one exact query; ``progress(i, n, node)`` is called before each.
    """
    nodes = model.theory.nodes
    to_colour = [n for n, spec in nodes.items() if spec.kind != "context" and n not in evidence]
    out: dict[str, float] = {}
    for i, node in enumerate(to_colour):
        if progress is not None:
            progress(i, len(to_colour), node)
        p = model.query(node, evidence=evidence)[nodes[node].states[-1]]
        out[node] = 1 - p if nodes[node].adverse else p
    return out


def draw_causal_web(
    model: Model,
    output: Path | str,
    *,
    evidence: Mapping[str, str] | None = None,
    title: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Write the causal web to ``output`` (.png or .svg) and return the path.

    With ``evidence``, every mechanism is queried once (exactly, :func:`good_end_probabilities`);
    ``progress(i, n, node)`` is called before each query so a caller can show how far it has got.
    """
    import matplotlib.pyplot as plt

    output = Path(output)
    good_end = good_end_probabilities(model, evidence, progress=progress) if evidence else None
    fig = causal_web(model, good_end=good_end, evidence=evidence, title=title)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(output, dpi=110, bbox_inches="tight")
    finally:
        plt.close(fig)
    return output
