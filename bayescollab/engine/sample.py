"""Forward (ancestral) sampling over a :class:`~bayescollab.engine.exact.Network`, with a draw axis.

Each node is drawn after its parents from its CPT row given the parents' drawn states. On a
network whose CPTs carry a draw axis (D parameter draws θ), every draw gets its own ``n``
joint samples in one pass: the result has shape ``(D, n)`` per node. Interventions and root
observations are clamps (the node is held at its state; its parents are never consulted).

The random stream is consumed node by node in :func:`topological_order`, one uniform per
sample (``D * n`` per node with a draw axis), so a seed gives the same draws whether the
caller asks for one network or a draw axis of length one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from bayescollab.engine.exact import Network
from bayescollab.theory import graph

__all__ = ["forward_sample", "topological_order"]


def topological_order(net: Network) -> list[str]:
    """The network's order, moved only where a node would come before one of its parents
    (:func:`bayescollab.theory.graph.topological_order`, in waves)."""
    return graph.topological_order({n: net.parents[n] for n in net.order})


def forward_sample(
    net: Network,
    n: int,
    rng: np.random.Generator,
    *,
    clamp: Mapping[str, int] | None = None,
    order: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """``n`` joint draws of every node (state indices), nodes in ``clamp`` held fixed.

    Returns ``{node: (n,) int array}``, or ``(D, n)`` arrays when the network has a draw axis
    of length D. ``order`` (default :func:`topological_order`) must put parents first.
    """
    clamp = dict(clamp or {})
    order = list(order) if order is not None else topological_order(net)
    draws = net.draw_shape[0] if net.draw_shape else 1
    at = np.arange(draws)[:, None]
    out: dict[str, np.ndarray] = {}
    for node in order:
        if node in clamp:
            out[node] = np.full((draws, n), clamp[node], dtype=np.int64)
            continue
        cpt = net.cpts[node] if net.draw_shape else net.cpts[node][None]  # (D, k, *parents)
        parents = net.parents[node]
        if parents:
            probs = cpt[(at, slice(None), *(out[p] for p in parents))]  # (D, n, k)
        else:
            probs = np.broadcast_to(cpt[:, None, :], (draws, n, cpt.shape[1]))
        cum = np.cumsum(probs, axis=-1)
        u = rng.random((draws, n)) * cum[..., -1]
        out[node] = np.minimum((cum < u[..., None]).sum(axis=-1), cpt.shape[1] - 1)
    return out if net.draw_shape else {k: v[0] for k, v in out.items()}
