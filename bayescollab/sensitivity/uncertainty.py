"""Credible intervals: how sure the model is of a query, once its own parameters are uncertain.

A query answered at one parameter vector θ (the prior mean, or a ``learn`` posterior mean)
hides how much that answer depends on the link strengths the seeds only grade roughly. Here the
same query is answered under many draws of θ (from the prior elicited in ``priors/``, or from a
posterior), exactly for each draw (``Model.query_draws``), and summarised as the point value at
the model's own θ, the mean over draws and an equal-tailed interval (optionally an HDI).

Scenario comparisons reuse the *same* draws for every scenario, so a difference between two
scenarios is computed draw by draw (a paired difference): the uncertainty the scenarios share
(e.g. how strongly trust drives behaviour) cancels instead of blurring both intervals, and
P(A > B) is the share of draws in which A comes out higher.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import xarray as xr

from bayescollab._random import RandomSeed, get_random_generator
from bayescollab._validate import check_node, check_state
from bayescollab._version import __version__
from bayescollab.sensitivity._query import describe_conditions

if TYPE_CHECKING:
    from bayescollab.model import Model, VirtualEvidence

__all__ = [
    "CredibleInterval",
    "PairedDifference",
    "ScenarioComparison",
    "compare_scenarios",
    "credible_interval",
    "select_draws",
]

Source = Literal["prior", "posterior"]


def _check_prob(prob: float) -> float:
    """The interval's probability mass: strictly between 0 and 1."""
    if isinstance(prob, bool) or not isinstance(prob, int | float | np.number) or not 0 < prob < 1:
        raise ValueError(f"prob is {prob!r}; expected a number strictly between 0 and 1, such as 0.9")
    return float(prob)


def _check_n_draws(n_draws: int) -> int:
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
        raise ValueError(f"n_draws is {n_draws!r}; expected a positive whole number, such as 1000")
    return int(n_draws)


def select_draws(
    model: Model, theta: np.ndarray | None, n_draws: int, seed: RandomSeed
) -> tuple[np.ndarray, Source]:
    """The θ draws a query is run under, and where they came from.

    ``theta`` given: used as it is (taken to be posterior draws, e.g. from ``learn``). Else
    ``model.theta_draws`` (a model loaded with ``posterior=``), thinned to ``n_draws`` by a
    seeded choice without replacement when it holds more. Else ``n_draws`` prior draws.
    """
    if theta is not None:
        theta = np.asarray(theta, dtype=float)
        if theta.ndim != 2 or theta.shape[1] != len(model.theta_spec) or len(theta) == 0:
            raise ValueError(
                f"theta draws have shape {theta.shape}; expected (draws >= 1, {len(model.theta_spec)})"
            )
        return theta, "posterior"
    n_draws = _check_n_draws(n_draws)
    if model.theta_draws is not None:
        draws = np.asarray(model.theta_draws, dtype=float)
        if len(draws) > n_draws:
            keep = np.sort(get_random_generator(seed).choice(len(draws), size=n_draws, replace=False))
            draws = draws[keep]
        return draws, "posterior"
    return model.sample_theta(n_draws, seed=seed), "prior"


def _hdi(values: np.ndarray, prob: float) -> tuple[float, float]:
    """Highest-density interval of one sample, by ArviZ (imported only when asked for)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # ArviZ announces its refactor on import
        import arviz as az
    lo, hi = az.hdi(np.asarray(values, dtype=float), hdi_prob=prob)
    return float(lo), float(hi)


@dataclass(frozen=True)
class CredibleInterval:
    """P(target = state | conditions) at the model's θ, and its spread over θ draws.

    ``point`` is the answer at the model's own θ; ``mean``, ``lower`` and ``upper`` summarise
    the per-draw answers kept in ``draws`` (dims ``("draw", target)``); ``hdi`` holds
    highest-density bounds when they were asked for. Every mapping is keyed by state.
    """

    target: str
    state: str | None
    prob: float
    source: Source
    n_draws: int
    point: dict[str, float]
    mean: dict[str, float]
    lower: dict[str, float]
    upper: dict[str, float]
    evidence: dict[str, str]
    do: dict[str, str]
    virtual_evidence: list[str]
    draws: xr.DataArray = field(repr=False)
    hdi: dict[str, tuple[float, float]] | None = None
    label: str | None = None

    @property
    def states(self) -> list[str]:
        return list(self.point)

    def line(self, state: str) -> str:
        """One state as text: ``P(target=state | conditions) = point [lower, upper] (...)``."""
        cond = self.label or describe_conditions(self.evidence, self.do, self.virtual_evidence)
        hdi = ""
        if self.hdi is not None:
            hdi = f", HDI [{self.hdi[state][0]:.2f}, {self.hdi[state][1]:.2f}]"
        return (
            f"P({self.target}={state} | {cond}) = {self.point[state]:.3f} "
            f"[{self.lower[state]:.2f}, {self.upper[state]:.2f}] "
            f"({self.prob:.0%} {self.source} interval{hdi}, {self.n_draws} draws)"
        )

    def __str__(self) -> str:
        return "\n".join(self.line(s) for s in ([self.state] if self.state else self.states))

    def to_dict(self) -> dict[str, Any]:
        states = {}
        for s in self.states:
            states[s] = {
                "point": self.point[s],
                "mean": self.mean[s],
                "lower": self.lower[s],
                "upper": self.upper[s],
            }
            if self.hdi is not None:
                states[s]["hdi"] = list(self.hdi[s])
        return {
            "target": self.target,
            "state": self.state,
            "label": self.label,
            "evidence": self.evidence,
            "do": self.do,
            "virtual_evidence": self.virtual_evidence,
            "prob": self.prob,
            "interval": "equal-tailed",
            "source": self.source,
            "n_draws": self.n_draws,
            "states": states,
        }

    def to_dataset(self) -> xr.Dataset:
        """Point, mean and bounds as an ``xarray.Dataset`` over the target's states."""
        values = {"point": self.point, "mean": self.mean, "lower": self.lower, "upper": self.upper}
        return xr.Dataset(
            {name: ("state", [v[s] for s in self.states]) for name, v in values.items()},
            coords={"state": self.states},
            attrs={
                "target": self.target,
                "prob": self.prob,
                "source": self.source,
                "n_draws": self.n_draws,
                "evidence": repr(self.evidence),
                "do": repr(self.do),
                "bayescollab_version": __version__,
            },
        )


