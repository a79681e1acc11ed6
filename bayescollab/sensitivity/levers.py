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
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from bayescollab.engine.batch import LOOKUP_MAX_ENTRIES
from bayescollab.engine.exact import EVIDENCE_ZERO_ATOL
from bayescollab.errors import ImpossibleEvidenceError, Problem, TheoryError, UnknownNameError
from bayescollab.sensitivity.context import TARGET, scenario_conditions
from bayescollab.theory.graph import favourable_state
from bayescollab.theory.load import Theory, parse_entries
from bayescollab.theory.schema import SeedRef

LEVERS_FILE = "levers.yaml"
#: the seed and table whose action statements levers follow
TABLE10_SEED = "002_88c03433245ed2d8.txt"
TABLE10_PREFIX = "Table 10"
ACTION_PREFIX = "ACT-"
#: a pair counts as sub-additive when its gain falls short of the singles' sum by more than this
INTERACTION_ATOL = 1e-9


# ---------------------------------------------------------------------------------- the file
class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LeverSpec(_Entry):
    """One actionable context: the state(s) an action aims for and the statements behind it."""

    node: str
    do: list[str] = Field(min_length=1)
    paraphrase: str = Field(min_length=10)
    actions: list[str] = Field(default_factory=list)
    other_records: list[str] = Field(default_factory=list)
    not_in_table10: str | None = None
    sources: list[SeedRef] = Field(min_length=1)

    @property
    def records(self) -> list[str]:
        return [*self.actions, *self.other_records]


class NotLeverSpec(_Entry):
    """A Table 10 statement that does not become a lever, and why."""

    node: str
    actions: list[str] = Field(min_length=1)
    reason: str = Field(min_length=10)


@dataclass(frozen=True)
class Backing:
    """A CMOC record behind a lever: its id, our paraphrase of it, and where the seed states it."""

    id: str
    paraphrase: str
    locations: tuple[str, ...]
    table10: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "paraphrase": self.paraphrase,
            "locations": list(self.locations),
            "table10": self.table10,
        }


@dataclass(frozen=True)
class LeverSet:
    """The actionable levers of a theory (``models/levers.yaml``), checked against it."""

    path: Path
    levers: dict[str, LeverSpec]
    not_levers: list[NotLeverSpec]
    backing: dict[str, tuple[Backing, ...]]  # lever node -> its records

    @property
    def nodes(self) -> list[str]:
        return list(self.levers)


def _backing(theory: Theory, ids: Sequence[str]) -> tuple[Backing, ...]:
    out = []
    for rid in ids:
        rec = theory.cmocs[rid]
        out.append(
            Backing(
                id=rid,
                paraphrase=rec.paraphrase,
                locations=tuple(f"{s.seed}, {s.location}" for s in rec.sources),
                table10=any(_is_table10(s) for s in rec.sources),
            )
        )
    return tuple(out)


def _is_table10(ref: SeedRef) -> bool:
    return ref.seed == TABLE10_SEED and ref.location.startswith(TABLE10_PREFIX)


def _unknown(what: str, bad: str, choices: Sequence[str]) -> str:
    return str(UnknownNameError(what, bad, list(choices)))


def _check_lever(theory: Theory, lever: LeverSpec) -> list[str]:
    """Every problem with one lever, each naming the bad value and what was expected."""
    contexts = [n for n, s in theory.nodes.items() if s.kind == "context"]
    if lever.node not in theory.nodes:
        return [_unknown("context node", lever.node, contexts)]
    spec = theory.nodes[lever.node]
    found: list[str] = []
    if spec.kind != "context":
        shown = ", ".join(contexts[:10]) + (" ..." if len(contexts) > 10 else "")
        found.append(f"{lever.node!r} is a {spec.kind} node; a lever must be a context node ({shown})")
    for state in lever.do:
        if state not in spec.states:
            found.append(_unknown(f"do state of {lever.node!r}", state, spec.states))
    if len(set(lever.do)) != len(lever.do):
        found.append(f"do states repeat: {lever.do}")
    for rid in lever.actions:
        if rid not in theory.cmocs:
            acts = sorted(r for r in theory.cmocs if r.startswith(ACTION_PREFIX))
            found.append(_unknown("action record", rid, acts))
        elif not rid.startswith(ACTION_PREFIX) or not any(_is_table10(s) for s in theory.cmocs[rid].sources):
            found.append(f"{rid} is not a Table 10 action statement (expected an {ACTION_PREFIX}### record)")
    for rid in lever.other_records:
        if rid not in theory.cmocs:
            found.append(_unknown("CMOC record", rid, sorted(theory.cmocs)))
    if not lever.actions:
        if not (lever.not_in_table10 and lever.not_in_table10.strip()):
            found.append("no Table 10 action backs this lever; list ACT ids or say why in not_in_table10")
        if not lever.other_records:
            found.append("no records back this lever; expected ACT ids in actions or ids in other_records")
    known = [r for r in lever.records if r in theory.cmocs]
    if len(known) == len(lever.records):
        expected = {(s.seed, s.location) for rid in known for s in theory.cmocs[rid].sources}
        given = {(s.seed, s.location) for s in lever.sources}
        for seed, loc in sorted(given - expected):
            found.append(
                f"source {seed}, {loc!r} is not a source of {lever.records}; expected {sorted(expected)}"
            )
        for seed, loc in sorted(expected - given):
            found.append(f"source {seed}, {loc!r} of the listed records is missing from sources")
    return found


