"""Exact marginal inference by tensor contraction over the network's CPTs.

Why not pgmpy's VariableElimination directly: its virtual-evidence path rebuilds the model it
was given (STYLE.md §7), and a contraction planned by ``opt_einsum`` is the basis of the
batched engine. pgmpy stays the reference: the tests compare every kind of query with it.

Interventions are graph surgery: a ``do`` node loses its parents and is clamped to its state.
Only ancestors of the query's targets and evidence enter the contraction (barren nodes sum
to one and are dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import opt_einsum

from bayescollab.engine import plan_store
from bayescollab.errors import ImpossibleEvidenceError

#: Below this, the probability of the evidence counts as zero.
EVIDENCE_ZERO_ATOL = 1e-300


@dataclass(frozen=True)
class Network:
    """The plain-array view of a discrete Bayesian network used by the contraction.

    ``cpts[node]`` has shape ``(*draw_shape, card(node), *card(parents[node]))``. A network
    with ``draw_shape == (D,)`` is D networks of one structure (D parameter draws θ) that
    every query answers at once: the draw axis rides on the CPT tensors.
    """

    order: tuple[str, ...]
    parents: Mapping[str, tuple[str, ...]]
    cpts: Mapping[str, np.ndarray]
    draw_shape: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.draw_shape) > 1:
            raise ValueError(f"draw_shape is {self.draw_shape}; expected () or (draws,)")

    @cached_property
    def signature(self) -> tuple:
        """Structure and cardinalities: what a contraction plan depends on."""
        return tuple((n, self.parents[n], self.cpts[n].shape[len(self.draw_shape) :]) for n in self.order)

    def card(self, node: str) -> int:
        return self.cpts[node].shape[len(self.draw_shape)]

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


#: How many randomised greedy orders opt_einsum tries per plan (plans are cached per query shape),
#: and the most seconds it may spend. On the headline query 64 trials found plans of 1.2-1.5e8
#: multiply-adds, 256 trials 7.3e7, and 8,192 trials nothing better (docs/performance.md).
PATH_SEARCH_REPEATS = 256
PATH_SEARCH_SECONDS = 2.0
#: The search never costs much more than the plain greedy plan would take to run: it gets
#: ``PATH_SEARCH_PAYBACK`` times the greedy plan's estimated run time (at
#: ``EXECUTOR_MADDS_PER_SECOND``), at least ``PATH_SEARCH_MIN_SECONDS``. A cheap query keeps
#: its greedy plan; without this, 38 marginals of one survey spent 54 s planning and 0.6 s
#: computing.
PATH_SEARCH_PAYBACK = 1.0
PATH_SEARCH_MIN_SECONDS = 0.02
EXECUTOR_MADDS_PER_SECOND = 2e9
CHEAP_PLAN_MADDS = 2e6
_PATH_CACHE_SIZE = 512
_path_cache: dict[tuple, Plan] = {}


@dataclass(frozen=True)
class Plan:
    """A contraction order and what it costs (per draw when CPTs carry a draw axis)."""

    path: list
    multiply_adds: float
    largest_intermediate: int


def _cached_path(key: tuple, expr: str, shapes: list[tuple[int, ...]], runs: int = 1) -> Plan:
    """Plan once per (network, query shape): which targets, which nodes observed / intervened."""
    plan = _path_cache.get(key)
    if plan is None:
        if len(shapes) < 3:
            plan = Plan([tuple(range(len(shapes)))], float(np.prod(max(shapes, key=len))), 0)
        else:
            stored_as = expr if runs == 1 else f"{expr}|draws"  # draw plans get a longer search
            plan = plan_store.load(stored_as, shapes)
            if plan is None:
                plan = _search_path(expr, shapes, runs)
                plan_store.save(stored_as, shapes, plan)
        if len(_path_cache) >= _PATH_CACHE_SIZE:
            _path_cache.pop(next(iter(_path_cache)))
        _path_cache[key] = plan
    return plan


def _sum_out(arr, idx: str, keep: set[str]) -> tuple:
    """Sum away the axes whose labels are not in ``keep``."""
    drop = tuple(i for i, c in enumerate(idx) if c not in keep)
    if not drop:
        return arr, idx
    return arr.sum(axis=drop), "".join(c for c in idx if c in keep)


def _pair(a, ai: str, b, bi: str, keep: set[str], size: Mapping[str, int], matmul=np.matmul) -> tuple:
    """Contract two labelled factors as one batched matrix product, keeping labels in ``keep``.

    numpy's einsum runs the network's large, many-index pairwise steps about 15-35 times slower
    than this transpose-reshape-``matmul`` form, which hands the arithmetic to BLAS. The step
    only uses ``sum``, ``transpose``, ``reshape`` and ``matmul``, so the same code builds the
    PyTensor graph (``size`` gives each label's length because symbolic shapes cannot).
    """
    a, ai = _sum_out(a, ai, set(bi) | keep)
    b, bi = _sum_out(b, bi, set(ai) | keep)
    shared = [c for c in ai if c in bi]
    batch = [c for c in shared if c in keep]
    summed = [c for c in shared if c not in keep]
    a_only = [c for c in ai if c not in bi]
    b_only = [c for c in bi if c not in ai]

    def prod(labels: list[str]) -> int:
        return int(np.prod([size[c] for c in labels], dtype=np.int64))

    at = a.transpose([ai.index(c) for c in batch + a_only + summed])
    bt = b.transpose([bi.index(c) for c in batch + summed + b_only])
    out = matmul(
        at.reshape((prod(batch), prod(a_only), prod(summed))),
        bt.reshape((prod(batch), prod(summed), prod(b_only))),
    )
    out_idx = "".join(batch + a_only + b_only)
    return out.reshape(tuple(size[c] for c in out_idx)), out_idx


def walk_path(
    items: Sequence[Any],
    labels: Callable[[Any], str],
    output: str,
    path: Sequence[tuple[int, ...]],
    sum_out: Callable[[Any, set[str]], Any],
    pair: Callable[[Any, Any, set[str]], Any],
) -> Any:
    """Follow an opt_einsum path over labelled factors, leaving the arithmetic to the callers.

    ``items`` are factor handles and ``labels(h)`` their index labels; ``sum_out(h, keep)`` and
    ``pair(a, b, keep)`` return new handles that keep only the labels in ``keep``. The one walk
    serves the numpy and PyTensor executors (:func:`execute_path`) and the recording forward
    pass of :mod:`bayescollab.engine.marginals`, so they cannot disagree about which labels a
    step may sum away. Returns the handle of the result, summed down to ``output``'s labels.
    """
    items = list(items)
    for step in path:
        picked = [items[i] for i in step]
        for i in sorted(step, reverse=True):
            del items[i]
        outside = set(output).union(*(set(labels(h)) for h in items))
        h = picked[0]
        if len(picked) == 1:
            h = sum_out(h, outside)
        for j in range(1, len(picked)):
            keep = outside.union(*(set(labels(x)) for x in picked[j + 1 :]))
            h = pair(h, picked[j], keep)
        items.append(h)
    h, *rest = items
    for other in rest:  # disconnected pieces the path left apart
        h = pair(h, other, set(output))
    return sum_out(h, set(output))


def execute_path(
    expr: str,
    operands: Sequence,
    path: Sequence[tuple[int, ...]],
    size: Mapping[str, int] | None = None,
    matmul=np.matmul,
):
    """Run an opt_einsum contraction path with :func:`_pair` steps (same result as ``contract``).

    With numpy arrays ``size`` is read from the operands; for PyTensor variables pass the label
    sizes and ``pytensor.tensor.matmul``.
    """
    inputs, output = expr.split("->")
    if size is None:
        operands = [np.asarray(op) for op in operands]
        size = {}
        for op, ix in zip(operands, inputs.split(","), strict=True):
            size.update(zip(ix, op.shape, strict=True))
    arr, idx = walk_path(
        list(zip(operands, inputs.split(","), strict=True)),
        lambda h: h[1],
        output,
        path,
        lambda h, keep: _sum_out(h[0], h[1], keep),
        lambda a, b, keep: _pair(a[0], a[1], b[0], b[1], keep, size, matmul),
    )
    return arr.transpose([idx.index(c) for c in output]) if output else arr


def _search_path(expr: str, shapes: list[tuple[int, ...]], runs: int = 1) -> Plan:
    """Greedy plan first; randomised greedy search only when the query is worth the time.

    ``runs``: how many times the plan will run per call (the draws of a θ batch), which
    scales the search budget.
    """
    path, info = opt_einsum.contract_path(expr, *shapes, optimize="greedy", shapes=True)
    best = Plan(path, float(info.opt_cost), int(info.largest_intermediate))
    if best.multiply_adds <= CHEAP_PLAN_MADDS:
        return best
    budget = PATH_SEARCH_PAYBACK * runs * best.multiply_adds / EXECUTOR_MADDS_PER_SECOND
    seconds = min(PATH_SEARCH_SECONDS, max(PATH_SEARCH_MIN_SECONDS, budget))
    optimizer = opt_einsum.RandomGreedy(max_repeats=PATH_SEARCH_REPEATS, max_time=seconds)
    path, info = opt_einsum.contract_path(expr, *shapes, optimize=optimizer, shapes=True)
    if info.opt_cost < best.multiply_adds:
        best = Plan(path, float(info.opt_cost), int(info.largest_intermediate))
    return best


def _batch_bucket(size: int) -> int:
    """Plans differ with the batch size; bucket it by powers of two so sizes share plans."""
    return int(np.ceil(np.log2(max(size, 1))))


@dataclass(frozen=True)
class Contraction:
    """One query written as an einsum over the needed CPTs, with its cached plan."""

    expr: str
    operands: list[np.ndarray]
    plan: Plan | None
    n_lead: int  # leading draw / batch axes of the output
    clamped: Mapping[str, int]


def build_contraction(
    net: Network,
    targets: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
) -> Contraction:
    """Slice the CPTs by the evidence, keep only the needed ones, and plan (or reuse) the order."""
    evidence = dict(evidence or {})
    do = dict(do or {})
    virtual = {k: np.asarray(v, dtype=float) for k, v in (virtual_evidence or {}).items()}
    batch_sizes = {v.shape[0] for v in virtual.values() if v.ndim == 2}
    if len(batch_sizes) > 1:
        raise ValueError(f"batched likelihoods disagree on the batch size: {sorted(batch_sizes)}")
    clamped = {**evidence, **do}
    needed = net.ancestors([*targets, *evidence, *virtual, *do], frozenset(do))
    symbols = {node: opt_einsum.get_symbol(i) for i, node in enumerate(net.order)}
    draw_ix = opt_einsum.get_symbol(len(net.order)) if net.draw_shape else ""
    batch_ix = opt_einsum.get_symbol(len(net.order) + 1) if batch_sizes else ""
    lead = (slice(None),) * len(net.draw_shape)
    operands: list[np.ndarray] = []
    subscripts: list[str] = []
    plan_shapes: list[tuple[int, ...]] = []
    for node in net.order:
        if node not in needed or node in do:
            continue  # an intervened node's CPT is replaced by a point mass: nothing to multiply
        variables = (node, *net.parents[node])
        table = np.asarray(net.cpts[node][lead + tuple(clamped.get(v, slice(None)) for v in variables)])
        operands.append(table)
        subscripts.append(draw_ix + "".join(symbols[v] for v in variables if v not in clamped))
        plan_shapes.append(table.shape[len(lead) :])
    for node in (n for n in net.order if n in virtual):  # network order: the plan key sorts them too
        likelihood = virtual[node]
        operands.append(likelihood)
        subscripts.append((batch_ix if likelihood.ndim == 2 else "") + symbols[node])
        plan_shapes.append(likelihood.shape)
    output = draw_ix + batch_ix + "".join(symbols[t] for t in targets if t not in clamped)
    expr = ",".join(subscripts) + "->" + output
    plan = None
    if operands:
        key = (
            net.signature,
            tuple(targets),
            tuple(sorted(evidence)),
            tuple(sorted(do)),
            tuple(sorted((k, v.ndim) for k, v in virtual.items())),
            _batch_bucket(next(iter(batch_sizes))) if batch_sizes else None,
        )
        # planned for one draw: every CPT carries the draw axis, so it scales all steps alike
        plan = _cached_path(
            (*key, bool(draw_ix)),
            expr.replace(draw_ix, "") if draw_ix else expr,
            plan_shapes,
            runs=int(np.prod(net.draw_shape)) if draw_ix else 1,
        )
    return Contraction(expr, operands, plan, len(draw_ix) + len(batch_ix), clamped)


def contract_joint(
    net: Network,
    targets: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Unnormalised joint over ``targets`` with the evidence applied, and its total mass.

    Hard evidence and interventions slice the CPTs (the clamped variables leave the
    contraction); virtual evidence enters as one extra vector factor per node. A likelihood of
    shape ``(B, card)`` instead of ``(card,)`` gives B evidence cases at once (one batch
    axis shared by all such factors).

    Returns ``(table, p_evidence)``. ``table`` has axes ``(*draws, *batch, *targets)``: the
    network's draw axis if it has one, then the batch axis if any likelihood is batched, then
    one axis per target in the given order. ``p_evidence`` (axes ``(*draws, *batch)``) is the
    probability of the evidence under the intervened network.
    """
    c = build_contraction(net, targets, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
    if c.plan is not None:
        table = np.asarray(execute_path(c.expr, c.operands, c.plan.path), dtype=float)
    else:  # every needed node is clamped
        table = np.ones(tuple(net.draw_shape))
    mass = table.sum(axis=tuple(range(c.n_lead, table.ndim)))
    # put clamped targets back as one-hot axes, in the requested order
    full = table
    for pos, t in enumerate(targets):
        if t in c.clamped:
            axis = c.n_lead + pos
            full = np.expand_dims(full, axis) * _one_hot(net.card(t), c.clamped[t]).reshape(
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
    """Normalised joint posterior over ``targets`` (axes as :func:`contract_joint`'s table).

    Raises :class:`ImpossibleEvidenceError` if the evidence has zero probability (for any draw
    or case).
    """
    table, mass = contract_joint(net, targets, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
    if not np.all(mass > EVIDENCE_ZERO_ATOL):
        where = tuple(int(i) for i in np.argwhere(~(mass > EVIDENCE_ZERO_ATOL))[0])
        at = f" at draw/case index {where}" if where else ""
        raise ImpossibleEvidenceError(
            f"the evidence has probability {float(np.min(mass)):.3g} under the model{at}, so the "
            f"posterior is undefined (evidence={dict(evidence or {})}, do={dict(do or {})}, "
            f"virtual on {sorted(virtual_evidence or {})})"
        )
    return table / mass.reshape(mass.shape + (1,) * (table.ndim - mass.ndim))
