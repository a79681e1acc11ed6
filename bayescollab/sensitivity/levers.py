"""Actionable levers: which contexts a collaboration can change, and which changes help most.

``models/levers.yaml`` marks the context nodes that the people running a collaboration can act
on (formalisation, joint working, quick wins, ...), the state each action aims for, and the
Table 10 action statements of seed 002 (ACT-### records) that back it. :func:`load_levers`
reads and checks it against the theory; :func:`rank_levers` ranks interventions on those
levers for one setting.

Ranking. For a setting (scenario, evidence, do) and a target state, every lever the setting
leaves open is set to each of its action states, alone and in pairs of two different levers,
and ranked by the gain in P(target = state) over the setting without intervention. A gain is
an interventional quantity, ``do(lever = state)``.

A pair's gain need not be the sum of its two single gains, and the difference is worth an
evaluator's attention. It falls short (*sub-additive*) when both levers work through the same
mechanism: leadership style and accountability arrangements both act on conflict resolution,
so the second push meets less headroom. It can also exceed the sum, where two pushes together
climb the steep part of the model's threshold-shaped links. So a package of actions should be
judged by its own gain, not by adding single gains up; each pair's :class:`LeverEffect`
carries ``interaction`` (pair gain minus the singles' sum) and ``sub_additive``, and
:attr:`LeverRanking.sub_additive_pairs` lists the pairs that fall short.

Computation. A lever without parents (every lever in the packaged theory) is a root of the
network, and for a root, intervening and conditioning give the same answer. So one
contraction of the joint P(target, every open root lever | setting) answers every single and
every pair as a lookup. Levers with parents, if a theory has them, fall back to one
``model.query(..., do=...)`` per candidate (plans are cached per query shape, so the repeats
reuse them).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from bayescollab.compiled import EVIDENCE_ZERO_ATOL, LOOKUP_MAX_ENTRIES
from bayescollab.errors import ImpossibleEvidenceError, UnknownNameError
from bayescollab.sensitivity._query import header_attrs, result_header
from bayescollab.sensitivity.context import TARGET, open_nodes, scenario_conditions
from bayescollab.theory.graph import favourable_state
from bayescollab.theory.levers import Backing, LeverSet, LeverSpec, NotLeverSpec, load_levers

#: a pair counts as sub-additive when its gain falls short of the singles' sum by more than this
INTERACTION_ATOL = 1e-9


# ---------------------------------------------------------------------------------- ranking
@dataclass(frozen=True)
class LeverEffect:
    """One intervention (one lever, or a pair) and what it does to P(target = state)."""

    settings: tuple[tuple[str, str], ...]  # ((node, state), ...) in model order
    probability: float
    gain: float
    single_gains: tuple[float, ...] = ()  # for a pair: each of its settings' gain alone
    actions: tuple[str, ...] = ()  # the lever paraphrase of each setting
    backing: tuple[Backing, ...] = ()

    @property
    def do(self) -> dict[str, str]:
        return dict(self.settings)

    @property
    def label(self) -> str:
        return ", ".join(f"do({n}={s})" for n, s in self.settings)

    @property
    def interaction(self) -> float | None:
        """Pair gain minus the sum of its singles' gains (None for a single lever)."""
        return self.gain - sum(self.single_gains) if self.single_gains else None

    @property
    def sub_additive(self) -> bool:
        return self.interaction is not None and self.interaction < -INTERACTION_ATOL

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "do": self.do,
            "probability": self.probability,
            "gain": self.gain,
            "actions": list(self.actions),
            "backing": [b.to_dict() for b in self.backing],
        }
        if self.single_gains:
            out["single_gains"] = list(self.single_gains)
            out["interaction"] = self.interaction
            out["sub_additive"] = self.sub_additive
        return out


