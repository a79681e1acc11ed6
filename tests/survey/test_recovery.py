"""Parameter recovery: learn on surveys simulated from a known θ covers the truth.

The fast test checks the machinery on a tiny survey; the slow one is the issue's bar (true value
inside the 90% interval for at least 80% of parameters, several seeds) and runs outside CI, in
``benchmarks/bench_learn.py --sections recovery`` and in notebook 02.
"""

from __future__ import annotations

import numpy as np
import pytest

import bayescollab as bc
from bayescollab.survey.recovery import RECOVERY_ITEMS, recovery_run, recovery_study


def test_recovery_run_reports_every_parameter_against_its_truth(model: bc.Model) -> None:
    items = ("mandated_1", "cross_sector_1")
    run = recovery_run(model, 7, items=items, collaborations=6, respondents=3, draws=40, tune=40, chains=2)
    table = run.table
    assert list(table.index) == [*model.theta_spec.names, *(f"discrimination[{i}]" for i in items)]
    assert (table["lower"] <= table["upper"]).all()
    np.testing.assert_array_equal(
        table["covered"], (table["lower"] <= table["true"]) & (table["true"] <= table["upper"])
    )
    assert 0.0 <= run.coverage <= 1.0 and run.seconds > 0
    # the same seed draws the same truth: recovery runs are reproducible
    again = recovery_run(model, 7, items=items, collaborations=6, respondents=3, draws=5, tune=5, chains=1)
    np.testing.assert_array_equal(again.table["true"], table["true"])
    with pytest.raises(ValueError, match="unknown items"):
        recovery_run(model, 1, items=("no_such_item",))


@pytest.mark.slow
def test_learn_recovers_theta_over_seeds(model: bc.Model) -> None:
    """The issue's bar, at the issue's survey size, on the small-ancestry items."""
    study = recovery_study(model, [1, 2, 3], items=RECOVERY_ITEMS, draws=500, tune=500, chains=2)
    assert study.passed, study.to_frame()
    # the parameters the data actually inform (7-9 per seed, mostly discriminations): pooled over
    # seeds, since 8 parameters at a nominal 90% fall below 7 covered about one time in five
    informed = [r.table.loc[r.table["informed"], "covered"] for r in study.runs]
    pooled = sum(int(c.sum()) for c in informed) / sum(len(c) for c in informed)
    assert pooled >= 0.7, study.to_frame()


def test_one_calibration_replication_on_the_augmented_path(model: bc.Model) -> None:
    """The CI-sized calibration check: one replication (θ, λ from the prior, 10% blanks) through
    the augmented sampler, with the pooled informed coverage the benchmark's 20 replications use."""
    items = ("mandated_1", "collaboration_history_1", "collaboration_history_2")
    study = recovery_study(model, [3], items=items, collaborations=6, respondents=4, draws=40, tune=40,
                           chains=1, sampler="augmented", sampler_kwargs={"sweeps": 2})  # fmt: skip
    [run] = study.runs
    assert len(run.table) == len(model.theta_spec) + len(items)
    assert run.table["covered"].mean() >= 0.8  # most of θ keeps its prior, which covers a prior draw
    coverage = study.pooled_informed_coverage
    assert coverage is None or 0.0 <= coverage <= 1.0
    assert study.to_dict()["informed_parameters"] == int(run.table["informed"].sum())
