"""The queryable model: theory + elicited priors -> pgmpy network -> exact queries.

A :class:`Model` is immutable: queries, interventions and explanations never change it, and
:meth:`Model.with_theta` returns a new model for another parameter vector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr

from bayescollab import __version__
from bayescollab._random import RandomSeed
from bayescollab._validate import (
    check_disjoint,
    check_node,
    to_indices,
    to_likelihoods,
)
from bayescollab.elicit.cpt import derive_cpts
from bayescollab.elicit.settings import ElicitationSettings, load_settings
from bayescollab.elicit.theta import ThetaSpec, build_theta_spec
from bayescollab.engine.batch import draws_per_chunk, query_cases, worker_count
from bayescollab.engine.exact import Network, query_joint
from bayescollab.engine.marginals import all_marginals, one_pass_pays
from bayescollab.errors import UnknownNameError
from bayescollab.theory.load import Theory, load_theory

Evidence = Mapping[str, str]
VirtualEvidence = Mapping[str, Mapping[str, float] | Sequence[float]]
#: from this many targets on, query_marginals runs one contraction and its reverse pass
MARGINALS_IN_ONE_PASS = 3


class Distribution(Mapping[str, float]):
    """P(target | evidence) as a read-only mapping state -> probability, in state order.

    It also records what it is conditional on, so a printed or saved result describes itself.
    """

    def __init__(
        self,
        target: str,
        states: Sequence[str],
        probs: np.ndarray,
        *,
        evidence: Evidence,
        do: Evidence,
        virtual_evidence: Mapping[str, Any],
    ):
        self.target = target
        self._probs = dict(zip(states, (float(p) for p in probs), strict=True))
        self.evidence = dict(evidence)
        self.do = dict(do)
        self.virtual_evidence = {k: list(np.asarray(v, dtype=float)) for k, v in virtual_evidence.items()}

    def __getitem__(self, state: str) -> float:
        return self._probs[state]

    def __iter__(self) -> Iterator[str]:
        return iter(self._probs)

    def __len__(self) -> int:
        return len(self._probs)

    def __repr__(self) -> str:
        body = ", ".join(f"{s}: {p:.4f}" for s, p in self._probs.items())
        cond = ", ".join(f"{k}={v}" for k, v in self.evidence.items())
        dos = ", ".join(f"do({k}={v})" for k, v in self.do.items())
        given = "; ".join(x for x in (cond, dos) if x)
        return f"P({self.target} | {given or 'nothing'}) = {{{body}}}"

    def expected_score(self) -> float:
        """Mean position on a -1 (lowest state) .. +1 (highest state) scale."""
        scores = np.linspace(-1.0, 1.0, len(self._probs))
        return float(np.dot(scores, list(self._probs.values())))

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON shape: target, evidence, do, distribution."""
        out: dict[str, Any] = {
            "target": self.target,
            "evidence": self.evidence,
            "do": self.do,
            "distribution": dict(self._probs),
        }
        if self.virtual_evidence:
            out["virtual_evidence"] = self.virtual_evidence
        return out

    def to_xarray(self) -> xr.DataArray:
        return xr.DataArray(
            list(self._probs.values()),
            dims=(self.target,),
            coords={self.target: list(self._probs)},
            name=f"P({self.target})",
            attrs={
                "evidence": repr(self.evidence),
                "do": repr(self.do),
                "bayescollab_version": __version__,
            },
        )


