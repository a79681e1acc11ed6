"""The complete-data log-likelihood as a PyTensor graph that computes only the CPT entries used.

Given every collaboration's latent states, log P(states | θ) needs one CPT entry per
(collaboration, node): the child's state in the row of its parents' states. The full tables
have ~10^4 rows for the densely linked mechanisms (3^8 parent configurations of trust); 50
collaborations visit at most 50 of them. So instead of deriving every table
(:class:`~bayescollab.elicit.family.CPTFamily`) and gathering, this gathers the family's design
rows first (the rows the states select) and evaluates the ordered probit only there: the same
formulas as ``CPTFamily.cpts`` (tests check the two agree), on (collaborations × nodes) rows.
That keeps θ's NUTS gradient at a few milliseconds, whatever the number of parents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from bayescollab.elicit.cpt import SMOOTH_ABS, moderation_gain, pytensor_ops, threshold_scale
from bayescollab.elicit.family import CPTFamily
from bayescollab.survey.augment import LatentLayout, block_states, block_touched

#: stands for ±infinity among the thresholds (Φ of it is 0 or 1 with a zero gradient)
_FAR = 1e3


def _padded(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A dense (R, P) design as (R, K) column indices and values of its non-zeros (0-padded)."""
    k = max(1, int((dense != 0).sum(axis=1).max(initial=0)))
    idx = np.argsort(dense == 0, axis=1, kind="stable")[:, :k]
    return idx.astype(np.int64), np.take_along_axis(dense, idx, axis=1)


@dataclass(frozen=True)
class _GroupTerms:
    """The CPT entries one group contributes, as terms gathered from its design rows.

    A term is one node's CPT entry per collaboration: the row of its parents' current states,
    optionally with some parents' states replaced by fixed values (a collapsed block's joint
    state) and the node's own state replaced (when the node is in the block).
    """

    n_states: int
    arrays: dict[str, np.ndarray]  # design arrays of the group, rows as in CPTFamily
    columns: np.ndarray  # (T,) layout column of each term's node
    starts: np.ndarray  # (T,) its first design row
    parent_columns: np.ndarray  # (T, max parents) layout columns of its parents (0-padded)
    strides: np.ndarray  # (T, max parents) C-order strides over its parents' states (0 = padding)
    swap_column: np.ndarray  # (T, max swaps) the parents whose states are replaced (0-padded)
    swap_stride: np.ndarray  # (T, max swaps) their strides (0 = padding)
    swap_value: np.ndarray  # (T, max swaps) the states put in their place
    own_mask: np.ndarray  # (T,) 1 where the node's own state is replaced by own_value
    own_value: np.ndarray  # (T,)
    segments: tuple[tuple[int, ...], ...]  # (block, joint state) segments a term enters; () = direct


def _strides(cards: tuple[int, ...]) -> np.ndarray:
    return np.cumprod((1, *cards[:0:-1]))[::-1] if cards else np.zeros(0, dtype=np.int64)


def _group_terms(n_states: int, arrays: dict, terms: list[tuple]) -> _GroupTerms:
    """Stack (column, start, parents, cards, ((swap position, value), ...), own value or -1, segments)."""
    width = max(1, max(len(t[2]) for t in terms))
    n_swaps = max(1, max(len(t[4]) for t in terms))
    n = len(terms)
    parent_columns = np.zeros((n, width), dtype=np.int64)
    strides = np.zeros_like(parent_columns)
    swap = np.zeros((3, n, n_swaps), dtype=np.int64)  # column, stride, value
    own = np.zeros((2, n), dtype=np.int64)  # mask, value
    for i, (_, _, parents, cards, swaps, own_value, _) in enumerate(terms):
        st = _strides(cards)
        parent_columns[i, : len(parents)] = parents
        strides[i, : len(parents)] = st
        for q, (pos, value) in enumerate(swaps):
            swap[:, i, q] = parents[pos], st[pos], value
        if own_value >= 0:
            own[:, i] = 1, own_value
    columns, starts = (np.array([t[k] for t in terms], dtype=np.int64) for k in (0, 1))
    segments = tuple(tuple(t[6]) for t in terms)
    return _GroupTerms(n_states, arrays, columns, starts, parent_columns, strides, *swap, *own, segments)


#: the largest joint state count of one collapsed block by default: blocks of up to 12 joint
#: states bring the slow-mixing unmeasured roots (form reputation, leadership stability, ...)
#: into the collapsed set at a few hundred gathered terms (measured in docs/performance.md)
DEFAULT_MAX_JOINT = 12


