"""The queryable model: theory + elicited priors -> network -> exact queries. The one door.

A :class:`Model` is immutable: queries, interventions and explanations never change it, and
:meth:`Model.with_theta` returns a new model for another parameter vector. Everything above
the engine (survey, sensitivity, explain, the CLI) asks its questions here:

- :meth:`Model.setting` validates a question once (a frozen :class:`~bayescollab.setting.Setting`);
- :meth:`Model.compile_query` turns it into a callable run for many θ draws or evidence cases
  (:class:`~bayescollab.compiled.CompiledQuery`);
- :meth:`Model.query` and friends are the labelled, one-call forms of the same thing.

The model also chooses where contraction plans are stored (:func:`default_plan_store`), so the
engine holds no global state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from bayescollab._cache_files import cache_folder
from bayescollab._paths import models_dir, priors_dir
from bayescollab._random import RandomSeed, get_random_generator
from bayescollab._validate import check_disjoint, check_node, to_indices
from bayescollab.cases import case_columns
from bayescollab.compiled import CompiledQuery
from bayescollab.engine.batch import query_cases
from bayescollab.engine.exact import Network
from bayescollab.engine.marginals import all_marginals, one_pass_pays
from bayescollab.engine.plan import Planner, PlanStore
from bayescollab.engine.sample import forward_sample
from bayescollab.engine.shipped import LayeredPlanStore, shipped_plans
from bayescollab.errors import UnknownNameError
from bayescollab.model_cache import CachedModel, cache_key, default_model_cache, load_shipped, rooted
from bayescollab.results import Distribution, result_attrs
from bayescollab.setting import Evidence, Setting
from bayescollab.theory import graph

# Imported on first use, not here: xarray (+pandas, 0.3 s) for the labelled array results,
# scipy (via elicit.cpt) and networkx (via elicit.theta) for deriving CPTs, PyTensor and
# ArviZ for learn. A cached model answers `bayescollab query` without any of them.
if TYPE_CHECKING:
    import xarray as xr
    from pgmpy.models import DiscreteBayesianNetwork

    from bayescollab.elicit.settings import ElicitationSettings
    from bayescollab.elicit.theta import ThetaSpec
    from bayescollab.engine.pytensor_backend import CaseLogLikelihood
    from bayescollab.theory.core import Theory

__all__ = [
    "MARGINALS_IN_ONE_PASS",
    "PLAN_CACHE_ENV",
    "Distribution",
    "Evidence",
    "Model",
    "VirtualEvidence",
    "default_plan_store",
    "derive_model_inputs",
    "load_model",
]

VirtualEvidence = Mapping[str, Mapping[str, float] | Sequence[float]]
#: from this many targets on, query_marginals runs one contraction and its reverse pass
MARGINALS_IN_ONE_PASS = 3
#: environment variable: a folder for the contraction-plan store, or ``off``
PLAN_CACHE_ENV = "BAYESCOLLAB_PLAN_CACHE"


def default_plan_store() -> PlanStore | None:
    """Where plans are kept between processes: ``$BAYESCOLLAB_PLAN_CACHE`` (``off`` disables the
    store), else ``$XDG_CACHE_HOME/bayescollab/plans`` or ``~/.cache/bayescollab/plans``."""
    folder = cache_folder(PLAN_CACHE_ENV, "plans")
    return PlanStore(folder) if folder is not None else None


class Model:
    """The programme theory as a discrete Bayesian network with exact queries.

    Build it with :func:`load_model`. ``network`` is the pgmpy ``DiscreteBayesianNetwork``
    (for export, validation and reference inference). ``planner`` plans the contractions; by
    default one with the store of :func:`default_plan_store`, shared by :meth:`with_theta`.
    """

    def __init__(
        self,
        theory: Theory,
        settings: ElicitationSettings,
        theta: np.ndarray | None = None,
        *,
        planner: Planner | None = None,
        theta_spec: ThetaSpec | None = None,
        cpts: Mapping[str, np.ndarray] | None = None,
        prior_marginals: Mapping[str, np.ndarray] | None = None,
    ):
        """``theta_spec`` and ``cpts`` (the CPTs at ``theta``) skip re-deriving what the caller
        already has: :meth:`with_theta` passes the spec, :func:`load_model` a cached entry.
        ``prior_marginals``: every node's marginal without evidence under exactly these CPTs
        (the shipped inputs carry them), answered by :meth:`query_marginals` without a pass."""
        self.theory = theory
        self.settings = settings
        if theta_spec is None:
            from bayescollab.elicit.theta import build_theta_spec

            theta_spec = build_theta_spec(theory, settings)
        self.theta_spec: ThetaSpec = theta_spec
        theta = self.theta_spec.prior_mean() if theta is None else np.array(theta, dtype=float, copy=True)
        self.theta = theta
        self.theta.setflags(write=False)
        #: posterior draws of θ when loaded with ``load_model(posterior=...)``, else None
        self.theta_draws: np.ndarray | None = None
        if cpts is None:
            from bayescollab.elicit.cpt import derive_cpts

            cpts = derive_cpts(theory, self.theta_spec, theta)
        cpts = dict(cpts)
        for table in cpts.values():
            table.setflags(write=False)
        self.cpts: Mapping[str, np.ndarray] = MappingProxyType(cpts)
        self._prior_marginals: Mapping[str, np.ndarray] = MappingProxyType(
            {n: np.array(v, dtype=float) for n, v in (prior_marginals or {}).items()}
        )
        self._states = {n: list(spec.states) for n, spec in theory.nodes.items()}
        self.planner = planner if planner is not None else Planner(default_plan_store())
        self._net = Network(
            order=tuple(theory.nodes),
            parents={n: tuple(theory.parents(n)) for n in theory.nodes},
            cpts=self.cpts,
            planner=self.planner,
            states=MappingProxyType({n: tuple(s) for n, s in self._states.items()}),
        )

    # ------------------------------------------------------------------ vocabulary
    @property
    def nodes(self) -> list[str]:
        """Node ids in life-cycle order (contexts first)."""
        return list(self._states)

    def states(self, node: str) -> list[str]:
        """Ordered states of ``node`` (low -> high)."""
        check_node(node, self.nodes)
        return list(self._states[node])

    def parents(self, node: str) -> list[str]:
        check_node(node, self.nodes)
        return list(self._net.parents[node])

    @property
    def scenarios(self) -> dict[str, dict[str, str]]:
        """Named scenarios from ``models/scenarios.yaml``: name -> evidence."""
        return {name: dict(s.evidence) for name, s in self.theory.scenarios.items()}

    def scenario(self, name: str) -> dict[str, str]:
        """Evidence of the named scenario; unknown names list the valid ones."""
        if name not in self.theory.scenarios:
            raise UnknownNameError("scenario", name, list(self.theory.scenarios))
        return dict(self.theory.scenarios[name].evidence)

    def ancestors(self, nodes: Sequence[str], *, cut: Sequence[str] = ()) -> list[str]:
        """``nodes`` and their ancestors in model order, not walking past the parents of ``cut``."""
        for n in (*nodes, *cut):
            check_node(n, self.nodes)
        return graph.in_order(self._net.parents, graph.ancestors(self._net.parents, nodes, cut=cut))

    def descendants(self, node: str) -> list[str]:
        """Every node downstream of ``node`` (not ``node`` itself), in model order."""
        check_node(node, self.nodes)
        return graph.in_order(self._net.parents, graph.descendants(self._net.parents, node))

    def with_theta(self, theta: np.ndarray) -> Model:
        """A new model with the same theory and CPTs derived from ``theta`` (same planner)."""
        return Model(self.theory, self.settings, theta, planner=self.planner, theta_spec=self.theta_spec)

    @cached_property
    def network(self) -> DiscreteBayesianNetwork:
        """The pgmpy network (built on first use; treat it as read-only)."""
        from bayescollab.pgmpy_bridge import to_pgmpy

        return to_pgmpy(self._net, self._states)

    # ------------------------------------------------------------------ the door
    def setting(
        self,
        target: str | None = None,
        state: str | None = None,
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        virtual_evidence: VirtualEvidence | None = None,
        scenario: str | None = None,
    ) -> Setting:
        """A validated, frozen question: P(target = state | scenario + evidence, do, virtual evidence).

        A scenario's evidence and ``evidence`` are merged by one rule: a node given in both
        with different states is an error naming both values (:mod:`bayescollab.setting`).
        """
        return Setting.build(
            self, target, state, evidence=evidence, do=do, likelihoods=virtual_evidence, scenario=scenario
        )

    def compile_query(
        self, setting: Setting, *, targets: Sequence[str] | None = None, vary: Sequence[str] = ()
    ) -> CompiledQuery:
        """A callable for P(targets | setting), run for many θ draws or evidence cases.

        ``targets`` defaults to ``(setting.target,)``; ``vary`` names nodes whose likelihood
        rows each call supplies (``q(likelihoods={node: (B, card) rows})``). Call it as
        ``q()`` (the model's θ), ``q(theta=θ)`` with θ of shape (P,) or (D, P), or
        ``q.draws(θ, progress=...)`` for many draws in chunks; see
        :class:`~bayescollab.compiled.CompiledQuery`.
        """
        if not isinstance(setting, Setting):
            raise TypeError(f"setting is {type(setting).__name__}; expected a Setting (Model.setting(...))")
        chosen = list(targets) if targets is not None else [setting.require_target()]
        for t in chosen:
            check_node(t, self.nodes)
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"targets repeat a node: {chosen}")
        for n in vary:
            check_node(n, self.nodes)
        return CompiledQuery(
            self._net,
            setting,
            chosen,
            vary=vary,
            draw_network=self.draw_network,
            n_theta=len(self.theta_spec),
        )

    # ------------------------------------------------------------------ queries
    def query(
        self,
        target: str | Setting,
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        virtual_evidence: VirtualEvidence | None = None,
    ) -> Distribution:
        """P(target | evidence, do(...), virtual evidence) as a mapping state -> probability.

        ``target`` may also be a :class:`Setting` (then give nothing else).
        """
        setting = self._as_setting(target, evidence, do, virtual_evidence)
        probs = self.compile_query(setting)()
        return self._distribution(setting.require_target(), probs, setting, evidence, do)

    def _as_setting(self, target: Any, evidence: Any, do: Any, virtual_evidence: Any) -> Setting:
        if isinstance(target, Setting):
            if evidence or do or virtual_evidence:
                raise ValueError("give a Setting or evidence/do/virtual_evidence, not both")
            return target
        check_node(target, self.nodes, argument="target")
        return self.setting(target, evidence=evidence, do=do, virtual_evidence=virtual_evidence)

    def _distribution(
        self, target: str, probs: np.ndarray, setting: Setting, evidence: Any, do: Any
    ) -> Distribution:
        return Distribution(
            target,
            self._states[target],
            probs,
            evidence=evidence if evidence is not None else setting.evidence,
            do=do if do is not None else setting.do,
            virtual_evidence=setting.likelihood_arrays,
        )

    def query_marginals(
        self,
        targets: Sequence[str],
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        virtual_evidence: VirtualEvidence | None = None,
    ) -> dict[str, Distribution]:
        """Each target's own marginal under the same evidence.

        When the plans say it is cheaper (many targets, light evidence), all marginals come from
        one contraction and its reverse pass (:func:`bayescollab.engine.marginals.all_marginals`,
        about three queries' work) instead of one query each; the answers are the same.
        """
        for t in targets:
            check_node(t, self.nodes)
        setting = self.setting(evidence=evidence, do=do, virtual_evidence=virtual_evidence)
        ev, dos, virt = dict(setting.evidence_index), dict(setting.do_index), dict(setting.likelihood_arrays)
        unique = list(dict.fromkeys(targets))
        if not (ev or dos or virt) and all(t in self._prior_marginals for t in unique):
            tables = {t: self._prior_marginals[t] for t in unique}  # computed once, shipped
        elif len(unique) >= MARGINALS_IN_ONE_PASS and one_pass_pays(
            self._net, unique, evidence=ev, do=dos, virtual_evidence=virt
        ):
            tables = all_marginals(self._net, unique, evidence=ev, do=dos, virtual_evidence=virt)
        else:
            tables = {t: self.compile_query(setting, targets=[t])() for t in unique}
        return {t: self._distribution(t, tables[t], setting, evidence or {}, do or {}) for t in targets}

    def query_joint(
        self,
        targets: Sequence[str],
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        virtual_evidence: VirtualEvidence | None = None,
    ) -> xr.DataArray:
        """Joint posterior over several targets, labelled by node and state."""
        import xarray as xr

        for t in targets:
            check_node(t, self.nodes)
        setting = self.setting(evidence=evidence, do=do, virtual_evidence=virtual_evidence)
        table = self.compile_query(setting, targets=list(targets))()
        return xr.DataArray(
            table,
            dims=tuple(targets),
            coords={t: self._states[t] for t in targets},
            name="P(" + ", ".join(targets) + ")",
            attrs=result_attrs(evidence, do),
        )

    # ------------------------------------------------------------------ many questions at once
    def query_batch(
        self,
        target: str,
        cases: Sequence[Mapping[str, str | None]] | Any,
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
    ) -> xr.DataArray:
        """P(target | case) for many evidence cases in one call, dims ``("case", target)``.

        ``cases`` is a list of ``{node: state}`` dicts or a pandas DataFrame with one column per
        node; a missing key, ``None`` or a blank/NaN cell means that case did not observe the
        node. ``evidence`` and ``do`` apply to every case. When the observed nodes and the
        target have a small joint, that joint is contracted once and every case is a lookup.
        """
        import xarray as xr

        check_node(target, self.nodes)
        labels, observed = case_columns(cases, self._states)
        setting = self.setting(evidence=evidence, do=do)
        ev, dos = dict(setting.evidence_index), dict(setting.do_index)
        check_disjoint(cases=observed, evidence=ev, do=dos)
        if target in observed:
            raise ValueError(f"the target {target!r} is also a column of the cases; drop it from the cases")
        probs = query_cases(self._net, [target], observed=observed, evidence=ev, do=dos)
        return xr.DataArray(
            probs,
            dims=("case", target),
            coords={"case": labels, target: self._states[target]},
            name=f"P({target} | case)",
            attrs=result_attrs(evidence, do),
        )

    def sweep(
        self,
        target: str,
        nodes: Sequence[str],
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
    ) -> xr.DataArray:
        """P(target | every combination of ``nodes``' states), dims ``(*nodes, target)``.

        One contraction of the joint over ``nodes`` and the target; a combination the model
        rules out (probability 0) raises, naming it.
        """
        import xarray as xr

        check_node(target, self.nodes)
        for n in nodes:
            check_node(n, self.nodes)
        grid = np.array(np.meshgrid(*[range(len(self._states[n])) for n in nodes], indexing="ij"))
        flat = {n: grid[i].ravel() for i, n in enumerate(nodes)}
        setting = self.setting(evidence=evidence, do=do)
        ev, dos = dict(setting.evidence_index), dict(setting.do_index)
        check_disjoint(swept=list(nodes), evidence=ev, do=dos)
        probs = query_cases(self._net, [target], observed=flat, evidence=ev, do=dos)
        shape = [len(self._states[n]) for n in nodes] + [len(self._states[target])]
        return xr.DataArray(
            probs.reshape(shape),
            dims=(*nodes, target),
            coords={n: self._states[n] for n in (*nodes, target)},
            name=f"P({target} | " + ", ".join(nodes) + ")",
            attrs=result_attrs(evidence, do),
        )

    # ------------------------------------------------------------------ θ draws
    def sample_theta(self, n: int, *, seed: RandomSeed = None) -> np.ndarray:
        """``n`` draws of θ from the prior elicited in ``priors/``, shape (n, P)."""
        return self.theta_spec.sample_prior(n, seed)

    def _check_draws(self, theta: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        if theta.ndim != 2 or theta.shape[1] != len(self.theta_spec):
            raise ValueError(
                f"theta draws have shape {theta.shape}; expected (draws, {len(self.theta_spec)})"
            )
        return theta

    def draw_network(
        self, theta: np.ndarray, nodes: Sequence[str] | None = None, *, plan_runs: int | None = None
    ) -> Network:
        """A network whose CPTs carry a leading draw axis: one network per row of ``theta``.

        Only ``nodes`` get their CPTs derived per draw (default: all); the others repeat the
        model's own tables without copying, which is safe when a query never reaches them.
        ``plan_runs``: the draw count its plans are searched for (a chunk of a longer run).
        """
        theta = self._check_draws(theta)
        from bayescollab.elicit.cpt import derive_cpts

        derived = derive_cpts(self.theory, self.theta_spec, theta, nodes=nodes)
        cpts = {
            n: derived[n] if n in derived else np.broadcast_to(t, (len(theta), *t.shape))
            for n, t in self.cpts.items()
        }
        return self._net.with_cpts(cpts, (len(theta),), plan_runs)

    def query_draws(
        self,
        target: str,
        theta: np.ndarray | None = None,
        *,
        n_draws: int | None = None,
        seed: RandomSeed = None,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        virtual_evidence: VirtualEvidence | None = None,
        progress: Callable[[int, int], None] | None = None,
        dtype: Any = np.float64,
    ) -> xr.DataArray:
        """P(target | evidence) under each of many parameter draws θ, dims ``("draw", target)``.

        ``dtype=np.float32`` contracts in single precision (faster; ~1e-7 relative error, fine
        for intervals over draws); ``attrs["precision"]`` says which was used.

        Pass the draws as ``theta`` (shape (D, P), e.g. a ``learn`` posterior) or ask for
        ``n_draws`` from the prior with ``seed``. The draws ride on the CPT tensors through one
        planned contraction, in chunks sized to a memory budget; ``progress(done, total)`` is
        called after each chunk.
        """
        import xarray as xr

        check_node(target, self.nodes)
        if (theta is None) == (n_draws is None):
            raise ValueError(
                "give either theta (an array of draws) or n_draws (to draw from the prior), not both"
            )
        theta = self._check_draws(self.sample_theta(n_draws, seed=seed) if theta is None else theta)
        setting = self.setting(target, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
        return xr.DataArray(
            self.compile_query(setting).draws(theta, progress=progress, dtype=dtype),
            dims=("draw", target),
            coords={"draw": np.arange(len(theta)), target: self._states[target]},
            name=f"P({target})",
            attrs={**result_attrs(evidence, do), "precision": np.dtype(dtype).name},
        )

    def query_marginals_draws(
        self,
        targets: Sequence[str],
        theta: np.ndarray,
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        virtual_evidence: VirtualEvidence | None = None,
        dtype: Any = np.float64,
        progress: Callable[[int, int], None] | None = None,
    ) -> xr.Dataset:
        """Each target's own P(target | evidence) under each θ draw, in one call.

        One DataArray per target, named ``f"P({target})"`` with dims ``("draw", target)`` as
        :meth:`query_draws` gives (a variable cannot share its name with its own dimension), in
        a Dataset whose ``attrs`` (and each variable's) say the evidence and the precision. Same
        numbers as one :meth:`query_draws` per target, cheaper: the CPTs of each chunk of draws
        are derived once and the contraction is shared by all targets
        (:func:`bayescollab.compiled.marginal_draws`).
        """
        import xarray as xr

        from bayescollab.compiled import marginal_draws

        targets = list(targets)
        for t in targets:
            check_node(t, self.nodes)
        if not targets:
            raise ValueError("targets is empty; expected at least one node")
        theta = self._check_draws(theta)
        setting = self.setting(evidence=evidence, do=do, virtual_evidence=virtual_evidence)
        tables = marginal_draws(
            self._net, setting, targets, theta, draw_network=self.draw_network, dtype=dtype, progress=progress
        )
        attrs = {**result_attrs(evidence, do), "precision": np.dtype(dtype).name}
        return xr.Dataset(
            {
                f"P({t})": xr.DataArray(
                    tables[t],
                    dims=("draw", t),
                    coords={"draw": np.arange(len(theta)), t: self._states[t]},
                    name=f"P({t})",
                    attrs=attrs,
                )
                for t in dict.fromkeys(targets)
            },
            attrs=attrs,
        )

    # ------------------------------------------------------------------ sampling and likelihoods
    def sample_states(
        self,
        n: int,
        *,
        seed: RandomSeed = None,
        do: Evidence | None = None,
        theta: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """``n`` forward (ancestral) draws of every node, as state indices, ``do`` nodes clamped.

        ``theta`` None uses the model's CPTs; shape (P,) one other θ; shape (D, P) gives
        ``(D, n)`` arrays, ``n`` draws per θ. ``seed`` may be a shared numpy Generator.
        """
        rng = get_random_generator(seed)
        clamp = to_indices(do, self._states)
        if theta is None:
            net = self._net
        elif np.ndim(theta) == 1:
            from bayescollab.elicit.cpt import derive_cpts

            net = self._net.with_cpts(
                derive_cpts(self.theory, self.theta_spec, np.asarray(theta, dtype=float))
            )
        else:
            net = self.draw_network(theta)
        return forward_sample(net, int(n), rng, clamp=clamp)

    def case_log_likelihood(self, likelihoods: Mapping[str, np.ndarray]) -> CaseLogLikelihood:
        """log P(case b's likelihood rows | θ) as a PyTensor graph builder, planned by this
        model's planner (:class:`~bayescollab.engine.pytensor_backend.CaseLogLikelihood`)."""
        from bayescollab.engine.pytensor_backend import CaseLogLikelihood

        return CaseLogLikelihood(self.theory, self.theta_spec, likelihoods, net=self._net)


def derive_model_inputs(models: Path | str | None = None, priors: Path | str | None = None) -> CachedModel:
    """The validated theory, settings, θ layout and prior-mean CPTs of two folders.

    Read from the inputs shipped with the package when they were derived from exactly these
    files and this code (a new user's first command derives nothing), else from the model cache
    (:mod:`bayescollab.model_cache`) when an intact entry for these files and this package
    exists, else derived from the files and cached. Every route gives the same values; the files
    stay the only source of truth.
    """
    models_path = Path(models) if models is not None else models_dir()
    priors_path = Path(priors) if priors is not None else priors_dir()
    if models_path.is_dir() and priors_path.is_dir():
        shipped = load_shipped(models_path, priors_path)
        if shipped is not None:
            return rooted(shipped, models_path)
    cache = default_model_cache()
    key = None
    if cache is not None and models_path.is_dir() and priors_path.is_dir():
        try:
            key = cache_key(models_path, priors_path)
        except OSError:
            key = None
        hit = cache.load(key) if key is not None else None
        if hit is not None:
            return rooted(hit, models_path)
    from bayescollab.elicit.cpt import derive_cpts
    from bayescollab.elicit.settings import load_settings
    from bayescollab.elicit.theta import build_theta_spec
    from bayescollab.theory.load import load_theory

    theory = load_theory(models_path)
    settings = load_settings(priors_path)
    spec = build_theta_spec(theory, settings)
    entry = CachedModel(theory, settings, spec, derive_cpts(theory, spec, spec.prior_mean()))
    if cache is not None and key is not None:
        cache.save(key, entry)
    return entry


def load_model(
    models: Path | str | None = None,
    priors: Path | str | None = None,
    *,
    theta: np.ndarray | None = None,
    posterior: Path | str | None = None,
    plan_store: PlanStore | str | None = "default",
) -> Model:
    """Load the packaged theory and priors (or the given folders) as a queryable model.

    ``posterior``: an InferenceData file written by ``learn``. The model then sits at the
    posterior mean of θ, and ``model.theta_draws`` holds every posterior draw, ready for
    ``model.query_draws(target, model.theta_draws, ...)`` to give credible intervals.
    ``plan_store``: where contraction plans are kept (default :func:`default_plan_store`,
    behind the read-only plans shipped with the package, :mod:`bayescollab.engine.shipped`;
    an explicit :class:`PlanStore` is used alone; ``None`` keeps them in memory only).
    """
    if theta is not None and posterior is not None:
        raise ValueError("give theta or posterior, not both")
    draws = None
    if posterior is not None:
        from bayescollab.posterior import posterior_theta

        draws = posterior_theta(posterior, draws=True)
        theta = draws.mean(axis=0)
    if isinstance(plan_store, str) and plan_store == "default":
        store: Any = LayeredPlanStore(shipped_plans(), default_plan_store())
    elif isinstance(plan_store, str):
        raise ValueError(f"plan_store is {plan_store!r}; expected a PlanStore, None or 'default'")
    else:
        store = plan_store
    inputs = derive_model_inputs(models, priors)
    model = Model(
        inputs.theory,
        inputs.settings,
        theta,
        planner=Planner(store),
        theta_spec=inputs.theta_spec,
        cpts=inputs.prior_cpts if theta is None else None,
        prior_marginals=getattr(inputs, "prior_marginals", None) if theta is None else None,
    )
    if draws is not None and draws.shape[1] != len(model.theta_spec):
        raise ValueError(
            f"{posterior} holds θ of length {draws.shape[1]}; this theory expects {len(model.theta_spec)}"
        )
    model.theta_draws = draws
    return model
