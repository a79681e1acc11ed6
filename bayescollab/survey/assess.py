"""What one collaboration's survey answers say: exact posteriors, change from the prior, bottlenecks.

Respondents of a collaboration share its latent states and answer independently given them
(:mod:`bayescollab.survey.measurement`), so the answers enter the network as one likelihood
vector per measured node (virtual evidence) and every posterior is exact.

The bottleneck ranking asks, for each mechanism upstream of ``collaborative_behaviour``: if
this mechanism were moved to its favourable state, how much would collaborative behaviour rise?
It is an intervention, ``do(mechanism = favourable)``. Answers about the mechanism's own
descendants are dropped for that comparison (and for its baseline), because they describe
those descendants as they are now, before the change; keeping them would pin the downstream
mechanisms in place and hide the effect being asked about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayescollab._random import RandomSeed
from bayescollab.model import Model
from bayescollab.survey.instrument import RESERVED_COLUMNS, Instrument, load_instrument
from bayescollab.survey.measurement import MeasurementPriors, load_measurement_priors, node_likelihoods
from bayescollab.theory import graph
from bayescollab.theory.vocabulary import TARGET

OUTCOMES = ("collaborative_behaviour", "collaborative_performance")
#: credible interval reported with ``draws``
INTERVAL = (0.05, 0.95)


@dataclass
class Bottleneck:
    """One mechanism's leverage on collaborative behaviour, if moved to its favourable state."""

    node: str
    favourable_state: str
    p_favourable_now: float
    behaviour_now: float  # expected score of collaborative behaviour, -1 .. +1
    behaviour_if_moved: float
    p_high_now: float
    p_high_if_moved: float

    @property
    def gain(self) -> float:
        return self.behaviour_if_moved - self.behaviour_now

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "favourable_state": self.favourable_state,
            "p_favourable_now": self.p_favourable_now,
            "behaviour_expected_score_now": self.behaviour_now,
            "behaviour_expected_score_if_moved": self.behaviour_if_moved,
            "gain": self.gain,
            f"p_{TARGET}_high_now": self.p_high_now,
            f"p_{TARGET}_high_if_moved": self.p_high_if_moved,
        }


@dataclass
class Assessment:
    """One collaboration: who answered, what it implies, and where the leverage is."""

    collaboration_id: str
    respondents: int
    answered_cells: int
    given: dict[str, str]
    measured_nodes: list[str]
    prior: dict[str, dict[str, float]]
    posterior: dict[str, dict[str, float]]
    bottlenecks: list[Bottleneck]
    intervals: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    n_draws: int = 0
    #: the posterior of every node that is not a context, plus the measured ones (a superset of
    #: ``posterior``, from the same pass; what a report colours the web by). Not in ``to_dict``.
    marginals: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    @property
    def change(self) -> dict[str, dict[str, float]]:
        """Posterior minus prior, per node and state."""
        return {
            n: {s: self.posterior[n][s] - self.prior[n][s] for s in self.posterior[n]} for n in self.posterior
        }

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "collaboration_id": self.collaboration_id,
            "respondents": self.respondents,
            "answered_cells": self.answered_cells,
            "given": self.given,
            "measured_nodes": self.measured_nodes,
            "posterior": self.posterior,
            "prior": self.prior,
            "change": self.change,
            "bottlenecks": [b.to_dict() for b in self.bottlenecks],
        }
        if self.n_draws:
            out["intervals"] = {
                "level": INTERVAL[1] - INTERVAL[0],
                "draws": self.n_draws,
                "bounds": {n: {s: list(v) for s, v in d.items()} for n, d in self.intervals.items()},
            }
        return out


def favourable_state(model: Model, node: str) -> str:
    """The state of ``node`` that points most towards collaboration (its scores, or its order)."""
    return graph.favourable_state(model.theory.nodes[node])


def reported_nodes(model: Model, measured: Sequence[str]) -> list[str]:
    """Every mechanism, the two collaboration outcomes, and any measured context, in model order."""
    keep = {n for n, s in model.theory.nodes.items() if s.kind == "mechanism"} | set(OUTCOMES) | set(measured)
    return [n for n in model.nodes if n in keep]


def collaboration_evidence(
    frame: pd.DataFrame,
    instrument: Instrument,
    discrimination: Mapping[str, float],
) -> dict[str, np.ndarray]:
    """One collaboration's answers as a likelihood vector per measured node."""
    items = {item.item_id: item for item in instrument}
    answers = {c: frame[c].to_numpy(dtype=float, na_value=np.nan) for c in frame.columns if c in items}
    return node_likelihoods(answers, items, discrimination)


def prior_discrimination(instrument: Instrument, priors: MeasurementPriors) -> dict[str, float]:
    """Each item's discrimination at its prior median (what ``assess`` uses without a posterior)."""
    return {item.item_id: priors.for_scale(item.scale).median for item in instrument}


