"""Everything one assessment report shows, gathered from the analyses into plain records.

The report computes nothing of its own beyond arranging: the posteriors, intervals, change from
the prior and the bottleneck ranking come from :func:`bayescollab.survey.assess.assess`, the
value of information from :func:`bayescollab.sensitivity.voi.value_of_information`, the levers
and their Table 10 backing from ``models/levers.yaml`` (:func:`bayescollab.theory.levers.load_levers`).
The one new question asked here is what each lever does to each top bottleneck, answered by
exact queries through :class:`~bayescollab.Model`.

Lever effects follow the rule assess uses for bottlenecks: answers about the lever's own
descendants describe the collaboration as it is before the change, so both sides of the
comparison (now, and with ``do(lever = state)``) set them aside. Every lever of the packaged
theory is a root context, so one joint P(lever, bottlenecks | answers) answers every state of
a lever at once (for a root, conditioning and intervening agree); a lever with parents is
asked with ``do`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayescollab.model import Model
from bayescollab.sensitivity.voi import value_of_information
from bayescollab.sensitivity.voi_results import ValueOfInformation
from bayescollab.survey.assess import (
    OUTCOMES,
    Assessment,
    collaboration_evidence,
    favourable_state,
)
from bayescollab.survey.instrument import RESERVED_COLUMNS, Instrument
from bayescollab.theory.levers import ACTION_PREFIX, Backing, LeverSet

__all__ = [
    "CollaborationReport",
    "ElementRow",
    "LeverRow",
    "MechanismAction",
    "StateRow",
    "gather_collaboration",
]

#: bottlenecks the report explains with their levers
TOP_BOTTLENECKS = 3
#: survey items listed under "what to measure next"
TOP_ITEMS = 10


@dataclass(frozen=True)
class StateRow:
    """One state of one node: prior, posterior, its credible interval (if drawn) and the change."""

    state: str
    label: str  # the word shown: a maturity level for the Table 11 elements, else the state
    prior: float
    posterior: float
    interval: tuple[float, float] | None

    @property
    def change(self) -> float:
        return self.posterior - self.prior


@dataclass(frozen=True)
class ElementRow:
    """A node with its states, for the maturity-matrix and outcome tables."""

    node: str
    title: str
    states: tuple[StateRow, ...]
    descriptions: tuple[str, ...] = ()  # one per level, from the instrument's maturity item
    measured: bool = False

    @property
    def most_likely(self) -> StateRow:
        return max(self.states, key=lambda s: s.posterior)

    @property
    def expected_score(self) -> float:
        """Mean position on -1 (lowest state) .. +1 (highest), posterior."""
        scores = np.linspace(-1.0, 1.0, len(self.states))
        return float(np.dot(scores, [s.posterior for s in self.states]))

    @property
    def prior_score(self) -> float:
        scores = np.linspace(-1.0, 1.0, len(self.states))
        return float(np.dot(scores, [s.prior for s in self.states]))


@dataclass(frozen=True)
class LeverRow:
    """What setting one lever does to one bottleneck's chance of its favourable state."""

    node: str
    state: str
    action: str
    p_now: float
    p_if_set: float
    backing: tuple[Backing, ...]

    @property
    def gain(self) -> float:
        return self.p_if_set - self.p_now


@dataclass(frozen=True)
class MechanismAction:
    """A Table 10 statement that names the bottleneck mechanism itself."""

    id: str
    paraphrase: str
    locations: tuple[str, ...]


@dataclass(frozen=True)
class BottleneckRow:
    """One of the top bottlenecks, the levers upstream of it and the statements about it."""

    node: str
    favourable_state: str
    p_favourable_now: float
    behaviour_now: float
    behaviour_if_moved: float
    levers: tuple[LeverRow, ...]
    statements: tuple[MechanismAction, ...]
    given_levers: tuple[str, ...]

    @property
    def gain(self) -> float:
        return self.behaviour_if_moved - self.behaviour_now


@dataclass
class CollaborationReport:
    """One collaboration's section of the report."""

    collaboration_id: str
    respondents: int
    organisations: list[tuple[str, int]]
    answered: list[dict[str, Any]]  # per item: item_id, node, wording, answered, share
    answered_cells: int
    cells: int
    given: dict[str, str]
    measured_nodes: list[str]
    elements: list[ElementRow]
    outcomes: list[ElementRow]
    bottlenecks: list[BottleneckRow]
    voi: ValueOfInformation
    good_end: dict[str, float]
    n_draws: int
    figures: dict[str, dict[str, str]] = field(default_factory=dict)


def _title(node: str) -> str:
    return node.replace("_", " ").capitalize()


def _element(
    model: Model,
    result: Assessment,
    node: str,
    labels: Sequence[str] | None = None,
    descriptions: Sequence[str] = (),
) -> ElementRow:
    states = model.states(node)
    labels = list(labels) if labels else states
    rows = tuple(
        StateRow(
            state=s,
            label=label,
            prior=result.prior[node][s],
            posterior=result.posterior[node][s],
            interval=result.intervals.get(node, {}).get(s),
        )
        for s, label in zip(states, labels, strict=True)
    )
    return ElementRow(node, _title(node), rows, tuple(descriptions), node in result.measured_nodes)