def _summarise(
    model: Model,
    target: str,
    state: str | None,
    per_draw: xr.DataArray,
    *,
    prob: float,
    source: Source,
    evidence: Mapping[str, str],
    do: Mapping[str, str],
    virtual_evidence: VirtualEvidence | None,
    hdi: bool,
    label: str | None,
) -> CredibleInterval:
    states = model.states(target)
    point = model.query(target, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
    values = per_draw.values
    tail = (1.0 - prob) / 2.0
    lower, upper = np.quantile(values, [tail, 1.0 - tail], axis=0)
    return CredibleInterval(
        target=target,
        state=state,
        prob=prob,
        source=source,
        n_draws=len(values),
        point={s: float(point[s]) for s in states},
        mean=dict(zip(states, (float(v) for v in values.mean(axis=0)), strict=True)),
        lower=dict(zip(states, (float(v) for v in lower), strict=True)),
        upper=dict(zip(states, (float(v) for v in upper), strict=True)),
        evidence=dict(evidence),
        do=dict(do),
        virtual_evidence=sorted(virtual_evidence or {}),
        draws=per_draw,
        hdi={s: _hdi(values[:, i], prob) for i, s in enumerate(states)} if hdi else None,
        label=label,
    )


def credible_interval(
    model: Model,
    target: str,
    state: str | None = None,
    *,
    evidence: Mapping[str, str] | None = None,
    do: Mapping[str, str] | None = None,
    virtual_evidence: VirtualEvidence | None = None,
    theta: np.ndarray | None = None,
    n_draws: int = 1000,
    seed: RandomSeed = None,
    prob: float = 0.9,
    hdi: bool = False,
    label: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CredibleInterval:
    """The credible interval of P(target | evidence, do, virtual evidence) over θ draws.

    Parameters
    ----------
    state
        The state printed by ``str()``; every state is summarised either way (None prints all).
    theta
        Draws of θ, shape (draws, P), used as they are and labelled ``posterior``. Without it,
        ``model.theta_draws`` (a model loaded from a ``learn`` posterior) thinned to
        ``n_draws``, or else ``n_draws`` prior draws from ``priors/`` seeded by ``seed``.
    prob
        Mass of the equal-tailed interval (and of the HDI with ``hdi=True``, computed by ArviZ).
    label
        How the conditions read in text (e.g. a scenario name); default: written out.
    progress
        ``progress(done, total)`` after each chunk of draws.

    The model is not changed. With identical draws the interval collapses to the point value.
    """
    prob = _check_prob(prob)
    check_node(target, model.nodes)
    if state is not None:
        check_state(target, state, model.states(target))
    draws, source = select_draws(model, theta, n_draws, seed)
    evidence, do = dict(evidence or {}), dict(do or {})
    per_draw = model.query_draws(
        target, draws, evidence=evidence, do=do, virtual_evidence=virtual_evidence, progress=progress
    )
    return _summarise(
        model,
        target,
        state,
        per_draw,
        prob=prob,
        source=source,
        evidence=evidence,
        do=do,
        virtual_evidence=virtual_evidence,
        hdi=hdi,
        label=label,
    )


@dataclass(frozen=True)
class PairedDifference:
    """P(target = state | a) - P(target = state | b), draw by draw over the same θ draws."""

    a: str
    b: str
    point: float
    mean: float
    lower: float
    upper: float
    p_a_greater: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "point": self.point,
            "mean": self.mean,
            "lower": self.lower,
            "upper": self.upper,
            "p_a_greater": self.p_a_greater,
        }


@dataclass(frozen=True)
class ScenarioComparison:
    """Several scenarios' intervals for one target state, and their paired differences."""

    target: str
    state: str
    prob: float
    source: Source
    n_draws: int
    do: dict[str, str]
    intervals: dict[str, CredibleInterval]
    differences: list[PairedDifference]

    def difference(self, a: str, b: str) -> PairedDifference:
        """The paired difference a - b (either order of a pair that was compared)."""
        for d in self.differences:
            if (d.a, d.b) == (a, b):
                return d
        for name in (a, b):
            if name not in self.intervals:
                raise KeyError(f"no scenario {name!r}; compared: {list(self.intervals)}")
        return _paired(self.intervals, self.target, self.state, self.prob, a, b)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "state": self.state,
            "prob": self.prob,
            "source": self.source,
            "n_draws": self.n_draws,
            "do": self.do,
            "scenarios": {name: ci.to_dict() for name, ci in self.intervals.items()},
            "differences": [d.to_dict() for d in self.differences],
        }

    def __str__(self) -> str:
        lines = [f"P({self.target}={self.state}) by scenario ({self.prob:.0%} {self.source} intervals, "]
        lines[0] += f"{self.n_draws} paired draws)"
        width = max(len(n) for n in self.intervals)
        for name, ci in self.intervals.items():
            s = self.state
            lines.append(f"  {name:<{width}s} {ci.point[s]:.3f} [{ci.lower[s]:.2f}, {ci.upper[s]:.2f}]")
        lines.append("paired differences (a - b): point [interval], P(a > b)")
        for d in self.differences:
            lines.append(
                f"  {d.a} - {d.b}: {d.point:+.3f} [{d.lower:+.3f}, {d.upper:+.3f}], P = {d.p_a_greater:.2f}"
            )
        return "\n".join(lines)