def _distribution(d: Any) -> dict[str, float]:
    return {s: float(p) for s, p in d.items()}


def interval_bounds(
    model: Model,
    targets: Sequence[str],
    theta: np.ndarray,
    *,
    given: Mapping[str, str],
    evidence: Mapping[str, np.ndarray],
    dtype: Any = np.float64,
) -> dict[str, dict[str, tuple[float, float]]]:
    """The :data:`INTERVAL` quantiles of each target's posterior over the θ draws ``theta``.

    All targets come from one :meth:`~bayescollab.model.Model.query_marginals_draws` call (the
    CPTs of each chunk of draws derived once, one contraction shared by every target) instead of
    one ``query_draws`` per target. ``dtype=np.float32`` is fine for intervals (~1e-7 relative).
    """
    if not targets:
        return {}
    per_draw = model.query_marginals_draws(
        list(targets), theta, evidence=dict(given), virtual_evidence=dict(evidence), dtype=dtype
    )
    out = {}
    for n in targets:
        lo, hi = np.quantile(np.asarray(per_draw[f"P({n})"].values, dtype=float), INTERVAL, axis=0)
        out[n] = {s: (float(a), float(b)) for s, a, b in zip(model.states(n), lo, hi, strict=True)}
    return out


def assess(
    model: Model,
    survey: pd.DataFrame | str | Path,
    *,
    given: Mapping[str, str] | None = None,
    instrument: Instrument | None = None,
    discrimination: Mapping[str, float] | None = None,
    draws: int = 0,
    seed: RandomSeed = None,
    interval_nodes: Sequence[str] | None = None,
    interval_dtype: Any = np.float64,
    progress: Callable[[str], None] | None = None,
) -> list[Assessment]:
    """Assess every collaboration in ``survey``: a CSV path, or the frame
    :func:`bayescollab.survey.ingest.read_survey` returns.

    ``given`` fixes known contexts (hard evidence); a node that is both given and measured keeps
    the given state and its answers are set aside. ``draws`` > 0 adds credible intervals from
    that many prior θ draws (seeded by ``seed``): for every reported node, or only for those of
    ``interval_nodes`` that are reported (what a report shows), in ``interval_dtype`` precision.
    """
    instrument = instrument if instrument is not None else load_instrument(theory=model.theory)
    if not isinstance(survey, pd.DataFrame):
        from bayescollab.survey.ingest import read_survey

        survey = read_survey(survey, instrument)
    if discrimination is None:
        discrimination = prior_discrimination(instrument, load_measurement_priors())
    given = dict(given or {})
    if draws < 0:
        raise ValueError(f"draws is {draws}; expected 0 (no intervals) or a positive number")
    if survey.empty:
        raise ValueError("the survey has no respondents; expected at least one row")
    theta = model.sample_theta(draws, seed=seed) if draws else None
    results = []
    prior_of: dict[str, dict[str, float]] = {}  # the same for every collaboration
    for collab_id, frame in survey.groupby("collaboration_id", sort=True):
        if progress is not None:
            progress(f"assessing collaboration {collab_id!r} ({len(frame)} respondents)")
        evidence = collaboration_evidence(frame, instrument, discrimination)
        evidence = {n: v for n, v in evidence.items() if n not in given}
        nodes = reported_nodes(model, list(evidence))
        if progress is not None:
            progress(f"  exact posteriors of {len(nodes)} nodes given {len(evidence)} measured ones")
        missing = [n for n in nodes if n not in prior_of]
        if missing:
            priors = model.query_marginals(missing, evidence=given)
            prior_of.update({n: _distribution(d) for n, d in priors.items()})
        prior = {n: prior_of[n] for n in nodes}
        # one pass answers the reported nodes and every other non-context node alike
        wider = [n for n in model.nodes if n in set(nodes) or model.theory.nodes[n].kind != "context"]
        marginals = {
            n: _distribution(d)
            for n, d in model.query_marginals(wider, evidence=given, virtual_evidence=evidence).items()
        }
        posterior = {n: marginals[n] for n in nodes}
        intervals: dict[str, dict[str, tuple[float, float]]] = {}
        if theta is not None:
            wanted = nodes if interval_nodes is None else [n for n in nodes if n in set(interval_nodes)]
            if progress is not None:
                progress(f"  intervals of {len(wanted)} nodes over {draws} draws")
            intervals = interval_bounds(
                model, wanted, theta, given=given, evidence=evidence, dtype=interval_dtype
            )
        items = [c for c in frame.columns if c not in RESERVED_COLUMNS]
        if progress is not None:
            progress("  bottlenecks: one intervention per upstream mechanism")
        results.append(
            Assessment(
                collaboration_id=str(collab_id),
                respondents=len(frame),
                answered_cells=int(frame[items].notna().to_numpy().sum()),
                given=given,
                measured_nodes=sorted(evidence),
                prior=prior,
                posterior=posterior,
                bottlenecks=rank_bottlenecks(model, given, evidence, posterior),
                intervals=intervals,
                n_draws=draws,
                marginals=marginals,
            )
        )
    return results


