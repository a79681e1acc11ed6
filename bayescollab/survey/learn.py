"""The PyMC model behind ``learn``: the theory's θ and the items' discriminations, updated by surveys.

Parameters: every link weight and interaction (normal priors elicited from the evidence grades),
every node noise (log-normal with the same mean and sd, as :meth:`ThetaSpec.sample_prior`), and
one discrimination λ per item (log-normal, ``priors/measurement.yaml``).

Likelihood: for each collaboration, P(its answers | θ, λ) with every latent node summed out
exactly by the engine's PyTensor backend. The answers of a collaboration's respondents enter as
one likelihood row per measured node, log row = Σ_items counts · log P(answer | state; λ), so
unanswered cells simply do not count and partially answered surveys count in full.

Cost (``docs/performance.md``): 50 collaborations x 12 respondents on items with small
ancestries sample 4 x 1,000 draws in about half a minute; on the whole instrument one exact
log-likelihood with its gradient takes ~36 s (treewidth ~18), and NUTS needs ~10^5 of them.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayescollab._random import RandomSeed, get_random_generator, seeds_per_chain
from bayescollab.elicit.cpt import NUMPY_OPS, ArrayOps, pytensor_ops
from bayescollab.model import Model
from bayescollab.posterior import posterior_theta as posterior_theta  # the old import path
from bayescollab.survey.instrument import RESERVED_COLUMNS, Instrument, load_instrument
from bayescollab.survey.measurement import MeasurementPriors, answer_table, load_measurement_priors


def answer_counts(survey: pd.DataFrame, instrument: Instrument) -> tuple[list[str], dict[str, np.ndarray]]:
    """Collaboration ids and, per answered item, a (collaborations, options) table of answer counts."""
    collabs = sorted(survey["collaboration_id"].astype(str).unique())
    index = {c: i for i, c in enumerate(collabs)}
    rows = survey["collaboration_id"].astype(str).map(index).to_numpy()
    counts: dict[str, np.ndarray] = {}
    for item in instrument:
        if item.item_id not in survey.columns or item.item_id in RESERVED_COLUMNS:
            continue
        codes = survey[item.item_id].to_numpy(dtype=float, na_value=np.nan)
        answered = np.isfinite(codes)
        if not answered.any():
            continue
        table = np.zeros((len(collabs), item.n_options))
        np.add.at(table, (rows[answered], codes[answered].astype(int)), 1.0)
        counts[item.item_id] = table
    return collabs, counts


def count_likelihood_rows(
    counts: Mapping[str, np.ndarray], instrument: Instrument, discrimination: Any, ops: ArrayOps = NUMPY_OPS
) -> tuple[dict[str, Any], Any]:
    """Each measured node's likelihood row per collaboration, from the answer counts.

    log row = Σ_items counts · log P(answer | state; λ), so unanswered cells count for nothing.
    Rows are scaled to a maximum of 1 (no underflow with many respondents); the second value is
    the total log scale taken out, per collaboration, to add back to the log-likelihood.
    ``discrimination`` holds one λ per item of ``counts``, in order; with PyTensor ``ops`` the
    rows are symbolic.
    """
    xp = ops.xp
    log_rows: dict[str, Any] = {}
    for j, item_id in enumerate(counts):
        item = instrument[item_id]
        table = xp.maximum(answer_table(item, discrimination[j], ops), 1e-300)  # (options, states)
        term = xp.dot(counts[item_id], xp.log(table))  # (collaborations, states)
        log_rows[item.node] = log_rows.get(item.node, 0.0) + term
    peaks = {n: xp.max(v, axis=1, keepdims=True) for n, v in log_rows.items()}
    rows = {n: xp.exp(log_rows[n] - peaks[n]) for n in log_rows}
    return rows, sum(p[:, 0] for p in peaks.values())


def build_learn_model(
    model: Model,
    survey: pd.DataFrame,
    *,
    instrument: Instrument | None = None,
    measurement: MeasurementPriors | None = None,
):
    """A ``pymc.Model`` over θ and λ whose likelihood is the surveys' exact marginal probability."""
    import pymc as pm
    import pytensor.tensor as pt

    instrument = instrument if instrument is not None else load_instrument(theory=model.theory)
    measurement = measurement if measurement is not None else load_measurement_priors()
    collabs, counts = answer_counts(survey, instrument)
    items = [instrument[i] for i in counts]
    nodes = sorted({item.node for item in items})
    spec = model.theta_spec
    noise = spec.noise_mask
    mu_log, s_log = spec.lognormal_noise()
    coords = {
        "parameter": spec.names,
        "link": [n for n, is_noise in zip(spec.names, noise, strict=True) if not is_noise],
        "noise_param": [n for n, is_noise in zip(spec.names, noise, strict=True) if is_noise],
        "item": [item.item_id for item in items],
        "collaboration": collabs,
    }
    lam_prior = [measurement.for_scale(item.scale) for item in items]
    ops = pytensor_ops()
    with pm.Model(coords=coords) as pm_model:
        links = pm.Normal("links", mu=spec.prior_mean()[~noise], sigma=spec.prior_sd()[~noise], dims="link")
        sigmas = pm.LogNormal("noise", mu=mu_log, sigma=s_log, dims="noise_param")
        theta = pt.zeros(len(spec))
        theta = pt.set_subtensor(theta[np.flatnonzero(~noise)], links)
        theta = pt.set_subtensor(theta[np.flatnonzero(noise)], sigmas)
        theta = pm.Deterministic("theta", theta, dims="parameter")
        if not counts:  # nothing answered: the model is the prior, and learn returns it
            return pm_model
        lam = pm.LogNormal(
            "discrimination",
            mu=np.log([p.median for p in lam_prior]),
            sigma=[p.sd_log for p in lam_prior],
            dims="item",
        )
        placeholder = {n: np.ones((len(collabs), len(model.states(n)))) for n in nodes}
        loglik = model.case_log_likelihood(placeholder)
        rows, log_peak = count_likelihood_rows(counts, instrument, lam, ops)
        per_collab = loglik.graph(theta, rows) + log_peak
        pm.Deterministic("loglik", per_collab, dims="collaboration")
        pm.Potential("surveys", per_collab.sum())
    return pm_model