def maturity_elements(instrument: Instrument) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The Table 11 elements as the instrument measures them: (node, level names, descriptions)."""
    out = []
    for item in instrument:
        if item.scale == "maturity3":
            levels = tuple(o.answer for o in item.options)
            out.append((item.node, levels, tuple(o.text for o in item.options)))
    return out


def _answered(frame: pd.DataFrame, instrument: Instrument) -> list[dict[str, Any]]:
    items = [c for c in frame.columns if c not in RESERVED_COLUMNS]
    out = []
    for item_id in items:
        item = instrument[item_id]
        n = int(frame[item_id].notna().sum())
        out.append(
            {
                "item_id": item_id,
                "node": item.node,
                "scale": item.scale,
                "wording": item.wording,
                "answered": n,
                "share": n / len(frame) if len(frame) else 0.0,
            }
        )
    return out


def _organisations(frame: pd.DataFrame) -> list[tuple[str, int]]:
    if "organisation" not in frame.columns:
        return []
    counts = frame["organisation"].dropna().astype(str).value_counts(sort=False)
    return sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda kv: kv[0])


def _lever_rows(
    model: Model,
    targets: Sequence[str],
    levers: LeverSet,
    given: Mapping[str, str],
    evidence: Mapping[str, np.ndarray],
) -> tuple[dict[str, list[LeverRow]], list[str]]:
    """For each target bottleneck, each upstream lever's effect on P(target favourable)."""
    out: dict[str, list[LeverRow]] = {t: [] for t in targets}
    skipped = []
    for lever, spec in levers.levers.items():
        if lever in given:
            skipped.append(lever)
            continue
        reached = [t for t in targets if lever in model.ancestors([t])]
        if not reached:
            continue
        below = set(model.descendants(lever))
        kept = {n: v for n, v in evidence.items() if n not in below and n != lever}
        joint = None
        if not model.parents(lever):  # a root: one joint answers every state (see module docstring)
            joint = model.query_joint([lever, *reached], evidence=given, virtual_evidence=kept)
        for state in spec.do:
            p = {}
            if joint is None:
                now = model.query_marginals(reached, evidence=given, virtual_evidence=kept)
                moved = model.query_marginals(
                    reached, evidence=given, virtual_evidence=kept, do={lever: state}
                )
                for t in reached:
                    best = favourable_state(model, t)
                    p[t] = (now[t][best], moved[t][best])
            else:
                column = joint.sel({lever: state})
                for t in reached:
                    best = favourable_state(model, t)
                    others = [n for n in reached if n != t]
                    p_now = float(joint.sum([lever, *others]).sel({t: best}))
                    p_if = float(column.sum(others).sel({t: best}) / column.sum())
                    p[t] = (p_now, p_if)
            for t, (p_now, p_if) in p.items():
                out[t].append(LeverRow(lever, state, spec.paraphrase, p_now, p_if, levers.backing[lever]))
    for rows in out.values():
        rows.sort(key=lambda r: -r.gain)
    return out, skipped


def _statements(model: Model, node: str) -> tuple[MechanismAction, ...]:
    """The Table 10 action statements (ACT records) whose mechanism or outcome is ``node``."""
    out = []
    for rid, rec in model.theory.cmocs.items():
        if not rid.startswith(ACTION_PREFIX):
            continue
        if any(term.node == node for term in (*rec.mechanism, *rec.outcome)):
            locs = tuple(f"{s.seed}, {s.location}" for s in rec.sources)
            out.append(MechanismAction(rid, rec.paraphrase, locs))
    return tuple(out)


def gather_collaboration(
    model: Model,
    result: Assessment,
    frame: pd.DataFrame,
    instrument: Instrument,
    levers: LeverSet,
    discrimination: Mapping[str, float],
) -> CollaborationReport:
    """One collaboration's report records from its assessment and its rows of the survey."""
    evidence = collaboration_evidence(frame, instrument, discrimination)
    evidence = {n: v for n, v in evidence.items() if n not in result.given}
    elements = [
        _element(model, result, node, levels, texts)
        for node, levels, texts in maturity_elements(instrument)
        if node in result.posterior
    ]
    outcomes = [_element(model, result, node) for node in OUTCOMES]
    top = result.bottlenecks[:TOP_BOTTLENECKS]
    lever_rows, given_levers = _lever_rows(model, [b.node for b in top], levers, result.given, evidence)
    bottlenecks = [
        BottleneckRow(
            node=b.node,
            favourable_state=b.favourable_state,
            p_favourable_now=b.p_favourable_now,
            behaviour_now=b.behaviour_now,
            behaviour_if_moved=b.behaviour_if_moved,
            levers=tuple(lever_rows[b.node]),
            statements=_statements(model, b.node),
            given_levers=tuple(given_levers),
        )
        for b in top
    ]
    voi = value_of_information(
        model,
        OUTCOMES[0],
        evidence=result.given,
        virtual_evidence=evidence,
        nodes=[],
        instrument=instrument,
        discrimination=discrimination,
    )
    coloured = [n for n, s in model.theory.nodes.items() if s.kind != "context" and n not in result.given]
    marginals: Mapping[str, Mapping[str, float]] = result.marginals
    if not all(n in marginals for n in coloured):  # an Assessment built elsewhere
        marginals = model.query_marginals(coloured, evidence=result.given, virtual_evidence=evidence)
    good_end = {}
    for node in coloured:
        spec = model.theory.nodes[node]
        p_top = marginals[node][spec.states[-1]]
        good_end[node] = 1 - p_top if spec.adverse else p_top
    items = [c for c in frame.columns if c not in RESERVED_COLUMNS]
    return CollaborationReport(
        collaboration_id=result.collaboration_id,
        respondents=result.respondents,
        organisations=_organisations(frame),
        answered=_answered(frame, instrument),
        answered_cells=result.answered_cells,
        cells=len(frame) * len(items),
        given=dict(result.given),
        measured_nodes=list(result.measured_nodes),
        elements=elements,
        outcomes=outcomes,
        bottlenecks=bottlenecks,
        voi=voi,
        good_end=good_end,
        n_draws=result.n_draws,
    )
