"""Which contexts move a query most, when each is seen in a state and when each is set to it.

For a target state (default: the target's favourable state) under a scenario, every context
node the scenario leaves open is moved across its states twice:

* **observed**: P(target = state | scenario, context = s). This is what an analyst learns on
  *finding* a collaboration in that context.
* **do**: P(target = state | scenario, do(context = s)). This is what would happen if the
  context were *made* so, everything upstream of it left as it is.

The two differ whenever the context shares a cause with the target's other ancestors (a
backdoor path). ``collaboration_form`` drives ``mandated``, ``integration_level``,
``cross_sector`` and ``partner_scale``: observing ``integration_level = high`` also says the
form is probably a merger, which brings its own mandate and scale, so the observed swing mixes
the context's own effect with everything the form implies. ``do(integration_level = high)``
cuts the link to the form and keeps only the context's own effect. For a context with no
parents (most contexts here) nothing can flow in behind it, and the two swings coincide.

How it is computed. Batching every (context, state) case through one contraction carries the
batch axis through the whole network, which DESIGN.md found slow; instead the observed swings
come from joints P(target, a few contexts | scenario) contracted once per small group of
contexts (:data:`GROUP_MAX_STATES`) and read off as lookups. The do swing of a context that has
parents comes from the same kind of lookup in a copy of the network whose table for that
context no longer depends on its parents (graph surgery with a flat prior): there,
observing the context is intervening on it. That copy keeps the model's structure, so the
contraction plan of the ordinary query is reused. A root context's do swing is its observed
swing (for a root, conditioning and intervening agree).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import xarray as xr

from bayescollab._validate import check_node
from bayescollab.compiled import EVIDENCE_ZERO_ATOL
from bayescollab.errors import ImpossibleEvidenceError, UnknownNameError
from bayescollab.sensitivity._query import header_attrs, result_header
from bayescollab.sensitivity.tornado import Swing
from bayescollab.setting import merge_scenario
from bayescollab.theory.graph import favourable_state
from bayescollab.theory.vocabulary import TARGET

#: contexts swept in one contraction: the product of their state counts stays at or below this
#: (a few contexts per group keeps the joint small and the contraction close to a plain query)
GROUP_MAX_STATES = 12
SwingKind = Literal["observed", "do"]
SWING_KINDS: tuple[str, ...] = ("observed", "do")


def scenario_conditions(
    model: Any,
    scenario: str | None,
    evidence: Mapping[str, str] | None,
    do: Mapping[str, str] | None,
) -> tuple[dict[str, str], dict[str, str]]:
    """A named scenario's evidence plus the caller's own, and the interventions.

    Extra evidence may add to a scenario but not contradict it: a clash is refused, naming both
    values (the package's one merge rule, :func:`bayescollab.setting.merge_scenario`).
    """
    base = model.scenario(scenario) if scenario is not None else {}
    return merge_scenario(scenario, base, evidence), dict(do or {})


def context_nodes(model: Any) -> list[str]:
    """Context nodes in model (life-cycle) order."""
    return [n for n in model.nodes if model.theory.nodes[n].kind == "context"]


def open_nodes(
    nodes: Sequence[str], target: str, evidence: Mapping[str, str], do: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The nodes a setting leaves open to move, and why each other one is left alone."""
    free: list[str] = []
    excluded: dict[str, str] = {}
    for node in nodes:
        if node in evidence:
            excluded[node] = "observed in the scenario"
        elif node in do:
            excluded[node] = "set by do in the scenario"
        elif node == target:
            excluded[node] = "is the target"
        else:
            free.append(node)
    return free, excluded


def check_kind(kind: str) -> str:
    if kind not in SWING_KINDS:
        raise UnknownNameError("swing kind", kind, list(SWING_KINDS))
    return kind


@dataclass(frozen=True)
class ContextSwing:
    """One context moved across its states: the target probability at each, seen and set.

    ``observed[i]`` is NaN when the scenario rules the i-th state out (it cannot be observed);
    ``intervened[i]`` is NaN when setting it makes the scenario's evidence impossible.
    """

    context: str
    states: tuple[str, ...]
    observed: tuple[float, ...]
    intervened: tuple[float, ...]
    has_parents: bool

    def values(self, kind: SwingKind) -> tuple[float, ...]:
        return self.observed if check_kind(kind) == "observed" else self.intervened

    def swing(self, kind: SwingKind = "do") -> Swing:
        """The span as a :class:`Swing`: lowest and highest probability and the states giving them."""
        vals = np.asarray(self.values(kind), dtype=float)
        if not np.isfinite(vals).any():
            return Swing(self.context, float("nan"), float("nan"))
        lo, hi = int(np.nanargmin(vals)), int(np.nanargmax(vals))
        return Swing(self.context, float(vals[lo]), float(vals[hi]), self.states[lo], self.states[hi])

    def width(self, kind: SwingKind = "do") -> float:
        """max - min of the target probability over the states (0 when none is defined)."""
        width = self.swing(kind).width
        return 0.0 if np.isnan(width) else width

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"context": self.context, "has_parents": self.has_parents}
        for kind in SWING_KINDS:
            s = self.swing(kind)
            out[kind] = {
                "probabilities": {
                    st: _json_float(p) for st, p in zip(self.states, self.values(kind), strict=True)
                },
                "min_state": s.low_label,
                "max_state": s.high_label,
                "width": self.width(kind),
            }
        return out


