"""Every node's CPT at once: the ordered-probit family of :mod:`bayescollab.elicit.cpt`, stacked.

:func:`bayescollab.elicit.cpt.node_cpt` is the readable definition, one node at a time. Its
latent drive is linear in θ: for row r = (node, parent configuration),

    m_r = sum_p S[r, p] θ_p          (S holds parent scores and products of scores)
    eta_r = kappa * m_r / (w0 + sum_p A[node(r), p] |θ_p|)

so all nodes' drives are one matrix product ``θ @ S.T`` and one ordered-probit pass per number
of states. Two reasons to stack:

* a PyTensor graph of ~50 per-node CPT constructions takes minutes to compile (graph rewriting
  of hundreds of small ops); the stacked graph has a handful of large ops and compiles in
  seconds, which makes the PyMC likelihood usable;
* a thousand θ draws become one (D, P) @ (P, R) product instead of 77 Python-level passes.

``tests/elicit/test_family.py`` checks the stacked CPTs equal ``node_cpt`` for every node, at
the prior mean and at random draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import product

import numpy as np
from scipy import sparse
from scipy.special import ndtri

from bayescollab.elicit.cpt import NUMPY_OPS, ArrayOps, parent_scores
from bayescollab.elicit.theta import ThetaSpec, interaction_name, noise_name, weight_name
from bayescollab.errors import CPTError
from bayescollab.theory.load import Theory


@dataclass(frozen=True)
class _Group:
    """Rows of all nodes with ``n_states`` states, stacked in node order."""

    n_states: int
    scores: np.ndarray  # (R, P): m = θ @ scores.T
    abs_mask: np.ndarray  # (R, P): w0 + |θ| @ abs_mask.T is the normaliser of each row
    noise_index: np.ndarray  # (R,): θ position of the row's node noise
    slices: dict[str, tuple[int, int, tuple[int, ...]]]  # node -> (start, stop, parent cards)

    @cached_property
    def sparse_scores(self) -> sparse.csr_array:
        return sparse.csr_array(self.scores)

    @cached_property
    def sparse_mask(self) -> sparse.csr_array:
        return sparse.csr_array(self.abs_mask)


class CPTFamily:
    """The constant design of the CPT family for one theory and θ layout.

    Build it once (:meth:`from_theory`); :meth:`cpts` then maps θ of shape (P,) or (*draws, P)
    to every requested node's table (*draws, card, *parent cards), with numpy or PyTensor ops.
    """

    def __init__(self, theory: Theory, spec: ThetaSpec, nodes: Sequence[str] | None = None):
        self.theory = theory
        self.spec = spec
        self.nodes = list(theory.nodes if nodes is None else nodes)
        self.roots = [n for n in self.nodes if not theory.parents(n)]
        rows: dict[int, list[tuple[str, np.ndarray, np.ndarray, int, tuple[int, ...]]]] = {}
        for node in self.nodes:
            parents = theory.parents(node)
            if not parents:
                continue
            k = len(theory.nodes[node].states)
            s, a, cards = self._node_rows(node, parents)
            rows.setdefault(k, []).append((node, s, a, spec.index(noise_name(node)), cards))
        self.groups = []
        for k, entries in sorted(rows.items()):
            slices, start = {}, 0
            for node, s, _, _, cards in entries:
                slices[node] = (start, start + s.shape[0], cards)
                start += s.shape[0]
            self.groups.append(
                _Group(
                    n_states=k,
                    scores=np.concatenate([e[1] for e in entries]),
                    abs_mask=np.concatenate([e[2] for e in entries]),
                    noise_index=np.concatenate([np.full(e[1].shape[0], e[3]) for e in entries]),
                    slices=slices,
                )
            )

    def _node_rows(self, node: str, parents: list[str]) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Score rows (one per parent configuration, C order) and the |θ| mask of ``node``."""
        theory, spec = self.theory, self.spec
        cards = tuple(len(theory.nodes[p].states) for p in parents)
        scores = [parent_scores(theory, p, node) for p in parents]
        configs = np.array(list(product(*(range(c) for c in cards))), dtype=int).reshape(-1, len(parents))
        s = np.zeros((configs.shape[0], len(spec)))
        mask = np.zeros(len(spec))
        for j, p in enumerate(parents):
            col = spec.index(weight_name(p, node))
            s[:, col] += scores[j][configs[:, j]]
            mask[col] = 1.0
        for inter in theory.interactions:
            if inter.child != node:
                continue
            a, b = parents.index(inter.modifier), parents.index(inter.parent)
            col = spec.index(interaction_name(inter.modifier, inter.parent, node))
            s[:, col] += scores[a][configs[:, a]] * scores[b][configs[:, b]]
            mask[col] = 1.0
        return s, np.broadcast_to(mask, s.shape), cards

    def cpts(self, theta, ops: ArrayOps = NUMPY_OPS) -> dict:
        """Tables of every node in :attr:`nodes`, shape (*draws, card, *parent cards)."""
        xp = ops.xp
        n_draw = theta.ndim - 1
        out = {}
        for node in self.roots:
            k = len(self.theory.nodes[node].states)
            out[node] = ops.constant(np.full(k, 1.0 / k), theta)
        for g in self.groups:
            drive = _dot_rows(theta, g.scores, g.sparse_scores)  # (*draws, R)
            total = self.spec.baseline_weight + _dot_rows(xp.abs(theta), g.abs_mask, g.sparse_mask)
            sigma = xp.take(theta, g.noise_index, axis=-1)
            if isinstance(sigma, np.ndarray) and not np.all(sigma > 0):
                bad = g.noise_index[np.argwhere(~(sigma > 0))[0][-1]]
                raise CPTError(
                    f"{self.spec.names[bad]} is {theta[..., bad].min()}; expected a positive noise"
                )
            eta = self.spec.latent_scale * drive / (total * sigma)
            probs = _ordered_probit(eta, g.n_states, ops)  # (*draws, R, k)
            for node, (start, stop, cards) in g.slices.items():
                table = probs[..., start:stop, :].reshape((*theta.shape[:-1], *cards, g.n_states))
                out[node] = xp.moveaxis(table, -1, n_draw)
        return {n: out[n] for n in self.nodes}


def _dot_rows(theta, dense: np.ndarray, sparse_rows: sparse.csr_array):
    """``theta @ dense.T``; numpy θ goes through the sparse copy (a few non-zeros per row)."""
    if isinstance(theta, np.ndarray):
        flat = theta.reshape(-1, theta.shape[-1])
        return np.asarray(sparse_rows @ flat.T).T.reshape((*theta.shape[:-1], dense.shape[0]))
    import pytensor.tensor as pt

    return pt.dot(theta, dense.T)


def _ordered_probit(eta, n_states: int, ops: ArrayOps):
    """As :func:`bayescollab.elicit.cpt.ordered_probit` with sigma already folded into eta."""
    xp = ops.xp
    z = ndtri(np.arange(1, n_states) / n_states)
    cdf = ops.ndtr(z - eta[..., None])
    lower = xp.concatenate([xp.zeros_like(cdf[..., :1]), cdf], axis=-1)
    upper = xp.concatenate([cdf, xp.ones_like(cdf[..., :1])], axis=-1)
    return ops.clip(upper - lower, 0.0, 1.0)
