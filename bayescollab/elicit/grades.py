"""Grade the evidence behind each edge: distinct sources, stages, conflicts, hypotheses.

The grade is a transparent points score (``priors/evidence_grades.yaml`` holds the points and
thresholds), so anyone can recompute why a link got the prior it has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bayescollab.elicit.settings import ElicitationSettings
from bayescollab.theory.edges import Edge
from bayescollab.theory.load import Theory


@dataclass(frozen=True)
class EvidenceSummary:
    """What supports one link, and the grade that follows."""

    cmocs: tuple[str, ...]
    conflicting: tuple[str, ...]
    citations: frozenset[tuple[str, str]]
    uncited_records: int
    stages: frozenset[str]
    hypothesis_only: bool
    points: float
    grade: str


def summarise_records(
    theory: Theory, cmocs: Iterable[str], conflicting: Iterable[str], settings: ElicitationSettings
) -> EvidenceSummary:
    """Score a set of supporting (and conflicting) records."""
    ids = tuple(cmocs)
    against = tuple(conflicting)
    records = [theory.cmocs[c] for c in ids]
    citations: set[tuple[str, str]] = set()
    uncited = 0
    stages: set[str] = set()
    for rec in records:
        cited_here = False
        for src in rec.sources:
            stages.add(src.stage)
            for c in src.citations:
                citations.add((src.seed, str(c)))
                cited_here = True
        uncited += not cited_here
    s = settings.scoring
    hypothesis_only = bool(records) and all(r.hypothesis for r in records)
    points = min(
        s.max_citation_points,
        s.per_distinct_citation * len(citations) + s.uncited_record_points * uncited,
    )
    points += s.per_extra_stage * max(0, len(stages) - 1)
    points -= s.conflict_penalty * bool(against)
    points -= s.hypothesis_only_penalty * hypothesis_only
    return EvidenceSummary(
        cmocs=ids,
        conflicting=against,
        citations=frozenset(citations),
        uncited_records=uncited,
        stages=frozenset(stages),
        hypothesis_only=hypothesis_only,
        points=points,
        grade=settings.grade_for(points),
    )


def summarise_edge(theory: Theory, edge: Edge, settings: ElicitationSettings) -> EvidenceSummary:
    return summarise_records(theory, edge.cmocs, edge.conflicting, settings)
