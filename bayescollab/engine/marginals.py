"""Every node's posterior from one contraction and its reverse pass.

Asking for the posteriors of many nodes one query at a time repeats nearly the same contraction
once per node (``assess`` needs 38 of them per collaboration). The derivative of the evidence
probability Z = P(e) with respect to a CPT holds its family's posterior instead:
P(x, parents | e) = CPT(x | parents) * dZ/dCPT(x | parents) / Z (Darwiche 2003, "A
differential approach to inference in Bayesian networks"). A reverse pass over the contraction
costs about two forward passes, so all the marginals together cost about three queries.

The forward pass runs the cached contraction plan with the engine's ``matmul`` steps and keeps
each intermediate; the reverse pass contracts each step's output gradient with the other input
by the same ``matmul`` steps (``opt_einsum``'s own contraction falls back to ``einsum`` on these
batched steps, 40x slower here). Exact, like every query: tests compare each
marginal with its own single query and with pgmpy.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from bayescollab.engine.batch import _blas_threads, worker_count
from bayescollab.engine.exact import (
    EVIDENCE_ZERO_ATOL,
    Contraction,
    Network,
    build_contraction,
    describe_evidence,
)
from bayescollab.engine.spec import pair as _pair
from bayescollab.engine.spec import sum_out as _sum_out
from bayescollab.engine.spec import walk_path
from bayescollab.engine.underflow import floor_holds, floor_likelihoods
from bayescollab.errors import ImpossibleEvidenceError

__all__ = ["all_marginals", "draw_marginals", "one_pass_pays", "operand_gradients", "tape_entries"]

#: the reverse pass keeps every intermediate and its gradient; above this many entries in the
#: largest one, answer node by node instead (memory, and BLAS-unfriendly gradient steps)
ONE_PASS_MAX_INTERMEDIATE = 32_000_000
#: forward plus reverse pass, in forward-pass units (measured 2.5-3 on the packaged model)
ONE_PASS_FACTOR = 3.0
#: a reverse step's two sides run on two threads from this many gradient entries on (below
#: it the thread hand-off costs more than the products)
PARALLEL_SIDES_MIN_ENTRIES = 100_000


def _factors(net: Network, free: Sequence[str], virtual: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One likelihood factor per free node: its virtual evidence, or ones."""
    return {**virtual, **{n: np.ones(net.card(n)) for n in free if n not in virtual}}


class _OnePass(NamedTuple):
    """What both one-pass routes start from: the clamped and free nodes, one likelihood factor
    per free node (ones where it has no virtual evidence: the gradient of Z = P(evidence) with
    respect to that factor is the node's unnormalised posterior), and the planned contraction."""

    evidence: dict[str, int]
    do: dict[str, int]
    virtual: dict[str, np.ndarray]
    clamped: dict[str, int]
    free: list[str]
    factors: dict[str, np.ndarray]
    contraction: Contraction


def _one_pass(
    net: Network,
    nodes: Sequence[str],
    evidence: Mapping[str, int] | None,
    do: Mapping[str, int] | None,
    virtual_evidence: Mapping[str, np.ndarray] | None,
) -> _OnePass:
    evidence, do = dict(evidence or {}), dict(do or {})
    virtual = {k: np.asarray(v, dtype=float) for k, v in (virtual_evidence or {}).items()}
    clamped = {**evidence, **do}
    free = [n for n in nodes if n not in clamped]
    factors = _factors(net, free, virtual)
    c = build_contraction(net, [], evidence=evidence, do=do, virtual_evidence=factors)
    return _OnePass(evidence, do, virtual, clamped, free, factors, c)


