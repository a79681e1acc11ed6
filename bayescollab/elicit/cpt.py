"""θ -> CPTs through an ordered-probit (ranked-node) family with moderation terms.

For a child Y with K ordered states and parents X_j, each parent state carries a score s_j in
[-1, 1]: evenly spaced for ordered nodes unless the node lists its own scores, or scores for
this particular child (``child_scores`` in ``models/nodes.yaml``: MoU best for trust); for the
nominal ``collaboration_form`` the form's typical value of the child (``models/forms.yaml``).
With V_j the variance of s_j over the parent's states, the latent drive is

    g_j(x) = exp(sum_{i moderates j} u_i s_a(x_a))          (moderation: scales, never flips)
    m(x)   = sum_j w_j g_j(x) s_j(x_j) + sum_c v_c s_a(x_a) t_c(x_b)   (crossovers)
    N(x)^2 = w0^2 + sum_j (w_j g_j(x))^2 V_j + sum_c v_c^2 V_a V_t
    eta(x) = kappa * m(x) / N(x)

and P(Y <= k | x) = Phi((tau z_k - eta(x)) / sigma), z_k = Phi^-1(k / K),
tau = sqrt(sigma^2 + kappa^2 ((1 - c) S + c R^2) / (w0^2 + S)), S = sum_j w_j^2 V_j + sum_c v_c^2 V_a V_t,
R = sum_j |w_j| sqrt(V_j) + sum_c |v_c| sqrt(V_a V_t) (c = ``threshold_correlation``).

Why each piece (docs/decisions.md, "CPT family v2"): dividing by the root-sum-square N rather
than sum |w| keeps a strong parent's share large among many parents, so an essential
determinant stays visible downstream; w0 stands for the causes the theory leaves out. tau puts
the thresholds at the quantiles of the latent's spread over parent configurations, so the
middle state is not made rare by the thresholds and noise alone (a node whose parents sit in
their middle is most likely in its middle). A moderation multiplies a weight by a positive
factor, so it strengthens or weakens an effect the seeds assert without flipping it; the few
sign changes the seeds state are crossovers with their own parent scores. kappa, w0 and the
priors of w, u, v, sigma live in ``priors/``; no table is typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    """Scores of ``parent``'s states as a cause of ``child`` (per-child scores first)."""
    node = theory.nodes[parent]
    if child in node.child_scores:
        return np.asarray(node.child_scores[child].scores, dtype=float)
    if node.ordered:
        return ordinal_scores(node)
    if parent == "collaboration_form":
        return form_scores(theory.forms, node.states, theory.nodes[child])
    raise CPTError(f"nominal parent {parent!r} of {child!r} has no scoring rule")


@dataclass(frozen=True)
class Moderator:
    """One moderation of a main term: exp(θ[col] * scores[x_axis]) scales the weight."""

    col: int
    axis: int
    scores: np.ndarray


@dataclass(frozen=True)
class MainTerm:
    """w_j g_j(x) s_j(x_j): a parent's main effect, with the moderations of that parent."""

    col: int
    axis: int
    scores: np.ndarray
    var: float
    moderators: tuple[Moderator, ...]


@dataclass(frozen=True)
class CrossTerm:
    """v s_a(x_a) t(x_b): an additive crossover the seeds state (the direction changes)."""

    col: int
    axis_a: int
    scores_a: np.ndarray
    axis_b: int
    scores_b: np.ndarray
    var: float


@dataclass(frozen=True)
class NodeDesign:
    """Everything θ-free about one node's CPT: parents, scores, which θ columns enter where."""

    node: str
    parents: tuple[str, ...]
    cards: tuple[int, ...]
    n_states: int
    main: tuple[MainTerm, ...]
    cross: tuple[CrossTerm, ...]
    noise_col: int


