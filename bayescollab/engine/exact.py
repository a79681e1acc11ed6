"""Exact marginal inference by tensor contraction over the network's CPTs.

Why not pgmpy's VariableElimination directly: its virtual-evidence path rebuilds the model it
was given (STYLE.md §7), and a contraction planned by ``opt_einsum`` is the basis of the
batched engine. pgmpy stays the reference: the tests compare every kind of query with it.

Interventions are graph surgery: a ``do`` node loses its parents and is clamped to its state.
Only ancestors of the query's targets and evidence enter the contraction (barren nodes sum
to one and are dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import opt_einsum

from bayescollab.engine.plan import Plan, Planner, runs_bucket
from bayescollab.engine.spec import ContractionSpec, execute_path, pair, sum_out, walk_path
from bayescollab.errors import ImpossibleEvidenceError
from bayescollab.theory import graph

__all__ = [
    "EVIDENCE_ZERO_ATOL",
    "Contraction",
    "Network",
    "Plan",
    "build_contraction",
    "contract_joint",
    "describe_evidence",
    "execute_path",
    "normalise",
    "query_joint",
    "query_spec",
    "run_contraction",
    "walk_path",
]
# the old private names of the pairwise steps (now in engine/spec.py)
_pair, _sum_out = pair, sum_out

#: Below this, the probability of the evidence counts as zero.
EVIDENCE_ZERO_ATOL = 1e-300
#: query shapes whose specs one network keeps (oldest dropped first)
SPEC_CACHE_SIZE = 1024


@dataclass(frozen=True)
class Network:
    """The plain-array view of a discrete Bayesian network used by the contraction.

    ``cpts[node]`` has shape ``(*draw_shape, card(node), *card(parents[node]))``. A network
    with ``draw_shape == (D,)`` is D networks of one structure (D parameter draws θ) that
    every query answers at once: the draw axis rides on the CPT tensors.

    ``planner`` plans and caches this structure's contractions (a :class:`Model` passes its
    own, with the disk store it chose; by default a network gets a memory-only planner of its
    own, so nothing is shared through module state). ``states`` optionally names each node's
    states, so errors can say ``trust='low'`` instead of ``trust=0``.
    """

    order: tuple[str, ...]
    parents: Mapping[str, tuple[str, ...]]
    cpts: Mapping[str, np.ndarray]
    draw_shape: tuple[int, ...] = ()
    planner: Planner = field(default_factory=Planner, compare=False, repr=False)
    states: Mapping[str, Sequence[str]] | None = field(default=None, compare=False, repr=False)
    #: how many draws the plans of this network are searched for (default: its draw count); a
    #: chunk of a longer run plans for the whole run, so sizing and running use one plan
    plan_runs: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.draw_shape) > 1:
            raise ValueError(f"draw_shape is {self.draw_shape}; expected () or (draws,)")

    @cached_property
    def signature(self) -> tuple:
        """Structure and cardinalities: what a contraction plan depends on."""
        return tuple((n, self.parents[n], self.cpts[n].shape[len(self.draw_shape) :]) for n in self.order)

    @cached_property
    def specs(self) -> dict[tuple, ContractionSpec | None]:
        """This network's query specs by query shape (:func:`query_spec`'s cache: a warm query
        skips the ancestor walk, the subscripts and the plan lookup)."""
        return {}

    def card(self, node: str) -> int:
        return self.cpts[node].shape[len(self.draw_shape)]

    def state_name(self, node: str, index: int) -> str | int:
        """The name of ``node``'s state ``index`` when the network knows it, else the index."""
        if self.states is None or node not in self.states:
            return int(index)
        return self.states[node][int(index)]

    def with_cpts(
        self, cpts: Mapping[str, np.ndarray], draw_shape: tuple[int, ...] = (), plan_runs: int | None = None
    ) -> Network:
        """The same structure (and planner, and state names) with other CPTs."""
        return Network(self.order, self.parents, cpts, draw_shape, self.planner, self.states, plan_runs)

    def ancestors(self, nodes: Sequence[str], cut: frozenset[str] = frozenset()) -> set[str]:
        """``nodes`` and all their ancestors, not walking into the parents of ``cut`` nodes."""
        return graph.ancestors(self.parents, nodes, cut=cut)


