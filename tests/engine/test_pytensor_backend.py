"""The PyTensor log-likelihood equals the numpy engine and its gradient equals finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import bayescollab as bc
from bayescollab.engine.batch import case_likelihoods
from bayescollab.engine.exact import contract_joint
from bayescollab.engine.pytensor_backend import CaseLogLikelihood

# small ancestry, so the graph compiles in seconds; trust brings the mid-life web in
OBSERVED = ["initial_trust", "collaboration_history", "mandated", "cross_sector"]


@pytest.fixture(scope="module")
def cases(model: bc.Model) -> dict[str, np.ndarray]:
    """Twelve partially observed cases: about a third of the cells missing (-1)."""
    rng = np.random.default_rng(7)
    nodes = [n for n in OBSERVED if n in model.nodes]
    b = 12
    return {n: np.where(rng.random(b) < 0.35, -1, rng.integers(0, len(model.states(n)), b)) for n in nodes}


@pytest.fixture(scope="module")
def loglik(model: bc.Model, cases) -> CaseLogLikelihood:
    return CaseLogLikelihood(model.theory, model.theta_spec, case_likelihoods(model._net, cases, {}))


@pytest.fixture(scope="module")
def value_and_grad(loglik: CaseLogLikelihood):
    return loglik.compile()


def numpy_loglik(model: bc.Model, theta: np.ndarray, rows) -> np.ndarray:
    net = model.with_theta(theta)._net
    _, mass = contract_joint(net, [], virtual_evidence=rows)
    return np.log(mass)


def test_per_case_values_equal_the_numpy_engine(model: bc.Model, loglik: CaseLogLikelihood, cases) -> None:
    rows = case_likelihoods(model._net, cases, {})
    per_case = loglik.compile_cases()
    for theta in (model.theta, model.sample_theta(1, seed=11)[0]):
        np.testing.assert_allclose(per_case(theta), numpy_loglik(model, theta, rows), atol=1e-10)


def test_gradient_matches_central_finite_differences(model: bc.Model, loglik, value_and_grad) -> None:
    theta = model.sample_theta(1, seed=2)[0]
    value, grad = value_and_grad(theta)
    assert np.isfinite(value) and value < 0
    spec = model.theta_spec
    relevant = [i for i, name in enumerate(spec.names) if any(f"{n}]" in name for n in loglik.nodes)]
    rng = np.random.default_rng(0)
    eps = 1e-6
    for i in rng.choice(relevant, size=min(12, len(relevant)), replace=False):
        step = np.zeros_like(theta)
        step[i] = eps
        fd = (value_and_grad(theta + step)[0] - value_and_grad(theta - step)[0]) / (2 * eps)
        assert grad[i] == pytest.approx(fd, rel=1e-5, abs=1e-7), spec.names[i]


def test_parameters_outside_the_ancestry_have_zero_gradient(model: bc.Model, loglik, value_and_grad) -> None:
    _, grad = value_and_grad(model.theta)
    outside = [i for i, name in enumerate(model.theta_spec.names) if "collaborative_behaviour]" in name]
    assert "collaborative_behaviour" not in loglik.nodes and outside
    assert np.all(grad[outside] == 0)
    assert np.any(grad != 0)


def test_soft_rows_scale_out_exactly(model: bc.Model) -> None:
    """Scaling a likelihood row by c adds log c: rows are rescaled internally, not lost."""
    rows = {"collaboration_history": np.array([[0.2, 0.5, 0.3], [1.0, 1.0, 1.0]])}
    rows = {k: v[:, : len(model.states(k))] for k, v in rows.items()}
    base = CaseLogLikelihood(model.theory, model.theta_spec, rows).compile_cases()(model.theta)
    scaled = CaseLogLikelihood(model.theory, model.theta_spec, {k: 4.0 * v for k, v in rows.items()})
    np.testing.assert_allclose(scaled.compile_cases()(model.theta), base + np.log(4.0), atol=1e-12)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({}, "no observed nodes"),
        ({"mandated": np.ones((3, 7))}, "expected 2"),
        ({"mandated": np.zeros((2, 2))}, "not all zero"),
        ({"mandated": np.ones((2, 2)), "cross_sector": np.ones((3, 2))}, "same B"),
    ],
)
def test_bad_likelihood_rows_are_refused(model: bc.Model, rows, message) -> None:
    with pytest.raises(ValueError, match=message):
        CaseLogLikelihood(model.theory, model.theta_spec, rows)


def test_graph_drops_into_a_pymc_potential(
    model: bc.Model, loglik: CaseLogLikelihood, value_and_grad
) -> None:
    """The graph is a PyMC Potential: the model's logp is prior + log-likelihood, and so is its gradient."""
    import pymc as pm

    spec = model.theta_spec
    with pm.Model() as pm_model:
        theta = pm.Normal("theta", mu=spec.prior_mean(), sigma=spec.prior_sd(), shape=len(spec))
        pm.Potential("survey", loglik.graph(theta).sum())
    point = {"theta": model.sample_theta(1, seed=4)[0]}
    prior_logp = pm_model.compile_logp(vars=[theta])(point)
    total_logp = pm_model.compile_logp()(point)
    value, grad = value_and_grad(point["theta"])
    assert total_logp - prior_logp == pytest.approx(value, abs=1e-9)
    prior_grad = -(point["theta"] - spec.prior_mean()) / spec.prior_sd() ** 2
    np.testing.assert_allclose(pm_model.compile_dlogp()(point), prior_grad + grad, atol=1e-8)


def test_chunked_evaluation_equals_one_batch(
    model: bc.Model, loglik: CaseLogLikelihood, value_and_grad
) -> None:
    """Cases run 5 at a time (last chunk padded with rows of ones) give the same value and gradient."""
    theta = model.sample_theta(1, seed=8)[0]
    whole_value, whole_grad = loglik.compile(chunk=loglik.n_cases)(theta)
    value, grad = loglik.compile(chunk=5)(theta)
    assert value == pytest.approx(whole_value, abs=1e-9)
    np.testing.assert_allclose(grad, whole_grad, atol=1e-9)
    assert 1 <= loglik.default_chunk() <= loglik.n_cases
    with pytest.raises(ValueError, match="chunk is 0"):
        loglik.compile(chunk=0)
