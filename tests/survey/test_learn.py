"""The learn model's likelihood is the exact marginal probability of each collaboration's answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import bayescollab as bc
from bayescollab.engine.exact import contract_joint
from bayescollab.survey.instrument import load_instrument
from bayescollab.survey.learn import answer_counts, build_learn_model
from bayescollab.survey.measurement import answer_table
from bayescollab.survey.predictive import plot_ppc, ppc_table, replicate_counts

# contexts with a small ancestry keep the exact graph small enough for a unit test
ITEMS = ["collaboration_history_1", "collaboration_history_2", "mandated_1", "resource_capacity_1"]


@pytest.fixture(scope="module")
def survey(model: bc.Model) -> pd.DataFrame:
    instrument = load_instrument(theory=model.theory)
    rng = np.random.default_rng(1)
    rows = []
    for c in range(3):
        for r in range(4):
            row: dict = {"respondent_id": f"r{r}", "collaboration_id": f"c{c}", "organisation": pd.NA}
            for item_id in ITEMS:
                n = instrument[item_id].n_options
                row[item_id] = pd.NA if rng.random() < 0.25 else int(rng.integers(0, n))
            rows.append(row)
    frame = pd.DataFrame(rows)
    for item_id in ITEMS:
        frame[item_id] = frame[item_id].astype("Int64")
    return frame


def test_counts_keep_every_answer_and_drop_blanks(model: bc.Model, survey: pd.DataFrame) -> None:
    collabs, counts = answer_counts(survey, load_instrument(theory=model.theory))
    assert collabs == ["c0", "c1", "c2"]
    for item_id in ITEMS:
        assert counts[item_id].sum() == survey[item_id].notna().sum()


def test_loglik_equals_the_numpy_engine(model: bc.Model, survey: pd.DataFrame) -> None:
    import pymc as pm

    instrument = load_instrument(theory=model.theory)
    pm_model = build_learn_model(model, survey, instrument=instrument)
    point = pm_model.initial_point(random_seed=3)
    point = {k: v + np.random.default_rng(0).normal(0, 0.3, size=np.shape(v)) for k, v in point.items()}
    outs = pm_model.replace_rvs_by_values([pm_model["theta"], pm_model["discrimination"], pm_model["loglik"]])
    theta, lam, loglik = pm_model.compile_fn(outs, inputs=pm_model.value_vars, point_fn=True)(point)
    net = model.with_theta(theta)._net
    _, counts = answer_counts(survey, instrument)
    expected = []
    for c in range(3):
        logs: dict[str, np.ndarray] = {}
        for j, item_id in enumerate(counts):
            item = instrument[item_id]
            logs[item.node] = logs.get(item.node, 0.0) + counts[item_id][c] @ np.log(
                answer_table(item, lam[j])
            )
        rows = {n: np.exp(v - v.max()) for n, v in logs.items()}
        _, mass = contract_joint(net, [], virtual_evidence=rows)
        expected.append(np.log(mass) + sum(v.max() for v in logs.values()))
    np.testing.assert_allclose(loglik, expected, atol=1e-9)
    # the potential is their sum: the model's logp minus the priors' logp
    total = pm_model.compile_logp()(point)
    priors = pm_model.compile_logp(vars=pm_model.free_RVs)(point)
    assert total - priors == pytest.approx(float(np.sum(expected)), abs=1e-8)
    assert isinstance(pm_model, pm.Model)


def test_no_answers_leaves_the_prior(model: bc.Model, survey: pd.DataFrame) -> None:
    """With every cell blank there is no likelihood: the model's density is the prior's."""
    blank = survey.copy()
    for item_id in ITEMS:
        blank[item_id] = pd.array([pd.NA] * len(blank), dtype="Int64")
    pm_model = build_learn_model(model, blank)
    assert not pm_model.potentials and "discrimination" not in pm_model.named_vars
    point = pm_model.initial_point(random_seed=1)
    assert pm_model.compile_logp()(point) == pytest.approx(
        pm_model.compile_logp(vars=pm_model.free_RVs)(point)
    )


def test_learn_samples_saves_and_reloads(model: bc.Model, survey: pd.DataFrame, tmp_path) -> None:
    """A short real NUTS run: labelled InferenceData, diagnostics, and load_model(posterior=...)."""
    import warnings

    from bayescollab.survey.learn import learn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 30 draws will not pass the ESS bar
        result = learn(model, survey, draws=30, tune=30, chains=2, seed=4, progressbar=False)
    idata = result.idata
    assert {"posterior", "sample_stats", "prior", "observed_data"} <= set(idata.groups())
    assert {"prior_predictive", "posterior_predictive"} <= set(idata.groups())
    assert idata.posterior["theta"].shape == (2, 30, len(model.theta_spec))
    # replicates keep who answered what: per collaboration and item, the same number of answers
    for name, observed in idata.observed_data.data_vars.items():
        replicated = idata.posterior_predictive[name]
        assert replicated.sizes["chain"] == 2 and replicated.sizes["draw"] <= 30
        np.testing.assert_array_equal(
            replicated.sum(replicated.dims[-1]).values,
            np.broadcast_to(observed.sum(observed.dims[-1]).values, replicated.shape[:-1]),
        )
    table = ppc_table(idata)
    assert set(table["item"]) == set(ITEMS)
    assert table["lower"].le(table["mean"]).all() and table["mean"].le(table["upper"]).all()
    assert plot_ppc(table).axes
    assert {"r_hat", "ess_bulk", "ess_tail"} <= set(result.summary.columns)
    r_hat = result.summary["r_hat"].to_numpy()
    assert not np.allclose(r_hat, r_hat.round(2))  # unrounded: 1.014 must not read as 1.01
    assert any("ess" in p for p in result.problems)  # too few draws is reported, not hidden
    path = tmp_path / "posterior.nc"
    idata.to_netcdf(str(path))
    loaded = bc.load_model(posterior=path)
    assert loaded.theta_draws.shape == (60, len(model.theta_spec))
    np.testing.assert_allclose(loaded.theta, loaded.theta_draws.mean(axis=0))
    with pytest.raises(ValueError, match="draws is 0"):
        learn(model, survey, draws=0)


def test_learn_cli_writes_posterior_summary_and_diagnostics(run_cli, survey: pd.DataFrame, tmp_path) -> None:
    from bayescollab.survey.ingest import write_survey

    path = write_survey(survey, tmp_path / "surveys.csv")
    done = run_cli("learn", str(path), "-o", str(tmp_path / "out"), "--draws", "20", "--tune", "20",
                   "--chains", "2", "--seed", "1", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["max_r_hat"] > 0 and report["problems"]  # 20 draws: ESS too low, and said so
    assert "diagnostics failed" in done.stderr
    assert 0 <= report["ppc_inside_90"] <= 1
    for name in ("posterior.nc", "summary.csv", "diagnostics.json", "ppc.csv", "ppc.png"):
        assert (tmp_path / "out" / name).is_file()
    bad = run_cli("learn", str(path), "-o", str(tmp_path / "o2"), "--chains", "0")
    assert bad.returncode == 2 and "chains is 0" in bad.stderr


def test_replicated_answers_follow_the_model_marginal(model: bc.Model) -> None:
    """At a fixed θ, replicated answer shares converge to Σ_s P(node = s) P(answer | s)."""
    instrument = load_instrument(theory=model.theory)
    items = ["collaboration_history_1", "trust_1"]
    lam = np.array([[2.0, 1.5]])
    answered = {i: np.ones(20_000) for i in items}
    reps = replicate_counts(model, answered, instrument, model.theta[None], lam, seed=3)
    for j, item_id in enumerate(items):
        item = instrument[item_id]
        node = np.array(list(model.query(item.node).values()))
        expected = np.asarray(answer_table(item, lam[0, j]), dtype=float) @ node
        share = reps[item_id][0].sum(axis=0) / 20_000
        np.testing.assert_allclose(share, expected, atol=0.015)
        assert reps[item_id].sum() == 20_000
    with pytest.raises(ValueError, match=r"expected \(1, 2\)"):
        replicate_counts(model, answered, instrument, model.theta[None], np.ones((1, 3)))
