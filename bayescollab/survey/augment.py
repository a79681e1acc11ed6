"""Data augmentation for ``learn``: the latent node states of every collaboration become sampled
variables, so θ's gradient no longer sums ~60 latent nodes out at every leapfrog step.

The latent *layout* is every node an answered item measures plus all their ancestors (their
descendants that nobody answered about are barren: summed out they contribute exactly 1, so
they are left out). Given a completion ``x[c, node]`` of those states, the complete-data
log-likelihood is

    Σ_c Σ_node log P(x[c, node] | x[c, parents]; θ) + Σ_c Σ_items counts[c] · log P(answer | x[c, node]; λ)

a sum of gathered log CPT entries: cheap, and its gradient in θ and λ is a scatter-add.

The states are drawn by :class:`LatentStateGibbs`, a PyMC step method placed beside ``pm.NUTS``
in ``pm.sample(step=[...])``: each sweep visits every latent node in network order and draws
it from its full conditional, P(x | parents) · Π_children P(child | its parents) · P(answers | x),
for all collaborations at once (numpy gathers over a (collaborations, states) array). Why
single-site Gibbs and not exact forward-filter backward-sample draws: the exact draw costs
the same contraction as the marginal likelihood (~10^8 multiply-adds per collaboration on the
full instrument), a Gibbs sweep costs ~10^4; see docs/decisions.md, "learn by data augmentation".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from bayescollab.elicit.cpt import NUMPY_OPS
from bayescollab.elicit.family import CPTFamily
from bayescollab.elicit.theta import ThetaSpec
from bayescollab.survey.instrument import Instrument
from bayescollab.survey.measurement import answer_table
from bayescollab.theory.load import Theory

#: the log of a CPT entry is floored here (a probit tail can underflow to exactly 0)
LOG_FLOOR = 1e-300


@dataclass(frozen=True)
class LatentLayout:
    """Which nodes are latent columns of the state array, their parents and children (θ-free)."""

    nodes: tuple[str, ...]  # network order: parents before children
    cards: tuple[int, ...]
    parents: tuple[tuple[int, ...], ...]  # column of each parent
    children: tuple[tuple[tuple[int, int], ...], ...]  # (child column, position among its parents)
    measured: tuple[str, ...]

    @property
    def column(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.nodes)}


def latent_layout(theory: Theory, measured: list[str] | tuple[str, ...]) -> LatentLayout:
    """The measured nodes and all their ancestors, in network order."""
    keep: set[str] = set()
    stack = list(measured)
    while stack:
        node = stack.pop()
        if node not in keep:
            keep.add(node)
            stack.extend(theory.parents(node))
    nodes = tuple(n for n in theory.nodes if n in keep)
    col = {n: i for i, n in enumerate(nodes)}
    parents = tuple(tuple(col[p] for p in theory.parents(n)) for n in nodes)
    children: list[list[tuple[int, int]]] = [[] for _ in nodes]
    for j, pa in enumerate(parents):
        for pos, p in enumerate(pa):
            children[p].append((j, pos))
    cards = tuple(len(theory.nodes[n].states) for n in nodes)
    return LatentLayout(nodes, cards, parents, tuple(tuple(c) for c in children), tuple(measured))


def layout_family(theory: Theory, spec: ThetaSpec, layout: LatentLayout) -> CPTFamily:
    """The CPT family of the layout's nodes; build it once (its design takes seconds)."""
    return CPTFamily(theory, spec, layout.nodes)


def log_cpts(family: CPTFamily, layout: LatentLayout, theta: np.ndarray) -> list[np.ndarray]:
    """log P(node | parents) at θ for every layout column, each (card, *parent cards)."""
    tables = family.cpts(np.asarray(theta, dtype=float), NUMPY_OPS)
    return [np.log(np.maximum(np.asarray(tables[n], dtype=float), LOG_FLOOR)) for n in layout.nodes]


