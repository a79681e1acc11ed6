"""The contraction engine agrees with pgmpy's variable elimination on every kind of query."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pgmpy.factors.discrete import TabularCPD
from pgmpy.inference import VariableElimination
from pgmpy.models import DiscreteBayesianNetwork

from bayescollab.engine.exact import Network, query_joint
from bayescollab.errors import ImpossibleEvidenceError

ATOL = 1e-9


def random_network(rng: np.random.Generator, n_nodes: int, max_parents: int) -> Network:
    order = tuple(f"x{i}" for i in range(n_nodes))
    parents: dict[str, tuple[str, ...]] = {}
    cpts: dict[str, np.ndarray] = {}
    for i, node in enumerate(order):
        k = int(rng.integers(0, min(i, max_parents) + 1))
        pa = tuple(rng.choice(order[:i], size=k, replace=False)) if k else ()
        parents[node] = pa
        card = int(rng.integers(2, 4))
        shape = (card, *[cpts[p].shape[0] for p in pa])
        table = rng.dirichlet(np.ones(card), size=int(np.prod(shape[1:], dtype=int))).T
        cpts[node] = table.reshape(shape)
    return Network(order=order, parents=parents, cpts=cpts)


def to_pgmpy(net: Network) -> DiscreteBayesianNetwork:
    bn = DiscreteBayesianNetwork()
    bn.add_nodes_from(net.order)
    for node in net.order:
        for p in net.parents[node]:
            bn.add_edge(p, node)
    for node in net.order:
        table = net.cpts[node]
        pa = list(net.parents[node])
        bn.add_cpds(
            TabularCPD(
                node,
                table.shape[0],
                table.reshape(table.shape[0], -1),
                evidence=pa or None,
                evidence_card=[net.card(p) for p in pa] or None,
            )
        )
    return bn


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 12), data=st.data())
def test_random_networks_match_pgmpy(seed: int, n_nodes: int, data) -> None:
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_nodes, max_parents=3)
    bn = to_pgmpy(net)
    nodes = list(net.order)
    target = data.draw(st.sampled_from(nodes))
    others = [n for n in nodes if n != target]
    observed = data.draw(st.lists(st.sampled_from(others), unique=True, max_size=3)) if others else []
    evidence = {n: data.draw(st.integers(0, net.card(n) - 1)) for n in observed}
    ours = query_joint(net, [target], evidence=evidence)
    ref = VariableElimination(bn).query([target], evidence=evidence, show_progress=False)
    np.testing.assert_allclose(ours, ref.values, atol=ATOL, err_msg=str(evidence))


def test_do_is_graph_surgery_like_pgmpy(rng: np.random.Generator) -> None:
    net = random_network(rng, 8, max_parents=3)
    bn = to_pgmpy(net)
    for node in net.order[2:6]:
        mutilated = bn.do([node])
        # pgmpy's do() drops the node's parents and keeps its own CPD; clamp it by evidence
        for target in net.order:
            if target == node:
                continue
            ref = VariableElimination(mutilated).query([target], evidence={node: 1}, show_progress=False)
            ours = query_joint(net, [target], do={node: 1})
            np.testing.assert_allclose(ours, ref.values, atol=ATOL)


def test_virtual_evidence_equals_an_observed_child(rng: np.random.Generator) -> None:
    """Likelihood evidence on X is exact Bayes: same as observing a child whose CPT is the likelihood."""
    net = random_network(rng, 7, max_parents=2)
    node = net.order[3]
    likelihood = np.linspace(0.2, 0.9, net.card(node))
    extra = Network(
        order=(*net.order, "obs"),
        parents={**net.parents, "obs": (node,)},
        cpts={**net.cpts, "obs": np.stack([likelihood, 1 - likelihood])},
    )
    for target in net.order:
        if target == node:
            continue
        ours = query_joint(net, [target], virtual_evidence={node: likelihood})
        ref = VariableElimination(to_pgmpy(extra)).query([target], evidence={"obs": 0}, show_progress=False)
        np.testing.assert_allclose(ours, ref.values, atol=ATOL)


def test_joint_of_two_targets_matches_pgmpy(rng: np.random.Generator) -> None:
    net = random_network(rng, 9, max_parents=3)
    bn = to_pgmpy(net)
    ours = query_joint(net, ["x8", "x2"], evidence={"x0": 0})
    ref = VariableElimination(bn).query(["x8", "x2"], evidence={"x0": 0}, joint=True, show_progress=False)
    np.testing.assert_allclose(
        ours, ref.values.transpose(ref.variables.index("x8"), ref.variables.index("x2")), atol=ATOL
    )


def test_impossible_evidence_raises_not_nan() -> None:
    net = Network(
        order=("a", "b"),
        parents={"a": (), "b": ("a",)},
        cpts={"a": np.array([1.0, 0.0]), "b": np.array([[1.0, 0.0], [0.0, 1.0]])},
    )
    with pytest.raises(ImpossibleEvidenceError, match="probability 0"):
        query_joint(net, ["a"], evidence={"b": 1})


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n_ops=st.integers(1, 7), n_labels=st.integers(1, 7))
def test_matmul_executor_equals_einsum(seed: int, n_ops: int, n_labels: int) -> None:
    """The BLAS-shaped executor gives einsum's answer for any labelled product and output."""
    import opt_einsum

    from bayescollab.engine.exact import execute_path

    rng = np.random.default_rng(seed)
    labels = "abcdefg"[:n_labels]
    sizes = {c: int(rng.integers(1, 4)) for c in labels}
    subs = [
        "".join(rng.choice(list(labels), size=int(rng.integers(0, min(4, n_labels + 1))), replace=False))
        for _ in range(n_ops)
    ]
    used = sorted(set("".join(subs)))
    output = "".join(c for c in used if rng.random() < 0.4)
    ops = [rng.random([sizes[c] for c in s]) for s in subs]
    expr = ",".join(subs) + "->" + output
    path, _ = opt_einsum.contract_path(expr, *ops, optimize="greedy")
    np.testing.assert_allclose(execute_path(expr, ops, path), np.einsum(expr, *ops), rtol=1e-10, atol=1e-12)
    # the compiled program (what a numpy query runs) walks the same steps
    from bayescollab.engine.spec import compile_program

    program = compile_program(subs, output, [tuple(s) for s in path], sizes)
    np.testing.assert_allclose(program.run(ops), np.einsum(expr, *ops), rtol=1e-10, atol=1e-12)
