"""learn by data augmentation: its complete-data graph, a short run, and agreement with exact NUTS."""

from __future__ import annotations

import warnings
from itertools import product

import numpy as np
import pandas as pd
import pytest

import bayescollab as bc
from bayescollab.survey.augment import complete_log_likelihood, latent_layout, layout_family, log_cpts
from bayescollab.survey.compare import compare_posteriors
from bayescollab.survey.complete_data import GatheredFamily
from bayescollab.survey.learn import AUTO_EXACT_MAX_MADDS, choose_sampler, exact_cost, learn
from bayescollab.survey.simulate import simulate_survey

# contexts with a small ancestry: exact NUTS takes seconds here, so both samplers can run
ITEMS = ["collaboration_history_1", "collaboration_history_2", "mandated_1", "resource_capacity_1"]


@pytest.fixture(scope="module")
def small_survey(model: bc.Model) -> pd.DataFrame:
    sim = simulate_survey(model, collaborations=6, respondents=12, seed=11, blank_rate=0.1)
    reserved = ("respondent_id", "collaboration_id", "organisation")
    keep = [c for c in sim.answers.columns if c in (*reserved, *ITEMS)]
    return sim.answers[keep]


def test_gathered_rows_equal_the_full_tables(model: bc.Model) -> None:
    """log P(states | θ) from gathered design rows equals the sum over CPTFamily's full tables."""
    import pytensor
    import pytensor.tensor as pt

    layout = latent_layout(model.theory, ["trust", "mandated"])
    family = layout_family(model.theory, model.theta_spec, layout)
    states_v = pt.matrix("states", dtype="int64")
    theta_v = pt.vector("theta")
    fn = pytensor.function([states_v, theta_v], GatheredFamily(family, layout).log_prob(states_v, theta_v),
                           mode="FAST_COMPILE")  # fmt: skip
    rng = np.random.default_rng(2)
    for theta in model.theta_spec.sample_prior(2, seed=3):
        states = np.stack([rng.integers(0, k, size=5) for k in layout.cards], axis=1)
        expected = complete_log_likelihood(states, log_cpts(family, layout, theta), {}, layout)
        assert float(fn(states, theta)) == pytest.approx(expected, rel=1e-10, abs=1e-8)


@pytest.mark.parametrize("max_joint", [1, 4])
def test_collapsed_blocks_sum_out_exactly(model: bc.Model, max_joint: int) -> None:
    """With blocks of unmeasured columns collapsed (single nodes, then blocks of up to 4 joint
    states), the gathered log-likelihood equals log Σ over every joint state of all collapsed
    columns of the complete-data likelihood (enumerated)."""
    import pytensor
    import pytensor.tensor as pt

    from bayescollab.survey.complete_data import collapsible_blocks, moral_neighbours

    layout = latent_layout(model.theory, ["trust", "mandated"])
    family = layout_family(model.theory, model.theta_spec, layout)
    blocks = collapsible_blocks(layout, max_joint)
    hidden = [j for b in blocks for j in b]
    measured = {layout.column[n] for n in layout.measured}
    assert blocks and not measured & set(hidden)
    assert max(len(b) for b in blocks) == (1 if max_joint == 1 else 2)
    near = moral_neighbours(layout)
    for b in blocks:  # no CPT factor holds columns of two blocks
        assert len(b) == 1 or np.prod([layout.cards[j] for j in b]) <= max_joint  # singles always fit
        others = set(hidden) - set(b)
        assert not any(near[j] & others for j in b)
    states_v, theta_v = pt.matrix("states", dtype="int64"), pt.vector("theta")
    graph = GatheredFamily(family, layout, blocks).log_prob(states_v, theta_v)
    fn = pytensor.function([states_v, theta_v], graph, mode="FAST_COMPILE")
    rng = np.random.default_rng(1)
    configs = np.array(list(product(*(range(layout.cards[j]) for j in hidden))))
    for theta in model.theta_spec.sample_prior(2, seed=7):
        states = np.stack([rng.integers(0, k, size=3) for k in layout.cards], axis=1)
        tables = log_cpts(family, layout, theta)
        expected = 0.0
        for c in range(len(states)):
            filled = np.repeat(states[c : c + 1], len(configs), axis=0)
            filled[:, hidden] = configs
            each = np.array([complete_log_likelihood(row[None], tables, {}, layout) for row in filled])
            expected += float(np.logaddexp.reduce(each))
        assert float(fn(states, theta)) == pytest.approx(expected, rel=1e-10)


