"""``models/levers.yaml``: the contexts a collaboration can act on, read and checked against the theory.

The file marks the context nodes that the people running a collaboration can change
(formalisation, joint working, quick wins, ...), the state each action aims for, and the
Table 10 action statements of seed 002 (ACT-### records) that back it. Ranking the levers
for a setting is an analysis (:mod:`bayescollab.sensitivity.levers`); reading and checking the
file belongs with the other theory files, so ``bayescollab validate`` checks it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bayescollab.errors import Problem, TheoryError, UnknownNameError
from bayescollab.theory._yaml import parse_entries
from bayescollab.theory.core import Theory
from bayescollab.theory.load import load_theory
from bayescollab.theory.schema import SeedRef

__all__ = [
    "LEVERS_FILE",
    "Backing",
    "LeverSet",
    "LeverSpec",
    "NotLeverSpec",
    "load_levers",
]

LEVERS_FILE = "levers.yaml"
#: the seed and table whose action statements levers follow
TABLE10_SEED = "002_88c03433245ed2d8.txt"
TABLE10_PREFIX = "Table 10"
ACTION_PREFIX = "ACT-"


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
    theory = load_theory() if theory is None else theory
    path = Path(path) if path is not None else theory.root / LEVERS_FILE
    name = path.name
    if not path.is_file():
        raise TheoryError(
            [Problem(name, "file", f"missing file {path}; expected a mapping with a list under 'levers'")]
        )
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
