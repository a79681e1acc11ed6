"""The one door: a validated, frozen Setting and the compiled query it opens (issue 14, 15 item 7)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import bayescollab as bc
from bayescollab.errors import ImpossibleEvidenceError, UnknownNameError
from bayescollab.setting import Setting, merge_scenario

HEADLINE = "mandated_cross_sector_ics_poor_history"
TARGET = "collaborative_behaviour"


def test_scenario_and_evidence_merge_and_a_clash_names_both_values(model: bc.Model) -> None:
    s = model.setting(TARGET, "high", scenario=HEADLINE, evidence={"integration_level": "low"})
    assert dict(s.evidence) == {**model.scenario(HEADLINE), "integration_level": "low"}
    assert dict(s.given) == {"integration_level": "low"}
    same = model.setting(TARGET, scenario=HEADLINE, evidence={"mandated": "mandated"})
    assert dict(same.evidence) == model.scenario(HEADLINE)
    with pytest.raises(ValueError, match=r"mandated='voluntary'.*sets mandated='mandated'"):
        model.setting(TARGET, scenario=HEADLINE, evidence={"mandated": "voluntary"})
    with pytest.raises(ValueError, match=r"'b'.*'a'"):
        merge_scenario("s", {"x": "a"}, {"x": "b"})


def test_a_setting_is_validated_and_frozen(model: bc.Model) -> None:
    s = model.setting(TARGET, "high", evidence={"mandated": "mandated"}, do={"formalisation": "binding"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.target = "trust"  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.evidence["mandated"] = "voluntary"  # type: ignore[index]
    assert s == model.setting(
        TARGET, "high", evidence={"mandated": "mandated"}, do={"formalisation": "binding"}
    )
    assert hash(s) == hash(s.replace(model))
    assert (
        s.evidence_index == {"mandated": 1} and s.describe() == "mandated=mandated, do(formalisation=binding)"
    )
    for bad in ({"target": "trsut"}, {"target": TARGET, "state": "hihg"}, {"evidence": {"mandated": "x"}}):
        with pytest.raises(UnknownNameError):
            model.setting(**bad)
    with pytest.raises(UnknownNameError):
        model.setting(TARGET, scenario="no_such_scenario")
    with pytest.raises(ValueError, match="both evidence and do"):
        model.setting(TARGET, evidence={"mandated": "mandated"}, do={"mandated": "voluntary"})
    with pytest.raises(ValueError, match="fixed"):
        model.setting("mandated", evidence={"mandated": "mandated"}).require_target(free=True)


def test_compiled_query_answers_as_the_single_queries(model: bc.Model) -> None:
    s = model.setting(TARGET, scenario=HEADLINE, virtual_evidence={"trust": [0.2, 0.3, 0.5]})
    q = model.compile_query(s)
    single = model.query(
        TARGET, evidence=model.scenario(HEADLINE), virtual_evidence={"trust": [0.2, 0.3, 0.5]}
    )
    np.testing.assert_allclose(q(), list(single.values()), atol=1e-12)
    assert model.query(s) == single
    theta = model.sample_theta(6, seed=3)
    by_draw = q(theta=theta)
    np.testing.assert_allclose(q.draws(theta, workers=2), by_draw, atol=1e-12)
    other = model.with_theta(theta[2]).query(s)
    np.testing.assert_allclose(q(theta=theta[2]), list(other.values()), atol=1e-12)
    np.testing.assert_allclose(by_draw[2], list(other.values()), atol=1e-12)


def test_varied_nodes_take_cases(model: bc.Model) -> None:
    q = model.compile_query(model.setting(TARGET, evidence={"mandated": "mandated"}), vary=["trust"])
    observed = q(observed={"trust": np.array([0, 2, -1])})
    rows = q(likelihoods={"trust": np.array([[1.0, 0, 0], [0, 0, 1.0], [1.0, 1.0, 1.0]])})
    np.testing.assert_allclose(observed, rows, atol=1e-12)
    for i, state in enumerate(["low", "high"]):
        one = model.query(TARGET, evidence={"mandated": "mandated", "trust": state})
        np.testing.assert_allclose(observed[i], list(one.values()), atol=1e-12)
    np.testing.assert_allclose(
        observed[2], list(model.query(TARGET, evidence={"mandated": "mandated"}).values())
    )
    theta = model.sample_theta(5, seed=2)
    by_draw = q(theta=theta, observed={"trust": np.array([0, 2, -1])})
    assert by_draw.shape == (5, 3, 3)
    np.testing.assert_allclose(q.draws(theta, observed={"trust": np.array([0, 2, -1])}, workers=2), by_draw)
    with pytest.raises(ValueError, match="varies"):
        q(observed={"faith": np.array([0])})


def test_cpt_gradients_match_a_finite_difference(model: bc.Model) -> None:
    s = model.setting(TARGET, "high", evidence={"collaboration_history": "poor"})
    q = model.compile_query(s)
    g = q.cpt_gradients()
    assert g.joint / g.evidence == pytest.approx(q()[2], abs=1e-12)
    node = "trust"
    table = np.array(model.cpts[node])
    bump = np.zeros_like(table)
    bump[(0,) + (0,) * (table.ndim - 1)] = 1e-6
    joint, mass = q.contract(cpts={node: table + bump})
    assert (joint[2] - g.joint) / 1e-6 == pytest.approx(g.d_joint[node].flat[0], rel=1e-5, abs=1e-9)
    assert (mass - g.evidence) / 1e-6 == pytest.approx(g.d_evidence[node].flat[0], rel=1e-5, abs=1e-9)


def test_impossible_evidence_is_named_by_state(model: bc.Model) -> None:
    q = model.compile_query(model.setting(TARGET, evidence={"collaboration_history": "poor"}))
    never_poor = np.array([0.5, 0.5, 0.0])
    with pytest.raises(ImpossibleEvidenceError, match="collaboration_history=poor"):
        q(cpts={"collaboration_history": never_poor})
    cases = model.compile_query(model.setting(TARGET), vary=["collaboration_history"])
    with pytest.raises(ImpossibleEvidenceError, match="'collaboration_history': 'poor'"):
        cases(
            observed={"collaboration_history": np.array([0, 2])}, cpts={"collaboration_history": never_poor}
        )


def test_cli_refuses_given_that_contradicts_the_scenario(run_cli) -> None:
    out = run_cli("query", "trust", "--scenario", HEADLINE, "--given", "mandated=voluntary")
    assert out.returncode == 2
    assert "mandated='voluntary'" in out.stderr and "mandated='mandated'" in out.stderr
    assert "Traceback" not in out.stderr


def test_setting_is_exported_for_typing() -> None:
    assert Setting.build.__doc__