@dataclass(frozen=True)
class LeverRanking:
    """Single and paired lever interventions ranked by gain in P(target = state) for one setting."""

    target: str
    state: str
    scenario: str | None
    evidence: dict[str, str]
    do: dict[str, str]
    baseline: float
    singles: tuple[LeverEffect, ...]
    pairs: tuple[LeverEffect, ...]
    excluded: dict[str, str] = field(default_factory=dict)
    impossible: tuple[str, ...] = ()

    @property
    def sub_additive_pairs(self) -> list[LeverEffect]:
        return [p for p in self.pairs if p.sub_additive]

    def to_dataset(self) -> xr.Dataset:
        """Every ranked intervention (singles, then pairs) as a Dataset, the setting in ``attrs``."""
        effects = [*self.singles, *self.pairs]
        return xr.Dataset(
            {
                "probability": ("intervention", [e.probability for e in effects]),
                "gain": ("intervention", [e.gain for e in effects]),
                "levers": ("intervention", [len(e.settings) for e in effects]),
            },
            coords={"intervention": [e.label for e in effects]},
            attrs={**header_attrs(self), "baseline": self.baseline},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **result_header(self),
            "baseline": self.baseline,
            "singles": [e.to_dict() for e in self.singles],
            "pairs": [e.to_dict() for e in self.pairs],
            "sub_additive_pairs": len(self.sub_additive_pairs),
            "excluded": dict(self.excluded),
            "impossible": list(self.impossible),
        }

    def to_text(self, top: int = 5) -> str:
        """The best singles and pairs with their backing statements, for a report or notebook."""
        given = self.scenario or ", ".join(f"{k}={v}" for k, v in self.evidence.items()) or "nothing"
        lines = [f"P({self.target}={self.state} | {given}) = {self.baseline:.3f} without intervention"]
        lines.append("single levers (probability, gain, backing):")
        for i, e in enumerate(self.singles[:top], 1):
            ids = ", ".join(b.id for b in e.backing)
            lines.append(f"  {i:>2}. {e.label:<50} {e.probability:.3f}  {e.gain:+.3f}  [{ids}]")
        if self.pairs:
            lines.append("pairs (probability, gain, gain minus the singles' sum):")
            for i, e in enumerate(self.pairs[:top], 1):
                tag = "  sub-additive" if e.sub_additive else ""
                lines.append(
                    f"  {i:>2}. {e.label:<70} {e.probability:.3f}  {e.gain:+.3f}  {e.interaction:+.3f}{tag}"
                )
            lines.append(
                f"{len(self.sub_additive_pairs)} of {len(self.pairs)} pairs gain less than their singles' sum"
            )
        if self.excluded:
            lines.append("not ranked: " + ", ".join(f"{k} ({v})" for k, v in self.excluded.items()))
        if self.impossible:
            lines.append("impossible under this setting: " + "; ".join(self.impossible))
        return "\n".join(lines)


def _root_probabilities(
    model: Any, target: str, state_ix: int, roots: Sequence[str], ev: dict, dos: dict
) -> dict[frozenset, float]:
    """P(target = state | setting, root settings) for every single and pair, from joint lookups."""
    out: dict[frozenset, float] = {}
    if not roots:
        return out
    size = len(model.states(target)) * int(np.prod([len(model.states(n)) for n in roots]))
    if size <= LOOKUP_MAX_ENTRIES:
        full = np.asarray(model.query_joint([target, *roots], evidence=ev, do=dos))

        def joint_of(nodes: Sequence[str]) -> np.ndarray:
            keep = {1 + roots.index(n) for n in nodes}
            return full.sum(axis=tuple(a for a in range(1, full.ndim) if a not in keep))
    else:  # too many levers for one table: one small joint per pair

        def joint_of(nodes: Sequence[str]) -> np.ndarray:
            return np.asarray(model.query_joint([target, *nodes], evidence=ev, do=dos))

    groups = [[n] for n in roots] + [list(p) for p in itertools.combinations(roots, 2)]
    for nodes in groups:
        table = joint_of(nodes)
        for combo in itertools.product(*[range(len(model.states(n))) for n in nodes]):
            column = table[(slice(None), *combo)]
            mass = column.sum()
            key = frozenset((n, model.states(n)[i]) for n, i in zip(nodes, combo, strict=True))
            out[key] = float(column[state_ix] / mass) if mass > EVIDENCE_ZERO_ATOL else float("nan")
    return out


