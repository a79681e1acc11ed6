"""Many questions in one call: evidence cases, sweeps and parameter draws equal one-by-one queries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pgmpy.inference import VariableElimination
from test_exact import random_network, to_pgmpy  # same folder (pytest prepend import mode)

import bayescollab as bc
from bayescollab.engine.batch import query_cases
from bayescollab.engine.exact import Network, query_joint
from bayescollab.errors import UnknownNameError

TARGET = "collaborative_behaviour"
SIX = [
    "collaboration_form",
    "mandated",
    "cross_sector",
    "collaboration_history",
    "formalisation",
    "resource_capacity",
]


def test_query_batch_equals_single_queries(model: bc.Model) -> None:
    cases = [
        {"mandated": "mandated", "cross_sector": "yes", "collaboration_history": "poor"},
        {"mandated": "voluntary", "collaboration_history": "positive"},
        {"collaboration_history": None, "cross_sector": "no"},  # None: not observed
        {},
    ]
    batch = model.query_batch(TARGET, cases)
    assert batch.dims == ("case", TARGET)
    assert list(batch.coords[TARGET].values) == model.states(TARGET)
    np.testing.assert_allclose(batch.sum(TARGET), 1.0, atol=1e-12)
    for i, case in enumerate(cases):
        single = model.query(TARGET, evidence={k: v for k, v in case.items() if v is not None})
        np.testing.assert_allclose(batch.values[i], list(single.values()), atol=1e-12)


def test_query_batch_takes_a_dataframe_with_blank_cells(model: bc.Model) -> None:
    frame = pd.DataFrame(
        {"mandated": ["mandated", np.nan, "voluntary"], "formalisation": ["binding", "none", ""]},
        index=["ics-a", "ics-b", "ics-c"],
    )
    batch = model.query_batch(TARGET, frame, evidence={"cross_sector": "yes"})
    assert list(batch.coords["case"].values) == ["ics-a", "ics-b", "ics-c"]
    single = model.query(TARGET, evidence={"cross_sector": "yes", "formalisation": "none"})
    np.testing.assert_allclose(batch.sel(case="ics-b").values, list(single.values()), atol=1e-12)


def test_query_batch_refuses_bad_cases(model: bc.Model) -> None:
    with pytest.raises(UnknownNameError, match="'sometimes'"):
        model.query_batch(TARGET, [{"mandated": "sometimes"}])
    with pytest.raises(ValueError, match="no cases"):
        model.query_batch(TARGET, [])
    with pytest.raises(ValueError, match="also a column"):
        model.query_batch(TARGET, [{TARGET: "high"}])


def test_sweep_grid_equals_single_queries(model: bc.Model) -> None:
    nodes = ["mandated", "collaboration_history"]
    grid = model.sweep(TARGET, nodes, evidence={"cross_sector": "yes"})
    assert grid.dims == (*nodes, TARGET)
    assert grid.shape == (2, 3, 3)
    cell = grid.sel(mandated="mandated", collaboration_history="poor").values
    single = model.query(
        TARGET, evidence={"cross_sector": "yes", "mandated": "mandated", "collaboration_history": "poor"}
    )
    np.testing.assert_allclose(cell, list(single.values()), atol=1e-12)


def test_sweep_over_six_contexts_is_normalised_and_matches_a_corner(model: bc.Model) -> None:
    grid = model.sweep(TARGET, SIX)
    np.testing.assert_allclose(grid.sum(TARGET), 1.0, atol=1e-12)
    corner = {n: model.states(n)[-1] for n in SIX}
    if grid.sel(corner).isnull().any():
        pytest.fail("sweep returned NaN")
    single = model.query(TARGET, evidence=corner)
    np.testing.assert_allclose(grid.sel(corner).values, list(single.values()), atol=1e-12)


def test_query_draws_equal_queries_of_each_draw(model: bc.Model) -> None:
    evidence = model.scenario("mandated_cross_sector_ics_poor_history")
    theta = model.sample_theta(5, seed=1)
    draws = model.query_draws(TARGET, theta, evidence=evidence)
    assert draws.dims == ("draw", TARGET) and draws.shape == (5, 3)
    for d in (0, 4):
        single = model.with_theta(theta[d]).query(TARGET, evidence=evidence)
        np.testing.assert_allclose(draws.values[d], list(single.values()), atol=1e-12)


def test_float32_draws_agree_to_single_precision_and_say_so(model: bc.Model) -> None:
    evidence = model.scenario("mandated_cross_sector_ics_poor_history")
    theta = model.sample_theta(3, seed=2)
    exact = model.query_draws(TARGET, theta, evidence=evidence)
    single = model.query_draws(TARGET, theta, evidence=evidence, dtype=np.float32)
    assert exact.attrs["precision"] == "float64" and single.attrs["precision"] == "float32"
    assert single.dtype == np.float64  # normalised in float64 whatever the contraction used
    np.testing.assert_allclose(single.values, exact.values, atol=1e-5)
    assert np.abs(single.values - exact.values).max() > 0  # it really ran in single precision
    with pytest.raises(ValueError, match="expected float64 or float32"):
        model.compile_query(model.setting(TARGET)).draws(theta, dtype=np.int64)


def test_query_draws_seed_reproduces_and_reports_progress(model: bc.Model) -> None:
    seen: list[tuple[int, int]] = []
    a = model.query_draws(
        "initial_trust", n_draws=6, seed=9, progress=lambda done, total: seen.append((done, total))
    )
    b = model.query_draws("initial_trust", n_draws=6, seed=np.random.default_rng(9))
    c = model.query_draws("initial_trust", n_draws=6, seed=10)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, c.values)
    assert seen and seen[-1] == (6, 6)


def test_query_draws_refuses_ambiguous_or_misshapen_theta(model: bc.Model) -> None:
    with pytest.raises(ValueError, match="either theta"):
        model.query_draws(TARGET)
    with pytest.raises(ValueError, match=r"expected \(draws, "):
        model.query_draws(TARGET, np.zeros((2, 3)))
    with pytest.raises(TypeError, match="RandomState"):
        model.query_draws(TARGET, n_draws=2, seed=np.random.RandomState(0))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(3, 10), n_cases=st.integers(1, 30))
def test_random_network_cases_match_pgmpy(seed: int, n_nodes: int, n_cases: int) -> None:
    """Batched hard and missing evidence on random networks equals pgmpy, case by case."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_nodes, max_parents=3)
    target = net.order[-1]
    observed_nodes = [n for n in net.order[:-1] if rng.random() < 0.6] or [net.order[0]]
    observed = {
        n: np.where(rng.random(n_cases) < 0.25, -1, rng.integers(0, net.card(n), n_cases))
        for n in observed_nodes
    }
    probs = query_cases(net, [target], observed=observed)
    ve = VariableElimination(to_pgmpy(net))
    for b in range(n_cases):
        evidence = {n: int(v[b]) for n, v in observed.items() if v[b] >= 0}
        try:
            ref = ve.query([target], evidence=evidence, show_progress=False).values
        except (ValueError, ZeroDivisionError):
            continue  # pgmpy on impossible evidence; random Dirichlet CPTs make it vanishingly rare
        np.testing.assert_allclose(probs[b], ref, atol=1e-9, err_msg=f"case {b} evidence {evidence}")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 9), n_draws=st.integers(1, 6))
