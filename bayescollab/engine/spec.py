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
#: how one operand of a pairwise step is handed to ``matmul``: axis permutation (None: as is),
#: copy into that order first, the (*batch, rows, cols) shape of its memory order, and whether
#: rows and cols are swapped in memory (then a transposed view goes to BLAS, no copy)
Prep = tuple[tuple[int, ...] | None, bool, tuple[int, ...], bool]
#: one step: operand slots, axes summed first, the operand preparations, the result's shape
#: (``b`` is -1 for a lone sum)
Step = tuple[int, int, tuple, Prep | None, tuple, Prep | None, tuple]


def _prepare(x: np.ndarray, prep: Prep) -> np.ndarray:
    perm, copy, shape, swap = prep
    if copy:
        x = _transposed_copy(x, perm)
    elif perm is not None:
        x = x.transpose(perm)
    x = x.reshape(shape)
    return x.swapaxes(-1, -2) if swap else x


def _transposed_copy(x: np.ndarray, perm: tuple[int, ...] | None) -> np.ndarray:
    """``x.transpose(perm)`` as a new C-ordered array, written in ``x``'s own memory order.

    ``np.ascontiguousarray(x.transpose(perm))`` walks the result in order and gathers from
    ``x`` with small strides (labels of 2-3 states); copying into the transposed view of the
    new array reads ``x`` in order instead: 4x faster on the headline draw run's large steps.
    """
    if perm is None:
        return np.ascontiguousarray(x)
    out = np.empty(tuple(x.shape[i] for i in perm), dtype=x.dtype)
    np.copyto(out.transpose(np.argsort(perm)), x)
    return out


@dataclass(frozen=True)
class Program:
    """A spec's plan walked once into plain numpy steps over operand slots.

    :func:`walk_path` and :func:`pair` decide every label bookkeeping question once, at compile
    time; a run is then only ``sum`` / ``transpose`` / ``reshape`` / ``matmul`` calls with
    precomputed arguments. On the bnlearn networks, where a query is tens of tiny steps, the
    per-step Python work (label sets, ``np.prod`` of sizes) was most of the query's time.

    Each intermediate is kept in the axis order its ``matmul`` wrote it in, and a step copies
    an operand only when its memory order cannot be handed to BLAS as a (possibly transposed)
    stack of matrices, and then the smaller operand (:func:`compile_program`): on the headline
    θ-draw run the copies of both operands into a fixed order took twice the ``matmul`` time.
    """

    n_operands: int
    steps: tuple[Step, ...]
    final_sum: tuple[int, ...]
    final_perm: tuple[int, ...] | None

    def run(self, operands: Sequence[np.ndarray]) -> np.ndarray:
        slots: list = list(operands)
        for ia, ib, sa, pa, sb, pb, out_shape in self.steps:
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
            slots.append(np.matmul(_prepare(a, pa), _prepare(b, pb)).reshape(out_shape))
        out = slots[-1]
        if self.final_sum:
            out = out.sum(axis=self.final_sum)
        return out.transpose(self.final_perm) if self.final_perm is not None else out


def _drop(idx: str, keep: set[str]) -> tuple[tuple[int, ...], str]:
    drop = tuple(i for i, c in enumerate(idx) if c not in keep)
    return drop, "".join(c for c in idx if c in keep)


def _perm(order: list[int]) -> tuple[int, ...] | None:
    return None if order == sorted(order) else tuple(order)


def _run_of(lay: str, group: set[str]) -> str | None:
    """The labels of ``group`` in ``lay``'s order if they sit next to each other, else None."""
    if not group:
        return ""
    at = [i for i, c in enumerate(lay) if c in group]
    return lay[at[0] : at[-1] + 1] if at[-1] - at[0] + 1 == len(at) else None


def _as_matrix(lay: str, outer: set[str], inner: set[str]) -> tuple[str, str, bool] | None:
    """How an operand laid out as ``lay`` is a stack of (outer x inner) matrices without a copy.

    Returns the two runs in memory order and whether they are swapped (inner run outside the
    outer one), or None when a copy is needed: a group is split, or a batch label is innermost
    (no unit stride for BLAS).
    """
    o, i = _run_of(lay, outer), _run_of(lay, inner)
    if o is None or i is None or not lay:
        return None
    last = lay[-1]
    if last in inner or (not inner and last in outer):
        return o, i, False
    if last in outer or (not outer and last in inner):
        return o, i, True
    return None


