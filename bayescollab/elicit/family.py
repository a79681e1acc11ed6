"""Every node's CPT at once: the ordered-probit family of :mod:`bayescollab.elicit.cpt`, stacked.

:func:`bayescollab.elicit.cpt.node_cpt` is the readable definition, one node at a time; both
read the same θ-free design (:func:`bayescollab.elicit.cpt.node_design`). For row r = (node,
parent configuration) the family needs

    linear part   L_r  = θ @ lin[r]              (unmoderated main effects and crossovers)
    moderated     M_r  = sum_e s[r,e] θ[w(r,e)] exp(sum_q θ[u(r,e,q)] a[r,e,q])
    normaliser    N_r² = w0² + θ² @ q_free[r] + sum_e V[r,e] (θ[w(r,e)] exp(...))²
    spread        S_r  = θ² @ q_all[r]

so all nodes' drives are a few matrix products and gathers, and one ordered-probit pass per
number of states. Two reasons to stack:

* a PyTensor graph of ~50 per-node CPT constructions takes minutes to compile (graph rewriting
  of hundreds of small ops); the stacked graph has a handful of large ops and compiles in
  seconds, which makes the PyMC likelihood usable;
* a thousand θ draws become one (D, P) @ (P, R) product instead of 77 Python-level passes.

``tests/elicit/test_family.py`` checks the stacked CPTs equal ``node_cpt`` for every node, at
the prior mean and at random draws, in numpy and PyTensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import product

import numpy as np
from scipy import sparse

from bayescollab.elicit.cpt import (
    NUMPY_OPS,
    SMOOTH_ABS,
    ArrayOps,
    NodeDesign,
    moderation_gain,
    node_design,
    ordered_probit,
    threshold_scale,
)
from bayescollab.elicit.theta import ThetaSpec
from bayescollab.errors import CPTError
from bayescollab.theory.load import Theory


@dataclass(frozen=True)
class _Group:
    """Rows of all nodes with ``n_states`` states, stacked in node order."""

    n_states: int
    lin: np.ndarray  # (R, P): linear part of the drive, θ @ lin.T
    q_free: np.ndarray  # (R, P): V of unmoderated terms, θ² @ q_free.T
    q_all: np.ndarray  # (R, P): V of every term at g = 1 (the threshold spread)
    r_all: np.ndarray  # (R, P): sqrt(V) of every term (the correlated spread)
    mod_w: np.ndarray  # (R, E) int: θ column of the e-th moderated weight of the row
    mod_s: np.ndarray  # (R, E): its parent score in the row (0 = padding)
    mod_v: np.ndarray  # (R, E): its score variance V (0 = padding)
    mod_u: np.ndarray  # (R, E, Q) int: θ columns of its moderators
    mod_a: np.ndarray  # (R, E, Q): the moderators' scores in the row (0 = padding)
    noise_index: np.ndarray  # (R,): θ position of the row's node noise
    baseline: np.ndarray  # (R,): w0 of the row's node (the weight of left-out causes)
    slices: dict[str, tuple[int, int, tuple[int, ...]]]  # node -> (start, stop, parent cards)

    @cached_property
    def sparse(self) -> tuple[sparse.csr_array, ...]:
        return tuple(sparse.csr_array(a) for a in (self.lin, self.q_free, self.q_all, self.r_all))


class CPTFamily:
    """The constant design of the CPT family for one theory and θ layout.

    Build it once; :meth:`cpts` then maps θ of shape (P,) or (*draws, P) to every requested
    node's table (*draws, card, *parent cards), with numpy or PyTensor ops.
    """

    def __init__(self, theory: Theory, spec: ThetaSpec, nodes: Sequence[str] | None = None):
        self.theory = theory
        self.spec = spec
        self.nodes = list(theory.nodes if nodes is None else nodes)
        self.roots = [n for n in self.nodes if not theory.parents(n)]
        rows: dict[int, list[tuple[str, dict[str, np.ndarray], tuple[int, ...]]]] = {}
        for node in self.nodes:
            design = node_design(theory, spec, node)
            if design.parents:
                rows.setdefault(design.n_states, []).append(
                    (node, _node_rows(design, len(spec), spec.baseline(node)), design.cards)
                )
        self.groups = []
        for k, entries in sorted(rows.items()):
            self.groups.append(_stack(k, entries))

    def cpts(self, theta, ops: ArrayOps = NUMPY_OPS) -> dict:
        """Tables of every node in :attr:`nodes`, shape (*draws, card, *parent cards)."""
        xp = ops.xp
        n_draw = theta.ndim - 1
        spec = self.spec
        out = {}
        for node in self.roots:
            k = len(self.theory.nodes[node].states)
            out[node] = ops.constant(np.full(k, 1.0 / k), theta)
        for g in self.groups:
            lin, q_free, q_all, r_all = g.sparse
            sq = theta**2
            drive = _dot_rows(theta, g.lin, lin)  # (*draws, R)
            norm2 = g.baseline**2 + _dot_rows(sq, g.q_free, q_free)
            spread = _dot_rows(sq, g.q_all, q_all)
            reach = _dot_rows(xp.sqrt(sq + SMOOTH_ABS), g.r_all, r_all)
            if g.mod_w.shape[1]:
                log_gain = (_gather(theta, g.mod_u, xp) * g.mod_a).sum(axis=-1)  # (*draws, R, E)
                gain = moderation_gain(spec, log_gain, xp)
                w = _gather(theta, g.mod_w, xp) * gain
                drive = drive + (w * g.mod_s).sum(axis=-1)
                norm2 = norm2 + (w**2 * g.mod_v).sum(axis=-1)
            sigma = xp.take(theta, g.noise_index, axis=-1)
            if isinstance(sigma, np.ndarray) and not np.all(sigma > 0):
                bad = g.noise_index[np.argwhere(~(sigma > 0))[0][-1]]
                raise CPTError(f"{spec.names[bad]} is {theta[..., bad].min()}; expected a positive noise")
            eta = spec.latent_scale * drive / xp.sqrt(norm2)
            tau = threshold_scale(spec, sigma, spread, reach, xp, g.baseline)
            probs = ordered_probit(eta, sigma, g.n_states, ops, tau=tau)  # (*draws, R, k)
            for node, (start, stop, cards) in g.slices.items():
                table = probs[..., start:stop, :].reshape((*theta.shape[:-1], *cards, g.n_states))
                out[node] = xp.moveaxis(table, -1, n_draw)
        return {n: out[n] for n in self.nodes}


def _node_rows(design: NodeDesign, n_theta: int, baseline: float) -> dict[str, np.ndarray]:
    """One node's rows (parent configurations in C order) of every design array."""
    configs = np.array(list(product(*(range(c) for c in design.cards))), dtype=int).reshape(
        -1, len(design.cards)
    )
    n = configs.shape[0]
    lin, q_free, q_all, r_all = (np.zeros((n, n_theta)) for _ in range(4))
    moderated = [t for t in design.main if t.moderators]
    n_q = max((len(t.moderators) for t in moderated), default=0)
    mod_w = np.zeros((n, len(moderated)), dtype=int)
    mod_s, mod_v = np.zeros((n, len(moderated))), np.zeros((n, len(moderated)))
    mod_u, mod_a = np.zeros((n, len(moderated), n_q), dtype=int), np.zeros((n, len(moderated), n_q))
    for term in design.main:
        q_all[:, term.col] += term.var
        r_all[:, term.col] += np.sqrt(term.var)
        if not term.moderators:
            lin[:, term.col] += term.scores[configs[:, term.axis]]
            q_free[:, term.col] += term.var
    for e, term in enumerate(moderated):
        mod_w[:, e], mod_s[:, e], mod_v[:, e] = term.col, term.scores[configs[:, term.axis]], term.var
        for q, mod in enumerate(term.moderators):
            mod_u[:, e, q], mod_a[:, e, q] = mod.col, mod.scores[configs[:, mod.axis]]
    for term in design.cross:
        lin[:, term.col] += term.scores_a[configs[:, term.axis_a]] * term.scores_b[configs[:, term.axis_b]]
        q_free[:, term.col] += term.var
        q_all[:, term.col] += term.var
        r_all[:, term.col] += np.sqrt(term.var)
    return {
        "lin": lin,
        "q_free": q_free,
        "q_all": q_all,
        "r_all": r_all,
        "mod_w": mod_w,
        "mod_s": mod_s,
        "mod_v": mod_v,
        "mod_u": mod_u,
        "mod_a": mod_a,
        "noise_index": np.full(n, design.noise_col),
        "baseline": np.full(n, float(baseline)),
    }


