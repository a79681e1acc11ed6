"""One contraction spec, shared by the numpy executor, the PyTensor executor and the reverse pass.

A :class:`ContractionSpec` is a query written as an einsum over factors: one subscript string
per operand, the output labels, each label's length, and the plan (pairwise order) from the
:class:`~bayescollab.engine.plan.Planner`. It depends only on the network's structure and the
query's *shape* (targets; which nodes are observed, intervened on, or carry likelihoods;
whether there is a draw or a batch axis), never on the values. So it is built once, and the
operands (sliced CPTs, likelihood rows, θ-dependent PyTensor tables) are supplied per run:

- :meth:`ContractionSpec.execute` runs it on numpy arrays (or PyTensor variables with
  ``matmul=pytensor.tensor.matmul``);
- :func:`walk_path` is the one walk over the plan, also used by the recording forward pass of
  :mod:`bayescollab.engine.marginals`, so the three cannot disagree about which labels a step
  may sum away.

numpy's einsum runs the network's large, many-index pairwise steps about 15-35 times slower
than the transpose-reshape-``matmul`` form of :func:`pair`, which hands the arithmetic to BLAS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from bayescollab.engine.plan import Plan

__all__ = ["ContractionSpec", "Program", "compile_program", "execute_path", "pair", "sum_out", "walk_path"]


def sum_out(arr, idx: str, keep: set[str]) -> tuple:
    """Sum away the axes whose labels are not in ``keep``."""
    drop = tuple(i for i, c in enumerate(idx) if c not in keep)
    if not drop:
        return arr, idx
    return arr.sum(axis=drop), "".join(c for c in idx if c in keep)


def pair(a, ai: str, b, bi: str, keep: set[str], size: Mapping[str, int], matmul=np.matmul) -> tuple:
    """Contract two labelled factors as one batched matrix product, keeping labels in ``keep``.

    The step only uses ``sum``, ``transpose``, ``reshape`` and ``matmul``, so the same code builds
    the PyTensor graph (``size`` gives each label's length because symbolic shapes cannot).
    """
    a, ai = sum_out(a, ai, set(bi) | keep)
    b, bi = sum_out(b, bi, set(ai) | keep)
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
    ``pair(a, b, keep)`` return new handles that keep only the labels in ``keep``. Returns the
    handle of the result, summed down to ``output``'s labels.
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
    """Run an opt_einsum contraction path with :func:`pair` steps (same result as ``contract``).

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
        lambda h, keep: sum_out(h[0], h[1], keep),
        lambda a, b, keep: pair(a[0], a[1], b[0], b[1], keep, size, matmul),
    )
    return arr.transpose([idx.index(c) for c in output]) if output else arr


# ------------------------------------------------------------------------- compiled program
#: one pairwise step: operand slots, axes summed first, transposition, (batch, rows, inner) and
#: (batch, inner, cols) shapes for matmul, the result's shape (``b`` is -1 for a lone sum)
Step = tuple[int, int, tuple, tuple | None, tuple, tuple, tuple | None, tuple, tuple]


@dataclass(frozen=True)
class Program:
    """A spec's plan walked once into plain numpy steps over operand slots.

    :func:`walk_path` and :func:`pair` decide every label bookkeeping question once, at compile
    time; a run is then only ``sum`` / ``transpose`` / ``reshape`` / ``matmul`` calls with
    precomputed arguments. On the bnlearn networks, where a query is tens of tiny steps, the
    per-step Python work (label sets, ``np.prod`` of sizes) was most of the query's time.
    """

    n_operands: int
    steps: tuple[Step, ...]
    final_sum: tuple[int, ...]
    final_perm: tuple[int, ...] | None

    def run(self, operands: Sequence[np.ndarray]) -> np.ndarray:
        slots: list = list(operands)
        for ia, ib, sa, pa, ra, sb, pb, rb, out_shape in self.steps:
            a = slots[ia]
            slots[ia] = None  # every slot is consumed once: free intermediates as we go
            if sa:
                a = a.sum(axis=sa)
            if ib < 0:
                slots.append(a)
                continue
            b = slots[ib]
            slots[ib] = None
            if sb:
                b = b.sum(axis=sb)
            if pa is not None:
                a = a.transpose(pa)
            if pb is not None:
                b = b.transpose(pb)
            # contiguous operands: numpy hands a strided stack of small matrices to a slow loop
            # (2.2x on the headline draw run) while a contiguous one goes to BLAS
            a = np.ascontiguousarray(a.reshape(ra))
            b = np.ascontiguousarray(b.reshape(rb))
            slots.append(np.matmul(a, b).reshape(out_shape))
        out = slots[-1]
        if self.final_sum:
            out = out.sum(axis=self.final_sum)
        return out.transpose(self.final_perm) if self.final_perm is not None else out