def test_collapse_settings_are_checked() -> None:
    from bayescollab.survey.augment import LatentLayout
    from bayescollab.survey.complete_data import collapsible_blocks

    layout = LatentLayout(("a", "b"), (2, 2), ((), (0,)), (((1, 0),), ()), ("b",))
    assert collapsible_blocks(layout, 0) == ()
    assert collapsible_blocks(layout, 1) == ((0,),)
    for bad in (-1, True, 2.5, "4"):
        with pytest.raises(ValueError, match=f"max_joint is {bad!r}; expected a non-negative integer"):
            collapsible_blocks(layout, bad)


def test_augmented_potentials_equal_the_numpy_complete_likelihood(model: bc.Model, small_survey) -> None:
    """The PyMC model's two potentials (batched answer tables, vectorised row gathers) equal the
    numpy complete-data log-likelihood that the Gibbs step's conditionals are built from."""
    from bayescollab.survey.augment import answer_log_rows
    from bayescollab.survey.augment_step import build_augmented_model, initial_states
    from bayescollab.survey.instrument import load_instrument
    from bayescollab.survey.learn import answer_counts
    from bayescollab.survey.measurement import load_measurement_priors

    instrument = load_instrument(theory=model.theory)
    collabs, counts = answer_counts(small_survey, instrument)
    pm_model, ctx = build_augmented_model(model, collabs, counts, instrument=instrument,
                                          measurement=load_measurement_priors(), collapse=False)  # fmt: skip
    layout, spec = ctx["layout"], model.theta_spec
    network, answers = pm_model.replace_rvs_by_values(list(pm_model.potentials))
    fns = [pm_model.compile_fn(g, inputs=pm_model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE")
           for g in (network, answers)]  # fmt: skip
    rng = np.random.default_rng(4)
    for k, theta in enumerate(spec.sample_prior(2, seed=5)):
        lam = np.exp(rng.normal(1.0, 0.3, size=len(counts)))
        point = pm_model.initial_point()
        point["states"] = initial_states(model, layout, len(collabs), 1, [k])[0]
        point["links"] = theta[~spec.noise_mask]
        point["noise_log__"] = np.log(theta[spec.noise_mask])
        point["discrimination_log__"] = np.log(lam)
        tables = log_cpts(ctx["family"], layout, theta)
        rows = answer_log_rows(counts, instrument, lam, layout)
        net = complete_log_likelihood(point["states"], tables, {}, layout)
        total = complete_log_likelihood(point["states"], tables, rows, layout)
        assert float(fns[0](point)) == pytest.approx(net, rel=1e-10)
        assert float(fns[1](point)) == pytest.approx(total - net, rel=1e-10)


def test_auto_takes_exact_when_cheap_and_augmented_when_not(model: bc.Model, small_survey) -> None:
    from bayescollab.survey.instrument import load_instrument

    cost = exact_cost(model, small_survey, load_instrument(theory=model.theory))
    assert 0 < cost <= AUTO_EXACT_MAX_MADDS
    assert choose_sampler("auto", cost)[0] == "exact"
    assert choose_sampler("auto", 10 * AUTO_EXACT_MAX_MADDS)[0] == "augmented"
    assert choose_sampler("augmented", cost) == ("augmented", "chosen by the caller")
    with pytest.raises(ValueError, match="sampler is 'gibbs'"):
        choose_sampler("gibbs", cost)


def test_unknown_sampler_kwargs_are_refused(model: bc.Model, small_survey) -> None:
    with pytest.raises(ValueError, match=r"collapse is -2; expected a non-negative integer"):
        learn(model, small_survey, sampler="augmented", sampler_kwargs={"collapse": -2})
    with pytest.raises(ValueError, match=r"unknown keys \['target_acept'\]"):
        learn(model, small_survey, sampler="augmented", sampler_kwargs={"target_acept": 0.9})
    with pytest.raises(ValueError, match=r"unknown keys \['sweeps'\] for the exact sampler"):
        learn(model, small_survey, sampler="exact", sampler_kwargs={"sweeps": 2})


def test_augmented_run_gives_everything_exact_gives(model: bc.Model, small_survey, tmp_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 40 draws will not pass the ESS bar
        result = learn(model, small_survey, draws=40, tune=40, chains=2, cores=1, seed=5, progressbar=False,
                       sampler="augmented", sampler_kwargs={"target_accept": 0.85, "sweeps": 2})  # fmt: skip
    idata = result.idata
    assert idata.attrs["learn_sampler"] == "augmented"
    assert idata.attrs["learn_sweeps"] == 2
    assert idata.attrs["learn_collapsed_nodes"] == "collaboration_form"  # mandated's unmeasured parent
    assert idata.attrs["learn_collapse"] == 12  # the default joint-state limit of a block
    assert idata.attrs["learn_collapsed_blocks"] == "collaboration_form"
    assert {"posterior", "sample_stats", "prior", "observed_data"} <= set(idata.groups())
    assert {"prior_predictive", "posterior_predictive"} <= set(idata.groups())
    assert idata.posterior["theta"].shape == (2, 40, len(model.theta_spec))
    assert "states" not in idata.posterior  # latent states are sampled, not stored
    assert float(idata.sample_stats["latent_changed"].mean()) > 0  # the Gibbs step moves them
    assert {"r_hat", "ess_bulk", "ess_tail"} <= set(result.summary.columns)
    path = tmp_path / "posterior.nc"
    idata.to_netcdf(str(path))
    loaded = bc.load_model(posterior=path)
    assert loaded.theta_draws.shape[1] == len(model.theta_spec)


@pytest.mark.slow  # two samplers x 1,000 draws with compile: minutes on a loaded 2-core machine
def test_augmented_agrees_with_exact_on_the_reduced_instrument(model: bc.Model, small_survey) -> None:
    """Same data, both samplers: |Δmean| <= 0.1 sd + 3 MCSE and sd ratio in 0.8-1.25, per parameter."""
    import arviz as az

    summaries = {}
    for sampler in ("exact", "augmented"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = learn(model, small_survey, draws=500, tune=300, chains=2, seed=7, progressbar=False,
                           sampler=sampler, predictive_draws=0)  # fmt: skip
        names = ["links", "noise", "discrimination"]
        summaries[sampler] = az.summary(result.idata, var_names=names, kind="all")
    table = compare_posteriors(summaries["exact"], summaries["augmented"])
    assert len(table) == len(model.theta_spec) + len(ITEMS)
    assert table["mean_ok"].all(), table[~table["mean_ok"]]
    assert table["sd_ok"].all(), table[~table["sd_ok"]]


def test_cli_refuses_a_bad_sampler_or_option_before_sampling(run_cli, small_survey, tmp_path) -> None:
    from bayescollab.survey.ingest import write_survey

    path = write_survey(small_survey, tmp_path / "surveys.csv")
    bad = run_cli("learn", str(path), "-o", str(tmp_path / "a"), "--sampler", "gibbs")
    assert bad.returncode != 0 and "sampler is 'gibbs'" in bad.stderr
    bad = run_cli("learn", str(path), "-o", str(tmp_path / "b"), "--sampler-option", "target_acept=0.9")
    assert bad.returncode != 0 and "target_acept" in bad.stderr
    bad = run_cli("learn", str(path), "-o", str(tmp_path / "c"), "--sampler-option", "sweeps")
    assert bad.returncode != 0 and "KEY=VALUE" in bad.stderr