def _paired(
    intervals: Mapping[str, CredibleInterval], target: str, state: str, prob: float, a: str, b: str
) -> PairedDifference:
    """Scenario a minus scenario b, draw by draw (both answered under the same θ draws)."""
    s = state
    ca, cb = intervals[a], intervals[b]
    diff = ca.draws.sel({target: s}).values - cb.draws.sel({target: s}).values
    tail = (1.0 - prob) / 2.0
    lower, upper = np.quantile(diff, [tail, 1.0 - tail])
    return PairedDifference(
        a=a,
        b=b,
        point=ca.point[s] - cb.point[s],
        mean=float(diff.mean()),
        lower=float(lower),
        upper=float(upper),
        p_a_greater=float(np.mean(diff > 0)),
    )


def compare_scenarios(
    model: Model,
    target: str,
    state: str,
    scenarios: Mapping[str, Mapping[str, str]] | Sequence[str],
    *,
    do: Mapping[str, str] | None = None,
    theta: np.ndarray | None = None,
    n_draws: int = 1000,
    seed: RandomSeed = None,
    prob: float = 0.9,
    progress: Callable[[int, int], None] | None = None,
) -> ScenarioComparison:
    """Intervals of P(target = state) in several scenarios, over one shared set of θ draws.

    ``scenarios`` maps a name to its evidence, or lists named scenarios of the model
    (``models/scenarios.yaml``). ``do`` applies to every scenario. Draws are chosen as in
    :func:`credible_interval`, once, and every scenario is answered under each of them, so
    each pair (in the given order) gets a paired difference: its interval and P(a > b), the
    share of draws in which scenario a gives the higher probability. ``progress(done, total)``
    counts draws over all scenarios.
    """
    prob = _check_prob(prob)
    check_node(target, model.nodes)
    check_state(target, state, model.states(target))
    if not isinstance(scenarios, Mapping):
        scenarios = {name: model.scenario(name) for name in scenarios}
    if len(scenarios) < 1:
        raise ValueError("no scenarios given; expected a mapping name -> evidence with at least one entry")
    draws, source = select_draws(model, theta, n_draws, seed)
    do = dict(do or {})
    total = len(draws) * len(scenarios)
    intervals: dict[str, CredibleInterval] = {}
    for i, (name, evidence) in enumerate(scenarios.items()):
        offset = i * len(draws)

        def report(done: int, _total: int, offset: int = offset) -> None:
            if progress is not None:
                progress(offset + done, total)

        per_draw = model.query_draws(target, draws, evidence=dict(evidence), do=do, progress=report)
        intervals[name] = _summarise(
            model,
            target,
            state,
            per_draw,
            prob=prob,
            source=source,
            evidence=evidence,
            do=do,
            virtual_evidence=None,
            hdi=False,
            label=name,
        )
    return ScenarioComparison(
        target=target,
        state=state,
        prob=prob,
        source=source,
        n_draws=len(draws),
        do=do,
        intervals=intervals,
        differences=[_paired(intervals, target, state, prob, a, b) for a, b in combinations(intervals, 2)],
    )