def _json_float(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


@dataclass(frozen=True)
class ContextSensitivity:
    """Context swings of P(target = state) under one scenario, in model order.

    ``excluded`` names the contexts that were not moved and why (observed or set by the
    scenario, or the target itself).
    """

    target: str
    state: str
    scenario: str | None
    evidence: dict[str, str]
    do: dict[str, str]
    baseline: float
    swings: tuple[ContextSwing, ...]
    excluded: dict[str, str]

    def ranked(self, kind: SwingKind = "do") -> list[ContextSwing]:
        """Swings widest first (ties keep model order)."""
        check_kind(kind)
        return sorted(self.swings, key=lambda s: -s.width(kind))

    def __getitem__(self, context: str) -> ContextSwing:
        for s in self.swings:
            if s.context == context:
                return s
        raise UnknownNameError("context in this result", context, [s.context for s in self.swings])

    def to_dict(self) -> dict[str, Any]:
        return {
            **result_header(self),
            "baseline": self.baseline,
            "contexts": [s.to_dict() for s in self.ranked("do")],
            "excluded": dict(self.excluded),
        }

    def to_dataset(self) -> xr.Dataset:
        """The swings as a Dataset over ``context`` (model order), the setting in ``attrs``."""
        data: dict[str, Any] = {}
        for kind in SWING_KINDS:
            ends = [s.swing(kind) for s in self.swings]
            data[f"low_{kind}"] = ("context", [e.low for e in ends])
            data[f"high_{kind}"] = ("context", [e.high for e in ends])
            data[f"width_{kind}"] = ("context", [s.width(kind) for s in self.swings])
        return xr.Dataset(
            data,
            coords={"context": [s.context for s in self.swings]},
            attrs={**header_attrs(self), "baseline": self.baseline},
        )

    def to_text(self, top: int = 10) -> str:
        """A plain table of the widest swings, with the state at each end."""
        given = self.scenario or ", ".join(f"{k}={v}" for k, v in self.evidence.items()) or "nothing"
        lines = [
            f"P({self.target}={self.state} | {given}) = {self.baseline:.3f}; "
            "swings as each open context moves",
            f"{'context':<30} {'do width':>8} {'do: lowest .. highest':<44} {'observed width':>14}",
        ]
        for s in self.ranked("do")[:top]:
            d = s.swing("do")
            span = f"{d.low:.3f} ({d.low_label}) .. {d.high:.3f} ({d.high_label})"
            lines.append(f"{s.context:<30} {s.width('do'):>8.3f} {span:<44} {s.width('observed'):>14.3f}")
        if self.excluded:
            lines.append("not moved: " + ", ".join(f"{k} ({v})" for k, v in self.excluded.items()))
        return "\n".join(lines)


def _groups(model: Any, nodes: Sequence[str]) -> list[list[str]]:
    """Consecutive contexts packed so each group's state-count product stays within the cap."""
    groups: list[list[str]] = []
    size = GROUP_MAX_STATES + 1
    for node in nodes:
        card = len(model.states(node))
        if size * card > GROUP_MAX_STATES:
            groups.append([])
            size = 1
        groups[-1].append(node)
        size *= card
    return groups


def _conditional(joint: np.ndarray, state_ix: int) -> np.ndarray:
    """P(target = state | node = s) for each s, from a (target, node) joint; NaN where P(s) = 0."""
    mass = joint.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mass > EVIDENCE_ZERO_ATOL, joint[state_ix] / mass, np.nan)


