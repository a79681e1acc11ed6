"""Which components of θ an answer hangs on: derivatives and swings over prior intervals.

θ (edge weights, node noise, interactions) is what the elicitation and ``learn`` actually set;
a θ component moves many CPT entries at once, so its swing over its own prior interval says
which link or noise scale the answer depends on. (Single CPT entries, the Bayesian-network
reader's view, are in :mod:`bayescollab.sensitivity.cpt_entries`.) Computed exactly on the
contraction engine; the model is never changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from bayescollab.errors import UnknownNameError
from bayescollab.model import Evidence, Model, VirtualEvidence
from bayescollab.sensitivity._query import relevant_parameters, sensitivity_setting
from bayescollab.sensitivity.tornado import Swing

#: The prior interval the θ swings cover (a central 90% interval).
PRIOR_INTERVAL = 0.90


@dataclass(frozen=True)
class ComponentSensitivity:
    """How P(target=state) responds to one θ component, the others held at the model's θ."""

    name: str
    kind: str
    child: str
    value: float
    derivative: float
    interval: tuple[float, float]
    grid: tuple[float, ...]
    responses: tuple[float, ...]

    @property
    def range(self) -> float:
        """Largest minus smallest query over the grid across the prior interval."""
        return max(self.responses) - min(self.responses)

    @property
    def swing(self) -> Swing:
        """The query's lowest and highest value over the grid, labelled by where they occur."""
        lo, hi = int(np.argmin(self.responses)), int(np.argmax(self.responses))
        return Swing(
            self.name,
            self.responses[lo],
            self.responses[hi],
            f"{self.grid[lo]:.3g}",
            f"{self.grid[hi]:.3g}",
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "range": self.range, "swing": self.swing.to_dict()}


@dataclass(frozen=True, eq=False)
class ThetaSensitivity:
    """Per-component θ sensitivity of one query, widest swing first."""

    target: str
    state: str
    evidence: Mapping[str, str]
    do: Mapping[str, str]
    baseline: float
    interval_probability: float
    components: tuple[ComponentSensitivity, ...]

    def swings(self) -> list[Swing]:
        """The :class:`Swing` of every component, for :func:`bayescollab.plots.tornado_plot`."""
        return [c.swing for c in self.components]

    def _labels(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "state": self.state,
            "evidence": dict(self.evidence),
            "do": dict(self.do),
            "baseline": self.baseline,
            "interval_probability": self.interval_probability,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per component (index ``name``): kind, child, value, derivative, the prior
        interval's ends, the lowest and highest query over it, and its range."""
        columns = ["name", "kind", "child", "value", "derivative", "interval_low", "interval_high"]
        rows = [
            (c.name, c.kind, c.child, c.value, c.derivative, *c.interval, c.swing.low, c.swing.high, c.range)
            for c in self.components
        ]
        frame = pd.DataFrame(rows, columns=[*columns, "low", "high", "range"]).set_index("name")
        frame.attrs = self._labels()
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {**self._labels(), "components": [c.to_dict() for c in self.components]}


def theta_positions(model: Model, names: Sequence[str]) -> list[int]:
    """Positions in θ of the named components; unknown or repeated names are refused."""
    spec = model.theta_spec
    known = set(spec.names)
    for name in names:
        if name not in known:
            raise UnknownNameError("θ component", name, spec.names)
    if len(set(names)) != len(names):
        raise ValueError(f"θ components repeat: {list(names)}")
    return [spec.index(n) for n in names]


def prior_quantiles(model: Model, probabilities: Sequence[float] | np.ndarray) -> np.ndarray:
    """Quantiles of every θ component's prior, shape (len(probabilities), P).

    Weights and interactions are normal (elicited mean and sd); noise scales are log-normal
    with the same mean and sd, parametrised as :meth:`ThetaSpec.lognormal_noise` defines.
    """
    spec = model.theta_spec
    z = norm.ppf(np.asarray(probabilities, dtype=float))[:, None]
    out = spec.prior_mean()[None, :] + z * spec.prior_sd()[None, :]
    mu, s = spec.lognormal_noise()
    out[:, spec.noise_mask] = np.exp(mu[None, :] + z * s[None, :])
    return out


def theta_sensitivity(
    model: Model,
    target: str,
    state: str,
    *,
    evidence: Evidence | None = None,
    do: Evidence | None = None,
    virtual_evidence: VirtualEvidence | None = None,
    parameters: Sequence[str] | None = None,
    points: int = 5,
    step: float = 1e-4,
    progress: Callable[[int, int], None] | None = None,
) -> ThetaSensitivity:
    """Local derivative and prior-interval swing of P(target=state | ...) for each θ component.

    ``parameters`` defaults to :func:`relevant_parameters` (the rest cannot move the answer).
    For each one, the others stay at the model's θ (the prior mean for a freshly loaded model):

    * ``derivative``: central finite difference at the model's θ, step ``step`` x prior sd
      (where the CPT family has a kink, |w| at w = 0 for a moderator-only edge, this is the
      mean of the two one-sided slopes);
    * the query at ``points`` prior quantiles evenly spaced in probability across the central
      90% interval (normal for weights and interactions, log-normal for noise), because the
      response need not be monotone; the swing is the lowest and highest of those.

    Every evaluation runs as one batch of θ vectors through :meth:`Model.query_draws`.
    """
    if isinstance(points, bool) or int(points) < 2:
        raise ValueError(f"points is {points!r}; expected at least 2 points across the prior interval")
    if not 0 < step < 1:
        raise ValueError(f"step is {step!r}; expected a small positive fraction of the prior sd")
    setting = sensitivity_setting(model, target, state, evidence, do, virtual_evidence)
    y = model.states(target).index(state)
    names = (
        relevant_parameters(model, target, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
        if parameters is None
        else list(parameters)
    )
    index = theta_positions(model, names)
    spec, centre = model.theta_spec, np.asarray(model.theta, dtype=float)
    tail = (1.0 - PRIOR_INTERVAL) / 2
    grid = prior_quantiles(model, np.linspace(tail, 1.0 - tail, int(points)))[:, index]  # (points, K)
    interval = prior_quantiles(model, [tail, 1.0 - tail])[:, index]
    h = step * spec.prior_sd()[index]
    h = np.where(spec.noise_mask[index], np.minimum(h, centre[index] / 2), h)
    per = 2 + int(points)
    theta = np.repeat(centre[None, :], 1 + per * len(index), axis=0)
    for k, i in enumerate(index):
        base = 1 + per * k
        theta[base, i] += h[k]
        theta[base + 1, i] -= h[k]
        theta[base + 2 : base + per, i] = grid[:, k]
    values = model.compile_query(setting).draws(theta, progress=progress)[:, y]
    components = []
    for k, i in enumerate(index):
        base = 1 + per * k
        p = spec.parameters[i]
        components.append(
            ComponentSensitivity(
                name=p.name,
                kind=p.kind,
                child=p.child,
                value=float(centre[i]),
                derivative=float((values[base] - values[base + 1]) / (2 * h[k])),
                interval=(float(interval[0, k]), float(interval[1, k])),
                grid=tuple(float(g) for g in grid[:, k]),
                responses=tuple(float(v) for v in values[base + 2 : base + per]),
            )
        )
    components.sort(key=lambda c: c.range, reverse=True)
    return ThetaSensitivity(
        target=target,
        state=state,
        evidence=dict(evidence or {}),
        do=dict(do or {}),
        baseline=float(values[0]),
        interval_probability=PRIOR_INTERVAL,
        components=tuple(components),
    )


