"""Why a query comes out as it does: evidence contributions and the CMOC chains behind them.

For each piece of evidence we report two exact numbers: how far it moves P(target at its top
state) on its own (from the prior), and how much the full answer would change without it
(leave-one-out). Then the directed paths from that node to the target, each edge annotated
with the CMOC records (and their seed locations) that support it, ranked by the product of
the links' prior weights.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import networkx as nx

from bayescollab.elicit.theta import weight_name
from bayescollab.model import Model

#: Longest chain (in edges) searched between an evidence node and the target.
MAX_CHAIN_LENGTH = 7


@dataclass(frozen=True)
class ChainLink:
    parent: str
    child: str
    sign: int
    weight: float
    cmocs: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Contribution:
    node: str
    state: str
    kind: str  # "evidence" or "do"
    alone: float  # P(top | this item only) - P(top | nothing)
    leave_one_out: float  # P(top | all) - P(top | all but this item)
    chains: list[list[ChainLink]] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    target: str
    top_state: str
    prior: dict[str, float]
    posterior: dict[str, float]
    contributions: list[Contribution]

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "top_state": self.top_state,
            "prior": self.prior,
            "posterior": self.posterior,
            "contributions": [
                {
                    "node": c.node,
                    "state": c.state,
                    "kind": c.kind,
                    "alone": c.alone,
                    "leave_one_out": c.leave_one_out,
                    "chains": [
                        [
                            {
                                "parent": link.parent,
                                "child": link.child,
                                "sign": link.sign,
                                "weight": link.weight,
                                "cmocs": list(link.cmocs),
                                "sources": list(link.sources),
                            }
                            for link in chain
                        ]
                        for chain in c.chains
                    ],
                }
                for c in self.contributions
            ],
        }

    def to_text(self) -> str:
        top = self.top_state
        lines = [
            f"P({self.target}={top}): {self.prior[top]:.3f} with no evidence -> "
            f"{self.posterior[top]:.3f} given everything",
            "",
            "evidence, by how much the answer would change without it:",
        ]
        for c in self.contributions:
            label = f"do({c.node}={c.state})" if c.kind == "do" else f"{c.node}={c.state}"
            lines.append(f"  {label:<45s} alone {c.alone:+.3f}   leave-one-out {c.leave_one_out:+.3f}")
            for chain in c.chains:
                path = " -> ".join([chain[0].parent, *[link.child for link in chain]])
                lines.append(f"      chain: {path}")
                for link in chain:
                    sign = "+" if link.sign > 0 else "-"
                    lines.append(
                        f"        {link.parent} -> {link.child} ({sign}, w={link.weight:+.2f}): "
                        f"{', '.join(link.cmocs[:4])}{' ...' if len(link.cmocs) > 4 else ''}"
                        f"  [{'; '.join(link.sources[:2])}]"
                    )
        return "\n".join(lines)


def _top(model: Model, target: str, evidence: Mapping[str, str], do: Mapping[str, str]) -> float:
    states = model.states(target)
    return model.query(target, evidence=evidence, do=do)[states[-1]]


def _chains(
    model: Model,
    graph: nx.DiGraph,
    weights: Mapping[tuple[str, str], float],
    source: str,
    target: str,
    limit: int,
) -> list[list[ChainLink]]:
    theory = model.theory
    if source not in graph or target not in graph or limit <= 0:
        return []
    edges = {e.key: e for e in theory.edges}
    scored = []
    for path in nx.all_simple_paths(graph, source, target, cutoff=MAX_CHAIN_LENGTH):
        pairs = list(pairwise(path))
        strength = math.prod(abs(weights[p]) for p in pairs)
        scored.append((strength, pairs))
    scored.sort(key=lambda item: -item[0])
    chains = []
    for _, pairs in scored[:limit]:
        chain = []
        for pair in pairs:
            edge = edges[pair]
            sources = []
            for cid in edge.cmocs:
                for src in theory.cmocs[cid].sources[:1]:
                    cites = ",".join(str(c) for c in src.citations)
                    sources.append(f"{src.seed[:3]} {src.location}" + (f" [{cites}]" if cites else ""))
            chain.append(
                ChainLink(
                    pair[0], pair[1], edge.sign, weights[pair], edge.cmocs, tuple(dict.fromkeys(sources))
                )
            )
        chains.append(chain)
    return chains


def explain(
    model: Model,
    target: str,
    *,
    evidence: Mapping[str, str] | None = None,
    do: Mapping[str, str] | None = None,
    max_chains: int = 3,
) -> Explanation:
    """Decompose P(target | evidence, do) into per-item effects and CMOC chains."""
    evidence = dict(evidence or {})
    do = dict(do or {})
    posterior = model.query(target, evidence=evidence, do=do)
    prior = model.query(target)
    top = model.states(target)[-1]
    base = prior[top]
    full = posterior[top]
    graph = nx.DiGraph([e.key for e in model.theory.edges])
    weights = {
        e.key: float(model.theta[model.theta_spec.index(weight_name(*e.key))]) for e in model.theory.edges
    }
    contributions = []
    items = [("evidence", k, v) for k, v in evidence.items()] + [("do", k, v) for k, v in do.items()]
    for kind, node, state in items:
        if kind == "evidence":
            alone = _top(model, target, {node: state}, {}) - base
            rest_ev = {k: v for k, v in evidence.items() if k != node}
            without = _top(model, target, rest_ev, do)
        else:
            alone = _top(model, target, {}, {node: state}) - base
            without = _top(model, target, evidence, {k: v for k, v in do.items() if k != node})
        contributions.append(
            Contribution(
                node=node,
                state=state,
                kind=kind,
                alone=alone,
                leave_one_out=full - without,
                chains=_chains(model, graph, weights, node, target, max_chains),
            )
        )
    contributions.sort(key=lambda c: -abs(c.leave_one_out))
    return Explanation(
        target=target,
        top_state=top,
        prior=dict(prior),
        posterior=dict(posterior),
        contributions=contributions,
    )