def one_pass_pays(
    net: Network,
    nodes: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
) -> bool:
    """Whether :func:`all_marginals` is cheaper than one query per node, judged by the plans.

    Both sides are planned (plans are cached, so the node-by-node route reuses them if it is
    taken). The one pass has to beat the summed single queries by its own forward-plus-reverse
    factor, and its largest intermediate must stay small enough to keep on the tape.
    """
    evidence, do = dict(evidence or {}), dict(do or {})
    virtual = dict(virtual_evidence or {})
    free = [n for n in nodes if n not in {**evidence, **do}]
    if len(free) < 2:
        return False
    factors = _factors(net, free, virtual)
    whole = build_contraction(net, [], evidence=evidence, do=do, virtual_evidence=factors)
    if whole.plan is None or whole.plan.largest_intermediate > ONE_PASS_MAX_INTERMEDIATE:
        return False
    singles = 0.0
    for n in free:
        plan = build_contraction(net, [n], evidence=evidence, do=do, virtual_evidence=virtual).plan
        singles += plan.multiply_adds if plan else 0.0
    return ONE_PASS_FACTOR * whole.plan.multiply_adds < singles


def _expand(grad: np.ndarray, gi: str, ai: str, shape: tuple[int, ...]) -> np.ndarray:
    """``grad`` (labels ``gi``, a subset of ``ai``) broadcast to an operand of labels ``ai``."""
    order = [c for c in ai if c in gi]
    g = grad.transpose([gi.index(c) for c in order]) if order != list(gi) else grad
    for axis, c in enumerate(ai):
        if c not in gi:
            g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


class _Tape:
    """Labelled arrays and the steps that made them, for one reverse pass."""

    def __init__(
        self, operands: Sequence[np.ndarray], labels: Sequence[str], wanted: Collection[int] | None = None
    ):
        # float64 unless an operand is already float32 (a single-precision draw run stays so)
        self.arrays = [
            np.asarray(op) if np.asarray(op).dtype == np.float32 else np.asarray(op, dtype=float)
            for op in operands
        ]
        self.labels = list(labels)
        # whether an array depends on an operand whose gradient is wanted (default: all): the
        # reverse pass skips the rest (the CPTs, when only the likelihood factors' are asked for)
        self.wanted = [wanted is None or i in wanted for i in range(len(self.arrays))]
        self.steps: list[tuple[str, tuple[int, ...], int]] = []
        self.size: dict[str, int] = {}
        for arr, idx in zip(self.arrays, self.labels, strict=True):
            self.size.update(zip(idx, arr.shape, strict=True))

    def add(self, arr: np.ndarray, idx: str, kind: str, inputs: tuple[int, ...]) -> int:
        self.arrays.append(arr)
        self.labels.append(idx)
        self.wanted.append(any(self.wanted[i] for i in inputs))
        self.steps.append((kind, inputs, len(self.arrays) - 1))
        return len(self.arrays) - 1

    def sum_out(self, i: int, keep: set[str]) -> int:
        arr, idx = _sum_out(self.arrays[i], self.labels[i], keep)
        return i if idx == self.labels[i] else self.add(arr, idx, "sum", (i,))

    def pair(self, i: int, j: int, keep: set[str]) -> int:
        i = self.sum_out(i, set(self.labels[j]) | keep)
        j = self.sum_out(j, set(self.labels[i]) | keep)
        arr, idx = _pair(self.arrays[i], self.labels[i], self.arrays[j], self.labels[j], keep, self.size)
        return self.add(arr, idx, "pair", (i, j))

    def backward(self, out: int, workers: int = 1) -> list[np.ndarray | None]:
        """dZ/d(array) for every operand on the tape, Z being the scalar array ``out``.

        An intermediate and its gradient are dropped as soon as the step that made it is done
        (no earlier step reads them), so the pass holds less memory: on this machine a cold
        process pays for every fresh page. With ``workers`` > 1 the two sides of a large step
        (independent products) run on two threads; numpy's ``matmul`` and copies release the GIL.
        """
        grads: list[np.ndarray | None] = [None] * len(self.arrays)
        grads[out] = np.ones_like(self.arrays[out])
        n_inputs = len(self.arrays) - len(self.steps)

        def accumulate(k: int, g: np.ndarray) -> None:
            grads[k] = g if grads[k] is None else grads[k] + g

        def side(g: np.ndarray, gi: str, mine: int, other: int) -> np.ndarray:
            mi, oi = self.labels[mine], self.labels[other]
            reach = {c for c in mi if c in gi or c in oi}
            part, pi = _pair(g, gi, self.arrays[other], oi, reach, self.size)
            return _expand(part, pi, mi, self.arrays[mine].shape)

        pool = ThreadPoolExecutor(max_workers=2) if workers > 1 else None
        try:
            with _blas_threads(1 if pool is not None else None):
                for kind, inputs, result in reversed(self.steps):
                    g, gi = grads[result], self.labels[result]
                    if result >= n_inputs and result != out:  # nothing earlier reads them
                        grads[result] = None
                    if g is None:
                        continue
                    if kind == "sum":
                        (a,) = inputs
                        if self.wanted[a]:
                            accumulate(a, _expand(g, gi, self.labels[a], self.arrays[a].shape))
                        continue
                    a, b = inputs
                    sides = [(m, o) for m, o in ((a, b), (b, a)) if self.wanted[m]]
                    if pool is not None and len(sides) == 2 and g.size >= PARALLEL_SIDES_MIN_ENTRIES:
                        futures = [pool.submit(side, g, gi, m, o) for m, o in sides]
                        parts = [f.result() for f in futures]
                    else:
                        parts = [side(g, gi, m, o) for m, o in sides]
                    for (mine, _), part in zip(sides, parts, strict=True):
                        accumulate(mine, part)
                    if result >= n_inputs and result != out:
                        self.arrays[result] = None  # type: ignore[call-overload]
        finally:
            if pool is not None:
                pool.shutdown()
        return grads


