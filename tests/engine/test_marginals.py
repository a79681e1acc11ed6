"""All marginals from one contraction and its reverse pass equal one query per node (and pgmpy)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pgmpy.inference import VariableElimination
from test_exact import random_network, to_pgmpy  # same folder (pytest prepend import mode)

import bayescollab as bc
from bayescollab.engine.exact import Network, query_joint
from bayescollab.engine.marginals import all_marginals
from bayescollab.errors import ImpossibleEvidenceError

ATOL = 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 12), data=st.data())
def test_all_marginals_equal_single_queries(seed: int, n_nodes: int, data) -> None:
    """Hard, soft and do evidence together; every node, clamped ones included, sums to 1."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_nodes, max_parents=3)
    nodes = list(net.order)
    picked = data.draw(st.lists(st.sampled_from(nodes), unique=True, max_size=min(4, n_nodes)))
    kinds = [data.draw(st.sampled_from(["evidence", "do", "virtual"])) for _ in picked]
    chosen = list(zip(picked, kinds, strict=True))
    evidence = {n: int(rng.integers(net.card(n))) for n, k in chosen if k == "evidence"}
    do = {n: int(rng.integers(net.card(n))) for n, k in chosen if k == "do"}
    virtual = {n: rng.uniform(0.05, 1, net.card(n)) for n, k in chosen if k == "virtual"}
    try:
        ours = all_marginals(net, nodes, evidence=evidence, do=do, virtual_evidence=virtual)
    except ImpossibleEvidenceError:
        with pytest.raises(ImpossibleEvidenceError):
            query_joint(net, [nodes[0]], evidence=evidence, do=do, virtual_evidence=virtual)
        return
    for n in nodes:
        ref = query_joint(net, [n], evidence=evidence, do=do, virtual_evidence=virtual)
        np.testing.assert_allclose(ours[n], ref, atol=ATOL, err_msg=f"{n} {evidence} {do}")
        assert abs(ours[n].sum() - 1) < 1e-12


def test_all_marginals_match_pgmpy(rng: np.random.Generator) -> None:
    net = random_network(rng, 10, max_parents=3)
    evidence = {"x2": 1, "x9": 0}
    ours = all_marginals(net, list(net.order), evidence=evidence)
    ve = VariableElimination(to_pgmpy(net))
    for n in net.order:
        if n in evidence:
            assert ours[n][evidence[n]] == 1.0
            continue
        ref = ve.query([n], evidence=evidence, show_progress=False)
        np.testing.assert_allclose(ours[n], ref.values, atol=ATOL)


def test_impossible_evidence_raises() -> None:
    net = Network(
        order=("a", "b"),
        parents={"a": (), "b": ("a",)},
        cpts={"a": np.array([1.0, 0.0]), "b": np.array([[1.0, 0.0], [0.0, 1.0]])},
    )
    with pytest.raises(ImpossibleEvidenceError, match="probability 0"):
        all_marginals(net, ["a"], evidence={"b": 1})


def test_packaged_query_marginals_equal_queries(model: bc.Model) -> None:
    """The path assess takes: soft evidence on measured mechanisms, posteriors of many nodes."""
    evidence = {"mandated": "mandated", "collaboration_history": "poor"}
    virtual = {
        "trust": {"low": 0.6, "medium": 0.3, "high": 0.1},
        "vision_sharedness": {"low": 0.1, "medium": 0.3, "high": 0.6},
    }
    targets = ["faith", "risk_tolerance", "conflict", "collaborative_behaviour", "collaborative_performance"]
    before = {n: t.copy() for n, t in model.cpts.items()}
    together = model.query_marginals(targets, evidence=evidence, virtual_evidence=virtual)
    for t in targets:
        single = model.query(t, evidence=evidence, virtual_evidence=virtual)
        np.testing.assert_allclose(list(together[t].values()), list(single.values()), atol=ATOL)
        assert list(together[t]) == model.states(t)
    assert all(np.array_equal(before[n], model.cpts[n]) for n in before)  # queries never mutate
