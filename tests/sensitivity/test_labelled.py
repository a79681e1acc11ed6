"""Scenario-level results carry their setting: the same header in to_dict and in a Dataset's attrs."""

from __future__ import annotations

import json

import bayescollab as bc
from bayescollab.sensitivity.context import context_sensitivity
from bayescollab.sensitivity.levers import rank_levers

SCENARIO = "mandated_cross_sector_ics_poor_history"


def test_context_and_lever_datasets_carry_the_setting(model: bc.Model) -> None:
    contexts = context_sensitivity(model, scenario=SCENARIO, contexts=["quick_wins", "leadership_style"])
    levers = rank_levers(model, SCENARIO, pairs=False)
    for result in (contexts, levers):
        ds = result.to_dataset()
        header = result.to_dict()
        assert ds.attrs["target"] == header["target"] == "collaborative_behaviour"
        assert ds.attrs["scenario"] == SCENARIO
        assert json.loads(ds.attrs["evidence"]) == header["evidence"] == model.scenario(SCENARIO)
        assert ds.attrs["baseline"] == header["baseline"]
    assert list(contexts.to_dataset()["context"].values) == ["leadership_style", "quick_wins"]
    gains = levers.to_dataset()["gain"].values
    assert list(gains) == [e.gain for e in levers.singles]
