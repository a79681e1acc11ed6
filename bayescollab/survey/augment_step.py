"""The augmented PyMC model of ``learn`` and the step method that draws its latent states.

``states`` is a (collaborations, latent nodes) integer variable with a flat placeholder prior
(``DiscreteUniform`` within each node's states, a constant); the network and the answers enter
through one ``Potential``, the complete-data log-likelihood of :mod:`bayescollab.survey.augment`.
``pm.NUTS`` moves θ and λ with the states held fixed (a cheap gradient: gathers of log CPT
entries); :class:`LatentStateGibbs` then redraws the states given θ and λ. Both are passed as
``pm.sample(step=[gibbs, nuts])``, so chains, progress bar, tuning and InferenceData are PyMC's.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from bayescollab.model import Model
from bayescollab.survey.augment import (
    LatentLayout,
    answer_graph,
    answer_log_rows,
    draw_block,
    gibbs_sweep,
    latent_layout,
    layout_family,
    log_cpts,
)
from bayescollab.survey.complete_data import DEFAULT_MAX_JOINT, GatheredFamily, collapsible_blocks
from bayescollab.survey.instrument import Instrument
from bayescollab.survey.measurement import MeasurementPriors

try:  # PyMC is imported lazily by learn; this module is only imported when sampling
    from pymc.step_methods.compound import BlockedStep, Competence, StepMethodState
    from pymc.step_methods.state import dataclass_state
except ImportError:  # pragma: no cover - PyMC is a dependency
    raise


#: Gibbs sweeps per draw by default: a sweep costs a few ms against ~15 gradients of θ per draw,
#: and extra sweeps decorrelate the latent states given θ (measured in docs/performance.md)
DEFAULT_SWEEPS = 5


@dataclass_state
class LatentStateGibbsState(StepMethodState):
    sweeps: int


class LatentStateGibbs(BlockedStep):
    """Redraw every collaboration's latent node states from their full conditionals given θ, λ.

    ``sweeps`` systematic-scan sweeps per call (each node once per sweep, all collaborations
    vectorised). θ and λ are read from the point (noise and λ are log-transformed value
    variables there); the CPTs at that θ are derived once per call.
    """

    name = "latent_gibbs"
    default_blocked = True
    stats_dtypes_shapes: ClassVar[dict] = {"latent_changed": (np.float64, [])}
    _state_class = LatentStateGibbsState

    def __init__(
        self,
        vars,
        *,
        context: dict[str, Any],
        sweeps: int = DEFAULT_SWEEPS,
        model=None,
        rng=None,
        blocked=True,
    ):
        from pymc.util import get_random_generator

        if isinstance(sweeps, bool) or not isinstance(sweeps, int) or sweeps < 1:
            raise ValueError(f"sweeps is {sweeps!r}; expected a positive integer")
        self.vars = list(vars)
        self.context = context
        self.sweeps = sweeps
        self.rng = get_random_generator(rng)

    def _theta_lambda(self, point: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        ctx = self.context
        theta = np.empty(ctx["n_theta"])
        theta[ctx["link_index"]] = point["links"]
        theta[ctx["noise_index"]] = np.exp(point["noise_log__"])
        return theta, np.exp(point["discrimination_log__"])

    def step(self, point: dict[str, np.ndarray]):
        ctx = self.context
        theta, lam = self._theta_lambda(point)
        tables = log_cpts(ctx["family"], ctx["layout"], theta)
        rows = answer_log_rows(ctx["counts"], ctx["instrument"], lam, ctx["layout"])
        before = point["states"]
        states = before.copy()
        # the collapsed blocks first: NUTS moved θ with them summed out, so they are drawn from
        # their conditional given θ and the other columns before anything else moves (no factor
        # holds two blocks, so one exact joint draw per block is an exact draw of them all)
        for block in ctx["collapsed"]:
            draw_block(block, states, tables, rows, ctx["layout"], self.rng)
        for _ in range(self.sweeps):
            gibbs_sweep(states, tables, rows, ctx["layout"], self.rng)
        new = dict(point)
        new["states"] = states
        return new, [{"latent_changed": float(np.mean(states != before))}]

    @staticmethod
    def competence(var, has_grad):
        return Competence.INCOMPATIBLE  # only ever assigned explicitly


def build_augmented_model(
    model: Model,
    collabs: list[str],
    counts: dict[str, np.ndarray],
    *,
    instrument: Instrument,
    measurement: MeasurementPriors,
    collapse: int = DEFAULT_MAX_JOINT,
) -> tuple[Any, dict[str, Any]]:
    """The augmented ``pymc.Model`` and the context its Gibbs step needs (layout, counts, ...).

    ``collabs`` and ``counts`` are :func:`bayescollab.survey.learn.answer_counts` of the survey.
    ``collapse`` is the largest joint state count of a collapsed block (0: none): the network
    potential sums out the blocks of :func:`~bayescollab.survey.complete_data.collapsible_blocks`
    (a partially collapsed Gibbs sampler: θ's links to those nodes stop seeing their sampled
    states).
    """
    import pymc as pm
    import pytensor.tensor as pt

    if not counts:
        raise ValueError("the survey answers no item; expected at least one answered cell for learn")
    items = [instrument[i] for i in counts]
    measured = sorted({item.node for item in items})
    layout = latent_layout(model.theory, measured)
    family = layout_family(model.theory, model.theta_spec, layout)
    spec = model.theta_spec
    noise = spec.noise_mask
    mu_log, s_log = spec.lognormal_noise()
    coords = {
        "parameter": spec.names,
        "link": [n for n, is_noise in zip(spec.names, noise, strict=True) if not is_noise],
        "noise_param": [n for n, is_noise in zip(spec.names, noise, strict=True) if is_noise],
        "item": [item.item_id for item in items],
        "collaboration": collabs,
        "latent_node": list(layout.nodes),
    }
    lam_prior = [measurement.for_scale(item.scale) for item in items]
    with pm.Model(coords=coords) as pm_model:
        links = pm.Normal("links", mu=spec.prior_mean()[~noise], sigma=spec.prior_sd()[~noise], dims="link")
        sigmas = pm.LogNormal("noise", mu=mu_log, sigma=s_log, dims="noise_param")
        theta = pt.zeros(len(spec))
        theta = pt.set_subtensor(theta[np.flatnonzero(~noise)], links)
        theta = pt.set_subtensor(theta[np.flatnonzero(noise)], sigmas)
        theta = pm.Deterministic("theta", theta, dims="parameter")
        lam = pm.LogNormal(
            "discrimination",
            mu=np.log([p.median for p in lam_prior]),
            sigma=[p.sd_log for p in lam_prior],
            dims="item",
        )
        states = pm.DiscreteUniform(
            "states", lower=0, upper=np.array(layout.cards) - 1, dims=("collaboration", "latent_node")
        )
        collapsed = collapsible_blocks(layout, int(collapse))
        gathered = GatheredFamily(family, layout, collapsed)
        pm.Potential("network", gathered.log_prob(states, theta))
        pm.Potential("answers", answer_graph(layout, states, counts, instrument, lam))
    context = {
        "family": family,
        "layout": layout,
        "counts": counts,
        "instrument": instrument,
        "n_theta": len(spec),
        "link_index": np.flatnonzero(~noise),
        "noise_index": np.flatnonzero(noise),
        "collaborations": collabs,
        "collapsed": collapsed,
    }
    return pm_model, context


def initial_states(model: Model, layout: LatentLayout, n_collab: int, chains: int, seeds) -> list[np.ndarray]:
    """One forward draw of the latent columns per chain at the prior mean θ (distinct starts)."""
    out = []
    for chain in range(chains):
        draw = model.sample_states(n_collab, seed=seeds[chain])
        out.append(np.stack([draw[n] for n in layout.nodes], axis=1).astype(np.int64))
    return out


def sample_augmented(
    model: Model,
    collabs: list[str],
    counts: dict[str, np.ndarray],
    instrument: Instrument,
    run: dict,
    nuts_kwargs: dict,
    gibbs_kwargs: dict,
):
    """``pm.sample(step=[LatentStateGibbs, NUTS])`` on the augmented model, plus its prior group.

    Chains start from distinct points: their own forward draw of the latent states and θ's
    links jittered by up to half a prior sd (PyMC's own jitter applies only to its NUTS init).
    """
    import pymc as pm

    from bayescollab.survey.measurement import load_measurement_priors

    gibbs_kwargs = dict(gibbs_kwargs)
    collapse = gibbs_kwargs.pop("collapse", DEFAULT_MAX_JOINT)
    if collapse is True:  # the earlier on/off switch: on = the default blocks
        collapse = DEFAULT_MAX_JOINT
    if isinstance(collapse, float) and collapse.is_integer():
        collapse = int(collapse)
    if not isinstance(collapse, int) or collapse < 0:
        raise ValueError(
            f"collapse is {collapse!r}; expected a non-negative integer (the largest joint state count "
            f"of a collapsed block, default {DEFAULT_MAX_JOINT}; 0 = none, 1 = single nodes)"
        )
    pm_model, context = build_augmented_model(
        model,
        collabs,
        counts,
        instrument=instrument,
        measurement=load_measurement_priors(),
        collapse=int(collapse),
    )
    seeds, chains = run["seeds"], run["chains"]
    layout = context["layout"]
    spec = model.theta_spec
    link_mean, link_sd = spec.prior_mean()[~spec.noise_mask], spec.prior_sd()[~spec.noise_mask]
    starts = initial_states(model, layout, len(context["collaborations"]), chains, seeds)
    initvals = []
    for chain, states in enumerate(starts):
        rng = np.random.default_rng(seeds[chain])
        initvals.append(
            {"states": states, "links": link_mean + rng.uniform(-0.5, 0.5, link_mean.shape) * link_sd}
        )
    with pm_model:
        gibbs = LatentStateGibbs(
            [pm_model.rvs_to_values[pm_model["states"]]], context=context, **gibbs_kwargs
        )
        nuts = pm.NUTS([pm_model["links"], pm_model["noise"], pm_model["discrimination"]], **nuts_kwargs)
        idata = pm.sample(
            draws=run["draws"],
            tune=run["tune"],
            chains=chains,
            cores=run["cores"],
            step=[gibbs, nuts],
            initvals=initvals,
            var_names=["links", "noise", "discrimination", "theta"],
            random_seed=seeds[0],
            progressbar=run["progressbar"],
            compute_convergence_checks=False,
        )
        prior = pm.sample_prior_predictive(
            draws=min(run["draws"], 500),
            var_names=["links", "noise", "discrimination", "theta"],
            random_seed=seeds[-1],
        )
    idata.extend(prior)
    idata.attrs["learn_sweeps"] = gibbs.sweeps
    blocks = context["collapsed"]
    idata.attrs["learn_collapse"] = int(collapse)
    columns = sorted(j for b in blocks for j in b)
    idata.attrs["learn_collapsed_nodes"] = ",".join(layout.nodes[j] for j in columns)
    idata.attrs["learn_collapsed_blocks"] = ";".join("+".join(layout.nodes[j] for j in b) for b in blocks)
    return idata