def moral_neighbours(layout: LatentLayout) -> list[set[int]]:
    """Each column's parents, children and co-parents: the columns it shares a CPT factor with."""
    near: list[set[int]] = [set() for _ in layout.nodes]
    for j, parents in enumerate(layout.parents):
        for p in parents:
            near[j].add(p)
            near[p].add(j)
            near[p].update(q for q in parents if q != p)
    return near


#: collapsed blocks: each a sorted tuple of layout columns
Blocks = tuple[tuple[int, ...], ...]


def collapsible_blocks(layout: LatentLayout, max_joint: int = DEFAULT_MAX_JOINT) -> Blocks:
    """Blocks of unmeasured latent columns that can be summed out of θ's likelihood block by block.

    No CPT factor holds columns of two blocks (no moral-graph edge between blocks), so given every
    other column the blocks are independent and each sums out over its own joint states:
    log Σ_states Π_{factors touching the block}. Chosen greedily in two passes. First single
    columns, most-linked first, none next to another (``max_joint=1`` stops here: an independent
    set). Then the remaining unmeasured columns, roots first (their links mixed worst when left
    sampled), each joining, and if needed merging, the blocks it touches while the merged block has
    at most ``max_joint`` joint states. ``max_joint=0`` collapses nothing.
    """
    if isinstance(max_joint, bool) or not isinstance(max_joint, int) or max_joint < 0:
        raise ValueError(f"max_joint is {max_joint!r}; expected a non-negative integer")
    if max_joint == 0:
        return ()
    near = moral_neighbours(layout)
    measured = {layout.column[m] for m in layout.measured}
    links = {j: len(layout.parents[j]) + len(layout.children[j]) for j in range(len(layout.nodes))}
    order = sorted((j for j in links if j not in measured), key=lambda j: (-links[j], j))
    blocks: list[tuple[int, ...]] = []
    for j in order:
        if not any(near[j] & set(b) for b in blocks):
            blocks.append((j,))
    if max_joint > 1:
        for j in sorted(order, key=lambda j: (bool(layout.parents[j]), -links[j], j)):
            if any(j in b for b in blocks):
                continue
            touching = [b for b in blocks if near[j] & set(b)]
            merged = tuple(sorted((j, *(k for b in touching for k in b))))
            if int(np.prod([layout.cards[k] for k in merged])) <= max_joint:
                blocks = [b for b in blocks if b not in touching] + [merged]
    return tuple(sorted(blocks))