def _bottleneck_groups(model: Model, given: Mapping[str, str], evidence: Mapping[str, np.ndarray]) -> dict:
    """Candidate mechanisms grouped by the answers their comparison keeps (module docstring).

    Mechanisms whose kept answers are the same share their baseline in :func:`rank_bottlenecks`.
    """
    upstream = set(model.ancestors([TARGET])) - {TARGET}
    groups: dict[frozenset[str], list[str]] = {}
    for node in model.nodes:
        spec = model.theory.nodes[node]
        if node not in upstream or spec.kind != "mechanism" or node in given:
            continue
        below = set(model.descendants(node))
        kept = frozenset(n for n in evidence if n not in below and n != node)
        groups.setdefault(kept, []).append(node)
    return groups


def _target_probabilities(model: Model, settings: Sequence[Any]) -> list[np.ndarray]:
    """P(collaborative behaviour | setting) for each setting, the same numbers ``model.query``
    gives: compiled one after another here, run by :func:`run_compiled`."""
    return run_compiled([model.compile_query(s) for s in settings])


def run_compiled(compiled: Sequence[Any]) -> list[np.ndarray]:
    """``q()`` for each compiled query (:meth:`~bayescollab.model.Model.compile_query`), in order.

    Compile on the calling thread first (planning and the model's spec caches stay on it); the
    contractions then run on worker threads: numpy's ``matmul`` and copies release the GIL, so
    two cores answer many independent queries in well under the serial wall time. BLAS is held
    to one thread meanwhile (its own threads on top oversubscribe the cores).
    ``$BAYESCOLLAB_THREADS`` sets the worker count, as for θ draws.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    setting = os.environ.get("BAYESCOLLAB_THREADS")
    workers = max(1, int(setting)) if setting else min(os.cpu_count() or 1, 8)
    workers = min(workers, len(compiled))
    if workers < 2:
        return [q() for q in compiled]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda q: q(), compiled))


def _expected_score(probs: np.ndarray) -> float:
    """As :meth:`bayescollab.results.Distribution.expected_score`: -1 (lowest) .. +1 (highest)."""
    return float(np.dot(np.linspace(-1.0, 1.0, len(probs)), probs))


def rank_bottlenecks(
    model: Model,
    given: Mapping[str, str],
    evidence: Mapping[str, np.ndarray],
    posterior: Mapping[str, Mapping[str, float]],
) -> list[Bottleneck]:
    """Mechanisms upstream of collaborative behaviour, largest gain first (see module docstring).

    Mechanisms that keep the same answers share their baseline query (unless their own answers
    enter it), so the ranking runs one do() query per mechanism, one baseline per set of kept
    answers and one per measured mechanism, instead of two queries per mechanism; the queries
    are independent and run in parallel (:func:`_target_probabilities`).
    (The reverse pass of ``CompiledQuery.cpt_gradients`` would give every do() of a group from
    four passes, but each pass costs about ten of these queries today; docs/decisions.md.)
    """
    questions: list[Any] = []
    plan: list[tuple[str, str, int, int]] = []  # node, favourable state, index of now, of moved
    for kept_names, nodes in _bottleneck_groups(model, given, evidence).items():
        kept = {n: evidence[n] for n in sorted(kept_names)}
        shared = None
        for node in nodes:
            best = favourable_state(model, node)
            # now: what the answers say about the node itself counts; moved: do() overrides it
            if node in evidence:
                questions.append(
                    model.setting(TARGET, evidence=given, virtual_evidence={**kept, node: evidence[node]})
                )
                now = len(questions) - 1
            else:
                if shared is None:
                    questions.append(model.setting(TARGET, evidence=given, virtual_evidence=kept))
                    shared = len(questions) - 1
                now = shared
            questions.append(model.setting(TARGET, evidence=given, virtual_evidence=kept, do={node: best}))
            plan.append((node, best, now, len(questions) - 1))
    answers = _target_probabilities(model, questions)
    out = [
        Bottleneck(
            node=node,
            favourable_state=best,
            p_favourable_now=posterior[node][best],
            behaviour_now=_expected_score(answers[now]),
            behaviour_if_moved=_expected_score(answers[moved]),
            p_high_now=float(answers[now][-1]),
            p_high_if_moved=float(answers[moved][-1]),
        )
        for node, best, now, moved in plan
    ]
    order = {n: i for i, n in enumerate(model.nodes)}
    return sorted(sorted(out, key=lambda b: order[b.node]), key=lambda b: b.gain, reverse=True)
