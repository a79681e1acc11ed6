"""θ -> CPTs through an ordered-probit (ranked-node) family with interaction terms.

For a child Y with K ordered states and parents X_j, each parent state carries a score in
[-1, 1] (evenly spaced for ordered nodes; for the nominal ``collaboration_form`` the score is
the form's typical value of the child, from ``models/forms.yaml``). The latent drive is a
weighted mean, as in ranked nodes (Fenton, Neil & Caballero 2007), on the probit scale:

    m(x)   = sum_j w_j s_j(x_j) + sum_i v_i s_a(x_a) s_b(x_b)
    eta(x) = kappa * m(x) / (w0 + sum_j |w_j| + sum_i |v_i|)

and P(Y <= k | x) = Phi(z_k - eta(x) / sigma) with z_k = Phi^-1(k / K). A node whose parents
sit at their middle is uniform; signed weights push probability up or down; w0 stands for the
causes the theory leaves out, so a lone weak parent moves its child less than a lone strong one
and many parents share the influence instead of adding up without bound; sigma (node noise)
softens the parents' grip. kappa and w0 live in ``priors/``. No table is typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from bayescollab.elicit.theta import ThetaSpec, interaction_name, noise_name, weight_name
from bayescollab.errors import CPTError
from bayescollab.theory.load import Theory
from bayescollab.theory.schema import FormSpec, NodeSpec

#: Tolerance for a CPT column to count as summing to one.
CPT_SUM_ATOL = 1e-9


def ordinal_scores(node: NodeSpec) -> np.ndarray:
    """Evenly spaced scores from -1 (first state) to +1 (last state), unless the node lists its own."""
    if node.scores is not None:
        return np.asarray(node.scores, dtype=float)
    return np.linspace(-1.0, 1.0, len(node.states))


def form_scores(forms: Mapping[str, FormSpec], form_states: list[str], child: NodeSpec) -> np.ndarray:
    """Score of each collaboration form for ``child``: where its typical value lies in [-1, 1].

    'either' (no typical value) scores 0.
    """
    child_scores = dict(zip(child.states, ordinal_scores(child), strict=True))
    attr = {"integration_level": "integration_level", "mandated": "entry"}.get(child.id, child.id)
    out = []
    for form_id in form_states:
        value = getattr(forms[form_id], attr, None)
        out.append(child_scores.get(value, 0.0) if value is not None else 0.0)
    return np.array(out, dtype=float)


def parent_scores(theory: Theory, parent: str, child: str) -> np.ndarray:
    node = theory.nodes[parent]
    if node.ordered:
        return ordinal_scores(node)
    if parent == "collaboration_form":
        return form_scores(theory.forms, node.states, theory.nodes[child])
    raise CPTError(f"nominal parent {parent!r} of {child!r} has no scoring rule")


class ArrayOps:
    """The handful of array operations the CPT family needs, for numpy or PyTensor.

    One implementation of the family serves both backends, so the CPTs the numpy engine
    queries and the ones the PyTensor likelihood differentiates cannot drift apart.
    """

    def __init__(self, xp: Any, ndtr: Callable, clip: Callable, pad_right: Callable, constant: Callable):
        self.xp = xp
        self.ndtr = ndtr
        self.clip = clip
        #: ``pad_right(x, n)``: ``x`` with ``n`` trailing broadcast axes
        self.pad_right = pad_right
        #: ``constant(table, theta)``: a θ-free table repeated over θ's draw axes
        self.constant = constant


NUMPY_OPS = ArrayOps(
    np,
    ndtr,
    np.clip,
    lambda x, n: np.reshape(x, (*np.shape(x), *([1] * n))),
    lambda table, theta: np.broadcast_to(table, (*np.shape(theta)[:-1], *table.shape)).copy(),
)


def pytensor_ops() -> ArrayOps:
    """Array operations on PyTensor variables (imported on demand: numpy users need not pay)."""
    import pytensor.tensor as pt

    return ArrayOps(
        pt,
        lambda x: 0.5 * pt.erfc(-x / np.sqrt(2.0)),
        pt.clip,
        pt.shape_padright,
        lambda table, theta: pt.as_tensor(table),
    )


def ordered_probit(eta, sigma, n_states: int, ops: ArrayOps = NUMPY_OPS):
    """Probabilities of ``n_states`` ordered states given latent drive ``eta``; new last axis.

    ``sigma`` broadcasts against ``eta`` (a scalar, or one value per leading draw).
    """
    xp = ops.xp
    z = ndtri(np.arange(1, n_states) / n_states)
    cdf = ops.ndtr(z - (eta / sigma)[..., None])
    lower = xp.concatenate([xp.zeros_like(cdf[..., :1]), cdf], axis=-1)
    upper = xp.concatenate([cdf, xp.ones_like(cdf[..., :1])], axis=-1)
    return ops.clip(upper - lower, 0.0, 1.0)


def _axis_shape(n_batch: int, n_parents: int, axis: int, card: int) -> tuple[int, ...]:
    """Broadcast shape putting ``card`` on parent ``axis`` after ``n_batch`` draw axes."""
    shape = [1] * (n_batch + n_parents)
    shape[n_batch + axis] = card
    return tuple(shape)


def node_cpt(theory: Theory, spec: ThetaSpec, theta, node: str, ops: ArrayOps = NUMPY_OPS):
    """CPT of ``node``: shape (*draws, card(node), *card(parents)), in pgmpy's order.

    ``theta`` has shape (P,) or (*draws, P); leading draw axes carry through, so a thousand
    parameter draws cost one vectorised pass instead of a thousand Python loops.
    """
    xp = ops.xp
    child = theory.nodes[node]
    parents = theory.parents(node)
    k = len(child.states)
    n_batch = theta.ndim - 1
    if not parents:
        return ops.constant(np.full(k, 1.0 / k), theta)

    def param(name: str):
        return ops.pad_right(theta[..., spec.index(name)], len(parents))

    cards = [len(theory.nodes[p].states) for p in parents]
    scores = {p: parent_scores(theory, p, node) for p in parents}
    eta = 0.0
    total = spec.baseline_weight
    for axis, p in enumerate(parents):
        w = param(weight_name(p, node))
        eta = eta + w * scores[p].reshape(_axis_shape(n_batch, len(parents), axis, cards[axis]))
        total = total + xp.abs(w)
    for inter in theory.interactions:
        if inter.child != node:
            continue
        a, b = parents.index(inter.modifier), parents.index(inter.parent)
        v = param(interaction_name(inter.modifier, inter.parent, node))
        s_a = scores[inter.modifier].reshape(_axis_shape(n_batch, len(parents), a, cards[a]))
        s_b = scores[inter.parent].reshape(_axis_shape(n_batch, len(parents), b, cards[b]))
        eta = eta + v * s_a * s_b
        total = total + xp.abs(v)
    eta = spec.latent_scale * eta / total
    sigma = param(noise_name(node))
    if isinstance(sigma, np.ndarray) and not np.all(sigma > 0):
        raise CPTError(f"noise for {node!r} is {np.min(sigma)}; expected a positive number")
    probs = ordered_probit(eta, sigma, k, ops)  # (*draws, *cards, k)
    return xp.moveaxis(probs, -1, n_batch)


def derive_cpts(
    theory: Theory,
    spec: ThetaSpec,
    theta: np.ndarray | None = None,
    nodes: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Every node's CPT (or those of ``nodes``) for ``theta`` (default: the prior mean).

    ``theta`` of shape (P,) gives tables (card, *parent cards); of shape (D, P), D parameter
    draws at once, tables (D, card, *parent cards).
    """
    theta = spec.prior_mean() if theta is None else np.asarray(theta, dtype=float)
    if theta.ndim not in (1, 2) or theta.shape[-1] != len(spec):
        raise CPTError(f"theta has shape {theta.shape}; expected ({len(spec)},) or (draws, {len(spec)})")
    cpts = {node: node_cpt(theory, spec, theta, node) for node in (theory.nodes if nodes is None else nodes)}
    for node, table in cpts.items():
        check_cpt(node, table, draw_axes=theta.ndim - 1)
    return cpts


def check_cpt(node: str, table: np.ndarray, draw_axes: int = 0) -> None:
    """Raise :class:`CPTError` unless every column of ``table`` is a distribution."""
    sums = table.sum(axis=draw_axes)
    bad = np.argwhere(np.abs(sums - 1.0) > CPT_SUM_ATOL)
    if bad.size:
        idx = tuple(bad[0])
        raise CPTError(
            f"CPT for {node!r} given parent states {idx} sums to {sums[idx]:.6g}; "
            f"expected 1 (atol={CPT_SUM_ATOL})"
        )
    if (table < 0).any() or not np.isfinite(table).all():
        raise CPTError(f"CPT for {node!r} has negative or non-finite entries")
