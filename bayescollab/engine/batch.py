"""Many questions in one call: evidence cases against one network (or one θ-draw batch).

DESIGN.md (engine) measured why a batch must not ride through the whole contraction: a batch
of 10,000 evidence sets carried through every step is slow. So when the observed nodes and the
targets are few, their joint is contracted once, and each case becomes a lookup into that
table (hard evidence) or a small product with it (likelihoods, missing answers). Only when the
joint would be too large does the batch go through the contraction, in chunks sized to a
memory budget.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import opt_einsum

from bayescollab.engine.exact import (
    EVIDENCE_ZERO_ATOL,
    Network,
    build_contraction,
    contract_joint,
)
from bayescollab.errors import ImpossibleEvidenceError

#: Largest joint table (entries, per draw) contracted once and then looked up per case.
LOOKUP_MAX_ENTRIES = 2**22
#: Rough cap on the bytes one chunk of a batched contraction may hold in intermediates.
MEMORY_BUDGET_BYTES = 512 * 2**20
#: Copies of the largest intermediate alive at once during a pairwise step (operands, result).
_LIVE_COPIES = 4
#: A θ-draw chunk's largest intermediate should fit in about this many bytes: the steps are
#: bound by memory traffic (transposition copies, small matrix products), and on the headline
#: draw run one or two draws per chunk (a 3.8-7.6 MB largest intermediate) ran 1.5x (float32)
#: to 1.6x (float64) faster per draw than eight (measured single-threaded, same process).
CACHE_BUDGET_BYTES = 8 * 2**20


def _case_count(observed: Mapping[str, np.ndarray], likelihoods: Mapping[str, np.ndarray]) -> int:
    sizes = {len(v) for v in observed.values()} | {len(v) for v in likelihoods.values()}
    if len(sizes) != 1:
        raise ValueError(f"every observed column must have one entry per case; got lengths {sorted(sizes)}")
    return sizes.pop()


def case_likelihoods(
    net: Network, observed: Mapping[str, np.ndarray], likelihoods: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Hard observations (state index, -1 = not observed) as (B, card) likelihood rows."""
    out = {k: np.asarray(v, dtype=float) for k, v in likelihoods.items()}
    for node, states in observed.items():
        states = np.asarray(states, dtype=int)
        rows = np.ones((len(states), net.card(node)))
        seen = states >= 0
        rows[seen] = np.eye(net.card(node))[states[seen]]
        out[node] = rows
    return out


def query_cases(
    net: Network,
    targets: Sequence[str],
    *,
    observed: Mapping[str, np.ndarray] | None = None,
    likelihoods: Mapping[str, np.ndarray] | None = None,
    evidence: Mapping[str, int] | None = None,
    do: Mapping[str, int] | None = None,
) -> np.ndarray:
    """P(targets | case b) for every case b, one call.

    ``observed[node]`` holds one state index per case (-1 where that case did not observe the
    node); ``likelihoods[node]`` one likelihood row per case, shape (B, card). ``evidence`` and
    ``do`` apply to every case. Returns axes ``(*draws, B, *targets)``.
    """
    observed = {k: np.asarray(v, dtype=int) for k, v in (observed or {}).items()}
    likelihoods = dict(likelihoods or {})
    n_cases = _case_count(observed, likelihoods)
    lead = len(net.draw_shape)
    nodes = [*observed, *likelihoods]
    joint_entries = int(np.prod([net.card(n) for n in (*nodes, *targets)], dtype=np.int64))
    if joint_entries <= LOOKUP_MAX_ENTRIES:
        joint, _ = contract_joint(net, [*nodes, *targets], evidence=evidence, do=do)
        if not likelihoods and all((v >= 0).all() for v in observed.values()):
            table = joint[(slice(None),) * lead + tuple(observed[n] for n in nodes)]
        else:
            rows = case_likelihoods(net, observed, likelihoods)
            sym = [opt_einsum.get_symbol(i) for i in range(len(nodes) + len(targets) + 2)]
            draw, case, node_ix, target_ix = sym[0], sym[1], sym[2 : 2 + len(nodes)], sym[2 + len(nodes) :]
            head = draw if lead else ""
            expr = (
                head
                + "".join(node_ix + target_ix)
                + ","
                + ",".join(case + i for i in node_ix)
                + "->"
                + head
                + case
                + "".join(target_ix)
            )
            table = opt_einsum.contract(expr, joint, *[rows[n] for n in nodes])
    else:
        table = _batched_contraction(net, targets, case_likelihoods(net, observed, likelihoods), evidence, do)
    mass = table.sum(axis=tuple(range(lead + 1, table.ndim)))
    bad = ~(mass > EVIDENCE_ZERO_ATOL)
    if bad.any():
        where = np.argwhere(bad)[0]
        case = int(where[-1])
        seen = {n: net.state_name(n, v[case]) for n, v in observed.items() if v[case] >= 0}
        raise ImpossibleEvidenceError(
            f"case {case} of {n_cases} has probability {float(mass[tuple(where)]):.3g} "
            f"under the model, so its posterior is undefined; check that case's observations "
            f"({seen}{', likelihoods on ' + str(sorted(likelihoods)) if likelihoods else ''})"
        )
    return table / mass.reshape(mass.shape + (1,) * (table.ndim - mass.ndim))


