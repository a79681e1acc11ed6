"""The likelihood floor against subnormal arithmetic keeps every answer within its bound of the
exact one, and falls back to the exact contraction where the bound does not hold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_exact import random_network  # same folder (pytest prepend import mode)

import bayescollab as bc
from bayescollab.engine.exact import Network, query_joint
from bayescollab.engine.marginals import all_marginals
from bayescollab.engine.underflow import (
    FLOOR_TOLERANCE,
    LIKELIHOOD_FLOOR,
    floor_holds,
    floor_likelihoods,
)


def test_only_entries_below_the_floor_move_and_the_slack_counts_them() -> None:
    keep = np.array([0.5, 0.25])
    low = np.array([2.0, 1e-40, 3e-31])
    rows = np.array([[1.0, 1e-200], [1.0, 1.0]])  # batched rows are not floored
    out, slack = floor_likelihoods({"a": keep, "b": low, "c": rows})
    assert out["a"] is keep and out["c"] is rows
    np.testing.assert_array_equal(out["b"], [2.0, 2.0 * LIKELIHOOD_FLOOR, 2.0 * LIKELIHOOD_FLOOR])
    # one factor raised; M is the product of the vectors' largest entries (0.5 * 2.0)
    assert slack == pytest.approx(1 * LIKELIHOOD_FLOOR * 0.5 * 2.0, rel=1e-12)
    assert floor_likelihoods({"a": keep})[1] == 0.0
    assert floor_holds(1e-300, 0.0)
    assert floor_holds(1.0, FLOOR_TOLERANCE / 2) and not floor_holds(1.0, FLOOR_TOLERANCE)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 10), data=st.data())
def test_floored_marginals_stay_within_the_bound(seed: int, n_nodes: int, data) -> None:
    """Likelihoods spanning up to 250 decades: the one-pass marginals (floored when the bound
    allows) equal the exact, unfloored single queries to 1e-13."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_nodes, max_parents=3)
    nodes = list(net.order)
    picked = data.draw(st.lists(st.sampled_from(nodes), unique=True, min_size=1, max_size=min(5, n_nodes)))
    virtual = {}
    for n in picked:
        decades = rng.uniform(0, data.draw(st.sampled_from([5.0, 60.0, 250.0])), net.card(n))
        vec = 10.0 ** -decades
        vec[int(rng.integers(net.card(n)))] = 1.0
        virtual[n] = vec
    ours = all_marginals(net, nodes, virtual_evidence=virtual)
    for n in nodes:
        exact = query_joint(net, [n], virtual_evidence=virtual)
        np.testing.assert_allclose(ours[n], exact, rtol=0, atol=1e-13, err_msg=n)


def test_a_failed_bound_falls_back_to_the_exact_answer() -> None:
    """Evidence whose floored mass is too small for the bound: the answer is the exact one
    (1e-20), not the floored one (about 1e-10)."""
    net = Network(
        order=("a", "b"),
        parents={"a": (), "b": ("a",)},
        cpts={"a": np.array([1e-20, 1.0 - 1e-20]), "b": np.array([[0.5, 0.5], [0.5, 0.5]])},
    )
    virtual = {"a": np.array([1.0, 1e-40])}  # favours the improbable state by 1e40
    exact = query_joint(net, ["a"], virtual_evidence=virtual)
    ours = all_marginals(net, ["a", "b"], virtual_evidence=virtual)
    np.testing.assert_allclose(ours["a"], exact, rtol=1e-12)
    assert ours["a"][1] == pytest.approx(1e-40 / (1e-20 + 1e-40), rel=1e-12)


def test_compiled_queries_with_extreme_soft_evidence_equal_the_exact_contraction(model: bc.Model) -> None:
    """The path of assess's bottleneck queries (``CompiledQuery``), and the unnormalised
    ``contract`` that sensitivity functions use, which is never floored."""
    virtual = {
        "trust": {"low": 1e-120, "medium": 1e-60, "high": 1.0},
        "faith": {"low": 1.0, "medium": 1e-170, "high": 1e-90},
        "confidence": {"low": 1e-50, "medium": 1.0, "high": 1e-100},
    }
    setting = model.setting("collaborative_behaviour", virtual_evidence=virtual)
    exact = query_joint(
        model._net, ["collaborative_behaviour"], virtual_evidence=dict(setting.likelihood_arrays)
    )
    q = model.compile_query(setting)
    np.testing.assert_allclose(q(), exact, rtol=0, atol=1e-13)
    table, mass = q.contract()
    np.testing.assert_allclose(table / mass, exact, rtol=0, atol=1e-13)
    assert mass > 0