class Model:
    """The programme theory as a discrete Bayesian network with exact queries.

    Build it with :func:`load_model`. ``network`` is the pgmpy ``DiscreteBayesianNetwork``
    (for export, validation and reference inference).
    """

    def __init__(
        self,
        theory: Theory,
        settings: ElicitationSettings,
        theta: np.ndarray | None = None,
    ):
        self.theory = theory
        self.settings = settings
        self.theta_spec: ThetaSpec = build_theta_spec(theory, settings)
        theta = self.theta_spec.prior_mean() if theta is None else np.array(theta, dtype=float, copy=True)
        self.theta = theta
        self.theta.setflags(write=False)
        #: posterior draws of θ when loaded with ``load_model(posterior=...)``, else None
        self.theta_draws: np.ndarray | None = None
        cpts = derive_cpts(theory, self.theta_spec, theta)
        for table in cpts.values():
            table.setflags(write=False)
        self.cpts: Mapping[str, np.ndarray] = MappingProxyType(cpts)
        self._net = Network(
            order=tuple(theory.nodes),
            parents={n: tuple(theory.parents(n)) for n in theory.nodes},
            cpts=self.cpts,
        )
        self._states = {n: list(spec.states) for n, spec in theory.nodes.items()}

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

    def with_theta(self, theta: np.ndarray) -> Model:
        """A new model with the same theory and CPTs derived from ``theta``."""
        return Model(self.theory, self.settings, theta)

    # ------------------------------------------------------------------ pgmpy
    @cached_property
    def network(self):  # -> pgmpy.models.DiscreteBayesianNetwork
        """The pgmpy network (built on first use; treat it as read-only)."""
        from bayescollab.pgmpy_bridge import to_pgmpy

        return to_pgmpy(self)

    # ------------------------------------------------------------------ queries
    def _prepare(
        self,
        evidence: Evidence | None,
        do: Evidence | None,
        virtual_evidence: VirtualEvidence | None,
    ) -> tuple[dict[str, int], dict[str, int], dict[str, np.ndarray]]:
        ev = to_indices(evidence, self._states)
        dos = to_indices(do, self._states, argument="do")
        virt = to_likelihoods(virtual_evidence, self._states)
        check_disjoint(evidence=ev, do=dos, virtual_evidence=virt)
        return ev, dos, virt

    def query(
        self,
        target: str,
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        virtual_evidence: VirtualEvidence | None = None,
    ) -> Distribution:
        """P(target | evidence, do(...), virtual evidence) as a mapping state -> probability."""
        check_node(target, self.nodes, argument="target")
        ev, dos, virt = self._prepare(evidence, do, virtual_evidence)
        probs = query_joint(self._net, [target], evidence=ev, do=dos, virtual_evidence=virt)
        return Distribution(
            target,
            self._states[target],
            probs,
            evidence=evidence or {},
            do=do or {},
            virtual_evidence=virt,
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
        ev, dos, virt = self._prepare(evidence, do, virtual_evidence)
        unique = list(dict.fromkeys(targets))
        if len(unique) < MARGINALS_IN_ONE_PASS or not one_pass_pays(
            self._net, unique, evidence=ev, do=dos, virtual_evidence=virt
        ):
            return {
                t: self.query(t, evidence=evidence, do=do, virtual_evidence=virtual_evidence) for t in targets
            }
        tables = all_marginals(self._net, unique, evidence=ev, do=dos, virtual_evidence=virt)
        return {
            t: Distribution(
                t, self._states[t], tables[t], evidence=evidence or {}, do=do or {}, virtual_evidence=virt
            )
            for t in targets
        }

    def query_joint(
        self,
        targets: Sequence[str],
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        virtual_evidence: VirtualEvidence | None = None,
    ) -> xr.DataArray:
        """Joint posterior over several targets, labelled by node and state."""
        for t in targets:
            check_node(t, self.nodes)
        if len(set(targets)) != len(targets):
            raise ValueError(f"targets repeat a node: {list(targets)}")
        ev, dos, virt = self._prepare(evidence, do, virtual_evidence)
        table = query_joint(self._net, list(targets), evidence=ev, do=dos, virtual_evidence=virt)
        return xr.DataArray(
            table,
            dims=tuple(targets),
            coords={t: self._states[t] for t in targets},
            name="P(" + ", ".join(targets) + ")",
            attrs={
                "evidence": repr(dict(evidence or {})),
                "do": repr(dict(do or {})),
                "bayescollab_version": __version__,
            },
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
        check_node(target, self.nodes)
        labels, observed = self._case_columns(cases)
        ev, dos, _ = self._prepare(evidence, do, None)
        check_disjoint(cases=observed, evidence=ev, do=dos)
        if target in observed:
            raise ValueError(f"the target {target!r} is also a column of the cases; drop it from the cases")
        probs = query_cases(self._net, [target], observed=observed, evidence=ev, do=dos)
        return xr.DataArray(
            probs,
            dims=("case", target),
            coords={"case": labels, target: self._states[target]},
            name=f"P({target} | case)",
            attrs={
                "evidence": repr(dict(evidence or {})),
                "do": repr(dict(do or {})),
                "bayescollab_version": __version__,
            },
        )

    def _case_columns(self, cases: Any) -> tuple[list, dict[str, np.ndarray]]:
        """Cases (dicts or a DataFrame) -> case labels and state indices per node (-1 = unobserved)."""
        if hasattr(cases, "to_dict") and hasattr(cases, "columns"):  # a pandas DataFrame
            labels = list(cases.index)
            records = cases.to_dict(orient="records")
        else:
            records = [dict(c) for c in cases]
            labels = list(range(len(records)))
        if not records:
            raise ValueError("no cases given; expected at least one {node: state} case")
        columns = sorted({k for r in records for k in r})
        observed: dict[str, np.ndarray] = {}
        for node in columns:
            check_node(node, self.nodes)
            states = self._states[node]
            idx = np.full(len(records), -1, dtype=int)
            for i, r in enumerate(records):
                value = r.get(node)
                if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
                    continue
                if str(value) not in states:
                    raise UnknownNameError(f"state of {node!r} in case {labels[i]!r}", str(value), states)
                idx[i] = states.index(str(value))
            observed[node] = idx
        return labels, observed

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
        check_node(target, self.nodes)
        for n in nodes:
            check_node(n, self.nodes)
        grid = np.array(np.meshgrid(*[range(len(self._states[n])) for n in nodes], indexing="ij"))
        flat = {n: grid[i].ravel() for i, n in enumerate(nodes)}
        ev, dos, _ = self._prepare(evidence, do, None)
        check_disjoint(swept=list(nodes), evidence=ev, do=dos)
        probs = query_cases(self._net, [target], observed=flat, evidence=ev, do=dos)
        shape = [len(self._states[n]) for n in nodes] + [len(self._states[target])]
        return xr.DataArray(
            probs.reshape(shape),
            dims=(*nodes, target),
            coords={n: self._states[n] for n in (*nodes, target)},
            name=f"P({target} | " + ", ".join(nodes) + ")",
            attrs={
                "evidence": repr(dict(evidence or {})),
                "do": repr(dict(do or {})),
                "bayescollab_version": __version__,
            },
        )

    def sample_theta(self, n: int, *, seed: RandomSeed = None) -> np.ndarray:
        """``n`` draws of θ from the prior elicited in ``priors/``, shape (n, P)."""
        return self.theta_spec.sample_prior(n, seed)

    def draw_network(self, theta: np.ndarray, nodes: Sequence[str] | None = None) -> Network:
        """A network whose CPTs carry a leading draw axis: one network per row of ``theta``.

        Only ``nodes`` get their CPTs derived per draw (default: all); the others repeat the
        model's own tables without copying, which is safe when a query never reaches them.
        """
        theta = np.asarray(theta, dtype=float)
        if theta.ndim != 2 or theta.shape[1] != len(self.theta_spec):
            raise ValueError(
                f"theta draws have shape {theta.shape}; expected (draws, {len(self.theta_spec)})"
            )
        derived = derive_cpts(self.theory, self.theta_spec, theta, nodes=nodes)
        cpts = {
            n: derived[n] if n in derived else np.broadcast_to(t, (len(theta), *t.shape))
            for n, t in self.cpts.items()
        }
        return Network(self._net.order, self._net.parents, cpts, draw_shape=(len(theta),))

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
    ) -> xr.DataArray:
        """P(target | evidence) under each of many parameter draws θ, dims ``("draw", target)``.

        Pass the draws as ``theta`` (shape (D, P), e.g. a ``learn`` posterior) or ask for
        ``n_draws`` from the prior with ``seed``. The draws ride on the CPT tensors through one
        planned contraction, in chunks sized to a memory budget; ``progress(done, total)`` is
        called after each chunk.
        """
        check_node(target, self.nodes)
        if (theta is None) == (n_draws is None):
            raise ValueError(
                "give either theta (an array of draws) or n_draws (to draw from the prior), not both"
            )
        theta = self.sample_theta(n_draws, seed=seed) if theta is None else np.asarray(theta, dtype=float)
        if theta.ndim != 2 or theta.shape[1] != len(self.theta_spec):
            raise ValueError(
                f"theta draws have shape {theta.shape}; expected (draws, {len(self.theta_spec)})"
            )
        ev, dos, virt = self._prepare(evidence, do, virtual_evidence)
        needed = sorted(self._net.ancestors([target, *ev, *virt, *dos], frozenset(dos)) - set(dos))
        workers = worker_count()
        chunk = draws_per_chunk(
            self._net,
            [target],
            workers=workers,
            n_draws=len(theta),
            evidence=ev,
            do=dos,
            virtual_evidence=virt,
        )
        starts = list(range(0, len(theta), chunk))

        def run(start: int) -> np.ndarray:
            net = self.draw_network(theta[start : start + chunk], nodes=needed)
            return query_joint(net, [target], evidence=ev, do=dos, virtual_evidence=virt)

        parts = []
        with ThreadPoolExecutor(max_workers=min(workers, len(starts))) as pool:
            for start, part in zip(starts, pool.map(run, starts), strict=True):  # map keeps the order
                parts.append(part)
                if progress is not None:
                    progress(min(start + chunk, len(theta)), len(theta))
        return xr.DataArray(
            np.concatenate(parts, axis=0),
            dims=("draw", target),
            coords={"draw": np.arange(len(theta)), target: self._states[target]},
            name=f"P({target})",
            attrs={
                "evidence": repr(dict(evidence or {})),
                "do": repr(dict(do or {})),
                "bayescollab_version": __version__,
            },
        )


def load_model(
    models: Path | str | None = None,
    priors: Path | str | None = None,
    *,
    theta: np.ndarray | None = None,
    posterior: Path | str | None = None,
) -> Model:
    """Load the packaged theory and priors (or the given folders) as a queryable model.

    ``posterior``: an InferenceData file written by ``learn``. The model then sits at the
    posterior mean of θ, and ``model.theta_draws`` holds every posterior draw, ready for
    ``model.query_draws(target, model.theta_draws, ...)`` to give credible intervals.
    """
    if theta is not None and posterior is not None:
        raise ValueError("give theta or posterior, not both")
    draws = None
    if posterior is not None:
        from bayescollab.survey.learn import posterior_theta

        draws = posterior_theta(posterior, draws=True)
        theta = draws.mean(axis=0)
    model = Model(load_theory(models), load_settings(priors), theta)
    if draws is not None and draws.shape[1] != len(model.theta_spec):
        raise ValueError(
            f"{posterior} holds θ of length {draws.shape[1]}; this theory expects {len(model.theta_spec)}"
        )
    model.theta_draws = draws
    return model