def _pad(arrays: list[np.ndarray], shape_tail: tuple[int, ...]) -> np.ndarray:
    """Stack row blocks whose trailing (slot) axes differ, zero-padding to ``shape_tail``."""
    out = []
    for a in arrays:
        widths = [(0, 0)] + [(0, t - s) for s, t in zip(a.shape[1:], shape_tail, strict=True)]
        out.append(np.pad(a, widths))
    return np.concatenate(out)


def _stack(k: int, entries: list[tuple[str, dict[str, np.ndarray], tuple[int, ...]]]) -> _Group:
    slices, start = {}, 0
    for node, r, cards in entries:
        slices[node] = (start, start + r["lin"].shape[0], cards)
        start += r["lin"].shape[0]
    n_e = max(r["mod_w"].shape[1] for _, r, _ in entries)
    n_q = max(r["mod_u"].shape[2] for _, r, _ in entries)
    cat = {
        key: np.concatenate([r[key] for _, r, _ in entries])
        for key in ("lin", "q_free", "q_all", "r_all", "noise_index", "baseline")
    }
    slot = {key: _pad([r[key] for _, r, _ in entries], (n_e,)) for key in ("mod_w", "mod_s", "mod_v")}
    deep = {key: _pad([r[key] for _, r, _ in entries], (n_e, n_q)) for key in ("mod_u", "mod_a")}
    return _Group(n_states=k, **cat, **slot, **deep, slices=slices)


def _gather(theta, index: np.ndarray, xp):
    """``theta[..., index]`` for an integer array ``index`` of any shape (numpy or PyTensor)."""
    flat = xp.take(theta, index.ravel(), axis=-1)
    return flat.reshape((*theta.shape[:-1], *index.shape))


def _dot_rows(theta, dense: np.ndarray, sparse_rows: sparse.csr_array):
    """``theta @ dense.T``; numpy θ goes through the sparse copy (a few non-zeros per row)."""
    if isinstance(theta, np.ndarray):
        flat = theta.reshape(-1, theta.shape[-1])
        return np.asarray(sparse_rows @ flat.T).T.reshape((*theta.shape[:-1], dense.shape[0]))
    import pytensor.tensor as pt

    return pt.dot(theta, dense.T)
