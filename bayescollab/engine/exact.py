"""Exact marginal inference by tensor contraction over the network's CPTs.

Why not pgmpy's VariableElimination directly: its virtual-evidence path rebuilds the model it
was given (STYLE.md §7), and a contraction planned by ``opt_einsum`` is the basis of the
batched engine. pgmpy stays the reference: the tests compare every kind of query with it.

Interventions are graph surgery: a ``do`` node loses its parents and is clamped to its state.
Only ancestors of the query's targets and evidence enter the contraction (barren nodes sum
to one and are dropped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import opt_einsum

from bayescollab.errors import ImpossibleEvidenceError

#: Below this, the probability of the evidence counts as zero.
EVIDENCE_ZERO_ATOL = 1e-300


@dataclass(frozen=True)
class Network:
    """The plain-array view of a discrete Bayesian network used by the contraction.

    ``cpts[node]`` has shape ``(card(node), *card(parents[node]))``.
    """

    order: tuple[str, ...]
    parents: Mapping[str, tuple[str, ...]]
    cpts: Mapping[str, np.ndarray]

    def card(self, node: str) -> int:
        return self.cpts[node].shape[0]

    def ancestors(self, nodes: Sequence[str], cut: frozenset[str] = frozenset()) -> set[str]:
        """``nodes`` and all their ancestors, not walking into the parents of ``cut`` nodes."""
        seen: set[str] = set()
        stack = list(nodes)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if n not in cut:
                stack.extend(self.parents[n])
        return seen


def _one_hot(size: int, index: int) -> np.ndarray:
    vec = np.zeros(size)
    vec[index] = 1.0
    return vec


def contract_joint(
    net: Network,
    targets: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, float]:
    """Unnormalised joint over ``targets`` with the evidence applied, and its total mass.

    Returns ``(table, p_evidence)`` where ``table`` has one axis per target in the given order
    and ``p_evidence`` is the probability of the (hard and virtual) evidence under the
    intervened network.
    """
    evidence = dict(evidence or {})
    do = dict(do or {})
    virtual_evidence = dict(virtual_evidence or {})
    cut = frozenset(do)
    needed = net.ancestors([*targets, *evidence, *virtual_evidence, *do], cut)
    symbols = {node: opt_einsum.get_symbol(i) for i, node in enumerate(net.order)}
    operands: list[np.ndarray] = []
    subscripts: list[str] = []
    for node in net.order:
        if node not in needed:
            continue
        if node in do:
            operands.append(_one_hot(net.card(node), do[node]))
            subscripts.append(symbols[node])
            continue
        operands.append(net.cpts[node])
        subscripts.append(symbols[node] + "".join(symbols[p] for p in net.parents[node]))
    for node, index in evidence.items():
        operands.append(_one_hot(net.card(node), index))
        subscripts.append(symbols[node])
    for node, likelihood in virtual_evidence.items():
        operands.append(np.asarray(likelihood, dtype=float))
        subscripts.append(symbols[node])
    output = "".join(symbols[t] for t in targets)
    expr = ",".join(subscripts) + "->" + output
    table = opt_einsum.contract(expr, *operands, optimize="auto")
    return table, float(table.sum())


def query_joint(
    net: Network,
    targets: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Normalised joint posterior over ``targets``; raises if the evidence is impossible."""
    table, mass = contract_joint(
        net, targets, evidence=evidence, do=do, virtual_evidence=virtual_evidence
    )
    if not mass > EVIDENCE_ZERO_ATOL:
        raise ImpossibleEvidenceError(
            f"the evidence has probability {mass:.3g} under the model, so the posterior is "
            f"undefined (evidence={dict(evidence or {})}, do={dict(do or {})}, virtual on "
            f"{sorted(virtual_evidence or {})})"
        )
    return table / mass
