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

from collections.abc import Mapping

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


def ordered_probit(eta: np.ndarray, sigma: float, n_states: int) -> np.ndarray:
    """Probabilities of ``n_states`` ordered states given latent drive ``eta``; new last axis."""
    z = ndtri(np.arange(1, n_states) / n_states)
    cdf = ndtr(z - np.asarray(eta, dtype=float)[..., None] / sigma)
    lower = np.concatenate([np.zeros_like(cdf[..., :1]), cdf], axis=-1)
    upper = np.concatenate([cdf, np.ones_like(cdf[..., :1])], axis=-1)
    return np.clip(upper - lower, 0.0, 1.0)


def node_cpt(theory: Theory, spec: ThetaSpec, theta: np.ndarray, node: str) -> np.ndarray:
    """CPT of ``node`` as an array of shape (card(node), *card(parents)) in pgmpy's order."""
    child = theory.nodes[node]
    parents = theory.parents(node)
    k = len(child.states)
    if not parents:
        return np.full(k, 1.0 / k)
    cards = [len(theory.nodes[p].states) for p in parents]
    eta = np.zeros(cards)
    total = spec.baseline_weight
    scores = {p: parent_scores(theory, p, node) for p in parents}
    for axis, p in enumerate(parents):
        shape = [1] * len(parents)
        shape[axis] = cards[axis]
        w = theta[spec.index(weight_name(p, node))]
        eta = eta + w * scores[p].reshape(shape)
        total = total + abs(w)
    for inter in theory.interactions:
        if inter.child != node:
            continue
        a, b = parents.index(inter.modifier), parents.index(inter.parent)
        shape_a = [1] * len(parents)
        shape_a[a] = cards[a]
        shape_b = [1] * len(parents)
        shape_b[b] = cards[b]
        v = theta[spec.index(interaction_name(inter.modifier, inter.parent, node))]
        eta = eta + v * scores[inter.modifier].reshape(shape_a) * scores[inter.parent].reshape(shape_b)
        total = total + abs(v)
    eta = spec.latent_scale * eta / total
    sigma = theta[spec.index(noise_name(node))]
    if not sigma > 0:
        raise CPTError(f"noise for {node!r} is {sigma}; expected a positive number")
    probs = ordered_probit(eta, sigma, k)  # (*cards, k)
    return np.moveaxis(probs, -1, 0)


def derive_cpts(theory: Theory, spec: ThetaSpec, theta: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every node's CPT for parameter vector ``theta`` (default: the prior mean)."""
    theta = spec.prior_mean() if theta is None else np.asarray(theta, dtype=float)
    if theta.shape != (len(spec),):
        raise CPTError(f"theta has shape {theta.shape}; expected ({len(spec)},)")
    cpts = {node: node_cpt(theory, spec, theta, node) for node in theory.nodes}
    for node, table in cpts.items():
        check_cpt(node, table)
    return cpts


def check_cpt(node: str, table: np.ndarray) -> None:
    """Raise :class:`CPTError` unless every column of ``table`` is a distribution."""
    sums = table.sum(axis=0)
    bad = np.argwhere(np.abs(sums - 1.0) > CPT_SUM_ATOL)
    if bad.size:
        idx = tuple(bad[0])
        raise CPTError(
            f"CPT for {node!r} given parent states {idx} sums to {sums[idx]:.6g}; "
            f"expected 1 (atol={CPT_SUM_ATOL})"
        )
    if (table < 0).any() or not np.isfinite(table).all():
        raise CPTError(f"CPT for {node!r} has negative or non-finite entries")