def answer_log_rows(
    counts: Mapping[str, np.ndarray], instrument: Instrument, discrimination: np.ndarray, layout: LatentLayout
) -> dict[int, np.ndarray]:
    """Σ_items counts · log P(answer | state; λ) per measured column: (collaborations, card)."""
    rows: dict[int, np.ndarray] = {}
    col = layout.column
    for j, item_id in enumerate(counts):
        item = instrument[item_id]
        table = np.maximum(np.asarray(answer_table(item, float(discrimination[j])), dtype=float), LOG_FLOOR)
        term = counts[item_id] @ np.log(table)
        c = col[item.node]
        rows[c] = rows.get(c, 0.0) + term
    return rows


def _own_term(log_table: np.ndarray, states: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """log P(x = s | parents of each collaboration) for every s: (card, collaborations)."""
    if not parents:  # a root: the same prior row for every collaboration
        return np.broadcast_to(log_table[:, None], (log_table.shape[0], states.shape[0]))
    return log_table[(slice(None), *(states[:, p] for p in parents))]


def _child_term(
    log_table: np.ndarray, states: np.ndarray, child: int, parents: tuple[int, ...], pos: int, card: int
) -> np.ndarray:
    """log P(child's state | its parents, with the parent at ``pos`` set to s): (card, collaborations)."""
    options = np.arange(card)[:, None]
    index = [states[None, :, child]]
    for i, p in enumerate(parents):
        index.append(options if i == pos else states[None, :, p])
    return log_table[tuple(index)]


def _log_normalised(logit: np.ndarray) -> np.ndarray:
    """Each row of unnormalised log-probabilities minus its log-sum-exp (stable)."""
    logit = logit - logit.max(axis=1, keepdims=True)
    return logit - np.log(np.exp(logit).sum(axis=1, keepdims=True))


def _gumbel_choice(logp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of a (rows, options) log-probability array (Gumbel-max)."""
    return np.argmax(logp - np.log(-np.log(rng.uniform(size=logp.shape))), axis=1)


def full_conditional(
    j: int,
    states: np.ndarray,
    tables: list[np.ndarray],
    rows: Mapping[int, np.ndarray],
    layout: LatentLayout,
) -> np.ndarray:
    """Normalised log P(x[:, j] = s | every other column, answers): (collaborations, card)."""
    logit = _own_term(tables[j], states, layout.parents[j])
    for child, pos in layout.children[j]:
        logit = logit + _child_term(tables[child], states, child, layout.parents[child], pos, layout.cards[j])
    logit = logit.T
    if j in rows:
        logit = logit + rows[j]
    return _log_normalised(logit)


def block_states(layout: LatentLayout, block: tuple[int, ...]) -> np.ndarray:
    """Every joint state of a block, C order: (joint states, block size)."""
    grids = np.indices([layout.cards[j] for j in block]).reshape(len(block), -1)
    return grids.T.astype(np.int64)


def block_touched(layout: LatentLayout, block: tuple[int, ...]) -> list[int]:
    """The columns whose CPT entry changes with a block's joint state: its members and their children."""
    return sorted(set(block) | {k for j in block for k, _ in layout.children[j]})


def block_conditional(
    block: tuple[int, ...],
    states: np.ndarray,
    tables: list[np.ndarray],
    rows: Mapping[int, np.ndarray],
    layout: LatentLayout,
) -> np.ndarray:
    """Normalised log P(x[:, block] = joint state | every other column, answers): (collaborations, J).

    The joint states are :func:`block_states`'s rows. Only the factors that hold a block column
    change with its state (the block's own CPTs and its children's), so only those are summed.
    """
    configs = block_states(layout, block)
    touched = block_touched(layout, block)
    work = states.copy()
    logit = np.zeros((states.shape[0], len(configs)))
    for s, config in enumerate(configs):
        work[:, block] = config
        for k in touched:
            logit[:, s] += tables[k][(work[:, k], *(work[:, p] for p in layout.parents[k]))]
        for j, value in zip(block, config, strict=True):
            if j in rows:
                logit[:, s] += rows[j][:, value]
    return _log_normalised(logit)


def draw_block(
    block: tuple[int, ...],
    states: np.ndarray,
    tables: list[np.ndarray],
    rows: Mapping[int, np.ndarray],
    layout: LatentLayout,
    rng: np.random.Generator,
) -> np.ndarray:
    """One exact joint draw of a block's columns from their conditional, every collaboration (in place)."""
    choice = _gumbel_choice(block_conditional(block, states, tables, rows, layout), rng)
    states[:, list(block)] = block_states(layout, block)[choice]
    return states


def gibbs_sweep(
    states: np.ndarray,
    tables: list[np.ndarray],
    rows: Mapping[int, np.ndarray],
    layout: LatentLayout,
    rng: np.random.Generator,
) -> np.ndarray:
    """One systematic-scan sweep over every column, all collaborations at once (in place)."""
    for j in range(len(layout.nodes)):
        states[:, j] = _gumbel_choice(full_conditional(j, states, tables, rows, layout), rng)
    return states


def complete_log_likelihood(
    states: np.ndarray, tables: list[np.ndarray], rows: Mapping[int, np.ndarray], layout: LatentLayout
) -> float:
    """Σ log CPT entries + Σ answer terms for a completion ``states`` (numpy; tests and checks)."""
    total = 0.0
    for j, table in enumerate(tables):
        total += float(table[(states[:, j], *(states[:, p] for p in layout.parents[j]))].sum())
    for j, row in rows.items():
        total += float(row[np.arange(len(states)), states[:, j]].sum())
    return total


def _answer_groups(layout: LatentLayout, counts: Mapping[str, np.ndarray], instrument: Instrument):
    """Items grouped by (choice scale, options, node states): one batched table per group."""
    from bayescollab.survey.measurement import state_scores

    col = layout.column
    groups: dict[tuple[bool, int, int], list[int]] = {}
    items = [instrument[i] for i in counts]
    for k, item in enumerate(items):
        groups.setdefault((item.scale == "choice", item.n_options, len(item.node_states)), []).append(k)
    out = []
    for (choice, n, _), ks in groups.items():
        scores = np.stack([state_scores(items[k]) for k in ks])  # (K, options, states)
        columns = np.array([col[items[k].node] for k in ks])
        stacked = np.stack([counts[items[k].item_id] for k in ks]).transpose(0, 2, 1)  # (K, options, C)
        out.append((choice, n, np.array(ks), scores, columns, stacked))
    return out


def answer_graph(
    layout: LatentLayout, states, counts: Mapping[str, np.ndarray], instrument: Instrument, discrimination
):
    """Σ_c Σ_items counts[c] · log P(answer | x[c, node]; λ) as a PyTensor scalar.

    The same tables as :func:`bayescollab.survey.measurement.answer_table`, batched over the
    items of one shape (a few ops per group instead of a dozen per item: a smaller graph to
    compile).
    """
    import pytensor.tensor as pt

    from bayescollab.elicit.cpt import pytensor_ops

    ops = pytensor_ops()
    total = pt.zeros(())
    for choice, n, ks, scores, columns, stacked in _answer_groups(layout, counts, instrument):
        lam = discrimination[ks][:, None, None]
        if choice:
            weight = ops.ndtr(lam * scores)
            table = weight / weight.sum(axis=1, keepdims=True)
        else:
            cuts = -1.0 + 2.0 * np.arange(1, n) / n
            cdf = ops.ndtr(lam * (cuts[None, :, None] - scores[:, :1, :]))  # (K, n-1, states)
            lower = pt.concatenate([pt.zeros_like(cdf[:, :1]), cdf], axis=1)
            upper = pt.concatenate([cdf, pt.ones_like(cdf[:, :1])], axis=1)
            table = pt.clip(upper - lower, 0.0, 1.0)
        log_answer = pt.log(pt.maximum(table, LOG_FLOOR))  # (K, options, states)
        k_ix = np.arange(len(ks))[:, None, None]
        o_ix = np.arange(n)[None, :, None]
        picked = log_answer[k_ix, o_ix, states[:, columns].T[:, None, :]]  # (K, options, C)
        total = total + (picked * stacked).sum()
    return total
