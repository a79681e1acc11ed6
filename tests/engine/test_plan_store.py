"""Stored contraction plans round-trip, and a broken or mismatched store is ignored, never trusted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bayescollab.engine import plan_store
from bayescollab.engine.exact import Plan, execute_path

EXPR = "ab,bc,cd->ad"
SHAPES = [(2, 3), (3, 4), (4, 2)]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(plan_store.ENV, str(tmp_path))
    return tmp_path


def test_round_trip(store: Path) -> None:
    plan = Plan([(0, 1), (0, 1)], 40.0, 8)
    plan_store.save(EXPR, SHAPES, plan)
    assert plan_store.load(EXPR, SHAPES) == plan
    assert plan_store.load(EXPR, [(2, 3), (3, 4), (4, 5)]) is None  # other shapes, other plan


def test_stored_plan_gives_the_einsum_answer(store: Path) -> None:
    plan_store.save(EXPR, SHAPES, Plan([(1, 2), (0, 1)], 1.0, 1))
    rng = np.random.default_rng(0)
    ops = [rng.random(s) for s in SHAPES]
    loaded = plan_store.load(EXPR, SHAPES)
    np.testing.assert_allclose(execute_path(EXPR, ops, loaded.path), np.einsum(EXPR, *ops))


def test_corrupt_entry_is_ignored(store: Path) -> None:
    plan_store.save(EXPR, SHAPES, Plan([(0, 1), (0, 1)], 40.0, 8))
    (entry,) = store.glob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert plan_store.load(EXPR, SHAPES) is None


def test_off_disables_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(plan_store.ENV, "off")
    plan_store.save(EXPR, SHAPES, Plan([(0, 1), (0, 1)], 40.0, 8))
    assert plan_store.folder() is None and plan_store.load(EXPR, SHAPES) is None
    assert not list(tmp_path.iterdir())
