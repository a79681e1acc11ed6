"""The same seed gives the same InferenceData with a cold or a warm plan store (issue 15 item 10).

Plans come from a seeded search with a fixed number of trials (engine/plan.py), so a plan
found afresh is the plan a warm store returns, and the floating-point order of every
contraction is the same in both runs.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import bayescollab as bc
from bayescollab.engine.plan import PlanStore
from bayescollab.survey.instrument import load_instrument
from bayescollab.survey.learn import learn

ITEMS = ["collaboration_history_1", "mandated_1", "resource_capacity_1", "trust_1"]


def _survey(model: bc.Model) -> pd.DataFrame:
    instrument = load_instrument(theory=model.theory)
    rng = np.random.default_rng(7)
    rows = []
    for c in range(2):
        for r in range(3):
            row: dict = {"respondent_id": f"r{c}{r}", "collaboration_id": f"c{c}", "organisation": pd.NA}
            for item_id in ITEMS:
                row[item_id] = int(rng.integers(0, instrument[item_id].n_options))
            rows.append(row)
    frame = pd.DataFrame(rows)
    for item_id in ITEMS:
        frame[item_id] = frame[item_id].astype("Int64")
    return frame


def test_plans_for_the_whole_instrument_do_not_depend_on_the_store(model: bc.Model, tmp_path: Path) -> None:
    """The costly plan (every measured node of the instrument) is the same cold, warm and cold again."""
    instrument = load_instrument(theory=model.theory)
    rows = {n: np.ones((5, len(model.states(n)))) for n in instrument.nodes}
    plans = []
    for store in (PlanStore(tmp_path), PlanStore(tmp_path), None):
        fresh = bc.load_model(plan_store=store)
        plans.append(fresh.case_log_likelihood(rows)._spec(5).plan)
    assert plans[0] == plans[1] == plans[2]
    assert list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.tmp"))


def test_learn_is_the_same_with_a_cold_or_a_warm_store(tmp_path: Path) -> None:
    runs = []
    for _ in range(2):  # the first run fills the empty store, the second reads it
        model = bc.load_model(plan_store=PlanStore(tmp_path))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = learn(model, _survey(model), draws=5, tune=5, chains=1, seed=11, progressbar=False)
        runs.append(result.idata)
    cold, warm = runs
    for group in ("posterior", "prior", "posterior_predictive"):
        for name in cold[group].data_vars:
            np.testing.assert_array_equal(
                cold[group][name].values, warm[group][name].values, err_msg=f"{group}/{name}"
            )
