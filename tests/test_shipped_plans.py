"""The plans shipped with the package (bayescollab/engine/shipped.py): current, used, and never
trusted blindly. Regenerate with ``.venv/bin/python scripts/make_plans.py`` when these fail."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import bayescollab as bc
from bayescollab.engine.plan import FORMAT, Planner
from bayescollab.engine.shipped import SHIPPED_FILE, LayeredPlanStore, ShippedPlans, structure_fingerprint

HEADLINE = "mandated_cross_sector_ics_poor_history"
TARGET = "collaborative_behaviour"
STALE = "the shipped plans are stale: run `.venv/bin/python scripts/make_plans.py` and commit the file"


class Recording(ShippedPlans):
    """The shipped plans, noting each lookup and whether it was answered."""

    def __init__(self, path: Path = SHIPPED_FILE):
        super().__init__(path)
        self.lookups: list[bool] = []

    def load(self, expr, shapes, runs=1):
        plan = super().load(expr, shapes, runs)
        self.lookups.append(plan is not None)
        return plan


def _with_plans(model: bc.Model, shipped: ShippedPlans) -> bc.Model:
    return bc.Model(
        model.theory,
        model.settings,
        planner=Planner(LayeredPlanStore(shipped, None)),
        theta_spec=model.theta_spec,
        cpts=model.cpts,
    )


def _headline(model: bc.Model) -> np.ndarray:
    return np.array(list(model.query(TARGET, evidence=model.scenario(HEADLINE)).values()))


def test_the_shipped_plans_match_the_plan_format_and_the_network(model: bc.Model) -> None:
    shipped = ShippedPlans()
    assert len(shipped) > 0, STALE
    assert shipped.header["format"] == FORMAT, STALE
    fingerprint = structure_fingerprint(
        {n: model.parents(n) for n in model.nodes}, {n: len(model.states(n)) for n in model.nodes}
    )
    assert shipped.header["structure"] == fingerprint, STALE


def test_every_scenario_query_is_answered_from_the_shipped_plans(model: bc.Model) -> None:
    shipped = Recording()
    fresh = _with_plans(model, shipped)
    for name in model.scenarios:
        fresh.query(TARGET, evidence=model.scenario(name))
    assert shipped.lookups and all(shipped.lookups), STALE


def test_a_damaged_shipped_plan_is_ignored_and_the_answer_stays(model: bc.Model, tmp_path: Path) -> None:
    raw = json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    for record in raw["plans"].values():  # complete paths, but not the ones whose cost is stored
        record["path"] = [[0, 1]] * len(record["path"])
    damaged = tmp_path / "plans.json"
    damaged.write_text(json.dumps(raw), encoding="utf-8")
    shipped = Recording(damaged)
    answer = _headline(_with_plans(model, shipped))
    assert shipped.lookups and not any(shipped.lookups)
    np.testing.assert_allclose(answer, _headline(model), rtol=0, atol=1e-12)


@pytest.mark.parametrize("text", ["", "{", '{"format": -1, "plans": {}}', "[]"])
def test_an_unreadable_shipped_file_is_an_empty_layer(text: str, tmp_path: Path) -> None:
    path = tmp_path / "plans.json"
    path.write_text(text, encoding="utf-8")
    assert len(ShippedPlans(path)) == 0
    assert len(ShippedPlans(tmp_path / "missing.json")) == 0