def measured_nodes(survey: pd.DataFrame, instrument: Instrument) -> Mapping[str, list[str]]:
    """Which items each measured node is answered through (for reports)."""
    _, counts = answer_counts(survey, instrument)
    out: dict[str, list[str]] = {}
    for item_id in counts:
        out.setdefault(instrument[item_id].node, []).append(item_id)
    return out


#: diagnostics thresholds behind the warning (Vehtari et al. 2021 recommendations)
RHAT_MAX = 1.01
ESS_MIN = 400


@dataclass
class LearnResult:
    """The posterior of a ``learn`` run, its diagnostics table and what failed."""

    idata: Any
    summary: pd.DataFrame
    divergences: int
    problems: list[str]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "divergences": self.divergences,
            "problems": self.problems,
            "seconds": self.seconds,
            "max_r_hat": float(self.summary["r_hat"].max()),
            "min_ess_bulk": float(self.summary["ess_bulk"].min()),
            "min_ess_tail": float(self.summary["ess_tail"].min()),
        }


def diagnose(summary: pd.DataFrame, divergences: int, n_samples: int) -> list[str]:
    """Human-readable failures: r_hat above 1.01, bulk/tail ESS under 400, any divergence."""
    problems = []
    bad_rhat = summary.index[summary["r_hat"] > RHAT_MAX].tolist()
    if bad_rhat:
        problems.append(f"r_hat > {RHAT_MAX} for {len(bad_rhat)} parameters, e.g. {bad_rhat[:3]}")
    need = min(ESS_MIN, n_samples // 2)
    for column in ("ess_bulk", "ess_tail"):
        low = summary.index[summary[column] < need].tolist()
        if low:
            problems.append(f"{column} < {need} for {len(low)} parameters, e.g. {low[:3]}")
    if divergences:
        problems.append(f"{divergences} divergent transitions")
    return problems


#: ``sampler_kwargs`` keys handed to NUTS (both samplers) and to the latent-state step (augmented)
NUTS_KWARGS = frozenset({"target_accept", "max_treedepth", "step_scale", "early_max_treedepth"})
GIBBS_KWARGS = frozenset({"sweeps", "collapse"})
SAMPLERS = ("auto", "exact", "augmented")
#: ``auto`` takes the exact marginal likelihood up to this many multiply-adds per collaboration
#: (the planner's count for the answered nodes' contraction); above it, data augmentation
AUTO_EXACT_MAX_MADDS = 1e6


def exact_cost(model: Model, survey: pd.DataFrame, instrument: Instrument) -> float:
    """Multiply-adds of one collaboration's exact marginal likelihood (0 when nothing is answered)."""
    _, counts = answer_counts(survey, instrument)
    nodes = sorted({instrument[i].node for i in counts})
    if not nodes:
        return 0.0
    loglik = model.case_log_likelihood({n: np.ones((1, len(model.states(n)))) for n in nodes})
    return float(loglik._spec(1).plan.multiply_adds)


def choose_sampler(sampler: str, cost: float) -> tuple[str, str]:
    """The sampler to run and why: ``auto`` compares the exact path's cost with the threshold."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler is {sampler!r}; expected one of {', '.join(SAMPLERS)}")
    if sampler != "auto":
        return sampler, "chosen by the caller"
    if cost <= AUTO_EXACT_MAX_MADDS:
        return (
            "exact",
            f"exact marginal costs {cost:.3g} <= {AUTO_EXACT_MAX_MADDS:.0e} multiply-adds per collaboration",
        )
    return (
        "augmented",
        f"exact marginal costs {cost:.3g} > {AUTO_EXACT_MAX_MADDS:.0e} multiply-adds per collaboration",
    )


def check_sampler_kwargs(sampler_kwargs: Mapping[str, Any] | None, sampler: str) -> tuple[dict, dict]:
    """Split ``sampler_kwargs`` into NUTS and latent-step options; unknown keys are refused."""
    given = dict(sampler_kwargs or {})
    allowed = NUTS_KWARGS | (GIBBS_KWARGS if sampler == "augmented" else frozenset())
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ValueError(
            f"sampler_kwargs has unknown keys {unknown} for the {sampler} sampler; "
            f"expected some of {sorted(allowed)}"
        )
    return {k: v for k, v in given.items() if k in NUTS_KWARGS}, {
        k: v for k, v in given.items() if k in GIBBS_KWARGS
    }


def learn(
    model: Model,
    survey: pd.DataFrame | str | Path,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: RandomSeed = None,
    instrument: Instrument | None = None,
    progressbar: bool = True,
    predictive_draws: int = 200,
    sampler: str = "auto",
    sampler_kwargs: Mapping[str, Any] | None = None,
    cores: int | None = None,
) -> LearnResult:
    """Sample the posterior of θ and λ given the surveys, with diagnostics.

    ``sampler``: ``exact`` runs NUTS on the exact marginal likelihood (every latent node summed
    out); ``augmented`` samples the latent node states beside θ (:mod:`bayescollab.survey.augment`:
    Gibbs for the states, NUTS for θ and λ given them); ``auto`` picks ``exact`` when its
    contraction costs at most :data:`AUTO_EXACT_MAX_MADDS` multiply-adds per collaboration. The
    choice is recorded in ``idata.attrs`` (``learn_sampler``, ``learn_sampler_reason``).
    ``sampler_kwargs`` go to NUTS (``target_accept``, ``max_treedepth``, ...) and, augmented,
    ``sweeps`` (Gibbs sweeps per draw); other keys are refused. ``cores`` defaults to
    min(chains, CPUs).

    Returns the InferenceData (posterior, sample_stats, prior, observed_data with the answer
    counts, and prior_predictive / posterior_predictive replicates of those counts from up to
    ``predictive_draws`` draws each, see :mod:`bayescollab.survey.predictive`) and a summary of
    r_hat, bulk and tail ESS per parameter; failures are listed in ``problems`` and raised as a
    :class:`UserWarning`.
    """
    for name, value in (("draws", draws), ("tune", tune), ("chains", chains)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} is {value!r}; expected a positive integer")
    if cores is not None and (isinstance(cores, bool) or not isinstance(cores, int) or cores < 1):
        raise ValueError(f"cores is {cores!r}; expected a positive integer")
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler is {sampler!r}; expected one of {', '.join(SAMPLERS)}")
    instrument = instrument if instrument is not None else load_instrument(theory=model.theory)
    if not isinstance(survey, pd.DataFrame):
        from bayescollab.survey.ingest import read_survey

        survey = read_survey(survey, instrument)
    cost = exact_cost(model, survey, instrument)
    chosen, reason = choose_sampler(sampler, cost)
    if cost == 0.0:
        chosen, reason = "exact", "nothing answered: the posterior is the prior"
    nuts_kwargs, gibbs_kwargs = check_sampler_kwargs(sampler_kwargs, chosen)
    run = {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "cores": cores if cores is not None else min(chains, os.cpu_count() or 1),
        "seeds": seeds_per_chain(seed, chains + 1),
        "progressbar": progressbar,
    }
    start = time.perf_counter()
    if chosen == "exact":
        idata = _sample_exact(model, survey, instrument, run, nuts_kwargs)
    else:
        from bayescollab.survey.augment_step import sample_augmented

        collabs, counts = answer_counts(survey, instrument)
        idata = sample_augmented(model, collabs, counts, instrument, run, nuts_kwargs, gibbs_kwargs)
    seconds = time.perf_counter() - start
    idata.attrs.update(
        learn_sampler=chosen, learn_sampler_reason=reason, exact_multiply_adds_per_collaboration=cost
    )
    return _finish(idata, model, survey, instrument, predictive_draws, run, seconds)


def _sample_exact(model: Model, survey: pd.DataFrame, instrument: Instrument, run: dict, nuts_kwargs: dict):
    """NUTS on the exact marginal likelihood (every latent node summed out by the engine)."""
    import pymc as pm

    pm_model = build_learn_model(model, survey, instrument=instrument)
    seeds = run["seeds"]
    with pm_model:
        idata = pm.sample(
            draws=run["draws"],
            tune=run["tune"],
            chains=run["chains"],
            cores=run["cores"],
            random_seed=seeds[: run["chains"]],
            progressbar=run["progressbar"],
            compute_convergence_checks=False,
            **nuts_kwargs,
        )
        idata.extend(pm.sample_prior_predictive(draws=min(run["draws"], 500), random_seed=seeds[-1]))
    return idata


def _finish(
    idata, model, survey, instrument, predictive_draws: int, run: dict, seconds: float
) -> LearnResult:
    """Predictive groups, the diagnostics summary and the warning when diagnostics fail."""
    import arviz as az

    add_predictive(idata, model, survey, instrument, predictive_draws, seed=run["seeds"][-1])
    names = [v for v in ("links", "noise", "discrimination") if v in idata.posterior]
    # unrounded: ArviZ rounds to two decimals by default, so an r_hat of 1.014 would read 1.01
    # and pass the 1.01 bar
    summary = az.summary(idata, var_names=names, kind="diagnostics", round_to="none")
    divergences = int(idata.sample_stats["diverging"].sum())
    problems = diagnose(summary, divergences, run["draws"] * run["chains"])
    if problems:
        warnings.warn("learn: sampler diagnostics failed: " + "; ".join(problems), UserWarning, stacklevel=3)
    return LearnResult(idata, summary, divergences, problems, seconds)


def _thinned(group: Any, n: int) -> Any:
    """At most ``n`` draws of an InferenceData group, evenly spaced within each chain."""
    per_chain = max(1, n // group.sizes["chain"])
    keep = np.unique(np.linspace(0, group.sizes["draw"] - 1, min(per_chain, group.sizes["draw"])).astype(int))
    return group.isel(draw=keep)


def add_predictive(
    idata: Any, model: Model, survey: pd.DataFrame, instrument: Instrument, n_draws: int, *, seed: RandomSeed
) -> None:
    """Add observed_data and, from ``n_draws`` draws each, prior and posterior predictive counts."""
    from bayescollab.survey.predictive import counts_dataset, replicate_counts

    collabs, counts = answer_counts(survey, instrument)
    if not counts:
        return
    idata.add_groups(observed_data=counts_dataset(counts, collabs, instrument))
    if n_draws <= 0:
        return
    answered = {item: table.sum(axis=1) for item, table in counts.items()}
    streams = get_random_generator(seed).spawn(2)
    pairs = (("prior", "prior_predictive"), ("posterior", "posterior_predictive"))
    for (source, target), rng in zip(pairs, streams, strict=True):
        if source not in idata.groups() or "discrimination" not in idata[source]:
            continue
        group = _thinned(idata[source], n_draws)
        shape = (group.sizes["chain"], group.sizes["draw"])
        theta = group["theta"].values.reshape(-1, len(model.theta_spec))
        lam = group["discrimination"].sel(item=list(counts)).values.reshape(-1, len(counts))
        reps = replicate_counts(model, answered, instrument, theta, lam, seed=rng)
        reps = {k: v.reshape(*shape, *v.shape[1:]) for k, v in reps.items()}
        data = counts_dataset(reps, collabs, instrument, sample_dims=("chain", "draw"))
        idata.add_groups({target: data.assign_coords(chain=group["chain"].values, draw=group["draw"].values)})
