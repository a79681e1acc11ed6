"""The stacked CPT family equals the per-node definition, in numpy and in PyTensor."""

from __future__ import annotations

import numpy as np
import pytest

import bayescollab as bc
from bayescollab.elicit.cpt import node_cpt, pytensor_ops
from bayescollab.elicit.family import CPTFamily
from bayescollab.errors import CPTError


@pytest.fixture(scope="module")
def family(model: bc.Model) -> CPTFamily:
    return CPTFamily(model.theory, model.theta_spec)


def test_stacked_equals_per_node_at_prior_mean(model: bc.Model, family: CPTFamily) -> None:
    tables = family.cpts(model.theta)
    assert list(tables) == model.nodes
    for node, table in tables.items():
        np.testing.assert_allclose(
            table, node_cpt(model.theory, model.theta_spec, model.theta, node), atol=1e-14
        )


def test_stacked_equals_per_node_over_draws(model: bc.Model, family: CPTFamily) -> None:
    theta = model.sample_theta(7, seed=3)
    tables = family.cpts(theta)
    for node, table in tables.items():
        assert table.shape[0] == 7
        np.testing.assert_allclose(table, node_cpt(model.theory, model.theta_spec, theta, node), atol=1e-14)


def test_pytensor_tables_equal_numpy(model: bc.Model) -> None:
    import pytensor
    import pytensor.tensor as pt

    nodes = ["trust", "initial_trust", "conflict", "collaboration_history"]
    fam = CPTFamily(model.theory, model.theta_spec, nodes)
    theta = pt.vector("theta", shape=(len(model.theta_spec),))
    fn = pytensor.function([theta], list(fam.cpts(theta, pytensor_ops()).values()))
    draw = model.sample_theta(1, seed=5)[0]
    for node, table in zip(nodes, fn(draw), strict=True):
        np.testing.assert_allclose(table, fam.cpts(draw)[node], atol=1e-12)


def test_non_positive_noise_names_the_parameter(model: bc.Model, family: CPTFamily) -> None:
    theta = model.theta.copy()
    theta[model.theta_spec.index("sigma[trust]")] = -0.5
    with pytest.raises(CPTError, match=r"sigma\[trust\] is -0.5"):
        family.cpts(theta)
