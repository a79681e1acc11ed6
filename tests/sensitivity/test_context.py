"""Context sensitivity: swings equal single queries, open contexts only, observed vs do."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

import bayescollab as bc
from bayescollab.plots import context_tornado
from bayescollab.sensitivity.context import ContextSensitivity, context_sensitivity

matplotlib.use("Agg")

HEADLINE = "mandated_cross_sector_ics_poor_history"
TARGET = "collaborative_behaviour"
ATOL = 1e-9


#: a few contexts of each kind (rooted, with parents, without a path to the target, in the
#: scenario) keep the module fast; the default of every open context is tested on a small target
CONTEXTS = [
    "collaboration_form",
    "mandated",
    "integration_level",
    "formalisation",
    "accountability_arrangements",
    "quick_wins",
    "power_imbalance",
    "boundary_coterminosity",
    "external_crisis",
]


@pytest.fixture(scope="module")
def headline(model: bc.Model) -> ContextSensitivity:
    return context_sensitivity(model, TARGET, scenario=HEADLINE, contexts=CONTEXTS)


def test_swings_equal_single_queries(model: bc.Model, headline: ContextSensitivity) -> None:
    evidence = model.scenario(HEADLINE)
    for context in ("formalisation", "power_imbalance", "integration_level"):
        swing = headline[context]
        for i, state in enumerate(swing.states):
            seen = model.query(TARGET, evidence={**evidence, context: state})["high"]
            made = model.query(TARGET, evidence=evidence, do={context: state})["high"]
            np.testing.assert_allclose(swing.observed[i], seen, atol=ATOL, err_msg=f"{context}={state}")
            np.testing.assert_allclose(swing.intervened[i], made, atol=ATOL, err_msg=f"do {context}={state}")
    np.testing.assert_allclose(headline.baseline, model.query(TARGET, evidence=evidence)["high"], atol=ATOL)


def test_contexts_in_the_scenario_are_not_moved(model: bc.Model, headline: ContextSensitivity) -> None:
    moved = {s.context for s in headline.swings}
    in_scenario = [n for n in CONTEXTS if n in model.scenario(HEADLINE)]
    assert in_scenario == ["collaboration_form", "mandated"]
    assert headline.excluded == {n: "observed in the scenario" for n in in_scenario}
    with pytest.raises(bc.UnknownNameError, match="'mandated'"):
        headline["mandated"]
    assert moved == set(CONTEXTS) - set(model.scenario(HEADLINE))


def test_default_moves_every_open_context(model: bc.Model) -> None:
    """perceived_legitimacy has few ancestors: contexts outside them do not move it at all."""
    result = context_sensitivity(model, "perceived_legitimacy", scenario=HEADLINE)
    contexts = {n for n in model.nodes if model.theory.nodes[n].kind == "context"}
    assert {s.context for s in result.swings} == contexts - set(model.scenario(HEADLINE))
    assert result["formalisation"].width("do") > 0.01
    assert result["quick_wins"].width("do") < 1e-12 and result["quick_wins"].width("observed") < 1e-12


def test_context_without_path_to_target_has_no_do_swing(headline: ContextSensitivity) -> None:
    for context in ("boundary_coterminosity", "external_crisis"):  # no directed path to the target
        assert headline[context].width("do") < 1e-12


def test_ranked_widest_first_and_serialisable(headline: ContextSensitivity) -> None:
    for kind in ("do", "observed"):
        widths = [s.width(kind) for s in headline.ranked(kind)]
        assert widths == sorted(widths, reverse=True)
        assert widths[0] > 0.05
    data = json.loads(json.dumps(headline.to_dict()))
    assert data["target"] == TARGET and data["state"] == "high" and data["scenario"] == HEADLINE
    first = data["contexts"][0]
    assert set(first["do"]) == {"probabilities", "min_state", "max_state", "width"}
    assert "formalisation" in headline.to_text()


def test_observed_and_do_differ_through_a_shared_cause(model: bc.Model) -> None:
    """With the form unobserved, seeing the integration level also says which form it is."""
    result = context_sensitivity(model, TARGET, contexts=["integration_level", "quick_wins"])
    level = result["integration_level"]
    assert level.has_parents
    assert abs(level.width("observed") - level.width("do")) > 1e-3
    for i, state in enumerate(level.states):
        made = model.query(TARGET, do={"integration_level": state})["high"]
        np.testing.assert_allclose(level.intervened[i], made, atol=ATOL)
    wins = result["quick_wins"]  # a root: seeing it is setting it
    np.testing.assert_allclose(wins.observed, wins.intervened, atol=ATOL)


def test_queries_leave_the_model_unchanged(model: bc.Model) -> None:
    before = {n: np.array(t) for n, t in model.cpts.items()}
    context_sensitivity(model, TARGET, scenario=HEADLINE, contexts=["power_imbalance"])
    for node, table in model.cpts.items():
        np.testing.assert_array_equal(table, before[node], err_msg=node)


def test_target_state_defaults_to_favourable(model: bc.Model) -> None:
    result = context_sensitivity(
        model, "conflict", scenario=HEADLINE, contexts=["accountability_arrangements"]
    )
    assert result.state == "low"  # conflict: high is the bad end


def test_bad_arguments_name_the_value_and_the_choices(model: bc.Model) -> None:
    with pytest.raises(bc.UnknownNameError, match=r"'trust'.*valid choices.*formalisation"):
        context_sensitivity(model, TARGET, contexts=["trust"])
    with pytest.raises(bc.UnknownNameError, match=r"'hgih'.*high"):
        context_sensitivity(model, TARGET, "hgih", contexts=["quick_wins"])
    with pytest.raises(ValueError, match=r"mandated='voluntary'.*'mandated'"):
        context_sensitivity(model, TARGET, scenario=HEADLINE, evidence={"mandated": "voluntary"})


def test_tornado_draws_both_kinds(headline: ContextSensitivity) -> None:
    import matplotlib.pyplot as plt

    for kind in ("do", "observed"):
        fig = context_tornado(headline, kind=kind, top=5)
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert labels[-1] == headline.ranked(kind)[0].context  # widest on top
        plt.close(fig)
    with pytest.raises(bc.UnknownNameError, match=r"'seen'.*observed"):
        context_tornado(headline, kind="seen")
