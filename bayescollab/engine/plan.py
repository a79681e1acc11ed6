"""Contraction plans: the search, the in-memory cache and the disk store, in one place.

A plan is the order in which a query's factors are multiplied pairwise (an ``opt_einsum``
path) and what that order costs. Finding a good order for a query on the packaged model takes
0.1-1 s of randomised greedy search, the query itself often 10-40 ms; the CLI starts a new
process per command, so plans are kept in memory (per :class:`Planner`) and on disk (a
:class:`PlanStore` passed in by the caller; the engine never picks a folder itself).

Three rules keep the store from changing an answer:

- **The search is deterministic.** The number of hyper-optimised greedy trials (cotengra's
  ``HyperOptimizer``) is worked out from the query's size and cost, never from a clock, and
  the search runs serially from a fixed seed (Python's ``random`` is seeded for it and
  restored after).
  The same query shape gets the same plan in a cold and a warm process, so a seeded
  ``learn`` gives the same draws either way (issue 15 item 10).
- **A stored plan is verified before use** (:func:`verify_plan`): it must be a complete
  pairwise contraction of exactly these operands, and its recomputed cost must match the
  stored cost. Anything else is ignored and planned afresh (issue 15 item 5).
- **The store is an optimisation, never a source of truth.** An unreadable entry is
  re-planned; a failed write is silent and leaves no temporary file behind.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import opt_einsum

from bayescollab._cache_files import write_quietly

__all__ = [
    "DRAW_OBJECTIVE",
    "FORMAT",
    "Plan",
    "PlanStore",
    "Planner",
    "objective",
    "plan_cost",
    "plan_search",
    "runs_bucket",
    "search_plan",
    "search_trials",
    "verify_plan",
]

#: bump when the executor's reading of a path or the search changes (old entries are ignored)
FORMAT = 3
#: the most hyper-optimiser trials one plan gets. On the headline query 8 reconfigured
#: cotengra greedy trials found a plan of 6.7e7 (opt_einsum-counted) operations, 16 found
#: 6.4e7 and 32 nothing better; opt_einsum's random greedy found 1.0-1.9e8 (docs/performance.md).
MAX_TRIALS = 32
#: leaves of each subtree the reconfiguration re-solves optimally (8 costs 3x more, no better)
RECONF_SUBTREE = 6
#: the seed of the search (plans are a pure function of the query shape)
SEED = 0
#: the search never costs much more than the plain greedy plan would take to run: it gets
#: ``PAYBACK`` times the greedy plan's estimated run time (at ``EXECUTOR_MADDS_PER_SECOND``),
#: between ``MIN_SECONDS`` and ``MAX_SECONDS``. A cheap query keeps its greedy plan.
PAYBACK = 16.0
MIN_SECONDS = 0.02
MAX_SECONDS = 2.0
EXECUTOR_MADDS_PER_SECOND = 2e9
CHEAP_PLAN_MADDS = 2e6
#: measured cost of one reconfigured cotengra greedy trial: about this many seconds times the
#: operand count squared (0.065 s for the 51 operands of the headline query on the 2-core test
#: machine; 0.12 s under a load of 10)
SECONDS_PER_TRIAL_PER_OPERAND2 = 2.5e-5
#: what the search minimises for a plan that runs many times per call (θ draws): cotengra's
#: flops + 16 x entries written. On the headline draw run the executor's time is mostly the
#: transposition copies, which scale with the entries written, not the flops; this objective's
#: plan had 2 % (cotengra) / 11 % (opt_einsum) more flops and ran 1.35x (float64) / 1.5x
#: (float32) faster per draw than the flops-minimal one (docs/decisions.md). Single queries
#: keep minimising flops.
DRAW_OBJECTIVE = "combo-16"
#: a draw plan is kept only if it costs at most this many times the greedy plan's flops
DRAW_FLOPS_SLACK = 2.0
#: relative tolerance when a stored cost is compared with the recomputed one
COST_RTOL = 1e-9
CACHE_SIZE = 512


@dataclass(frozen=True)
class Plan:
    """A contraction order and what it costs (per draw when CPTs carry a draw axis)."""

    path: list
    multiply_adds: float
    largest_intermediate: int


# ---------------------------------------------------------------------------------- search
def search_trials(n_operands: int, greedy_madds: float, runs: int = 1) -> int:
    """How many hyper-optimiser trials a plan gets: a power of two, 0 for a cheap query.

    Worked out from the operand count, the greedy plan's cost and ``runs`` (how many times the
    plan runs per call, e.g. θ draws), never from elapsed time, so the search is repeatable.
    ``PAYBACK`` > 1 because a plan is kept (in memory and in the store) and runs many times.
    """
    if greedy_madds <= CHEAP_PLAN_MADDS:
        return 0
    budget = PAYBACK * max(runs, 1) * greedy_madds / EXECUTOR_MADDS_PER_SECOND
    seconds = min(MAX_SECONDS, max(MIN_SECONDS, budget))
    per_trial = SECONDS_PER_TRIAL_PER_OPERAND2 * max(n_operands, 1) ** 2
    trials = int(min(MAX_TRIALS, seconds / per_trial))
    return 0 if trials < 2 else 2 ** int(math.log2(trials))


def _greedy(expr: str, shapes: Sequence[tuple[int, ...]]) -> Plan:
    path, info = opt_einsum.contract_path(expr, *shapes, optimize="greedy", shapes=True)
    return Plan([tuple(s) for s in path], float(info.opt_cost), int(info.largest_intermediate))


def objective(runs: int) -> str:
    """What the plan search minimises for a plan run ``runs`` times per call."""
    return "flops" if runs <= 1 else DRAW_OBJECTIVE


def _cotengra_path(
    expr: str, shapes: Sequence[tuple[int, ...]], trials: int, minimize: str = "flops"
) -> list[tuple[int, ...]]:
    """``trials`` serial, seeded trials of cotengra's ``HyperOptimizer`` (greedy method),
    minimising ``minimize`` (flops, or :data:`DRAW_OBJECTIVE`), each trial's tree refined by
    subtree reconfiguration (every subtree of ``RECONF_SUBTREE`` leaves re-solved optimally): an
    opt_einsum-style linear path.

    cotengra is imported here, not at module import: only a search needs it (0.5 s to import),
    and a query served from the plan store or the shipped plans never searches.
    """
    import warnings

    with warnings.catch_warnings():  # "kahypar not found": we do not ask for it
        warnings.simplefilter("ignore")
        import cotengra

    lhs, output = expr.split("->")
    inputs = [tuple(ix) for ix in lhs.split(",")]
    sizes: dict[str, int] = {}
    for ix, shape in zip(inputs, shapes, strict=True):
        sizes.update(zip(ix, shape, strict=True))
    optimizer = cotengra.HyperOptimizer(
        methods=["greedy"],
        reconf_opts={"subtree_size": RECONF_SUBTREE},
        max_repeats=trials,
        max_time=None,
        minimize=minimize,
        optlib="random",
        seed=SEED,
        parallel=False,
        progbar=False,
    )
    state = random.getstate()
    try:
        random.seed(SEED)  # cotengra's greedy trials draw from the global generator
        tree = cotengra.array_contract_tree(inputs, tuple(output), size_dict=sizes, optimize=optimizer)
        return [tuple(int(i) for i in step) for step in tree.get_path()]
    finally:
        random.setstate(state)


def search_plan(
    expr: str,
    shapes: Sequence[tuple[int, ...]],
    trials: int,
    greedy: Plan | None = None,
    minimize: str = "flops",
) -> Plan:
    """The greedy plan, or the best of ``trials`` seeded cotengra trials if that is cheaper.

    Both costs are counted by opt_einsum (:func:`plan_cost`), the measure the store verifies.
    With another objective than flops (draw plans), cotengra's plan is kept unless it costs
    more than :data:`DRAW_FLOPS_SLACK` times the greedy plan's flops.
    """
    shapes = [tuple(s) for s in shapes]
    if len(shapes) < 3:
        return Plan([tuple(range(len(shapes)))], float(np.prod(max(shapes, key=len))), 0)
    best = greedy if greedy is not None else _greedy(expr, shapes)
    if trials <= 0:
        return best
    path = _cotengra_path(expr, shapes, trials, minimize)
    cost, largest = plan_cost(expr, shapes, path)
    limit = 1.0 if minimize == "flops" else DRAW_FLOPS_SLACK
    if cost < best.multiply_adds * limit:
        best = Plan(path, cost, largest)
    return best


def runs_bucket(runs: int) -> int:
    """``runs`` rounded up to a power of two, so nearby draw counts share one plan."""
    return 1 if runs <= 1 else 2 ** math.ceil(math.log2(runs))


def plan_search(expr: str, shapes: Sequence[tuple[int, ...]], runs: int = 1) -> Plan:
    """The plan for ``runs`` runs per call: greedy, then as many trials as the query is worth.

    A pure function of its arguments: what the store keeps under (expr, shapes, runs).
    """
    shapes = [tuple(s) for s in shapes]
    if len(shapes) < 3:
        return search_plan(expr, shapes, 0)
    greedy = _greedy(expr, shapes)
    trials = search_trials(len(shapes), greedy.multiply_adds, runs)
    return search_plan(expr, shapes, trials, greedy, objective(runs))


# ---------------------------------------------------------------------------- verification
def plan_cost(expr: str, shapes: Sequence[tuple[int, ...]], path: Any) -> tuple[float, int]:
    """Multiply-adds and largest intermediate of ``path``; ``ValueError`` if it is not a
    complete pairwise contraction of exactly these operands.

    Complete: every step picks one or two distinct positions of the current operand list, and
    the last step leaves exactly one operand.
    """
    if not isinstance(path, list | tuple) or not path:
        raise ValueError(f"path is {path!r}; expected a non-empty list of steps")
    alive = len(shapes)
    steps = []
    for step in path:
        if not isinstance(step, list | tuple) or not 1 <= len(step) <= 2:
            raise ValueError(f"step {step!r} is not a pair (or a single) of operand positions")
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in step):
            raise ValueError(f"step {step!r} holds a non-integer position")
        if len(set(step)) != len(step) or min(step) < 0 or max(step) >= alive:
            raise ValueError(f"step {step!r} is out of range or repeats with {alive} operands left")
        alive -= len(step) - 1
        steps.append(tuple(step))
    if alive != 1:
        raise ValueError(f"the path leaves {alive} operands; expected one (a complete contraction)")
    return _path_cost(expr, shapes, steps)


def _path_cost(
    expr: str, shapes: Sequence[tuple[int, ...]], steps: Sequence[tuple[int, ...]]
) -> tuple[float, int]:
    """opt_einsum's own count (``contract_path(..., optimize=steps).opt_cost`` and
    ``largest_intermediate``), without its parsing: a cold command verifies every shipped
    plan it uses, and ``contract_path`` took 0.2 s of a 2 s ``assess`` for that alone.

    Each step costs the size of the union of its operands' labels times (terms - 1, at least
    1), plus one more when a label is summed away (``opt_einsum.helpers.flop_count``); the
    result keeps the labels the other operands or the output still need.
    ``tests/engine/test_plan.py`` checks equality with ``contract_path`` on random paths.
    """
    inputs, output = expr.split("->")
    terms = [frozenset(t) for t in inputs.split(",")]
    if len(terms) != len(shapes):
        raise ValueError(f"{len(shapes)} shapes for {len(terms)} operands of {expr!r}")
    size: dict[str, int] = {}
    for term, labels, shape in zip(terms, inputs.split(","), shapes, strict=True):
        if len(shape) != len(term) or len(labels) != len(shape):
            raise ValueError(f"operand {labels!r} has shape {tuple(shape)}")
        for c, n in zip(labels, shape, strict=True):
            n, seen = int(n), size.get(c, 1)
            if 1 not in (seen, n) and seen != n:
                raise ValueError(f"label {c!r} has sizes {seen} and {n}")
            size[c] = max(seen, n)
    keep_out = frozenset(output)
    cost, largest = 0, 0
    for step in steps:
        picked = [terms[i] for i in step]
        for i in sorted(step, reverse=True):
            del terms[i]
        joined = frozenset().union(*picked)
        result = joined & keep_out.union(*terms)
        factor = max(1, len(step) - 1) + (1 if joined - result else 0)
        cost += math.prod(size[c] for c in joined) * factor
        largest = max(largest, math.prod(size[c] for c in result))
        terms.append(result)
    return float(cost), int(largest)


def verify_plan(plan: Plan, expr: str, shapes: Sequence[tuple[int, ...]]) -> bool:
    """Whether ``plan`` contracts exactly these operands completely, at its stated cost."""
    try:
        cost, largest = plan_cost(expr, shapes, plan.path)
    except (ValueError, TypeError, IndexError, KeyError):
        return False
    return math.isclose(cost, plan.multiply_adds, rel_tol=COST_RTOL) and largest == plan.largest_intermediate


# ---------------------------------------------------------------------------------- store
class PlanStore:
    """Plans kept as JSON files in ``folder``, keyed by a hash of expression, shapes and runs.

    ``runs`` (a power of two: how many times the plan runs per call) fixes the search budget,
    so an entry holds what :func:`search_plan` gives for exactly that key.

    Whoever builds the model chooses the folder (:func:`bayescollab.model.default_plan_store`
    reads ``BAYESCOLLAB_PLAN_CACHE``); the engine only uses the store it is given.
    """

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"PlanStore({str(self.folder)!r})"

    @staticmethod
    def key(expr: str, shapes: Sequence[tuple[int, ...]], runs: int = 1) -> str:
        # a draw plan's key names its objective (single-query keys are as before)
        extra = [objective(runs)] if runs > 1 else []
        text = json.dumps([FORMAT, expr, [list(s) for s in shapes], int(runs), *extra])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def entry(self, expr: str, shapes: Sequence[tuple[int, ...]], runs: int = 1) -> Path:
        return self.folder / f"{self.key(expr, shapes, runs)}.json"

    def load(self, expr: str, shapes: Sequence[tuple[int, ...]], runs: int = 1) -> Plan | None:
        """The stored plan for this expression, these shapes and runs, verified; else None."""
        try:
            raw = json.loads(self.entry(expr, shapes, runs).read_text(encoding="utf-8"))
            if (
                raw["format"] != FORMAT
                or raw["expr"] != expr
                or raw["shapes"] != [list(s) for s in shapes]
                or raw["runs"] != runs
            ):
                return None  # a hash collision or a stale file
            path = raw["path"]
            plan = Plan(
                [tuple(step) if isinstance(step, list) else step for step in path],
                float(raw["multiply_adds"]),
                int(raw["largest"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return plan if verify_plan(plan, expr, shapes) else None

    def save(self, expr: str, shapes: Sequence[tuple[int, ...]], plan: Plan, runs: int = 1) -> None:
        """Store ``plan`` atomically: a temporary file in the same folder, renamed into place.

        A failed write is silent (the store is only an optimisation) and removes its temporary file.
        """
        record = {
            "format": FORMAT,
            "expr": expr,
            "shapes": [list(s) for s in shapes],
            "runs": int(runs),
            "path": [list(step) for step in plan.path],
            "multiply_adds": plan.multiply_adds,
            "largest": plan.largest_intermediate,
        }
        write_quietly(self.entry(expr, shapes, runs), json.dumps(record).encode("utf-8"))


# -------------------------------------------------------------------------------- planner
class Planner:
    """Plans once per query shape: an in-memory cache in front of an optional :class:`PlanStore`.

    One planner belongs to one network structure's users (a :class:`~bayescollab.model.Model`
    and the draw networks derived from it); nothing is module-global. Thread-safe: the draw
    pool asks for plans from several threads.
    """

    def __init__(self, store: PlanStore | None = None, size: int = CACHE_SIZE):
        self.store = store
        self.size = size
        self._cache: dict[tuple, Plan] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Planner(store={self.store!r}, cached={len(self._cache)})"

    def plan(self, key: tuple, expr: str, shapes: Sequence[tuple[int, ...]], runs: int = 1) -> Plan:
        """The plan for ``expr`` over operands of ``shapes`` (``key`` identifies the query shape).

        ``runs``: how many times the plan runs per call (θ draws), which scales the search.
        """
        with self._lock:
            plan = self._cache.get(key)
        if plan is not None:
            return plan
        shapes = [tuple(s) for s in shapes]
        runs = runs_bucket(runs)
        plan = None
        if len(shapes) >= 3 and self.store is not None:
            plan = self.store.load(expr, shapes, runs)
        if plan is None:
            plan = plan_search(expr, shapes, runs)
            if len(shapes) >= 3 and self.store is not None:
                self.store.save(expr, shapes, plan, runs)
        with self._lock:
            if len(self._cache) >= self.size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = plan
        return plan