def _observed(
    model: Any, target: str, state_ix: int, nodes: Sequence[str], ev: dict, dos: dict
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for group in _groups(model, nodes):
        joint = np.asarray(model.query_joint([target, *group], evidence=ev, do=dos))
        for i, node in enumerate(group):
            others = tuple(1 + j for j in range(len(group)) if j != i)
            out[node] = _conditional(joint.sum(axis=others), state_ix)
    return out


def _intervened(model: Any, target: str, state_ix: int, node: str, ev: dict, dos: dict) -> np.ndarray:
    """P(target = state | do(node = s)) for each s: observing ``node`` once its table is flat and
    independent of its parents is intervening on it (graph surgery by a CPT override, so the
    query's plan fits unchanged)."""
    table = model.cpts[node]
    flat = np.full(table.shape, 1.0 / table.shape[0])
    query = model.compile_query(model.setting(evidence=ev, do=dos), targets=[target, node])
    try:
        joint = query(cpts={node: flat})
    except ImpossibleEvidenceError:
        return np.full(table.shape[0], np.nan)
    return _conditional(joint, state_ix)


def context_sensitivity(
    model: Any,
    target: str = TARGET,
    state: str | None = None,
    *,
    scenario: str | None = None,
    evidence: Mapping[str, str] | None = None,
    do: Mapping[str, str] | None = None,
    contexts: Sequence[str] | None = None,
) -> ContextSensitivity:
    """Swing of P(target = state) as each open context moves across its states, seen and set.

    Parameters
    ----------
    model
        A :class:`bayescollab.Model`; it is only queried, never changed.
    target, state
        The query. ``state`` defaults to the target's favourable state (``high`` for
        ``collaborative_behaviour``, ``low`` for ``conflict``).
    scenario, evidence, do
        The setting: a named scenario from ``models/scenarios.yaml`` and/or evidence, and
        interventions. Contexts observed or set here are not moved (listed in ``excluded``).
    contexts
        Which contexts to move (default: every context node the setting leaves open).

    Returns
    -------
    ContextSensitivity
        One :class:`ContextSwing` per moved context with the per-state probabilities observed
        and under ``do``; ``ranked(kind)`` sorts by width, ``context_tornado`` draws it.

    See the module docstring for why the observed and do swings differ (backdoor paths through
    shared causes such as ``collaboration_form``).
    """
    check_node(target, model.nodes)
    state = favourable_state(model.theory.nodes[target]) if state is None else state
    setting = model.setting(target, state, evidence=evidence, do=do, scenario=scenario)
    state_ix = model.states(target).index(state)
    ev, dos = dict(setting.evidence), dict(setting.do)
    all_contexts = context_nodes(model)
    if contexts is None:
        wanted = all_contexts
    else:
        for node in contexts:
            check_node(node, model.nodes)
            if node not in all_contexts:
                raise UnknownNameError(
                    f"context node ({node!r} is a {model.theory.nodes[node].kind})", node, all_contexts
                )
        wanted = [n for n in all_contexts if n in set(contexts)]
    free, excluded = open_nodes(wanted, target, ev, dos)
    baseline = float(model.query(setting)[state])
    observed = _observed(model, target, state_ix, free, ev, dos) if free else {}
    swings = []
    for node in free:
        has_parents = bool(model.parents(node))
        seen = observed[node]
        made = _intervened(model, target, state_ix, node, ev, dos) if has_parents else seen
        swings.append(
            ContextSwing(
                context=node,
                states=tuple(model.states(node)),
                observed=tuple(float(p) for p in seen),
                intervened=tuple(float(p) for p in made),
                has_parents=has_parents,
            )
        )
    return ContextSensitivity(
        target=target,
        state=state,
        scenario=scenario,
        evidence=ev,
        do=dos,
        baseline=baseline,
        swings=tuple(swings),
        excluded=excluded,
    )


__all__ = [
    "ContextSensitivity",
    "ContextSwing",
    "context_sensitivity",
    "scenario_conditions",
]
