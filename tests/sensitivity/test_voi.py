"""Value of information: exact mutual information, checked against brute force and its bounds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bayescollab as bc
from bayescollab.plots import voi_plot
from bayescollab.sensitivity.voi import (
    entropy_bits,
    greedy_measurements,
    mutual_information_bits,
    value_of_information,
)
from bayescollab.survey.instrument import load_instrument
from bayescollab.survey.measurement import answer_table

TARGET = "collaborative_behaviour"
HEADLINE = "mandated_cross_sector_ics_poor_history"
#: rounding allowance for sums of a few dozen probabilities
ATOL = 1e-10


@pytest.fixture(scope="module")
def ics(model: bc.Model) -> dict[str, str]:
    return model.scenario(HEADLINE)


@pytest.fixture(scope="module")
def headline(model: bc.Model, ics: dict[str, str]):
    """Every default candidate in the headline scenario (one exact query per node)."""
    return value_of_information(model, TARGET, evidence=ics)


@pytest.fixture(scope="module")
def instrument(model: bc.Model):
    return load_instrument(theory=model.theory)


def brute_force_mi(
    model: bc.Model, target: str, node: str, evidence: dict, channel: np.ndarray, virtual=None
) -> float:
    """I(target; answer) from ``query`` calls only: P(node), then P(target | node = s) per state."""
    p_node = np.array(list(model.query(node, evidence=evidence, virtual_evidence=virtual).values()))
    p_t_given = np.array(
        [
            list(model.query(target, evidence={**evidence, node: s}, virtual_evidence=virtual).values())
            for s in model.states(node)
        ]
    )  # (states of node, states of target)
    joint = np.einsum("s,st,as->ta", p_node, p_t_given, channel)  # P(target, answer)
    p_t, p_a = joint.sum(axis=1), joint.sum(axis=0)
    mask = joint > 0
    return float((joint[mask] * np.log2(joint[mask] / np.outer(p_t, p_a)[mask])).sum())


def test_ranking_is_sorted_and_bounded(headline) -> None:
    values = [r.mutual_information for r in headline.ranking]
    assert values == sorted(values, reverse=True)
    assert min(values) >= 0.0
    assert max(values) <= headline.entropy + ATOL
    for r in headline.ranking:
        assert r.expected_entropy == pytest.approx(headline.entropy - r.mutual_information, abs=ATOL)
    assert headline.entropy == pytest.approx(entropy_bits(list(headline.distribution.values())))
    assert {r.kind for r in headline.ranking} == {"node", "item"}


def test_default_candidates_leave_out_the_scenario(headline, ics) -> None:
    names = {r.name for r in headline.ranking}
    assert TARGET not in names
    assert not names & set(ics)
    # items on given contexts are listed as left out, not silently dropped
    assert "collaboration_history_1" in headline.excluded
    assert not {r.node for r in headline.ranking} & set(ics)


def test_item_never_beats_its_node(headline) -> None:
    """Data processing inequality on the packaged discriminations: answer <- node -> target."""
    node_mi = {r.node: r.mutual_information for r in headline.nodes()}
    for item in headline.items():
        if item.node in node_mi:
            assert item.mutual_information <= node_mi[item.node] + ATOL, item.name


def test_results_serialise_and_describe_themselves(headline) -> None:
    data = json.loads(json.dumps(headline.to_dict()))
    assert data["target"] == TARGET
    assert data["evidence"]["collaboration_history"] == "poor"
    assert data["ranking"][0]["mutual_information_bits"] == headline.ranking[0].mutual_information
    text = headline.to_text(top=5)
    assert headline.ranking[0].name in text and "bits" in text
    ds = headline.to_dataset()
    assert list(ds["observation"].values) == [r.name for r in headline.ranking]
    assert headline[headline.ranking[0].name] is headline.ranking[0]
    with pytest.raises(KeyError, match="not a candidate"):
        headline["no_such_thing"]


@pytest.mark.parametrize("virtual", [None, {"conflict": {"low": 0.2, "medium": 0.3, "high": 0.5}}])
def test_node_mi_equals_brute_force(model: bc.Model, ics, virtual) -> None:
    result = value_of_information(
        model, TARGET, evidence=ics, virtual_evidence=virtual, nodes=["trust"], items=[]
    )
    assert result.virtual_evidence == sorted(virtual or {})
    expected = brute_force_mi(model, TARGET, "trust", ics, np.eye(3), virtual)
    assert result["trust"].mutual_information == pytest.approx(expected, abs=1e-9)


def test_item_mi_equals_brute_force(model: bc.Model, ics, instrument) -> None:
    item = instrument["faith_maturity"]
    result = value_of_information(
        model, TARGET, evidence=ics, nodes=[], items=[item.item_id], discrimination={item.item_id: 1.3}
    )
    channel = np.asarray(answer_table(item, 1.3))
    expected = brute_force_mi(model, TARGET, item.node, ics, channel)
    assert result[item.item_id].mutual_information == pytest.approx(expected, abs=1e-9)
    assert result[item.item_id].discrimination == 1.3


def test_given_and_intervened_nodes_carry_no_information(model: bc.Model, ics) -> None:
    result = value_of_information(
        model,
        TARGET,
        evidence=ics,
        do={"formalisation": "binding"},
        nodes=["collaboration_history", "formalisation", "trust"],
        items=["collaboration_history_1", "formalisation_1"],
    )
    for name in ("collaboration_history", "formalisation", "collaboration_history_1", "formalisation_1"):
        assert result[name].mutual_information == pytest.approx(0.0, abs=ATOL), name
    assert result["trust"].mutual_information > 0.01


def test_sharp_item_recovers_its_node(model: bc.Model, ics) -> None:
    """At a very high discrimination a likert item's answer names the state: MI -> node's MI."""
    result = value_of_information(
        model, TARGET, evidence=ics, nodes=["trust"], items=["trust_1"], discrimination={"trust_1": 500.0}
    )
    assert result["trust_1"].mutual_information == pytest.approx(result["trust"].mutual_information, rel=1e-6)


def test_item_on_the_target_itself(model: bc.Model, instrument) -> None:
    """An item measuring the target: P(target, answer) = P(target) P(answer | target)."""
    item = instrument["trust_1"]
    result = value_of_information(model, "trust", nodes=[], items=["trust_1"])
    p = np.array(list(model.query("trust").values()))
    lam = result["trust_1"].discrimination
    expected = mutual_information_bits(p[:, None] * np.asarray(answer_table(item, lam)).T)
    assert 0 < result["trust_1"].mutual_information < result.entropy
    assert result["trust_1"].mutual_information == pytest.approx(expected, abs=1e-12)


def test_query_does_not_change_the_model(model: bc.Model, ics) -> None:
    before = dict(model.query(TARGET, evidence=ics))
    theta = model.theta.copy()
    value_of_information(model, TARGET, evidence=ics, nodes=["faith"], items=["faith_1"])
    assert dict(model.query(TARGET, evidence=ics)) == before
    np.testing.assert_array_equal(model.theta, theta)


SCENARIOS = [
    "mandated_cross_sector_ics_poor_history",
    "voluntary_buddying_positive_history",
    "voluntary_merger",
]


@settings(max_examples=12, deadline=None)
@given(
    scenario=st.sampled_from(SCENARIOS),
    index=st.integers(min_value=0, max_value=10_000),
    discrimination=st.floats(min_value=0.05, max_value=50.0),
)
def test_data_processing_inequality(model: bc.Model, instrument, scenario, index, discrimination) -> None:
    """For any scenario and discrimination, an item tells no more than its node observed perfectly."""
    evidence = model.scenario(scenario)
    items = [i for i in instrument if i.node not in evidence and i.node != TARGET]
    item = items[index % len(items)]
    result = value_of_information(
        model,
        TARGET,
        evidence=evidence,
        nodes=[item.node],
        items=[item.item_id],
        discrimination={item.item_id: discrimination},
    )
    item_mi, node_mi = result[item.item_id].mutual_information, result[item.node].mutual_information
    assert 0.0 <= item_mi <= node_mi + ATOL
    assert node_mi <= result.entropy + ATOL


def test_greedy_sequence_is_exact(model: bc.Model, ics) -> None:
    nodes = ["trust", "faith", "risk_tolerance", "conflict"]
    items = ["faith_maturity", "trust_1"]
    single = value_of_information(model, TARGET, evidence=ics, nodes=nodes, items=items)
    seq = greedy_measurements(model, TARGET, evidence=ics, nodes=nodes, items=items, k=3)
    steps = seq.steps
    assert len(steps) == 3
    assert steps[0].name == single.ranking[0].name
    assert steps[0].gain == pytest.approx(single.ranking[0].mutual_information, abs=ATOL)
    assert all(s.gain >= 0 for s in steps)
    assert sum(s.gain for s in steps) == pytest.approx(steps[-1].cumulative, abs=ATOL)
    assert steps[-1].cumulative <= seq.entropy + ATOL
    assert len({s.name for s in steps}) == 3
    # the first two steps' combined information, from an independent joint query
    if steps[0].kind == steps[1].kind == "node":
        joint = model.query_joint([TARGET, steps[0].node, steps[1].node], evidence=ics).values
        assert steps[1].cumulative == pytest.approx(mutual_information_bits(joint), abs=1e-9)
    json.dumps(seq.to_dict())
    assert steps[0].name in seq.to_text()


def test_bad_arguments_are_refused(model: bc.Model) -> None:
    with pytest.raises(ValueError, match=r"discrimination of item 'trust_1' is -1\.0; expected a positive"):
        value_of_information(model, TARGET, nodes=[], items=["trust_1"], discrimination={"trust_1": -1})
    with pytest.raises(bc.UnknownNameError, match="no_such_item"):
        value_of_information(model, TARGET, nodes=[], items=["no_such_item"])
    with pytest.raises(bc.UnknownNameError, match="trsut"):
        value_of_information(model, TARGET, nodes=["trsut"], items=[])
    with pytest.raises(ValueError, match="is the target"):
        value_of_information(model, TARGET, nodes=[TARGET], items=[])
    with pytest.raises(ValueError, match="k is 0; expected a whole number from 1"):
        greedy_measurements(model, TARGET, nodes=["trust"], items=[], k=0)
    with pytest.raises(ValueError, match="no candidate observations"):
        value_of_information(model, TARGET, nodes=[], items=[])


def test_voi_plot_draws_one_bar_per_candidate(headline) -> None:
    import matplotlib.pyplot as plt

    fig = voi_plot(headline, top=8)
    try:
        ax = fig.axes[0]
        assert len(ax.patches) == 8
        assert len(ax.get_yticklabels()) == 8
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="nothing to plot"):
        voi_plot(headline, kind="context")  # type: ignore[arg-type]


def test_entropy_helpers() -> None:
    assert entropy_bits([0.5, 0.5]) == pytest.approx(1.0)
    assert entropy_bits([1.0, 0.0, 0.0]) == 0.0
    independent = np.outer([0.2, 0.8], [0.5, 0.3, 0.2])
    assert mutual_information_bits(independent) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information_bits(np.diag([0.25, 0.75])) == pytest.approx(entropy_bits([0.25, 0.75]))
