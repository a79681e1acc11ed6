"""The Python contract of DESIGN.md: nodes, states, query shape, immutability, errors."""

from __future__ import annotations

import numpy as np
import pytest
from pgmpy.inference import VariableElimination

import bayescollab as bc
from bayescollab.theory.vocabulary import CONTRACT

HEADLINE = "mandated_cross_sector_ics_poor_history"


def test_all_exports_resolve() -> None:
    for name in bc.__all__:
        assert getattr(bc, name) is not None, name


def test_vocabulary_contract(model: bc.Model) -> None:
    for node, states in CONTRACT.items():
        assert node in model.nodes
        assert [s for s in model.states(node) if s in states] == list(states)
    assert model.states("trust") == ["low", "medium", "high"]


def test_query_returns_ordered_distribution(model: bc.Model) -> None:
    dist = model.query(
        "collaborative_behaviour",
        evidence={"mandated": "mandated"},
        do={"formalisation": "binding"},
        virtual_evidence={"trust": {"low": 0.7, "medium": 0.2, "high": 0.1}},
    )
    assert list(dist) == ["low", "medium", "high"]
    assert sum(dist.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(0.0 <= p <= 1.0 for p in dist.values())
    assert dist.to_dict()["do"] == {"formalisation": "binding"}
    assert dist.to_xarray().dims == ("collaborative_behaviour",)


def test_query_matches_pgmpy_on_headline(model: bc.Model) -> None:
    evidence = model.scenario(HEADLINE)
    ours = model.query("collaborative_behaviour", evidence=evidence)
    ref = VariableElimination(model.network).query(
        ["collaborative_behaviour"], evidence=evidence, show_progress=False
    )
    np.testing.assert_allclose(list(ours.values()), ref.values, atol=1e-9)


def test_queries_do_not_mutate_the_model(model: bc.Model) -> None:
    before = {n: t.copy() for n, t in model.cpts.items()}
    edges_before = set(model.network.edges())
    model.query(
        "trust",
        evidence={"collaboration_history": "poor"},
        do={"formalisation": "binding"},
        virtual_evidence={"faith": [0.2, 0.3, 0.5]},
    )
    model.query_joint(["trust", "faith"], evidence={"mandated": "mandated"})
    for node, table in model.cpts.items():
        np.testing.assert_array_equal(table, before[node])
    assert set(model.network.edges()) == edges_before
    with pytest.raises(ValueError):
        model.cpts["trust"][0] = 0.5  # read-only


def test_multi_target_queries_agree(model: bc.Model) -> None:
    evidence = {"collaboration_history": "poor"}
    joint = model.query_joint(["trust", "faith"], evidence=evidence)
    marg = model.query_marginals(["trust", "faith"], evidence=evidence)
    np.testing.assert_allclose(joint.sum("faith").values, list(marg["trust"].values()), atol=1e-12)
    np.testing.assert_allclose(joint.sum("trust").values, list(marg["faith"].values()), atol=1e-12)
    assert joint.coords["trust"].values.tolist() == ["low", "medium", "high"]


def test_unknown_node_names_closest_choice_first(model: bc.Model) -> None:
    with pytest.raises(bc.UnknownNameError) as info:
        model.query("trsut")
    assert info.value.choices[0] == "trust"
    assert "trsut" in str(info.value)


def test_unknown_state_lists_valid_states(model: bc.Model) -> None:
    with pytest.raises(bc.UnknownNameError) as info:
        model.query("trust", evidence={"mandated": "mandatory"})
    assert info.value.choices[0] == "mandated"
    assert "voluntary" in str(info.value)


def test_same_node_as_evidence_and_do_is_refused(model: bc.Model) -> None:
    with pytest.raises(ValueError, match="both evidence and do"):
        model.query("trust", evidence={"mandated": "mandated"}, do={"mandated": "voluntary"})


def test_bad_virtual_evidence_is_refused(model: bc.Model) -> None:
    with pytest.raises(ValueError, match="one per state"):
        model.query("faith", virtual_evidence={"trust": [0.5, 0.5]})
    with pytest.raises(ValueError, match="not all zero"):
        model.query("faith", virtual_evidence={"trust": [0, 0, 0]})


def test_impossible_evidence_is_an_error_not_nan(model: bc.Model) -> None:
    """With near-zero noise the typology is deterministic: a merger with low integration has
    probability 0, and asking for a posterior given it must raise, not return NaN."""
    theta = model.theta.copy()
    for i, p in enumerate(model.theta_spec.parameters):
        if p.kind == "noise":
            theta[i] = 1e-4
    strict = model.with_theta(theta)
    assert strict.query("integration_level", evidence={"collaboration_form": "merger"})["low"] == 0.0
    with pytest.raises(bc.ImpossibleEvidenceError, match="probability 0"):
        strict.query("trust", evidence={"collaboration_form": "merger", "integration_level": "low"})


def test_scenarios_include_the_headline(model: bc.Model) -> None:
    assert model.scenario(HEADLINE) == {
        "collaboration_form": "integrated_care_system",
        "mandated": "mandated",
        "cross_sector": "yes",
        "collaboration_history": "poor",
    }
    with pytest.raises(bc.UnknownNameError):
        model.scenario("no_such_scenario")
