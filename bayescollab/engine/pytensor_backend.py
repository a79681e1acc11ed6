"""log P(observed | θ) for a batch of partially observed cases, as a differentiable PyTensor graph.

The same CPT family as the numpy engine (:func:`bayescollab.elicit.cpt.node_cpt`, run on
PyTensor variables) and the same kind of contraction: opt_einsum plans the order once from the
static shapes, and each pairwise step is a two-operand ``pytensor.tensor.einsum`` (PyTensor's
own planner would try every order of ~50 operands). Unobserved nodes are summed out exactly,
so a case that answered only some items still counts in full.

Building the graph (:meth:`CaseLogLikelihood.graph`) is separate from compiling it
(:meth:`CaseLogLikelihood.compile`): a PyMC model puts the graph in a ``Potential``; tests and
benchmarks compile it once and call it many times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property

import numpy as np
import opt_einsum

from bayescollab.elicit.cpt import node_cpt, pytensor_ops
from bayescollab.elicit.theta import ThetaSpec
from bayescollab.engine.exact import PATH_SEARCH_REPEATS, PATH_SEARCH_SECONDS
from bayescollab.theory.load import Theory


class CaseLogLikelihood:
    """log P(case b's observations | θ) for each case b of a fixed batch.

    ``likelihoods[node]`` is a (B, card) array: a one-hot row for an observed state, a row of
    ones where the case did not observe the node, or any non-negative likelihood (e.g. the
    product of several respondents' answer probabilities). Every row must have a positive entry.
    """

    def __init__(self, theory: Theory, spec: ThetaSpec, likelihoods: Mapping[str, np.ndarray]):
        if not likelihoods:
            raise ValueError("no observed nodes given; expected at least one (B, card) likelihood array")
        self.theory = theory
        self.spec = spec
        rows = {k: np.asarray(v, dtype=float) for k, v in likelihoods.items()}
        sizes = {v.shape[0] for v in rows.values()}
        if len(sizes) != 1 or any(v.ndim != 2 for v in rows.values()):
            raise ValueError(
                f"likelihoods must all be (B, card) arrays with the same B; got shapes "
                f"{ {k: v.shape for k, v in rows.items()} }"
            )
        for node, v in rows.items():
            card = len(theory.nodes[node].states)
            if v.shape[1] != card:
                raise ValueError(f"likelihood for {node!r} has {v.shape[1]} columns; expected {card}")
            peak = v.max(axis=1)
            if not np.all(np.isfinite(v)) or (v < 0).any() or not np.all(peak > 0):
                raise ValueError(
                    f"likelihood rows for {node!r} must be finite, non-negative and not all zero"
                )
        self.n_cases = sizes.pop()
        # scale each row to a maximum of 1 (keeps products of many respondents away from underflow)
        peaks = {k: v.max(axis=1) for k, v in rows.items()}
        self.rows = {k: v / peaks[k][:, None] for k, v in rows.items()}
        self.log_offset = np.sum([np.log(p) for p in peaks.values()], axis=0)
        self.nodes = self._needed(list(rows))

    def _needed(self, observed: list[str]) -> list[str]:
        seen: set[str] = set()
        stack = list(observed)
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(self.theory.parents(n))
        return [n for n in self.theory.nodes if n in seen]

    @cached_property
    def _spec(self) -> tuple[str, list[tuple[int, ...]], list]:
        """einsum expression, operand shapes and the planned pairwise path."""
        order = list(self.theory.nodes)
        symbols = {n: opt_einsum.get_symbol(i) for i, n in enumerate(order)}
        case_ix = opt_einsum.get_symbol(len(order))
        subs, shapes = [], []
        for node in self.nodes:
            variables = (node, *self.theory.parents(node))
            subs.append("".join(symbols[v] for v in variables))
            shapes.append(tuple(len(self.theory.nodes[v].states) for v in variables))
        for node, v in self.rows.items():
            subs.append(case_ix + symbols[node])
            shapes.append(v.shape)
        expr = ",".join(subs) + "->" + case_ix
        optimizer = opt_einsum.RandomGreedy(max_repeats=PATH_SEARCH_REPEATS, max_time=PATH_SEARCH_SECONDS)
        path, _ = opt_einsum.contract_path(expr, *shapes, shapes=True, optimize=optimizer)
        return expr, shapes, path

    def graph(self, theta):
        """Symbolic (B,) vector of log-likelihoods for a symbolic θ vector of length P."""
        import pytensor.tensor as pt

        ops = pytensor_ops()
        expr, _, path = self._spec
        operands = [node_cpt(self.theory, self.spec, theta, n, ops) for n in self.nodes]
        operands += [pt.as_tensor(v) for v in self.rows.values()]
        prob = _run_path(expr, operands, path)
        return pt.log(prob) + self.log_offset

    def compile(self) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """A function θ -> (sum of log-likelihoods, its gradient), compiled once."""
        import pytensor
        import pytensor.tensor as pt

        theta = pt.vector("theta", shape=(len(self.spec),), dtype="float64")
        total = self.graph(theta).sum()
        fn = pytensor.function([theta], [total, pt.grad(total, theta)])

        def value_and_grad(values: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = fn(np.asarray(values, dtype=float))
            return float(value), np.asarray(grad)

        return value_and_grad

    def compile_cases(self) -> Callable[[np.ndarray], np.ndarray]:
        """A function θ -> (B,) log-likelihood per case (no gradient)."""
        import pytensor
        import pytensor.tensor as pt

        theta = pt.vector("theta", shape=(len(self.spec),), dtype="float64")
        return pytensor.function([theta], self.graph(theta))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum(spec: str, *operands):
    """``pytensor.tensor.einsum`` with the step's labels renamed to the letters it accepts.

    The network has more nodes than there are letters, but a single pairwise step never
    touches more than 52 of them.
    """
    import pytensor.tensor as pt

    labels = list(dict.fromkeys(c for c in spec if c not in ",->"))
    if len(labels) > len(_LETTERS):
        raise ValueError(f"a contraction step has {len(labels)} labels; PyTensor's einsum takes at most 52")
    rename = str.maketrans(dict(zip(labels, _LETTERS, strict=False)))
    return pt.einsum(spec.translate(rename), *operands)


def _run_path(expr: str, operands: list, path: list):
    """Follow an opt_einsum path with two-operand ``pytensor.tensor.einsum`` steps."""
    inputs, output = expr.split("->")
    items = list(zip(operands, inputs.split(","), strict=True))
    for step in path:
        picked = [items[i] for i in step]
        for i in sorted(step, reverse=True):
            del items[i]
        outside = set(output).union(*(set(ix) for _, ix in items))
        arr, idx = picked[0]
        for j in range(1, len(picked)):
            other, other_idx = picked[j]
            keep = outside.union(*(set(ix) for _, ix in picked[j + 1 :]))
            out_idx = "".join(dict.fromkeys(c for c in idx + other_idx if c in keep))
            arr, idx = _einsum(f"{idx},{other_idx}->{out_idx}", arr, other), out_idx
        if len(picked) == 1:
            out_idx = "".join(c for c in idx if c in outside)
            arr, idx = _einsum(f"{idx}->{out_idx}", arr), out_idx
        items.append((arr, idx))
    (arr, idx), *rest = items
    for other, other_idx in rest:
        out_idx = "".join(dict.fromkeys(c for c in idx + other_idx if c in output))
        arr, idx = _einsum(f"{idx},{other_idx}->{out_idx}", arr, other), out_idx
    out_idx = "".join(c for c in idx if c in output)
    if out_idx != idx:
        arr, idx = _einsum(f"{idx}->{out_idx}", arr), out_idx
    return arr.transpose([idx.index(c) for c in output]) if output else arr