def node_design(theory: Theory, spec: ThetaSpec, node: str) -> NodeDesign:
    """The design of ``node``'s CPT (shared by :func:`node_cpt` and the stacked family)."""
    parents = tuple(theory.parents(node))
    cards = tuple(len(theory.nodes[p].states) for p in parents)
    scores = {p: parent_scores(theory, p, node) for p in parents}
    mods: dict[str, list[Moderator]] = {p: [] for p in parents}
    cross = []
    for inter in theory.interactions:
        if inter.child != node:
            continue
        a, b = parents.index(inter.modifier), parents.index(inter.parent)
        col = spec.index(interaction_name(inter.modifier, inter.parent, node))
        if inter.kind == "moderation":
            mods[inter.parent].append(Moderator(col, a, scores[inter.modifier]))
        else:
            t = np.asarray(inter.parent_scores if inter.parent_scores is not None else scores[inter.parent])
            var = float(np.var(scores[inter.modifier]) * np.var(t))
            cross.append(CrossTerm(col, a, scores[inter.modifier], b, t, var))
    main = tuple(
        MainTerm(spec.index(weight_name(p, node)), j, scores[p], float(np.var(scores[p])), tuple(mods[p]))
        for j, p in enumerate(parents)
    )
    return (
        NodeDesign(
            node,
            parents,
            cards,
            len(theory.nodes[node].states),
            main,
            tuple(cross),
            spec.index(noise_name(node)),
        )
        if parents
        else NodeDesign(node, (), (), len(theory.nodes[node].states), (), (), -1)
    )


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


def ordered_probit(eta, sigma, n_states: int, ops: ArrayOps = NUMPY_OPS, tau=1.0):
    """Probabilities of ``n_states`` ordered states given latent drive ``eta``; new last axis.

    P(Y <= k) = Phi((tau z_k - eta) / sigma) with z_k = Phi^-1(k / K): ``tau`` stretches the
    thresholds to the latent's spread. ``sigma`` and ``tau`` broadcast against ``eta``.
    """
    xp = ops.xp
    z = ndtri(np.arange(1, n_states) / n_states)
    cdf = ops.ndtr((xp.expand_dims(tau, -1) * z - xp.expand_dims(eta, -1)) / xp.expand_dims(sigma, -1))
    if isinstance(cdf, np.ndarray):
        return _cdf_steps(cdf)
    lower = xp.concatenate([xp.zeros_like(cdf[..., :1]), cdf], axis=-1)
    upper = xp.concatenate([cdf, xp.ones_like(cdf[..., :1])], axis=-1)
    return ops.clip(upper - lower, 0.0, 1.0)


def _cdf_steps(cdf: np.ndarray) -> np.ndarray:
    """``clip(upper - lower, 0, 1)`` of :func:`ordered_probit` for numpy, written in place.

    The same subtractions on the same numbers (bit-identical tables), without the two
    concatenated copies and the clip's temporaries: the θ-draw run derives ~54,000 CPT entries
    per draw, and those copies were most of the derivation's time.
    """
    out = np.empty((*cdf.shape[:-1], cdf.shape[-1] + 1), dtype=cdf.dtype)
    out[..., 0] = cdf[..., 0]
    np.subtract(cdf[..., 1:], cdf[..., :-1], out=out[..., 1:-1])
    np.subtract(1.0, cdf[..., -1], out=out[..., -1])
    return np.clip(out, 0.0, 1.0, out=out)


#: smoothing of |w| = sqrt(w^2 + SMOOTH_ABS) in the threshold spread (differentiable at w = 0)
SMOOTH_ABS = 1e-6


def threshold_scale(spec: ThetaSpec, sigma, spread, reach, xp, baseline=None):
    """tau: the latent's sd over parent configurations and noise, where the thresholds go.

    ``spread`` = sum w^2 V (parents independent), ``reach`` = sum |w| sqrt(V) (its square:
    parents moving together); parents of one node share causes, so the spread is taken
    between the two, ``threshold_correlation`` of the way to the correlated end.
    """
    c = spec.threshold_correlation
    mixed = (1.0 - c) * spread + c * reach**2
    w0 = spec.baseline_weight if baseline is None else baseline
    return xp.sqrt(sigma**2 + spec.latent_scale**2 * mixed / (w0**2 + spread))