class GatheredFamily:
    """log P(states | θ) over the layout's non-root nodes, from the design rows the states pick.

    With ``collapsed`` blocks (see :func:`collapsible_blocks`) their states are summed out
    instead: the value is log P(every other column | θ), and the states given for the collapsed
    columns are ignored. Each block contributes one term per distinct CPT entry of each node it
    touches (joint states that agree on that node's block columns share the term).
    """

    def __init__(self, family: CPTFamily, layout: LatentLayout, collapsed: Blocks = ()):
        self.spec = family.spec
        col = layout.column
        hidden = {j for b in collapsed for j in b}
        configs = [block_states(layout, b) for b in collapsed]
        #: per block, the nodes whose CPT entry changes with its joint state (members, their children)
        touched = [block_touched(layout, b) for b in collapsed]
        owner = {k: q for q, ks in enumerate(touched) for k in ks}
        offsets = np.cumsum([0, *(len(c) for c in configs)])
        #: (block, joint state) segments: index into the flat segment axis, padded with -1
        width = max((len(c) for c in configs), default=1)
        self.segments = np.full((len(collapsed), width), -1, dtype=np.int64)
        self.segment_constant = np.zeros(int(offsets[-1]))
        for q, b in enumerate(collapsed):
            self.segments[q, : len(configs[q])] = offsets[q] + np.arange(len(configs[q]))
            # collapsed roots: their uniform prior enters every joint state
            root_prior = sum(-np.log(layout.cards[j]) for j in b if not layout.parents[j])
            self.segment_constant[offsets[q] : offsets[q + 1]] = root_prior
        self.groups: list[_GroupTerms] = []
        for g in family.groups:
            members = {col[n]: (start, cards) for n, (start, _stop, cards) in g.slices.items() if n in col}
            terms = []
            for k, (start, cards) in members.items():
                if k not in owner:
                    terms.append((k, start, layout.parents[k], cards, (), -1, ()))
                    continue
                q = owner[k]
                where = {j: i for i, j in enumerate(collapsed[q])}
                # one term per distinct entry: a node's entry depends on the block's joint state only
                # through the block columns among itself and its parents, so the joint states that
                # agree there share the term (it enters each of their segments)
                distinct: dict[tuple, list[int]] = {}
                for s, config in enumerate(configs[q]):
                    parents = enumerate(layout.parents[k])
                    swaps = tuple((pos, int(config[where[p]])) for pos, p in parents if p in where)
                    own = int(config[where[k]]) if k in where else -1
                    distinct.setdefault((swaps, own), []).append(int(offsets[q] + s))
                for (swaps, own), segs in distinct.items():
                    terms.append((k, start, layout.parents[k], cards, swaps, own, tuple(segs)))
            if not terms:
                continue
            keys = ("mod_w", "mod_s", "mod_v", "mod_u", "mod_a", "noise_index", "baseline")
            arrays = {k: getattr(g, k) for k in keys}
            for name in ("lin", "q_free", "q_all", "r_all"):
                arrays[f"{name}_idx"], arrays[f"{name}_val"] = _padded(getattr(g, name))
            self.groups.append(_group_terms(g.n_states, arrays, terms))
        roots = [j for j, pa in enumerate(layout.parents) if not pa and j not in hidden]
        #: Σ log(1/card) over root columns, per collaboration (roots' priors are uniform, θ-free)
        self.root_constant = float(sum(-np.log(layout.cards[j]) for j in roots))

    def log_prob(self, states, theta):
        """Σ_c log P(x[c] | θ) for symbolic (C, L) states and θ, collapsed columns summed out."""
        import pytensor.tensor as pt

        n_collab = states.shape[0]
        total = self.root_constant * n_collab
        segments = pt.zeros((n_collab, len(self.segment_constant))) + self.segment_constant
        for g in self.groups:
            picked = states[:, g.parent_columns] * g.strides
            swapped = (g.swap_stride * (g.swap_value - states[:, g.swap_column])).sum(axis=-1)
            r = (picked.sum(axis=-1) + g.starts + swapped).ravel()  # (C * T,)
            x = (states[:, g.columns] * (1 - g.own_mask) + g.own_value * g.own_mask).ravel()
            lp = self._entries(g, r, x, theta).reshape((n_collab, len(g.columns)))
            direct = np.array([not segs for segs in g.segments])
            if direct.any():
                total = total + lp[:, np.flatnonzero(direct)].sum()
            if (~direct).any():
                member = np.zeros((len(g.columns), len(self.segment_constant)))  # term -> segments
                for i, segs in enumerate(g.segments):
                    member[i, list(segs)] = 1.0
                segments = segments + pt.dot(lp, member)
        if len(self.segments):
            padded = pt.concatenate([segments, pt.full((n_collab, 1), -1e30)], axis=1)[:, self.segments]
            peak = padded.max(axis=-1, keepdims=True)
            total = total + (peak[..., 0] + pt.log(pt.exp(padded - peak).sum(axis=-1))).sum()
        return total

    def _entries(self, g: _GroupTerms, r, x, theta):
        """log P(x | design row r; θ) elementwise: the ordered probit of ``CPTFamily.cpts``."""
        import pytensor.tensor as pt

        ops = pytensor_ops()
        spec = self.spec
        a = {k: pt.as_tensor(v)[r] for k, v in g.arrays.items()}
        sq = theta**2
        drive = _dot(a, "lin", theta)
        baseline = a["baseline"]  # w0 of each row's node (left-out causes)
        norm2 = baseline**2 + _dot(a, "q_free", sq)
        spread = _dot(a, "q_all", sq)
        reach = _dot(a, "r_all", pt.sqrt(sq + SMOOTH_ABS))
        if g.arrays["mod_w"].shape[1]:
            gain = moderation_gain(spec, (theta[a["mod_u"]] * a["mod_a"]).sum(axis=-1), pt)
            w = theta[a["mod_w"]] * gain
            drive = drive + (w * a["mod_s"]).sum(axis=-1)
            norm2 = norm2 + (w**2 * a["mod_v"]).sum(axis=-1)
        sigma = theta[a["noise_index"]]
        eta = spec.latent_scale * drive / pt.sqrt(norm2)
        tau = threshold_scale(spec, sigma, spread, reach, pt, baseline)
        z = np.concatenate([[-_FAR], ndtri(np.arange(1, g.n_states) / g.n_states), [_FAR]])
        z = pt.as_tensor(z)
        upper = ops.ndtr((tau * z[x + 1] - eta) / sigma)
        lower = ops.ndtr((tau * z[x] - eta) / sigma)
        return pt.log(pt.maximum(upper - lower, 1e-300))


def _dot(a: dict, name: str, vec):
    """Row-wise ``vec @ design[row]`` from the gathered (rows, K) indices and values."""
    return (vec[a[f"{name}_idx"]] * a[f"{name}_val"]).sum(axis=-1)
