"""log P(observed | θ) for a batch of partially observed cases, as a differentiable PyTensor graph.

The same CPT family as the numpy engine (stacked over nodes by
:class:`bayescollab.elicit.family.CPTFamily`, run on PyTensor variables) and the same kind of
contraction: the same :class:`~bayescollab.engine.spec.ContractionSpec` as the numpy engine
(:func:`bayescollab.engine.exact.query_spec`, planned through the network's planner and so its
plan cache and store, deterministically), and each pairwise step is the same
transpose-reshape-``matmul``. ``pytensor.tensor.einsum`` is not used: with
~50 operands its planner tries every order, and even pairwise it spends minutes vectorising the
graph. Unobserved nodes are summed out exactly, so a case that answered only some items still
counts in full.

Building the graph (:meth:`CaseLogLikelihood.graph`) is separate from compiling it
(:meth:`CaseLogLikelihood.compile`): a PyMC model puts the graph in a ``Potential``; tests and
benchmarks compile it once and call it many times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from bayescollab.elicit.cpt import pytensor_ops
from bayescollab.elicit.family import CPTFamily
from bayescollab.elicit.theta import ThetaSpec
from bayescollab.engine.batch import MEMORY_BUDGET_BYTES
from bayescollab.engine.exact import Network, query_spec
from bayescollab.engine.spec import ContractionSpec
from bayescollab.theory.load import Theory


def structure_network(theory: Theory) -> Network:
    """A network of the theory's structure whose CPTs are placeholders (only shapes are read)."""
    order = tuple(theory.nodes)
    parents = {n: tuple(theory.parents(n)) for n in order}
    card = {n: len(theory.nodes[n].states) for n in order}
    cpts = {n: np.broadcast_to(np.zeros(()), (card[n], *(card[p] for p in parents[n]))) for n in order}
    return Network(order, parents, cpts)


class CaseLogLikelihood:
    """log P(case b's observations | θ) for each case b of a fixed batch.

    ``likelihoods[node]`` is a (B, card) array: a one-hot row for an observed state, a row of
    ones where the case did not observe the node, or any non-negative likelihood (e.g. the
    product of several respondents' answer probabilities). Every row must have a positive entry.
    """

    def __init__(
        self,
        theory: Theory,
        spec: ThetaSpec,
        likelihoods: Mapping[str, np.ndarray],
        *,
        net: Network | None = None,
    ):
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
        #: the structure (and planner) the contraction is planned on; the model's network if given
        self.net = net if net is not None else structure_network(theory)
        first = self._spec(1)
        #: nodes whose CPTs enter the contraction (ancestors of the observed nodes), network order
        self.nodes = list(first.nodes[: first.first_likelihood])

    def _spec(self, batch: int) -> ContractionSpec:
        """The contraction of the needed CPTs with ``batch`` likelihood rows per observed node."""
        spec = query_spec(self.net, [], likelihoods={k: (batch, v.shape[1]) for k, v in self.rows.items()})
        assert spec is not None  # there is at least one likelihood operand
        return spec

    def graph(self, theta, rows: Mapping[str, object] | None = None):
        """Symbolic (B,) log-likelihoods for a symbolic θ vector of length P.

        Without ``rows`` the cases given at construction are built in as constants. With
        ``rows`` (a symbolic ``(batch, card)`` tensor per observed node, same nodes, each row's
        maximum 1, e.g. answer likelihoods that depend on measurement parameters) the graph is
        for those; any scale taken out of the rows must be added back by the caller.
        """
        import pytensor.tensor as pt

        ops = pytensor_ops()
        if rows is None:
            operands_rows, batch, offset = (
                [pt.as_tensor(v) for v in self.rows.values()],
                self.n_cases,
                self.log_offset,
            )
        else:
            if set(rows) != set(self.rows):
                raise ValueError(
                    f"rows are for {sorted(rows)}; expected the observed nodes {sorted(self.rows)}"
                )
            operands_rows = [pt.as_tensor(rows[k]) for k in self.rows]
            batch = operands_rows[0].type.shape[0]
            if batch is None:
                raise ValueError("symbolic rows need a static batch size, e.g. pt.matrix(shape=(B, card))")
            offset = 0.0
        spec = self._spec(batch)
        tables = CPTFamily(self.theory, self.spec, self.nodes).cpts(theta, ops)
        by_node = dict(zip(self.rows, operands_rows, strict=True))
        operands = [tables[n] for n in self.nodes] + [by_node[n] for n in spec.likelihoods]
        prob = spec.execute(operands, matmul=pt.matmul)
        return pt.log(prob) + offset

    def default_chunk(self, budget_bytes: int = MEMORY_BUDGET_BYTES) -> int:
        """Cases per chunk so one chunk's value and gradient stay within ``budget_bytes``.

        The gradient keeps every intermediate of the forward pass, hence the factor 4.
        """
        largest = self._spec(1).plan.largest_intermediate
        return int(max(1, min(self.n_cases, budget_bytes // max(1, 4 * 8 * largest))))

    def compile(self, chunk: int | None = None) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """A function θ -> (sum of log-likelihoods, its gradient), compiled once.

        Cases are processed ``chunk`` at a time (default :meth:`default_chunk`): one compiled
        graph for a chunk's shape, run over the chunks, with a short last chunk padded by rows
        of ones (which contribute log 1 = 0). Memory then stays bounded for any number of cases.
        """
        import pytensor
        import pytensor.tensor as pt

        chunk = self.default_chunk() if chunk is None else int(chunk)
        if chunk < 1:
            raise ValueError(f"chunk is {chunk}; expected a positive number of cases")
        chunk = min(chunk, self.n_cases)
        theta = pt.vector("theta", shape=(len(self.spec),), dtype="float64")
        inputs = {
            k: pt.matrix(f"rows_{k}", shape=(chunk, v.shape[1]), dtype="float64")
            for k, v in self.rows.items()
        }
        total = self.graph(theta, inputs).sum()
        grad = pt.grad(total, theta, disconnected_inputs="ignore")  # observing only roots: no θ
        fn = pytensor.function([theta, *inputs.values()], [total, grad], on_unused_input="ignore")
        padded = {k: _pad_rows(v, chunk) for k, v in self.rows.items()}
        starts = range(0, self.n_cases, chunk)
        offset = float(self.log_offset.sum())

        def value_and_grad(values: np.ndarray) -> tuple[float, np.ndarray]:
            values = np.asarray(values, dtype=float)
            value, gradient = offset, np.zeros(len(self.spec))
            for start in starts:
                v, g = fn(values, *(rows[start : start + chunk] for rows in padded.values()))
                value += float(v)
                gradient += g
            return value, gradient

        return value_and_grad

    def compile_cases(self) -> Callable[[np.ndarray], np.ndarray]:
        """A function θ -> (B,) log-likelihood per case (no gradient)."""
        import pytensor
        import pytensor.tensor as pt

        theta = pt.vector("theta", shape=(len(self.spec),), dtype="float64")
        return pytensor.function([theta], self.graph(theta), on_unused_input="ignore")


def _pad_rows(rows: np.ndarray, chunk: int) -> np.ndarray:
    """Rows padded with all-ones rows to a multiple of ``chunk`` (a padded case has likelihood 1)."""
    extra = (-len(rows)) % chunk
    return np.concatenate([rows, np.ones((extra, rows.shape[1]))]) if extra else rows