def _pair_layout(la: str, lb: str, keep: set[str], leaf: tuple[bool, bool], sizes: Mapping[str, int]):
    """The cheapest way to hand two laid-out operands to ``matmul``: (A order, copy A, B order,
    copy B, batch, rows, inner, cols) with each order a full label string of its operand."""
    shared = [c for c in la if c in lb]
    batch = [c for c in shared if c in keep]
    summed = {c for c in shared if c not in keep}
    a_only, b_only = {c for c in la if c not in lb}, {c for c in lb if c not in la}
    # an input operand may be a strided slice of a CPT (evidence) or a broadcast view (θ-free
    # tables under a draw axis): never handed to BLAS as is, it is small and copied instead
    fa = None if leaf[0] else _as_matrix(la, a_only, summed)
    fb = None if leaf[1] else _as_matrix(lb, b_only, summed)

    def entries(lay: str) -> int:
        return int(np.prod([sizes[c] for c in lay], dtype=np.int64))

    options = []
    if fa is not None and fb is not None and fa[1] == fb[1]:
        options.append((0, fa, fb))
    if fa is not None:  # copy B into (batch, A's summed order, its own cols)
        options.append((entries(lb) * (0.25 if leaf[1] else 1), fa, None))
    if fb is not None:
        options.append((entries(la) * (0.25 if leaf[0] else 1), None, fb))
    options.append((entries(la) + entries(lb), None, None))
    _, fa, fb = min(options, key=lambda o: o[0])
    inner = fa[1] if fa is not None else fb[1] if fb is not None else "".join(c for c in la if c in summed)
    rows = fa[0] if fa is not None else "".join(c for c in la if c in a_only)
    cols = fb[0] if fb is not None else "".join(c for c in lb if c in b_only)
    batch_order = "".join(batch)
    return fa, fb, batch_order, rows, inner, cols


def _prep(lay: str, fit, batch: str, outer: str, inner: str, sizes: Mapping[str, int], a_side: bool) -> Prep:
    """The :data:`Prep` of one operand: a view when ``fit`` says its layout fits, else a copy."""

    def prod(labels: str) -> int:
        return int(np.prod([sizes[c] for c in labels], dtype=np.int64))

    bshape = tuple(sizes[c] for c in batch)
    if fit is not None:
        o, i, swap = fit
        mem = batch + ((i + o) if swap else (o + i))
        first, second = (prod(i), prod(o)) if swap else (prod(o), prod(i))
        perm = _perm([lay.index(c) for c in mem])
        # a-side matrices are (rows, inner), b-side (inner, cols): ``outer`` is rows or cols
        shape = (*bshape, first, second)
        flip = swap if a_side else not swap
        return (perm, False, shape, flip)
    mem = batch + (outer + inner if a_side else inner + outer)
    shape = (*bshape, prod(outer), prod(inner)) if a_side else (*bshape, prod(inner), prod(outer))
    return (_perm([lay.index(c) for c in mem]), True, shape, False)


def compile_program(inputs: Sequence[str], output: str, path: Sequence, sizes: Mapping[str, int]) -> Program:
    """The :class:`Program` of an einsum (``inputs`` -> ``output``) along ``path``.

    Same steps as :func:`execute_path` (it walks the path with :func:`walk_path` and mirrors
    :func:`pair`), recorded instead of run, with each intermediate's axis order chosen so that
    as few and as small copies as possible are made (:class:`Program`).
    """
    steps: list[Step] = []
    counter = [len(inputs)]
    n_inputs = len(inputs)

    def new_slot() -> int:
        counter[0] += 1
        return counter[0] - 1

    def record_sum(h: tuple[int, str], keep: set[str]) -> tuple[int, str]:
        drop, idx = _drop(h[1], keep)
        if not drop:
            return h
        steps.append((h[0], -1, drop, None, (), None, ()))
        return new_slot(), idx

    def record_pair(a: tuple[int, str], b: tuple[int, str], keep: set[str]) -> tuple[int, str]:
        sa, ai = _drop(a[1], set(b[1]) | keep)
        sb, bi = _drop(b[1], set(ai) | keep)
        leaf = (a[0] < n_inputs and not sa, b[0] < n_inputs and not sb)
        fa, fb, batch, rows, inner, cols = _pair_layout(ai, bi, keep, leaf, sizes)
        # a-side fit is (rows run, inner run, swapped); b-side (cols run, inner run, swapped)
        pa = _prep(ai, fa, batch, rows, inner, sizes, a_side=True)
        pb = _prep(bi, fb, batch, cols, inner, sizes, a_side=False)
        out_idx = batch + rows + cols
        steps.append((a[0], b[0], sa, pa, sb, pb, tuple(sizes[c] for c in out_idx)))
        return new_slot(), out_idx

    slot, idx = walk_path(
        list(enumerate(inputs)), lambda h: h[1], output, path, record_sum, record_pair
    )
    if slot < len(inputs):  # a lone operand: copy through one (empty) sum step
        steps.append((slot, -1, (), None, (), None, ()))
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
