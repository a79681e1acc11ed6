"""The setup the parameter analyses share: one query in engine terms, and which θ can move it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bayescollab._validate import check_disjoint, check_node, check_state, to_indices, to_likelihoods
from bayescollab.engine.exact import (
    Network,
)
from bayescollab.model import Evidence, Model, VirtualEvidence


# ---------------------------------------------------------------------------------- shared setup
@dataclass(frozen=True)
class _Query:
    """One query P(target=state | evidence, do, virtual evidence) in engine terms."""

    net: Network
    target: str
    y: int
    evidence: dict[str, int]
    do: dict[str, int]
    virtual: dict[str, np.ndarray]
    labels: dict[str, Any]

    def requisite(self) -> list[str]:
        """Nodes whose CPTs enter the contraction: ancestors of the query, cut at ``do``."""
        seen = self.net.ancestors([self.target, *self.evidence, *self.virtual, *self.do], frozenset(self.do))
        return [n for n in self.net.order if n in seen and n not in self.do]


def _prepare(
    model: Model,
    target: str,
    state: str,
    evidence: Evidence | None,
    do: Evidence | None,
    virtual_evidence: VirtualEvidence | None,
) -> _Query:
    check_node(target, model.nodes)
    y = check_state(target, state, model.states(target))
    states = {n: model.states(n) for n in model.nodes}
    ev, dos = to_indices(evidence, states), to_indices(do, states)
    virt = to_likelihoods(virtual_evidence, states)
    check_disjoint(evidence=ev, do=dos, virtual_evidence=virt)
    if target in ev or target in dos:
        raise ValueError(
            f"the target {target!r} is itself observed or intervened on; its probability is fixed "
            "and has no sensitivity. Expected a target outside evidence and do"
        )
    net = Network(
        order=tuple(model.nodes),
        parents={n: tuple(model.parents(n)) for n in model.nodes},
        cpts=model.cpts,
    )
    labels = {
        "target": target,
        "state": state,
        "evidence": dict(evidence or {}),
        "do": dict(do or {}),
        "virtual_evidence": {k: v.tolist() for k, v in virt.items()},
    }
    return _Query(net, target, y, ev, dos, virt, labels)


def relevant_parameters(
    model: Model,
    target: str,
    *,
    evidence: Evidence | None = None,
    do: Evidence | None = None,
    virtual_evidence: VirtualEvidence | None = None,
) -> list[str]:
    """Names of the θ components that may change P(target | evidence, do(...)).

    Only the CPTs of the query's ancestors (with the parents of ``do`` nodes cut away, and the
    ``do`` nodes' own CPTs replaced) enter the contraction; every other θ component leaves the
    answer exactly unchanged, so sensitivity analyses vary only these by default. It is a
    superset: a component whose influence hard evidence blocks is still listed (and then
    comes out with zero sensitivity).
    """
    state = model.states(target)[0]
    needed = set(_prepare(model, target, state, evidence, do, virtual_evidence).requisite())
    return [p.name for p in model.theta_spec.parameters if p.child in needed]


# ---------------------------------------------------------------------- CPT-entry sensitivity
