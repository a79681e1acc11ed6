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
from typing import Any

import numpy as np

from bayescollab.engine.plan import Plan

__all__ = ["ContractionSpec", "execute_path", "pair", "sum_out", "walk_path"]


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

    def execute(self, operands: Sequence, matmul=np.matmul):
        """The contraction of ``operands`` (numpy arrays, or PyTensor variables with their matmul)."""
        if len(operands) != len(self.inputs):
            raise ValueError(f"got {len(operands)} operands; the spec expects {len(self.inputs)}")
        sizes = None if matmul is np.matmul else self.sizes
        return execute_path(self.expr, operands, self.plan.path, size=sizes, matmul=matmul)