def operand_gradients(
    c: Contraction, wanted: Collection[int] | None = None
) -> tuple[float, list[np.ndarray | None]]:
    """Z (the contraction's scalar value) and dZ/d(operand) for every operand of ``c``.

    One forward pass that keeps every intermediate, and one reverse pass. ``c`` must contract
    to a scalar (no targets, no draw or batch axis). A gradient is ``None`` for an operand Z
    does not depend on. With the evidence sliced into the CPT operands, ``grads[i]`` is the
    derivative with respect to the *sliced* CPT of ``c.spec.nodes[i]``. ``wanted``: the operand
    positions whose gradients are needed (default all; the others may come back ``None``).
    """
    if c.spec is None or c.spec.output:
        raise ValueError(f"operand_gradients needs a contraction to a scalar; got {c.expr!r}")
    tape = _Tape(c.operands, c.spec.inputs, wanted)
    k = walk_path(
        range(len(c.operands)), lambda h: tape.labels[h], "", c.spec.plan.path, tape.sum_out, tape.pair
    )
    z = float(tape.arrays[k])
    return z, tape.backward(k, workers=min(2, worker_count()))[: len(c.operands)]


def all_marginals(
    net: Network,
    nodes: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """P(node | evidence, virtual evidence) in the ``do``-intervened network, for every node.

    Same arguments as :func:`bayescollab.engine.exact.query_joint` (state indices, likelihood
    vectors), for a network without a draw axis and without batched likelihoods. Returns one
    normalised vector per requested node; a clamped node gets its one-hot vector.
    """
    if net.draw_shape:
        raise ValueError(f"all_marginals takes one network; this one has draw_shape {net.draw_shape}")
    if any(np.ndim(v) != 1 for v in (virtual_evidence or {}).values()):
        raise ValueError("all_marginals takes one likelihood vector per node, not a batch")
    evidence, do, virtual, clamped, free, factors, c = _one_pass(net, nodes, evidence, do, virtual_evidence)
    out: dict[str, np.ndarray] = {}
    if c.spec is not None:
        wanted = range(c.spec.first_likelihood, len(c.operands))
        # soft evidence floored against subnormal arithmetic (engine/underflow.py); the
        # bound is checked on the mass, and the pass runs again unfloored where it fails
        floored, slack = floor_likelihoods(factors)
        if slack:
            fc = build_contraction(net, [], evidence=evidence, do=do, virtual_evidence=floored)
            z, grads = operand_gradients(fc, wanted=wanted)
            if floor_holds(z, slack):
                factors = floored
            else:
                z, grads = operand_gradients(c, wanted=wanted)
        else:
            z, grads = operand_gradients(c, wanted=wanted)
        if z <= EVIDENCE_ZERO_ATOL:
            raise ImpossibleEvidenceError(
                f"the evidence has probability {z:.3g} under the model, so the posterior is undefined "
                f"({describe_evidence(net, evidence, do, virtual)}); expected a positive one"
            )
        first_factor = c.spec.first_likelihood  # likelihoods come last, in network order
        for offset, n in enumerate(c.spec.likelihoods):
            if n not in free:
                continue
            vector = factors[n]
            g = grads[first_factor + offset]
            marginal = vector * (g if g is not None else 0.0)
            out[n] = marginal / marginal.sum()
    for n in nodes:
        if n in clamped:
            out[n] = np.eye(net.card(n))[clamped[n]]
    return {n: out[n] for n in nodes}


def tape_entries(c: Contraction) -> int:
    """Entries the reverse pass of ``c`` keeps alive: every operand and intermediate (and as
    many gradients), from the compiled program's step shapes."""
    if c.spec is None:
        return 1
    held = sum(int(np.prod(np.shape(op), dtype=np.int64)) for op in c.operands)
    for step in c.spec.program.steps:
        held += int(np.prod(step[-1], dtype=np.int64)) if step[-1] else 0
    return 2 * max(held, 1)


def draw_marginals(
    net: Network,
    nodes: Sequence[str],
    *,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
    virtual_evidence: Mapping[str, np.ndarray] | None = None,
    dtype: np.dtype | type = np.float64,
) -> dict[str, np.ndarray]:
    """P(node | evidence) under each θ draw of ``net`` (draw shape (D,)), for every node.

    :func:`all_marginals` with a draw axis: one forward pass keeping the intermediates and one
    reverse pass, whatever the number of nodes. The likelihood factor of each free node is
    broadcast along the draws, so its gradient keeps one row per draw (a θ-free factor's
    gradient would otherwise be summed over the draws). Returns (D, card) per node, each row
    normalised (in float64); a clamped node gets its one-hot rows.
    """
    if len(net.draw_shape) != 1:
        raise ValueError(f"draw_marginals takes a network with one draw axis; got {net.draw_shape}")
    (n_draws,) = net.draw_shape
    evidence, do, virtual, clamped, free, factors, c = _one_pass(net, nodes, evidence, do, virtual_evidence)
    out: dict[str, np.ndarray] = {}
    if c.spec is not None:
        draw_ix = c.spec.output  # the only output label: one Z per draw
        first = c.spec.first_likelihood
        labels = [ix if i < first else draw_ix + ix for i, ix in enumerate(c.spec.inputs)]
        operands = [
            np.asarray(op, dtype=dtype)
            if i < first
            else np.broadcast_to(op.astype(dtype), (n_draws, *op.shape))
            for i, op in enumerate(c.operands)
        ]
        tape = _Tape(operands, labels, wanted=range(first, len(operands)))
        k = walk_path(
            range(len(operands)), lambda h: tape.labels[h], draw_ix, c.spec.plan.path, tape.sum_out, tape.pair
        )
        z = np.asarray(tape.arrays[k], dtype=float)
        if not np.all(z > EVIDENCE_ZERO_ATOL):
            where = int(np.argmin(z))
            raise ImpossibleEvidenceError(
                f"the evidence has probability {z[where]:.3g} under draw {where}, so the posterior is "
                f"undefined ({describe_evidence(net, evidence, do, virtual)}); expected a positive one"
            )
        grads = tape.backward(k)
        for offset, n in enumerate(c.spec.likelihoods):
            if n not in free:
                continue
            g = grads[first + offset]
            marginal = factors[n] * (np.asarray(g, dtype=float) if g is not None else 0.0)
            out[n] = marginal / marginal.sum(axis=-1, keepdims=True)
    for n in nodes:
        if n in clamped:
            out[n] = np.broadcast_to(np.eye(net.card(n))[clamped[n]], (n_draws, net.card(n))).copy()
    return {n: out[n] for n in nodes}