def load_levers(path: Path | str | None = None, *, theory: Theory | None = None) -> LeverSet:
    """Read and check ``levers.yaml`` (default: the one beside the theory, i.e. the packaged file).

    Raises
    ------
    TheoryError
        Listing every problem: an unknown or non-context node, a state the node does not have, an
        unknown or non-Table-10 ACT id, sources that do not match the records, repeats.
    """
    from bayescollab.theory.load import load_theory

    theory = load_theory() if theory is None else theory
    path = Path(path) if path is not None else theory.root / LEVERS_FILE
    name = path.name
    if not path.is_file():
        raise TheoryError([Problem(name, "file", f"missing file {path}")])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TheoryError([Problem(name, "file", f"not valid YAML text: {exc}")]) from exc
    problems: list[Problem] = []
    if isinstance(raw, dict):
        unknown = set(raw) - {"levers", "not_levers"}
        if unknown:
            problems.append(
                Problem(
                    name, "file", f"unknown top-level keys {sorted(unknown)}; expected levers, not_levers"
                )
            )

    def label(i: int, item: Any) -> str:
        return f"node={item['node']}" if isinstance(item, dict) and "node" in item else f"entry {i}"

    levers = parse_entries(raw, "levers", LeverSpec, name, problems, label)
    not_levers = (
        parse_entries(raw, "not_levers", NotLeverSpec, name, problems, label)
        if isinstance(raw, dict) and raw.get("not_levers") is not None
        else []
    )
    by_node: dict[str, LeverSpec] = {}
    for lever in levers:
        where = f"node={lever.node}"
        if lever.node in by_node:
            problems.append(Problem(name, where, "lever listed twice"))
            continue
        problems.extend(Problem(name, where, msg) for msg in _check_lever(theory, lever))
        by_node[lever.node] = lever
    for entry in not_levers:
        where = f"not_levers node={entry.node}"
        if entry.node not in theory.nodes:
            problems.append(Problem(name, where, _unknown("node", entry.node, list(theory.nodes))))
        if entry.node in by_node:
            problems.append(Problem(name, where, "also listed as a lever; keep it in one list"))
        for rid in entry.actions:
            if rid not in theory.cmocs:
                acts = sorted(r for r in theory.cmocs if r.startswith(ACTION_PREFIX))
                problems.append(Problem(name, where, _unknown("action record", rid, acts)))
    if problems:
        raise TheoryError(problems)
    order = {n: i for i, n in enumerate(theory.nodes)}
    ordered = dict(sorted(by_node.items(), key=lambda kv: order[kv[0]]))
    return LeverSet(
        path=path,
        levers=ordered,
        not_levers=list(not_levers),
        backing={n: _backing(theory, lever.records) for n, lever in ordered.items()},
    )


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "state": self.state,
            "scenario": self.scenario,
            "evidence": dict(self.evidence),
            "do": dict(self.do),
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
    excluded: dict[str, str] = {}
    candidates: list[tuple[str, str]] = []
    for node, lever in levers.levers.items():
        if node in ev:
            excluded[node] = "observed in the scenario"
        elif node in dos:
            excluded[node] = "set by do in the scenario"
        elif node == target:
            excluded[node] = "is the target"
        else:
            candidates.extend((node, s) for s in lever.do)
    open_nodes = list(dict.fromkeys(n for n, _ in candidates))
    roots = [n for n in open_nodes if not model.parents(n)]
    probs = _root_probabilities(model, target, state_ix, roots, ev, dos)
    combos: list[tuple[tuple[str, str], ...]] = [(c,) for c in candidates]
    if pairs:
        combos += [(a, b) for a, b in itertools.combinations(candidates, 2) if a[0] != b[0]]
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
