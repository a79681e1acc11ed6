"""A stored plan that parses but lies is never used: the headline answer stays exact (issue 15 item 5).

Each corruption is written into the real store entry of the headline query; a fresh model
reading that store must re-plan and still agree with pgmpy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pgmpy.inference import VariableElimination

import bayescollab as bc
from bayescollab.engine.plan import Plan, PlanStore, verify_plan

HEADLINE = "mandated_cross_sector_ics_poor_history"
TARGET = "collaborative_behaviour"


def truncate(raw: dict) -> None:
    raw["path"] = raw["path"][:1]


def wrong_indices(raw: dict) -> None:  # a complete, valid path, but not the one whose cost is stored
    raw["path"] = [[0, 1]] * (len(raw["shapes"]) - 1)


def duplicate(raw: dict) -> None:
    raw["path"][0] = [raw["path"][0][0], raw["path"][0][0]]


def out_of_range(raw: dict) -> None:
    raw["path"][-1] = [0, len(raw["shapes"]) + 5]


def wrong_cost(raw: dict) -> None:
    raw["multiply_adds"] = raw["multiply_adds"] / 3


def not_a_list(raw: dict) -> None:
    raw["path"] = "0,1"


CORRUPTIONS = [truncate, wrong_indices, duplicate, out_of_range, wrong_cost, not_a_list]


@pytest.fixture(scope="module")
def reference(model: bc.Model) -> np.ndarray:
    evidence = model.scenario(HEADLINE)
    return VariableElimination(model.network).query([TARGET], evidence=evidence, show_progress=False).values


def headline(store: PlanStore) -> np.ndarray:
    model = bc.load_model(plan_store=store)
    return np.array(list(model.query(TARGET, evidence=model.scenario(HEADLINE)).values()))


@pytest.fixture(scope="module")
def entry_text(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("plans")
    headline(PlanStore(folder))
    (entry,) = folder.glob("*.json")
    return entry.name, entry.read_text(encoding="utf-8")


@pytest.mark.parametrize("corrupt", [*CORRUPTIONS, "garbage"], ids=lambda c: getattr(c, "__name__", c))
def test_a_corrupted_entry_is_replanned_and_the_answer_stays_exact(
    corrupt, entry_text: tuple[str, str], reference: np.ndarray, tmp_path: Path
) -> None:
    name, text = entry_text
    raw = json.loads(text)
    if corrupt == "garbage":
        (tmp_path / name).write_text(text[: len(text) // 2], encoding="utf-8")
    else:
        corrupt(raw)
        (tmp_path / name).write_text(json.dumps(raw), encoding="utf-8")
        assert not verify_plan(
            Plan(raw["path"], raw["multiply_adds"], raw["largest"]), raw["expr"], raw["shapes"]
        )
    np.testing.assert_allclose(headline(PlanStore(tmp_path)), reference, atol=1e-9)
    good = json.loads((tmp_path / name).read_text(encoding="utf-8"))  # re-planned and stored again
    assert verify_plan(
        Plan(good["path"], good["multiply_adds"], good["largest"]), good["expr"], good["shapes"]
    )


def test_the_clean_entry_is_used(entry_text: tuple[str, str], reference: np.ndarray, tmp_path: Path) -> None:
    name, text = entry_text
    (tmp_path / name).write_text(text, encoding="utf-8")
    np.testing.assert_allclose(headline(PlanStore(tmp_path)), reference, atol=1e-9)
    assert (tmp_path / name).read_text(encoding="utf-8") == text
