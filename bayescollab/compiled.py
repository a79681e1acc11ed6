"""A query compiled once and run for many evidence cases or θ draws (``Model.compile_query``).

As PyMC separates ``Model.logp()`` (a graph) from ``Model.compile_logp()`` (a callable), a
:class:`CompiledQuery` fixes everything about a question that does not change between runs:
the validated :class:`~bayescollab.setting.Setting`, the targets, which nodes are observed,
intervened on or weighed, which nodes vary per call (``vary``), the contraction spec and its
plan. A call then supplies only what varies:

- ``q()`` answers at the model's θ (the operands were sliced at compile time);
- ``q(theta=θ)``: θ of shape (P,) answers at another parameter vector, (D, P) under each of D
  draws at once (the draw axis rides on the CPT tensors);
- ``q(observed={node: (B,) state indices})`` (-1 = not observed) or
  ``q(likelihoods={node: (B, card) rows})`` for the ``vary`` nodes answers B evidence cases at
  once (a small joint is contracted once and looked up; a large one carries the batch);
- ``q(cpts={node: table})`` answers with some CPTs replaced (sensitivity to a table);
- these combine; :meth:`CompiledQuery.draws` runs many θ draws in memory-sized chunks on a
  thread pool, and :meth:`CompiledQuery.cpt_gradients` gives every CPT entry's derivative
  from one reverse pass.

Results are normalised tables with axes ``(*draws, *cases, *targets)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from bayescollab.engine.batch import (
    LOOKUP_MAX_ENTRIES,
    MEMORY_BUDGET_BYTES,
    draws_per_chunk,
    draws_per_pass,
    query_cases,
    run_chunks,
    worker_count,
)
from bayescollab.engine.exact import (
    EVIDENCE_ZERO_ATOL,
    Contraction,
    Network,
    build_contraction,
    normalise,
    run_contraction,
)
from bayescollab.engine.marginals import draw_marginals, operand_gradients, tape_entries
from bayescollab.engine.spec import ContractionSpec
from bayescollab.engine.underflow import floor_holds, floor_likelihoods
from bayescollab.setting import Setting

#: EVIDENCE_ZERO_ATOL (P(evidence) at or below it is impossible evidence) and
#: LOOKUP_MAX_ENTRIES (largest joint looked up per case) are the engine's; analyses above the
#: door read them here instead of importing the engine
__all__ = ["EVIDENCE_ZERO_ATOL", "LOOKUP_MAX_ENTRIES", "CPTGradients", "CompiledQuery", "marginal_draws"]

#: from this many free targets on, every marginal comes from one forward and one reverse pass
#: over the draws (about three contractions' work); below it, one contraction per target
MARGINAL_DRAWS_ONE_PASS = 3

#: builds a network whose CPTs carry a leading draw axis, one row of θ per draw, deriving
#: only the given nodes' CPTs: ``draw_network(theta, nodes, plan_runs=...)`` (``Model.draw_network``)
DrawNetwork = Callable[..., Network]
DTypeLike = type | np.dtype | str
Arrays = Mapping[str, np.ndarray]


class CPTGradients:
    """P(y, e), P(e) and their derivatives in every entry of every needed CPT.

    ``d_joint[node]`` and ``d_evidence[node]`` have the CPT's own shape (zero outside the
    columns the evidence selects). P(y | e) = joint / evidence.
    """

    def __init__(self, joint: float, evidence: float, d_joint: Arrays, d_evidence: Arrays):
        self.joint = joint
        self.evidence = evidence
        self.d_joint = dict(d_joint)
        self.d_evidence = dict(d_evidence)


class CompiledQuery:
    """P(targets | setting) as a callable over θ, evidence cases and CPTs (module docstring).

    Build it with :meth:`bayescollab.Model.compile_query`; do not construct it directly.

    Attributes
    ----------
    setting
        The validated question (evidence, do and likelihoods fixed for every call).
    targets
        The nodes whose joint posterior a call returns, in order.
    vary
        Nodes a call may observe per case (``observed=`` or ``likelihoods=``), in order.
    needed
        Nodes whose CPTs enter the contraction (the only ones a θ draw must derive).
    """

    def __init__(
        self,
        net: Network,
        setting: Setting,
        targets: Sequence[str],
        *,
        vary: Sequence[str] = (),
        draw_network: DrawNetwork,
        n_theta: int,
    ):
        self.setting = setting
        self.targets = tuple(targets)
        self.vary = tuple(vary)
        self._net = net
        self._draw_network = draw_network
        self._n_theta = n_theta
        self._evidence = dict(setting.evidence_index)
        self._do = dict(setting.do_index)
        self._virtual = dict(setting.likelihood_arrays)
        clash = set(self.vary) & (set(setting.conditioned) | set(self.targets))
        if clash:
            raise ValueError(
                f"nodes {sorted(clash)} are both varied per call and fixed by the setting or targets; "
                "expected vary to name other nodes"
            )
        cut = frozenset(self._do)
        reach = net.ancestors([*self.targets, *self._evidence, *self._virtual, *self._do, *self.vary], cut)
        self.needed = [n for n in net.order if n in reach and n not in self._do]
        # soft evidence floored against subnormal arithmetic (engine/underflow.py): plain runs
        # use it when its bound holds on the computed mass; contract() and gradients do not
        self._floored, self._slack = floor_likelihoods(self._virtual)
        self._base: Contraction | None = None if self.vary else self._contraction(net, floored=True)

    def __repr__(self) -> str:
        vary = f", vary={list(self.vary)}" if self.vary else ""
        return f"CompiledQuery(P({', '.join(self.targets)} | {self.setting.describe()}){vary})"

    # ------------------------------------------------------------------ pieces
    def _contraction(
        self,
        net: Network,
        extra: Arrays | None = None,
        targets: Sequence[str] | None = None,
        floored: bool = False,
    ):
        virtual = self._floored if floored and self._slack else self._virtual
        return build_contraction(
            net,
            self.targets if targets is None else targets,
            evidence=self._evidence,
            do=self._do,
            virtual_evidence={**virtual, **(extra or {})},
        )

    def network(
        self, theta: np.ndarray | None = None, cpts: Arrays | None = None, *, plan_runs: int | None = None
    ) -> Network:
        """The network a call runs on: the model's, one at another θ (with a draw axis for
        (D, P)), with ``cpts`` replacing some tables (broadcast over the draws)."""
        net = self._net
        if theta is not None:
            theta = np.asarray(theta, dtype=float)
            if theta.ndim not in (1, 2) or theta.shape[-1] != self._n_theta:
                raise ValueError(
                    f"theta has shape {theta.shape}; expected ({self._n_theta},) or (draws, {self._n_theta})"
                )
            net = self._draw_network(np.atleast_2d(theta), self.needed, plan_runs=plan_runs)
        if cpts:
            replaced = dict(net.cpts)
            for node, table in cpts.items():
                table = np.asarray(table, dtype=float)
                expected = self._net.cpts[node].shape
                if table.shape != expected:
                    raise ValueError(
                        f"the CPT given for {node!r} has shape {table.shape}; expected {expected}"
                    )
                replaced[node] = np.broadcast_to(table, (*net.draw_shape, *expected))
            net = net.with_cpts(replaced, net.draw_shape, net.plan_runs)
        return net

    def _cases(self, observed: Arrays | None, likelihoods: Arrays | None) -> tuple[dict, dict]:
        obs = {k: np.asarray(v, dtype=int) for k, v in (observed or {}).items()}
        rows = {k: np.asarray(v, dtype=float) for k, v in (likelihoods or {}).items()}
        stray = (set(obs) | set(rows)) - set(self.vary)
        if stray or set(obs) & set(rows):
            raise ValueError(
                f"cases observe {sorted(set(obs) | set(rows))}; this query varies {list(self.vary)} "
                "(each node by state indices or by likelihood rows, not both)"
            )
        for node, r in rows.items():
            card = self._net.card(node)
            if r.ndim != 2 or r.shape[1] != card:
                raise ValueError(f"rows for {node!r} have shape {r.shape}; expected (cases, {card})")
        return obs, rows

    # ------------------------------------------------------------------ running
    def __call__(
        self,
        *,
        theta: np.ndarray | None = None,
        observed: Arrays | None = None,
        likelihoods: Arrays | None = None,
        cpts: Arrays | None = None,
    ) -> np.ndarray:
        """The normalised joint over the targets, axes ``(*draws, *cases, *targets)``.

        ``theta``: None (the model's θ), shape (P,) (one other θ, no draw axis) or (D, P).
        ``observed`` / ``likelihoods``: per-case evidence on the ``vary`` nodes (a case axis of
        length B appears when given). ``cpts``: tables replacing the model's. Raises
        :class:`~bayescollab.errors.ImpossibleEvidenceError` naming the evidence by state.
        """
        return self._run(self.network(theta, cpts), theta, observed, likelihoods)

    def _run(
        self,
        net: Network,
        theta: np.ndarray | None,
        observed: Arrays | None,
        likelihoods: Arrays | None,
        dtype: np.dtype | None = None,
    ) -> np.ndarray:
        obs, rows = self._cases(observed, likelihoods)
        if obs or rows:
            n_cases = len(next(iter({**obs, **rows}.values())))
            fixed = {k: np.broadcast_to(v, (n_cases, len(v))) for k, v in self._virtual.items()}
            out = query_cases(
                net,
                list(self.targets),
                observed=obs,
                likelihoods={**fixed, **rows},
                evidence=self._evidence,
                do=self._do,
            )
        else:
            base = self._base if net is self._net and self._base is not None else None
            c = base if base is not None else self._contraction(net, floored=True)
            out = self._normalised(c, net, dtype, floored=bool(self._slack))
            if out is None:  # the floor's bound failed on this mass: run exact
                out = self._normalised(self._contraction(net), net, dtype, floored=False)
        return out[0] if theta is not None and np.ndim(theta) == 1 else out

    def _normalised(
        self, c: Contraction, net: Network, dtype: np.dtype | None, floored: bool
    ) -> np.ndarray | None:
        """The normalised table of ``c`` (in passes along the draws); None when ``floored`` and
        the floor's bound does not hold on some pass's mass."""
        if dtype is not None and dtype != np.float64:  # likelihood rows in the same precision
            cast = [o.astype(dtype, copy=False) for o in c.operands]
            c = Contraction(c.spec, cast, c.n_lead, c.clamped)
        parts = []
        for part in self._passes(c, net, dtype):
            table, mass = run_contraction(net, part, self.targets)
            if floored and not floor_holds(mass, self._slack):
                return None
            parts.append(normalise(table, mass, self.setting.describe))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)

    def _passes(self, c: Contraction, net: Network, dtype: np.dtype | None) -> list[Contraction]:
        """``c`` split along the draw axis into passes of :func:`draws_per_pass` draws.

        A chunk's CPTs are derived at once (per-call overhead), but its contraction runs in
        passes whose largest intermediate stays cache-sized. Each pass size has its own spec (the
        plan is shared; only the draw label's length differs), compiled once per query.
        """
        if c.spec is None or not net.draw_shape or c.spec.plan is None:
            return [c]
        (n_draws,) = net.draw_shape
        itemsize = np.dtype(dtype if dtype is not None else np.float64).itemsize
        step = draws_per_pass(c.spec.plan.largest_intermediate, itemsize)
        if step >= n_draws:
            return [c]
        first = c.spec.first_likelihood
        passes = []
        for start in range(0, n_draws, step):
            size = min(step, n_draws - start)
            ops = [o[start : start + size] if i < first else o for i, o in enumerate(c.operands)]
            passes.append(Contraction(self._pass_spec(c.spec, size), ops, c.n_lead, c.clamped))
        return passes

    def _pass_spec(self, spec: ContractionSpec, size: int) -> ContractionSpec:
        draw = spec.output[0]  # the draw label leads the output of a draw network's spec
        key = (spec.expr, size)
        cache = self.__dict__.setdefault("_pass_specs", {})
        if key not in cache:
            cache[key] = dataclasses.replace(spec, sizes={**spec.sizes, draw: size})
        return cache[key]

    def contract(
        self, *, theta: np.ndarray | None = None, cpts: Arrays | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The *unnormalised* joint over the targets and P(evidence), as ``(table, mass)``.

        For analyses that need P(y, e) and P(e) apart (e.g. linear-fractional sensitivity
        functions); no error for impossible evidence (the mass is then 0).
        """
        net = self.network(theta, cpts)
        # exact likelihoods, never the floored base: callers use P(y, e) and P(e) themselves
        plain = net is self._net and self._base is not None and not self._slack
        c = self._base if plain else self._contraction(net)
        table, mass = run_contraction(net, c, self.targets)
        if theta is not None and np.ndim(theta) == 1:
            return table[0], mass[0]
        return table, mass

    def draws(
        self,
        theta: np.ndarray,
        *,
        observed: Arrays | None = None,
        likelihoods: Arrays | None = None,
        workers: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        dtype: DTypeLike = np.float64,
    ) -> np.ndarray:
        """Many θ draws (shape (D, P)) in chunks sized to the memory budget, on a thread pool.

        Same answer as ``self(theta=theta, ...)``; ``progress(done, total)`` after each chunk.
        ``dtype=np.float32`` contracts in single precision (about 1e-7 relative error instead of
        1e-16: enough for intervals over draws, not for the 1e-9 checks against pgmpy); the
        result is float64 either way, normalised in float64.
        """
        dtype = _check_dtype(dtype)
        theta = np.asarray(theta, dtype=float)
        if theta.ndim != 2 or theta.shape[1] != self._n_theta:
            raise ValueError(f"theta draws have shape {theta.shape}; expected (draws, {self._n_theta})")
        workers = worker_count() if workers is None else max(1, int(workers))
        obs, rows = self._cases(observed, likelihoods)
        if obs or rows:  # the cases are looked up in the joint of the observed nodes and the targets
            sized = dict(targets=[*obs, *rows, *self.targets], evidence=self._evidence, do=self._do)
        else:
            sized = dict(
                targets=list(self.targets),
                evidence=self._evidence,
                do=self._do,
                virtual_evidence=self._virtual,
            )
        chunk = draws_per_chunk(self._net, workers=workers, n_draws=len(theta), **sized)
        return run_chunks(
            len(theta),
            chunk,
            lambda start, stop: self._run(
                _cast(self.network(theta[start:stop], plan_runs=len(theta)), self.needed, dtype),
                theta[start:stop],
                observed,
                likelihoods,
                dtype,
            ),
            workers=workers,
            progress=progress,
        )

    def cpt_gradients(self, state: str | None = None) -> CPTGradients:
        """P(target = state, e), P(e) and their derivatives in every needed CPT entry.

        Two reverse passes over the query's own contraction (Darwiche's differential approach,
        :func:`bayescollab.engine.marginals.operand_gradients`), no compilation. ``state``
        defaults to the setting's state; the query must have one free target and no draws.
        """
        state = state if state is not None else self.setting.state
        if len(self.targets) != 1 or state is None or self.vary:
            raise ValueError("cpt_gradients needs one target, a target state and no varied nodes")
        (target,) = self.targets
        if target in self._evidence or target in self._do:
            raise ValueError(f"the target {target!r} is observed or intervened on; it has no gradient")
        states = self._net.states[target] if self._net.states else None
        y = list(states).index(state) if states is not None else int(state)
        base = self._virtual.get(target, np.ones(self._net.card(target)))
        passes = []
        for weight in (base * np.eye(self._net.card(target))[y], base):
            c = self._contraction(self._net, {target: weight}, targets=[])
            z, grads = operand_gradients(c)
            passes.append((z, self._full_gradients(c, grads)))
        (p_ye, d_ye), (p_e, d_e) = passes
        return CPTGradients(p_ye, p_e, d_ye, d_e)

    def _full_gradients(self, c: Contraction, grads: list) -> dict[str, np.ndarray]:
        """Gradients of the sliced CPT operands written back into full CPT shapes."""
        clamped = {**self._evidence, **self._do}
        out: dict[str, np.ndarray] = {}
        for i, node in enumerate(c.spec.nodes[: c.spec.first_likelihood]):
            full = np.zeros(self._net.cpts[node].shape)
            where = tuple(clamped.get(v, slice(None)) for v in (node, *self._net.parents[node]))
            if grads[i] is not None:
                full[where] = grads[i]
            out[node] = full
        return out


def _check_dtype(dtype: DTypeLike) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype is {dtype}; expected float64 or float32")
    return dtype


def marginal_draws(
    net: Network,
    setting: Setting,
    targets: Sequence[str],
    theta: np.ndarray,
    *,
    draw_network: DrawNetwork,
    dtype: DTypeLike = np.float64,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Each target's own marginal P(target | setting) under each θ draw: (D, card) per target.

    Cheaper than one :meth:`CompiledQuery.draws` per target: each chunk of draws derives its
    CPTs once, and from :data:`MARGINAL_DRAWS_ONE_PASS` free targets on all the marginals come
    from one forward pass that keeps its intermediates and one reverse pass
    (:func:`bayescollab.engine.marginals.draw_marginals`), so the contraction work is shared
    by every target instead of repeated per target. ``dtype`` as in :meth:`CompiledQuery.draws`.
    """
    dtype = _check_dtype(dtype)
    theta = np.asarray(theta, dtype=float)
    evidence, do = dict(setting.evidence_index), dict(setting.do_index)
    virtual = dict(setting.likelihood_arrays)
    targets = list(dict.fromkeys(targets))
    reach = net.ancestors([*targets, *evidence, *virtual, *do], frozenset(do))
    needed = [n for n in net.order if n in reach and n not in do]
    free = [t for t in targets if t not in evidence and t not in do]
    one_pass = len(free) >= MARGINAL_DRAWS_ONE_PASS
    workers = worker_count() if workers is None else max(1, int(workers))
    query = dict(evidence=evidence, do=do)

    def run(start: int, stop: int) -> np.ndarray:
        chunk_net = _cast(draw_network(theta[start:stop], needed, plan_runs=len(theta)), needed, dtype)
        if one_pass:
            tables = draw_marginals(chunk_net, targets, virtual_evidence=virtual, dtype=dtype, **query)
        else:
            tables = {}
            for t in targets:
                c = build_contraction(chunk_net, [t], virtual_evidence=virtual, **query)
                if dtype != np.float64:
                    c = Contraction(
                        c.spec, [o.astype(dtype, copy=False) for o in c.operands], c.n_lead, c.clamped
                    )
                table, mass = run_contraction(chunk_net, c, [t])
                tables[t] = normalise(table, mass, setting.describe)
        return np.concatenate([tables[t] for t in targets], axis=-1)

    probe = draw_network(theta[:2], needed, plan_runs=len(theta))
    if one_pass:
        factors = {**virtual, **{n: np.ones(net.card(n)) for n in free if n not in virtual}}
        per_draw = tape_entries(build_contraction(probe, [], virtual_evidence=factors, **query)) // 2
    else:
        plans = [build_contraction(probe, [t], virtual_evidence=virtual, **query).plan for t in targets]
        per_draw = 4 * max(p.largest_intermediate if p else 1 for p in plans)  # operands and result alive
    chunk = int(np.clip(MEMORY_BUDGET_BYTES // (dtype.itemsize * max(per_draw, 1) * workers), 1, 1024))
    flat = run_chunks(len(theta), chunk, run, workers=workers, progress=progress)
    out, at = {}, 0
    for t in targets:
        out[t] = flat[:, at : at + net.card(t)]
        at += net.card(t)
    return out


def _cast(net: Network, nodes: Sequence[str], dtype: np.dtype) -> Network:
    """``net`` with the CPTs of ``nodes`` in ``dtype`` (unchanged for float64)."""
    if dtype == np.float64:
        return net
    cpts = {n: (t.astype(dtype) if n in set(nodes) else t) for n, t in net.cpts.items()}
    return net.with_cpts(cpts, net.draw_shape, net.plan_runs)