def _batched_contraction(
    net: Network,
    targets: Sequence[str],
    rows: Mapping[str, np.ndarray],
    evidence: Mapping[str, int] | None,
    do: Mapping[str, int] | None,
) -> np.ndarray:
    """Cases ride through the contraction as a batch axis, chunked to the memory budget."""
    n_cases = len(next(iter(rows.values())))
    probe = build_contraction(
        net, targets, evidence=evidence, do=do, virtual_evidence={k: v[:1] for k, v in rows.items()}
    )
    per_case = 8 * _LIVE_COPIES * max(probe.plan.largest_intermediate if probe.plan else 1, 1)
    per_case *= int(np.prod(net.draw_shape, dtype=np.int64))
    chunk = int(np.clip(MEMORY_BUDGET_BYTES // per_case, 1, n_cases))
    parts = []
    for start in range(0, n_cases, chunk):
        part = {k: v[start : start + chunk] for k, v in rows.items()}
        table, _ = contract_joint(net, targets, evidence=evidence, do=do, virtual_evidence=part)
        if table.ndim == len(net.draw_shape) + len(targets):  # every case's nodes were clamped
            table = np.expand_dims(table, len(net.draw_shape))
        parts.append(table)
    return np.concatenate(parts, axis=len(net.draw_shape))


def draws_per_chunk(
    net: Network,
    targets: Sequence[str],
    *,
    workers: int = 1,
    n_draws: int | None = None,
    **query,
) -> int:
    """How many θ draws one contraction may carry, ``workers`` chunks at once within
    :data:`MEMORY_BUDGET_BYTES`.

    Sized from the plan the draws will actually run (a draw plan is searched apart from the
    single-θ plan and can have a much smaller largest intermediate); ``n_draws`` (default: the
    network's own draw count, else 1) sets that plan's search budget as the real run would.
    """
    if not net.draw_shape:
        lead = (n_draws or 1,)
        net = net.with_cpts({n: np.broadcast_to(t, (*lead, *t.shape)) for n, t in net.cpts.items()}, lead)
    plan = build_contraction(net, targets, **query).plan
    largest = max(plan.largest_intermediate if plan else 1, 1)
    return int(np.clip(MEMORY_BUDGET_BYTES // (8 * _LIVE_COPIES * largest * max(workers, 1)), 1, 1024))


def draws_per_pass(largest: int, itemsize: int) -> int:
    """How many θ draws one pass of the contraction carries so that its largest intermediate
    stays within :data:`CACHE_BUDGET_BYTES` (the CPTs of a chunk are derived at once, then
    contracted in passes of this many draws)."""
    return int(np.clip(CACHE_BUDGET_BYTES // (itemsize * max(largest, 1)), 1, 1024))


def worker_count() -> int:
    """Threads for independent chunks: numpy's ``matmul`` releases the GIL, so two cores give
    ~1.8x on θ draws (measured: 256 draws 10.2 s -> 5.6 s). ``BAYESCOLLAB_THREADS`` overrides."""
    setting = os.environ.get("BAYESCOLLAB_THREADS")
    if setting:
        return max(1, int(setting))
    return max(1, min(os.cpu_count() or 1, 8))


@contextmanager
def _blas_threads(limit: int | None) -> Iterator[None]:
    """BLAS limited to ``limit`` threads inside the block (None: unchanged).

    The chunks of a draw run already keep every core busy; OpenBLAS's own threads on top of
    them oversubscribe the cores (64 headline draws: 6.7 s -> 5.7 s with BLAS on one thread).
    """
    if limit is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=limit, user_api="blas"):
        yield


def run_chunks(
    total: int,
    chunk: int,
    run: Callable[[int, int], np.ndarray],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """``run(start, stop)`` over ``[0, total)`` in chunks of ``chunk``, on ``workers`` threads.

    The parts are concatenated along axis 0 in order; ``progress(done, total)`` is called after
    each chunk, in order. numpy's ``matmul`` releases the GIL, so chunks of θ draws run in
    parallel (:func:`worker_count`).
    """
    if total < 1 or chunk < 1:
        raise ValueError(f"total is {total} and chunk {chunk}; expected both >= 1")
    workers = worker_count() if workers is None else max(1, int(workers))
    starts = list(range(0, total, chunk))
    parts = []
    with _blas_threads(1 if min(workers, len(starts)) > 1 else None), ThreadPoolExecutor(
        max_workers=min(workers, len(starts))
    ) as pool:
        results = pool.map(lambda start: run(start, min(start + chunk, total)), starts)
        for start, part in zip(starts, results, strict=True):  # map keeps the order
            parts.append(part)
            if progress is not None:
                progress(min(start + chunk, total), total)
    return np.concatenate(parts, axis=0)
