"""P(answer | node state): how a respondent's answer to an item depends on the node it measures.

One family serves every scale. A respondent perceives the node's state s through noise,

    y = score(s) + e / lambda,    e ~ Normal(0, 1),

and picks the answer category whose band of [-1, 1] holds y. For an item with n options the
bands are cut evenly: c_k = -1 + 2 (k + 1) / n, k = 0 .. n - 2, so

    P(answer <= k | s) = Phi(lambda * (c_k - score(s))).

``score`` spreads the node's states evenly over [-1, 1] (its last state +1), negated for a
reversed likert item. For a ``choice`` item or a nominal node, an answer names a state directly;
option k gets weight Phi(lambda * score_k(s)) with score_k = +1 for the state it names and -1
otherwise, normalised over options (at lambda = 4 a factual answer is right about 99.99 % of
the time for a two-state node).

lambda is the item's *discrimination*: at the prior median (``priors/measurement.yaml``) a
respondent in a collaboration whose trust is high picks the generative description about 95 %
of the time and the bureaucratic one otherwise; when trust is medium, the bureaucratic one
about 60 % of the time. Unlike an ordered probit with fixed thresholds, a middle state is
informative (its answers pile up in the middle), which a maturity matrix needs.

Respondents of one collaboration share its latent states and answer independently given
them, so their answers multiply into one likelihood vector per node (:func:`node_likelihoods`)
that the engine takes as virtual evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bayescollab.elicit.cpt import NUMPY_OPS, ArrayOps

# the priors file loads with the other theory files (so `bayescollab validate` checks it); the
# names stay importable from here
from bayescollab.theory.measurement import (  # noqa: F401
    MEASUREMENT_FILE,
    DiscriminationPrior,
    MeasurementPriors,
    load_measurement_priors,
)


def state_scores(item: Any) -> np.ndarray:
    """(n_options, n_states) scores: where each state sits relative to each option's meaning.

    Ordered scales (``likert5``, ``maturity3``) use one row per item broadcast over options;
    ``choice`` items score each option against the state it names.
    """
    n_states = len(item.node_states)
    if item.scale == "choice":
        return np.where(np.eye(item.n_options, n_states, dtype=bool), 1.0, -1.0)
    spread = np.linspace(-1.0, 1.0, n_states)
    return np.broadcast_to(-spread if item.reverse else spread, (item.n_options, n_states))


def answer_table(item: Any, discrimination, ops: ArrayOps = NUMPY_OPS):
    """P(answer code | node state) for one item: shape (n_options, n_states), columns sum to 1.

    ``discrimination`` is a scalar (numpy float or PyTensor scalar), so the same code gives the
    fixed table ``assess`` uses and the differentiable one ``learn`` samples.
    """
    xp = ops.xp
    scores = state_scores(item)
    n = item.n_options
    if item.scale == "choice":
        # each option k is right for its own state: P(k | s) ∝ Phi(lambda * score_k(s))
        weight = ops.ndtr(discrimination * scores)
        return weight / weight.sum(axis=0, keepdims=True)
    cuts = -1.0 + 2.0 * np.arange(1, n) / n  # (n-1,)
    cdf = ops.ndtr(discrimination * (cuts[:, None] - scores[0][None, :]))  # (n-1, n_states)
    lower = xp.concatenate([xp.zeros_like(cdf[:1]), cdf], axis=0)
    upper = xp.concatenate([cdf, xp.ones_like(cdf[:1])], axis=0)
    return ops.clip(upper - lower, 0.0, 1.0)


def node_likelihoods(
    answers: Mapping[str, np.ndarray],
    items: Mapping[str, Any],
    discrimination: Mapping[str, float],
) -> dict[str, np.ndarray]:
    """Product over respondents and items of P(answer | state), one (n_states,) vector per node.

    ``answers[item_id]`` holds the 0-based codes of one collaboration's respondents, with
    negative values (or a masked/NaN entry) for unanswered cells, which contribute nothing.
    Work is in logs and each vector is scaled to a maximum of 1, so two hundred respondents do
    not underflow. A node nobody answered about gets no vector (it is simply not observed).
    """
    logs: dict[str, np.ndarray] = {}
    for item_id, codes in answers.items():
        item = items[item_id]
        codes = np.asarray(codes, dtype=float)
        answered = codes[np.isfinite(codes) & (codes >= 0)].astype(int)
        if answered.size == 0:
            continue
        if answered.max() >= item.n_options:
            raise ValueError(
                f"item {item_id!r} has answer code {answered.max()}; expected 0..{item.n_options - 1}"
            )
        table = answer_table(item, discrimination[item_id])
        counts = np.bincount(answered, minlength=item.n_options)
        logs[item.node] = logs.get(item.node, 0.0) + counts @ np.log(table)
    return {node: np.exp(v - v.max()) for node, v in logs.items()}