def test_draw_axis_equals_one_network_per_draw(seed: int, n_nodes: int, n_draws: int) -> None:
    """A network carrying D draws answers like D separate networks (and like pgmpy on each)."""
    rng = np.random.default_rng(seed)
    nets = [random_network(np.random.default_rng(seed), n_nodes, max_parents=3) for _ in range(n_draws)]
    # same structure, fresh tables per draw
    for net in nets[1:]:
        for node in net.order:
            t = net.cpts[node]
            fresh = rng.dirichlet(np.ones(t.shape[0]), size=int(np.prod(t.shape[1:], dtype=int))).T
            net.cpts[node] = fresh.reshape(t.shape)  # type: ignore[index]
    stacked = Network(
        nets[0].order,
        nets[0].parents,
        {n: np.stack([net.cpts[n] for net in nets]) for n in nets[0].order},
        draw_shape=(n_draws,),
    )
    target, evidence = nets[0].order[-1], {nets[0].order[0]: 0} if n_nodes > 1 else {}
    together = query_joint(stacked, [target], evidence=evidence)
    assert together.shape == (n_draws, stacked.card(target))
    for d, net in enumerate(nets):
        ref = VariableElimination(to_pgmpy(net)).query([target], evidence=evidence, show_progress=False)
        np.testing.assert_allclose(together[d], ref.values, atol=1e-9)


def test_marginals_over_draws_equal_one_query_draws_per_target(model: bc.Model) -> None:
    evidence = model.scenario("mandated_cross_sector_ics_poor_history")
    likelihood = {"leadership_style": [0.2, 0.5, 0.3], "trust": [0.6, 0.3, 0.1]}
    theta = model.sample_theta(3, seed=4)
    targets = [TARGET, "initial_trust", "mandated", "formalisation", "resource_capacity"]
    both = model.query_marginals_draws(targets, theta, evidence=evidence, virtual_evidence=likelihood)
    assert both.attrs["precision"] == "float64"
    for t in targets:
        one = model.query_draws(t, theta, evidence=evidence, virtual_evidence=likelihood)
        got = both[f"P({t})"]
        assert got.dims == ("draw", t) and list(got.coords[t].values) == model.states(t)
        np.testing.assert_allclose(got.values, one.values, atol=1e-12)
    few = model.query_marginals_draws(  # one target: the per-target route
        [TARGET], theta, evidence=evidence, virtual_evidence=likelihood, dtype=np.float32
    )
    assert few.attrs["precision"] == "float32"
    np.testing.assert_allclose(few[f"P({TARGET})"].values, both[f"P({TARGET})"].values, atol=1e-5)
    with pytest.raises(UnknownNameError):
        model.query_marginals_draws(["no_such_node"], theta)