def _effects(
    model: Any,
    target: str,
    state: str,
    combos: Sequence[tuple[tuple[str, str], ...]],
    probs: dict,
    baseline: float,
    ev: Mapping[str, str],
    dos: Mapping[str, str],
    levers: LeverSet,
) -> tuple[dict[tuple, LeverEffect], list[str]]:
    """Each intervention's effect (singles before pairs), and the ones the setting rules out."""
    impossible: list[str] = []
    effects: dict[tuple, LeverEffect] = {}
    for combo in combos:
        key = frozenset(combo)
        if key not in probs:  # a lever with parents: intervene directly
            try:
                probs[key] = float(model.query(target, evidence=ev, do={**dos, **dict(combo)})[state])
            except ImpossibleEvidenceError:
                probs[key] = float("nan")
        p = probs[key]
        if np.isnan(p):
            impossible.append(", ".join(f"do({n}={s})" for n, s in combo))
            continue
        if len(combo) > 1 and any((c,) not in effects for c in combo):
            continue  # a component alone is impossible, so the pair is too
        singles = tuple(effects[(c,)].gain for c in combo) if len(combo) > 1 else ()
        effects[combo] = LeverEffect(
            settings=combo,
            probability=p,
            gain=p - baseline,
            single_gains=singles,
            actions=tuple(levers.levers[n].paraphrase for n, _ in combo),
            backing=tuple(b for n in dict.fromkeys(n for n, _ in combo) for b in levers.backing[n]),
        )

    return effects, impossible


def rank_levers(
    model: Any,
    scenario: str | None = None,
    *,
    evidence: Mapping[str, str] | None = None,
    do: Mapping[str, str] | None = None,
    target: str = TARGET,
    state: str | None = None,
    levers: LeverSet | None = None,
    pairs: bool = True,
) -> LeverRanking:
    """Rank do() on each open lever, and on pairs of them, by the gain in P(target = state).

    Parameters
    ----------
    model
        A :class:`bayescollab.Model`; only queried.
    scenario, evidence, do
        The setting. Levers observed or set in it are not ranked (``excluded`` says which).
    target, state
        The outcome to raise; ``state`` defaults to its favourable state (``high`` here).
    levers
        The lever set (default: ``levers.yaml`` beside the model's theory).
    pairs
        Also rank every pair of settings on two different levers.

    Returns
    -------
    LeverRanking
        ``singles`` and ``pairs`` sorted by gain, largest first; each entry carries the Table 10
        statements behind it, and each pair its interaction with the singles (see the module
        docstring on sub-additivity).
    """
    levers = load_levers(theory=model.theory) if levers is None else levers
    if target not in model.nodes:
        raise UnknownNameError("node", target, model.nodes)
    state = favourable_state(model.theory.nodes[target]) if state is None else state
    if state not in model.states(target):
        raise UnknownNameError(f"state of {target!r}", state, model.states(target))
    state_ix = model.states(target).index(state)
    ev, dos = scenario_conditions(model, scenario, evidence, do)
    baseline = float(model.query(target, evidence=ev, do=dos)[state])
    free, excluded = open_nodes(list(levers.levers), target, ev, dos)
    candidates = [(node, s) for node in free for s in levers.levers[node].do]
    roots = [n for n in free if not model.parents(n)]
    probs = _root_probabilities(model, target, state_ix, roots, ev, dos)
    combos: list[tuple[tuple[str, str], ...]] = [(c,) for c in candidates]
    if pairs:
        combos += [(a, b) for a, b in itertools.combinations(candidates, 2) if a[0] != b[0]]
    effects, impossible = _effects(model, target, state, combos, probs, baseline, ev, dos, levers)
    def ranked(size: int) -> tuple[LeverEffect, ...]:
        chosen = [e for c, e in effects.items() if len(c) == size]
        return tuple(sorted(chosen, key=lambda e: (-e.gain, e.label)))

    return LeverRanking(
        target=target,
        state=state,
        scenario=scenario,
        evidence=ev,
        do=dos,
        baseline=baseline,
        singles=ranked(1),
        pairs=ranked(2),
        excluded=excluded,
        impossible=tuple(impossible),
    )


__all__ = [
    "Backing",
    "LeverEffect",
    "LeverRanking",
    "LeverSet",
    "LeverSpec",
    "NotLeverSpec",
    "load_levers",
    "rank_levers",
]
