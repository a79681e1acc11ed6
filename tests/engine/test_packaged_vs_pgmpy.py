"""On the packaged model, random queries agree with pgmpy's variable elimination."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pgmpy.inference import VariableElimination

import bayescollab as bc

CONTEXTS = [
    "collaboration_form",
    "mandated",
    "cross_sector",
    "collaboration_history",
    "formalisation",
    "leadership_style",
    "resource_capacity",
    "joint_working",
    "quick_wins",
]
TARGETS = ["collaborative_behaviour", "trust", "faith", "conflict", "confidence", "risk_tolerance"]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_packaged_queries_match_pgmpy(model: bc.Model, data) -> None:
    target = data.draw(st.sampled_from(TARGETS))
    observed = data.draw(st.lists(st.sampled_from(CONTEXTS), unique=True, min_size=2, max_size=4))
    evidence = {n: data.draw(st.sampled_from(model.states(n))) for n in observed}
    intervene = data.draw(st.booleans())
    do = {}
    if intervene:
        node = data.draw(st.sampled_from([c for c in CONTEXTS if c not in evidence]))
        do = {node: data.draw(st.sampled_from(model.states(node)))}
    ours = model.query(target, evidence=evidence, do=do)
    assert abs(sum(ours.values()) - 1) < 1e-12
    net = model.network.do(list(do)) if do else model.network
    ref = VariableElimination(net).query([target], evidence={**evidence, **do}, show_progress=False)
    np.testing.assert_allclose(list(ours.values()), ref.values, atol=1e-9, err_msg=f"{evidence} do={do}")


MECHANISMS = ["trust", "conflict", "communication", "faith", "confidence", "perception_of_progress"]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_virtual_evidence_matches_pgmpy(model: bc.Model, data) -> None:
    """Soft evidence on a mechanism (e.g. a survey's likelihood) agrees with pgmpy's virtual evidence."""
    from pgmpy.factors.discrete import TabularCPD

    target = data.draw(st.sampled_from(["collaborative_behaviour", "collaborative_performance"]))
    soft_node = data.draw(st.sampled_from([m for m in MECHANISMS if m in model.nodes]))
    weights = data.draw(
        st.lists(
            st.floats(0.01, 1.0), min_size=len(model.states(soft_node)), max_size=len(model.states(soft_node))
        )
    )
    observed = data.draw(st.lists(st.sampled_from(CONTEXTS), unique=True, min_size=1, max_size=3))
    evidence = {n: data.draw(st.sampled_from(model.states(n))) for n in observed}
    ours = model.query(target, evidence=evidence, virtual_evidence={soft_node: weights})
    card = len(weights)
    cpd = TabularCPD(
        soft_node,
        card,
        np.array(weights, dtype=float).reshape(card, 1) / sum(weights),
        state_names={soft_node: model.states(soft_node)},
    )
    ref = VariableElimination(model.network).query(
        [target], evidence=evidence, virtual_evidence=[cpd], show_progress=False
    )
    np.testing.assert_allclose(
        list(ours.values()), ref.values, atol=1e-9, err_msg=f"{soft_node}={weights} {evidence}"
    )