def _one_hot(size: int, index: int) -> np.ndarray:
    vec = np.zeros(size)
    vec[index] = 1.0
    return vec


def _batch_bucket(size: int) -> int:
    """Plans differ with the batch size; bucket it by powers of two so sizes share plans."""
    return int(np.ceil(np.log2(max(size, 1))))


def query_spec(
    net: Network,
    targets: Sequence[str],
    *,
    evidence: Collection[str] = (),
    do: Collection[str] = (),
    likelihoods: Mapping[str, tuple[int, ...]] | None = None,
) -> ContractionSpec | None:
    """The contraction spec of a query *shape*: which nodes are observed, intervened on, or carry
    likelihoods (``likelihoods[node]`` is the likelihood's shape: ``(card,)`` or ``(B, card)``).

    Values do not enter: the spec is reused for any evidence states, likelihood values or θ
    draws of this shape. Returns ``None`` when every needed node is clamped (nothing to
    contract). Operands follow ``spec.nodes``: the needed CPTs in network order, then the
    likelihoods in network order.
    """
    likelihoods = dict(likelihoods or {})
    shape_key = (
        tuple(targets),
        tuple(sorted(evidence)),
        tuple(sorted(do)),
        tuple(sorted((k, tuple(v)) for k, v in likelihoods.items())),
    )
    cache = net.specs
    if shape_key in cache:
        return cache[shape_key]
    spec = _new_spec(net, targets, evidence, do, likelihoods)
    if len(cache) >= SPEC_CACHE_SIZE:
        cache.pop(next(iter(cache)), None)
    cache[shape_key] = spec
    return spec


def _new_spec(
    net: Network,
    targets: Sequence[str],
    evidence: Collection[str],
    do: Collection[str],
    likelihoods: Mapping[str, tuple[int, ...]],
) -> ContractionSpec | None:
    batch_sizes = {shape[0] for shape in likelihoods.values() if len(shape) == 2}
    if len(batch_sizes) > 1:
        raise ValueError(f"batched likelihoods disagree on the batch size: {sorted(batch_sizes)}")
    clamped = set(evidence) | set(do)
    needed = net.ancestors([*targets, *evidence, *likelihoods, *do], frozenset(do))
    symbols = {node: opt_einsum.get_symbol(i) for i, node in enumerate(net.order)}
    draw_ix = opt_einsum.get_symbol(len(net.order)) if net.draw_shape else ""
    batch_ix = opt_einsum.get_symbol(len(net.order) + 1) if batch_sizes else ""
    subscripts: list[str] = []
    shapes: list[tuple[int, ...]] = []
    nodes: list[str] = []
    for node in net.order:
        if node not in needed or node in do:
            continue  # an intervened node's CPT is replaced by a point mass: nothing to multiply
        kept = [v for v in (node, *net.parents[node]) if v not in clamped]
        subscripts.append(draw_ix + "".join(symbols[v] for v in kept))
        shapes.append(tuple(net.card(v) for v in kept))
        nodes.append(node)
    virtual = tuple(n for n in net.order if n in likelihoods)  # network order: the plan key sorts them too
    for node in virtual:
        subscripts.append((batch_ix if len(likelihoods[node]) == 2 else "") + symbols[node])
        shapes.append(tuple(likelihoods[node]))
        nodes.append(node)
    if not subscripts:
        return None
    output = draw_ix + batch_ix + "".join(symbols[t] for t in targets if t not in clamped)
    expr = ",".join(subscripts) + "->" + output
    runs = (net.plan_runs or int(np.prod(net.draw_shape))) if draw_ix else 1
    key = (
        net.signature,
        tuple(targets),
        tuple(sorted(evidence)),
        tuple(sorted(do)),
        tuple(sorted((k, len(v)) for k, v in likelihoods.items())),
        _batch_bucket(next(iter(batch_sizes))) if batch_sizes else None,
        bool(draw_ix),
        runs_bucket(runs),
    )
    # planned for one draw: every CPT carries the draw axis, so it scales all steps alike
    plan = net.planner.plan(key, expr.replace(draw_ix, "") if draw_ix else expr, shapes, runs=runs)
    sizes: dict[str, int] = {}
    for ix, shape in zip(subscripts, shapes, strict=True):
        sizes.update(zip(ix[len(ix) - len(shape) :], shape, strict=True))
    if draw_ix:
        sizes[draw_ix] = int(net.draw_shape[0])
    if batch_ix:
        sizes[batch_ix] = int(next(iter(batch_sizes)))
    return ContractionSpec(tuple(subscripts), output, sizes, plan, tuple(nodes), virtual)


