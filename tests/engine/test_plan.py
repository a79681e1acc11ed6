"""Stored contraction plans round-trip, and a broken or mismatched store is ignored, never trusted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollab.engine.plan import Plan, PlanStore, plan_cost, search_plan, verify_plan
from bayescollab.engine.spec import execute_path
from bayescollab.model import PLAN_CACHE_ENV, default_plan_store

EXPR = "ab,bc,cd->ad"
SHAPES = [(2, 3), (3, 4), (4, 2)]


def true_plan(path: list) -> Plan:
    cost, largest = plan_cost(EXPR, SHAPES, path)
    return Plan(path, cost, largest)


@pytest.fixture
def store(tmp_path: Path) -> PlanStore:
    return PlanStore(tmp_path)


def test_round_trip(store: PlanStore) -> None:
    plan = true_plan([(0, 1), (0, 1)])
    store.save(EXPR, SHAPES, plan)
    assert store.load(EXPR, SHAPES) == plan
    assert store.load(EXPR, [(2, 3), (3, 4), (4, 5)]) is None  # other shapes, other plan
    assert store.load(EXPR, SHAPES, runs=8) is None  # another search budget, another entry


def test_stored_plan_gives_the_einsum_answer(store: PlanStore) -> None:
    store.save(EXPR, SHAPES, true_plan([(1, 2), (0, 1)]))
    rng = np.random.default_rng(0)
    ops = [rng.random(s) for s in SHAPES]
    loaded = store.load(EXPR, SHAPES)
    np.testing.assert_allclose(execute_path(EXPR, ops, loaded.path), np.einsum(EXPR, *ops))


def test_corrupt_entry_is_ignored(store: PlanStore) -> None:
    store.save(EXPR, SHAPES, true_plan([(0, 1), (0, 1)]))
    (entry,) = store.folder.glob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert store.load(EXPR, SHAPES) is None


def test_off_disables_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(PLAN_CACHE_ENV, "off")
    assert default_plan_store() is None
    monkeypatch.setenv(PLAN_CACHE_ENV, str(tmp_path))
    assert default_plan_store().folder == tmp_path


@pytest.mark.parametrize(
    "path",
    [
        [(0, 1)],  # truncated: leaves two operands
        [(0, 1), (0, 2)],  # out of range after the first step
        [(0, 0), (0, 1)],  # a step repeats an operand
        [(0, 1, 2)],  # not pairwise
        [("0", 1), (0, 1)],  # not integers
        [],
        "01",
    ],
)
def test_incomplete_or_malformed_paths_fail_verification(path) -> None:
    assert not verify_plan(Plan(path, 40.0, 8), EXPR, SHAPES)
    with pytest.raises(ValueError):
        plan_cost(EXPR, SHAPES, path)


def test_a_stated_cost_must_match() -> None:
    good = true_plan([(0, 1), (0, 1)])
    assert verify_plan(good, EXPR, SHAPES)
    assert not verify_plan(Plan(good.path, good.multiply_adds * 2, good.largest_intermediate), EXPR, SHAPES)
    assert not verify_plan(Plan(good.path, good.multiply_adds, good.largest_intermediate + 1), EXPR, SHAPES)


def test_search_is_repeatable() -> None:
    """Seeded trials and no clock: the same expression gets the same plan every time."""
    rng = np.random.default_rng(3)
    letters = "abcdefghij"
    sizes = {c: int(rng.integers(2, 6)) for c in letters}
    terms = ["".join(rng.choice(list(letters), size=3, replace=False)) for _ in range(14)]
    expr = ",".join(terms) + "->"
    shapes = [tuple(sizes[c] for c in t) for t in terms]
    first = search_plan(expr, shapes, 32)
    assert all(search_plan(expr, shapes, 32) == first for _ in range(3))
    assert verify_plan(first, expr, shapes)


def test_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    store = PlanStore(folder)
    (folder / f"{store.key(EXPR, SHAPES)}.json").mkdir()  # the target is a folder: rename fails
    store.save(EXPR, SHAPES, true_plan([(0, 1), (0, 1)]))
    assert not list(folder.glob("*.tmp"))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_cost_count_is_opt_einsums(data) -> None:
    """``plan_cost`` counts a path as ``opt_einsum.contract_path`` does, on random expressions
    and random complete paths (it replaces that call when a stored plan is verified)."""
    import opt_einsum

    letters = "abcdefgh"
    sizes = {c: data.draw(st.integers(1, 4)) for c in letters}
    n_ops = data.draw(st.integers(1, 7))
    terms = [
        "".join(data.draw(st.lists(st.sampled_from(letters), min_size=0, max_size=4, unique=True)))
        for _ in range(n_ops)
    ]
    used = sorted(set("".join(terms)))
    output = "".join(data.draw(st.lists(st.sampled_from(used), unique=True))) if used else ""
    expr = ",".join(terms) + "->" + output
    shapes = [tuple(sizes[c] for c in t) for t in terms]
    path, alive = [], n_ops
    while alive > 1 or not path:
        width = 1 if alive == 1 else data.draw(st.integers(1, 2))
        positions = st.lists(st.integers(0, alive - 1), min_size=width, max_size=width, unique=True)
        step = tuple(data.draw(positions))
        path.append(step)
        alive -= width - 1
    _, info = opt_einsum.contract_path(expr, *shapes, optimize=path, shapes=True)
    assert plan_cost(expr, shapes, path) == (float(info.opt_cost), int(info.largest_intermediate))
