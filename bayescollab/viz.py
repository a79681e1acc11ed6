"""The causal web picture: contexts as green boxes, mechanisms and outcomes as blue ellipses.

This follows the seeds' own convention (000, 'A novel means of depicting CMOC chains'). Nodes
are laid out left to right by life-cycle depth; a context sits one column before the first
mechanism it feeds. Positive links are dark, negative links red, feedback links (cut from the
static DAG) dashed purple. With evidence, each node is filled by P(top state | evidence).
Only matplotlib is needed, so it works from pip-installed packages alone.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch

from bayescollab.model import Model
from bayescollab.theory.graph import children_map, depths

CONTEXT_FILL = "#c8e6b0"
CONTEXT_EDGE = "#2e7d32"
MECHANISM_FILL = "#b9d3ee"
MECHANISM_EDGE = "#1f4e79"
NODE_W, NODE_H = 1.7, 0.62
X_GAP, Y_GAP = 2.5, 0.82


def _columns(model: Model) -> dict[str, int]:
    """Column of each node: longest-path depth; contexts one column before their first child."""
    theory = model.theory
    children = children_map(theory.parent_map)
    col = depths(theory.parent_map)
    for node in reversed(list(theory.nodes)):
        if theory.nodes[node].kind == "context" and children[node]:
            col[node] = min(col[c] for c in children[node]) - 1
    low = min(col.values())
    return {n: c - low for n, c in col.items()}


def _rows(model: Model, col: Mapping[str, int]) -> dict[str, float]:
    """Vertical positions: barycentre ordering within columns, a few sweeps."""
    theory = model.theory
    by_col: dict[int, list[str]] = defaultdict(list)
    for node in theory.nodes:
        by_col[col[node]].append(node)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for e in theory.edges:
        neighbours[e.parent].append(e.child)
        neighbours[e.child].append(e.parent)
    y = {n: float(i) for c in by_col.values() for i, n in enumerate(c)}
    for _ in range(8):
        for c in sorted(by_col):
            nodes = by_col[c]
            bary = {
                n: sum(y[m] for m in neighbours[n]) / len(neighbours[n]) if neighbours[n] else y[n]
                for n in nodes
            }
            nodes.sort(key=lambda n: bary[n])
            height = len(nodes)
            for i, n in enumerate(nodes):
                y[n] = i - (height - 1) / 2
    return y


def _label(node: str) -> str:
    return "\n".join(textwrap.wrap(node.replace("_", " "), 16))


def draw_causal_web(
    model: Model,
    output: Path | str,
    *,
    evidence: Mapping[str, str] | None = None,
    title: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Write the causal web to ``output`` (.png or .svg) and return the path.

    With ``evidence``, every mechanism is queried once (exactly); ``progress(i, n, node)`` is
    called before each query so a caller can show how far it has got.
    """
    output = Path(output)
    col = _columns(model)
    row = _rows(model, col)
    pos = {n: (col[n] * X_GAP, -row[n] * Y_GAP) for n in model.nodes}
    n_cols = max(col.values()) + 1
    n_rows = max(sum(1 for c in col.values() if c == k) for k in range(n_cols))
    fig, ax = plt.subplots(figsize=(max(12, n_cols * 2.6), max(8, n_rows * 0.62 + 1.5)))
    cmap = plt.get_cmap("RdYlGn")
    p_top: dict[str, float] = {}
    if evidence:
        to_colour = [
            n for n, spec in model.theory.nodes.items() if spec.kind != "context" and n not in evidence
        ]  # contexts have no good or bad end; observed ones show their value
        for i, node in enumerate(to_colour):
            spec = model.theory.nodes[node]
            if progress is not None:
                progress(i, len(to_colour), node)
            p = model.query(node, evidence=evidence)[spec.states[-1]]
            p_top[node] = 1 - p if spec.adverse else p

    for e in model.theory.edges:
        (x0, y0), (x1, y1) = pos[e.parent], pos[e.child]
        ax.add_patch(
            FancyArrowPatch(
                (x0 + NODE_W / 2, y0),
                (x1 - NODE_W / 2, y1),
                arrowstyle="-|>",
                mutation_scale=8,
                lw=0.6,
                color="#333333" if e.sign > 0 else "#c62828",
                alpha=0.45,
                connectionstyle="arc3,rad=0.05",
                zorder=1,
            )
        )
    for e in model.theory.feedback_edges:
        (x0, y0), (x1, y1) = pos[e.parent], pos[e.child]
        ax.add_patch(
            FancyArrowPatch(
                (x0, y0 + NODE_H / 2),
                (x1, y1 + NODE_H / 2),
                arrowstyle="-|>",
                mutation_scale=8,
                lw=0.8,
                ls="--",
                color="#7b1fa2",
                alpha=0.6,
                connectionstyle="arc3,rad=-0.35",
                zorder=1,
            )
        )
    for node in model.nodes:
        x, y = pos[node]
        spec = model.theory.nodes[node]
        is_context = spec.kind == "context"
        fill = CONTEXT_FILL if is_context else MECHANISM_FILL
        if node in p_top:
            fill = cmap(p_top[node])
        observed = evidence is not None and node in evidence
        common = {
            "facecolor": fill,
            "edgecolor": "black" if observed else (CONTEXT_EDGE if is_context else MECHANISM_EDGE),
            "lw": 2.2 if observed else 1.0,
            "zorder": 2,
        }
        if is_context:
            ax.add_patch(
                FancyBboxPatch(
                    (x - NODE_W / 2, y - NODE_H / 2),
                    NODE_W,
                    NODE_H,
                    boxstyle="round,pad=0.02,rounding_size=0.08",
                    **common,
                )
            )
        else:
            ax.add_patch(Ellipse((x, y), NODE_W * 1.08, NODE_H * 1.1, **common))
        text = _label(node)
        if observed:
            text += f"\n= {evidence[node]}"
        elif node in p_top:
            p = 1 - p_top[node] if spec.adverse else p_top[node]
            text += f"\nP({spec.states[-1]})={p:.2f}"
        ax.text(x, y, text, ha="center", va="center", fontsize=6.5, zorder=3)

    stage_cols: dict[str, list[int]] = defaultdict(list)
    for node, spec in model.theory.nodes.items():
        if spec.kind != "context":
            stage_cols[spec.stage].append(col[node])
    top = max(y for _, y in pos.values()) + 1.0
    stage_colours = {
        "early": "#1b5e20",
        "mid-life": "#0d47a1",
        "atemporal": "#6a1b9a",
        "performance": "#e65100",
    }
    for row, (stage, cols) in enumerate(sorted(stage_cols.items(), key=lambda kv: min(kv[1]))):
        ax.annotate(
            "",
            xy=(max(cols) * X_GAP + NODE_W / 2, top + 0.45 * row),
            xytext=(min(cols) * X_GAP - NODE_W / 2, top + 0.45 * row),
            arrowprops={"arrowstyle": "|-|", "color": stage_colours.get(stage, "black"), "lw": 1.2},
        )
        ax.text(
            (min(cols) + max(cols)) / 2 * X_GAP,
            top + 0.45 * row + 0.08,
            f"{stage} mechanisms",
            ha="center",
            va="bottom",
            fontsize=9,
            color=stage_colours.get(stage, "black"),
            weight="bold",
        )
    top += 0.45 * len(stage_cols)
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    ax.set_xlim(min(xs) - NODE_W, max(xs) + NODE_W)
    ax.set_ylim(min(ys) - 1.0, top + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    heading = title or "Causal web of the refined programme theory (Aunger, Millar, Greenhalgh et al.)"
    if evidence:
        heading += (
            "\nmechanisms filled by P(good end | "
            + ", ".join(f"{k}={v}" for k, v in evidence.items())
            + "); observed contexts outlined in black"
        )
        sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
        fig.colorbar(sm, ax=ax, fraction=0.015, pad=0.01, label="P(good end)")
    ax.set_title(heading, fontsize=12)
    legend = [
        FancyBboxPatch((0, 0), 1, 1, facecolor=CONTEXT_FILL, edgecolor=CONTEXT_EDGE, label="context"),
        Ellipse(
            (0, 0),
            1,
            1,
            facecolor=MECHANISM_FILL,
            edgecolor=MECHANISM_EDGE,
            label="mechanism / outcome",
        ),
        FancyArrowPatch((0, 0), (1, 1), color="#333333", label="positive link"),
        FancyArrowPatch((0, 0), (1, 1), color="#c62828", label="negative link"),
        FancyArrowPatch((0, 0), (1, 1), color="#7b1fa2", ls="--", label="feedback (cut in the DAG)"),
    ]
    ax.legend(handles=legend, loc="lower left", fontsize=8, frameon=False)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return output
