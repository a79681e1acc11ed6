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
from functools import cached_property

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

    @cached_property
    def signature(self) -> tuple:
        """Structure and cardinalities: what a contraction plan depends on."""
        return tuple((n, self.parents[n], self.cpts[n].shape) for n in self.order)

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


#: How many randomised greedy orders opt_einsum tries per plan (plans are cached per query shape).
PATH_SEARCH_REPEATS = 64
_PATH_CACHE_SIZE = 512
_path_cache: dict[tuple, list] = {}


def _cached_path(key: tuple, expr: str, operands: list[np.ndarray]) -> list:
    """Plan once per (network, query shape): which targets, which nodes observed / intervened."""
    path = _path_cache.get(key)
    if path is None:
        if len(operands) < 3:
            path = [tuple(range(len(operands)))]
        else:
            optimizer = opt_einsum.RandomGreedy(max_repeats=PATH_SEARCH_REPEATS)
            path, _ = opt_einsum.contract_path(expr, *operands, optimize=optimizer)
        if len(_path_cache) >= _PATH_CACHE_SIZE:
            _path_cache.pop(next(iter(_path_cache)))
        _path_cache[key] = path
    return path


def _sum_out(arr: np.ndarray, idx: str, keep: set[str]) -> tuple[np.ndarray, str]:
    """Sum away the axes whose labels are not in ``keep``."""
    drop = tuple(i for i, c in enumerate(idx) if c not in keep)
    if not drop:
        return arr, idx
    return arr.sum(axis=drop), "".join(c for c in idx if c in keep)


def _pair(a: np.ndarray, ai: str, b: np.ndarray, bi: str, keep: set[str]) -> tuple[np.ndarray, str]:
    """Contract two labelled factors as one batched matrix product, keeping labels in ``keep``.

    numpy's einsum runs the network's large, many-index pairwise steps about 15-35 times slower
    than this transpose-reshape-``matmul`` form, which hands the arithmetic to BLAS.
    """
    a, ai = _sum_out(a, ai, set(bi) | keep)
    b, bi = _sum_out(b, bi, set(ai) | keep)
    shared = [c for c in ai if c in bi]
    batch = [c for c in shared if c in keep]
    summed = [c for c in shared if c not in keep]
    a_only = [c for c in ai if c not in bi]
    b_only = [c for c in bi if c not in ai]
    size = {**dict(zip(ai, a.shape, strict=True)), **dict(zip(bi, b.shape, strict=True))}

    def prod(labels: list[str]) -> int:
        return int(np.prod([size[c] for c in labels], dtype=np.int64))

    at = np.transpose(a, [ai.index(c) for c in batch + a_only + summed])
    bt = np.transpose(b, [bi.index(c) for c in batch + summed + b_only])
    out = np.matmul(
        at.reshape(prod(batch), prod(a_only), prod(summed)),
        bt.reshape(prod(batch), prod(summed), prod(b_only)),
    )
    out_idx = "".join(batch + a_only + b_only)
    return out.reshape([size[c] for c in out_idx]), out_idx


def execute_path(expr: str, operands: Sequence[np.ndarray], path: Sequence[tuple[int, ...]]) -> np.ndarray:
    """Run an opt_einsum contraction path with :func:`_pair` steps (same result as ``contract``)."""
    inputs, output = expr.split("->")
    items = list(zip(operands, inputs.split(","), strict=True))
    for step in path:
        picked = [items[i] for i in step]
        for i in sorted(step, reverse=True):
            del items[i]
        outside = set(output).union(*(set(ix) for _, ix in items))
        arr, idx = picked[0]
        if len(picked) == 1:
            arr, idx = _sum_out(np.asarray(arr), idx, outside)
        for j in range(1, len(picked)):
            keep = outside.union(*(set(ix) for _, ix in picked[j + 1 :]))
            arr, idx = _pair(np.asarray(arr), idx, np.asarray(picked[j][0]), picked[j][1], keep)
        items.append((arr, idx))
    (arr, idx), *rest = items
    for other, other_idx in rest:  # disconnected pieces the path left apart
        arr, idx = _pair(arr, idx, other, other_idx, set(output))
    arr, idx = _sum_out(np.asarray(arr), idx, set(output))
    return np.transpose(arr, [idx.index(c) for c in output]) if output else arr


def contract_joint(
    net: Network,
    targets: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, float]:
    """Unnormalised joint over ``targets`` with the evidence applied, and its total mass.

    Hard evidence and interventions slice the CPTs (the clamped variables leave the
    contraction); virtual evidence enters as one extra vector factor per node. Returns
    ``(table, p_evidence)`` where ``table`` has one axis per target in the given order and
    ``p_evidence`` is the probability of the evidence under the intervened network.
    """
    evidence = dict(evidence or {})
    do = dict(do or {})
    virtual_evidence = dict(virtual_evidence or {})
    clamped = {**evidence, **do}
    cut = frozenset(do)
    needed = net.ancestors([*targets, *evidence, *virtual_evidence, *do], cut)
    symbols = {node: opt_einsum.get_symbol(i) for i, node in enumerate(net.order)}
    operands: list[np.ndarray] = []
    subscripts: list[str] = []
    for node in net.order:
        if node not in needed:
            continue
        if node in do:
            continue  # an intervened node's CPT is replaced by a point mass: nothing to multiply
        variables = (node, *net.parents[node])
        index = tuple(clamped.get(v, slice(None)) for v in variables)
        operands.append(np.asarray(net.cpts[node][index]))
        subscripts.append("".join(symbols[v] for v in variables if v not in clamped))
    for node, likelihood in virtual_evidence.items():
        operands.append(np.asarray(likelihood, dtype=float))
        subscripts.append(symbols[node])
    free_targets = [t for t in targets if t not in clamped]
    output = "".join(symbols[t] for t in free_targets)
    expr = ",".join(subscripts) + "->" + output
    key = (
        net.signature,
        tuple(targets),
        tuple(sorted(evidence)),
        tuple(sorted(do)),
        tuple(sorted(virtual_evidence)),
    )
    if operands:
        table = execute_path(expr, operands, _cached_path(key, expr, operands))
        table = np.asarray(table, dtype=float)
    else:  # every needed node is clamped
        table = np.array(1.0)
    mass = float(table.sum())
    # put clamped targets back as one-hot axes, in the requested order
    full = table
    for axis, t in enumerate(targets):
        if t in clamped:
            full = np.expand_dims(full, axis) * _one_hot(net.card(t), clamped[t]).reshape(
                [-1 if i == axis else 1 for i in range(full.ndim + 1)]
            )
    return full, mass


def query_joint(
    net: Network,
    targets: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Normalised joint posterior over ``targets``; raises if the evidence is impossible."""
    table, mass = contract_joint(net, targets, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
    if not mass > EVIDENCE_ZERO_ATOL:
        raise ImpossibleEvidenceError(
            f"the evidence has probability {mass:.3g} under the model, so the posterior is "
            f"undefined (evidence={dict(evidence or {})}, do={dict(do or {})}, virtual on "
            f"{sorted(virtual_evidence or {})})"
        )
    return table / mass