def _drop(idx: str, keep: set[str]) -> tuple[tuple[int, ...], str]:
    drop = tuple(i for i, c in enumerate(idx) if c not in keep)
    return drop, "".join(c for c in idx if c in keep)


def _perm(order: list[int]) -> tuple[int, ...] | None:
    return None if order == sorted(order) else tuple(order)


def compile_program(inputs: Sequence[str], output: str, path: Sequence, sizes: Mapping[str, int]) -> Program:
    """The :class:`Program` of an einsum (``inputs`` -> ``output``) along ``path``.

    Same steps as :func:`execute_path` (it walks the path with :func:`walk_path` and mirrors
    :func:`pair`), recorded instead of run.
    """
    steps: list[Step] = []
    counter = [len(inputs)]

    def new_slot() -> int:
        counter[0] += 1
        return counter[0] - 1

    def record_sum(h: tuple[int, str], keep: set[str]) -> tuple[int, str]:
        drop, idx = _drop(h[1], keep)
        if not drop:
            return h
        steps.append((h[0], -1, drop, None, (), (), None, (), ()))
        return new_slot(), idx

    def record_pair(a: tuple[int, str], b: tuple[int, str], keep: set[str]) -> tuple[int, str]:
        sa, ai = _drop(a[1], set(b[1]) | keep)
        sb, bi = _drop(b[1], set(ai) | keep)
        shared = [c for c in ai if c in bi]
        batch = [c for c in shared if c in keep]
        summed = [c for c in shared if c not in keep]
        a_only = [c for c in ai if c not in bi]
        b_only = [c for c in bi if c not in ai]

        def prod(labels: list[str]) -> int:
            return int(np.prod([sizes[c] for c in labels], dtype=np.int64))

        pa = _perm([ai.index(c) for c in batch + a_only + summed])
        pb = _perm([bi.index(c) for c in batch + summed + b_only])
        ra = (prod(batch), prod(a_only), prod(summed))
        rb = (prod(batch), prod(summed), prod(b_only))
        out_idx = "".join(batch + a_only + b_only)
        steps.append((a[0], b[0], sa, pa, ra, sb, pb, rb, tuple(sizes[c] for c in out_idx)))
        return new_slot(), out_idx

    slot, idx = walk_path(
        list(enumerate(inputs)), lambda h: h[1], output, path, record_sum, record_pair
    )
    if slot < len(inputs):  # a lone operand: copy through one (empty) sum step
        steps.append((slot, -1, (), None, (), (), None, (), ()))
    final_sum, idx = _drop(idx, set(output))
    perm = _perm([idx.index(c) for c in output]) if output else None
    return Program(len(inputs), tuple(steps), final_sum, perm)


@dataclass(frozen=True)
class ContractionSpec:
    """A query's einsum: operand subscripts, output labels, label sizes and the plan.

    ``inputs[i]`` labels operand ``i`` (a leading draw label first when the network carries θ
    draws, a leading batch label on batched likelihoods); ``sizes`` covers every label, so a
    PyTensor graph with static shapes can be built from the spec alone. ``nodes`` names the
    node behind each operand (a CPT's child, or a likelihood's node), ``likelihoods`` the
    nodes whose likelihood operands come last, in network order.
    """

    inputs: tuple[str, ...]
    output: str
    sizes: Mapping[str, int]
    plan: Plan
    nodes: tuple[str, ...]
    likelihoods: tuple[str, ...]

    @property
    def expr(self) -> str:
        return ",".join(self.inputs) + "->" + self.output

    @property
    def first_likelihood(self) -> int:
        """Position of the first likelihood operand (they follow the CPTs)."""
        return len(self.inputs) - len(self.likelihoods)

    @cached_property
    def program(self) -> Program:
        """The plan compiled once into numpy steps (:class:`Program`)."""
        return compile_program(self.inputs, self.output, self.plan.path, self.sizes)

    def execute(self, operands: Sequence, matmul=np.matmul):
        """The contraction of ``operands`` (numpy arrays, or PyTensor variables with their matmul)."""
        if len(operands) != len(self.inputs):
            raise ValueError(f"got {len(operands)} operands; the spec expects {len(self.inputs)}")
        if matmul is np.matmul:
            return self.program.run(operands)
        return execute_path(self.expr, operands, self.plan.path, size=self.sizes, matmul=matmul)