@dataclass(frozen=True)
class Contraction:
    """One query: its spec and the operands (CPTs sliced by the evidence, likelihoods)."""

    spec: ContractionSpec | None
    operands: list[np.ndarray]
    n_lead: int  # leading draw / batch axes of the output
    clamped: Mapping[str, int]

    @property
    def expr(self) -> str:
        return self.spec.expr if self.spec is not None else "->"

    @property
    def plan(self) -> Plan | None:
        return self.spec.plan if self.spec is not None else None


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
    spec = query_spec(
        net, targets, evidence=evidence, do=do, likelihoods={k: v.shape for k, v in virtual.items()}
    )
    clamped = {**evidence, **do}
    lead = (slice(None),) * len(net.draw_shape)
    operands: list[np.ndarray] = []
    if spec is not None:
        for node in spec.nodes[: spec.first_likelihood]:
            variables = (node, *net.parents[node])
            operands.append(
                np.asarray(net.cpts[node][lead + tuple(clamped.get(v, slice(None)) for v in variables)])
            )
        operands.extend(virtual[n] for n in spec.likelihoods)
    batched = any(v.ndim == 2 for v in virtual.values())
    return Contraction(spec, operands, len(lead) + int(batched), clamped)


def describe_evidence(
    net: Network,
    evidence: Mapping[str, int] | None,
    do: Mapping[str, int] | None,
    virtual_evidence: Mapping[str, Any] | None,
) -> str:
    """The evidence in words, by state name when the network knows its states' names."""

    def named(assignment: Mapping[str, int] | None) -> dict[str, Any]:
        return {k: net.state_name(k, v) for k, v in (assignment or {}).items()}

    return f"evidence={named(evidence)}, do={named(do)}, virtual on {sorted(virtual_evidence or {})}"


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
    return run_contraction(net, c, targets)


def run_contraction(net: Network, c: Contraction, targets: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Run a built contraction: ``(table, p_evidence)`` as :func:`contract_joint` returns them."""
    if c.spec is not None:
        table = np.asarray(c.spec.execute(c.operands), dtype=float)
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


def normalise(table: np.ndarray, mass: np.ndarray, describe: Callable[[], str]) -> np.ndarray:
    """``table / mass`` per draw and case; :class:`ImpossibleEvidenceError` where the mass is 0.

    ``describe()`` gives the evidence in words for the message (by state name).
    """
    if not np.all(mass > EVIDENCE_ZERO_ATOL):
        where = tuple(int(i) for i in np.argwhere(~(mass > EVIDENCE_ZERO_ATOL))[0])
        at = f" at draw/case index {where}" if where else ""
        raise ImpossibleEvidenceError(
            f"the evidence has probability {float(np.min(mass)):.3g} under the model{at}, so the "
            f"posterior is undefined ({describe()})"
        )
    return table / mass.reshape(mass.shape + (1,) * (table.ndim - mass.ndim))


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
    return normalise(table, mass, lambda: describe_evidence(net, evidence, do, virtual_evidence))