def moderation_gain(spec: ThetaSpec, log_gain, xp):
    """g = exp(sum u s), saturated to exp(r tanh(sum u s / r)) when ``spec.moderation_reach`` = r.

    Why saturate: 000 names mandated *or* integrative forms as the settings where formalisation
    builds confidence, two routes to one shift; with a plain exponential two moderations
    compound (e^1.6 = 5x) and make a node near-certain. The saturated factor stays within
    [e^-r, e^r], equals the plain one for small sums, and is smooth in θ.
    """
    r = spec.moderation_reach
    if r is None:
        return xp.exp(log_gain)
    return xp.exp(r * xp.tanh(log_gain / r))


def _axis_shape(n_batch: int, n_parents: int, axis: int, card: int) -> tuple[int, ...]:
    """Broadcast shape putting ``card`` on parent ``axis`` after ``n_batch`` draw axes."""
    shape = [1] * (n_batch + n_parents)
    shape[n_batch + axis] = card
    return tuple(shape)


def node_cpt(theory: Theory, spec: ThetaSpec, theta, node: str, ops: ArrayOps = NUMPY_OPS):
    """CPT of ``node``: shape (*draws, card(node), *card(parents)), in pgmpy's order.

    The readable definition of the family (module docstring), one node at a time by
    broadcasting; :class:`bayescollab.elicit.family.CPTFamily` computes the same tables for
    all nodes at once. ``theta`` has shape (P,) or (*draws, P); leading draw axes carry through.
    """
    xp = ops.xp
    design = node_design(theory, spec, node)
    n_batch = theta.ndim - 1
    if not design.parents:
        return ops.constant(np.full(design.n_states, 1.0 / design.n_states), theta)
    n_par = len(design.parents)

    def param(col: int):
        return ops.pad_right(theta[..., col], n_par)

    def on_axis(values: np.ndarray, axis: int) -> np.ndarray:
        return values.reshape(_axis_shape(n_batch, n_par, axis, design.cards[axis]))

    baseline = spec.baseline(node)
    drive, norm2, spread, reach = 0.0, baseline**2, 0.0, 0.0
    for term in design.main:
        w = param(term.col)
        spread = spread + w**2 * term.var
        reach = reach + xp.sqrt(w**2 + SMOOTH_ABS) * np.sqrt(term.var)
        if term.moderators:
            log_gain = sum(param(mod.col) * on_axis(mod.scores, mod.axis) for mod in term.moderators)
            w = w * moderation_gain(spec, log_gain, xp)
        drive = drive + w * on_axis(term.scores, term.axis)
        norm2 = norm2 + w**2 * term.var
    for term in design.cross:
        v = param(term.col)
        drive = drive + v * on_axis(term.scores_a, term.axis_a) * on_axis(term.scores_b, term.axis_b)
        norm2 = norm2 + v**2 * term.var
        spread = spread + v**2 * term.var
        reach = reach + xp.sqrt(v**2 + SMOOTH_ABS) * np.sqrt(term.var)
    sigma = param(design.noise_col)
    if isinstance(sigma, np.ndarray) and not np.all(sigma > 0):
        raise CPTError(f"noise for {node!r} is {np.min(sigma)}; expected a positive number")
    eta = spec.latent_scale * drive / xp.sqrt(norm2)
    tau = threshold_scale(spec, sigma, spread, reach, xp, baseline)
    probs = ordered_probit(eta, sigma, design.n_states, ops, tau=tau)  # (*draws, *cards, k)
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
    # a NaN or infinite entry makes its column's sum fail this test too, so the second test
    # below only has to look for negative entries (one pass over a θ-draw stack, not three)
    bad = np.argwhere(~(np.abs(sums - 1.0) <= CPT_SUM_ATOL))
    if bad.size and np.isfinite(sums[tuple(bad[0])]):
        idx = tuple(bad[0])
        raise CPTError(
            f"CPT for {node!r} given parent states {idx} sums to {sums[idx]:.6g}; "
            f"expected 1 (atol={CPT_SUM_ATOL})"
        )
    if bad.size or table.min(initial=0.0) < 0:
        raise CPTError(f"CPT for {node!r} has negative or non-finite entries")
