"""Grade the evidence behind each edge: distinct works, stages, conflicts, hypotheses.

The grade is a transparent points score (``priors/evidence_grades.yaml`` holds the points and
thresholds), so anyone can recompute why a link got the prior it has. Sources count as works,
not as citation numbers: ``models/citations.yaml`` maps each seed's numbers to work ids, so a
study cited by two seeds (000 [72] and 002 197 are both Timmins 2019) counts once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bayescollab.elicit.settings import ElicitationSettings, Scoring
from bayescollab.theory.citations import CitationMap, citation_map
from bayescollab.theory.edges import Edge
from bayescollab.theory.load import Theory


@dataclass(frozen=True)
class EvidenceSummary:
    """What supports one link, and the grade that follows."""

    cmocs: tuple[str, ...]
    conflicting: tuple[str, ...]
    citations: frozenset[tuple[str, str]]
    works: frozenset[str]
    uncited_records: int
    stages: frozenset[str]
    hypothesis_only: bool
    points: float
    grade: str


def distinct_works(cmap: CitationMap, citations: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The works behind a set of (seed, number) citations, each work once.

    A seed cited as a work (000 [18] and 002 138 are seed 001, the initial review) stands for
    that seed's evidence; when the same citations also include the seed's own references, the
    review is represented by the works it cites and is not counted on top of them.

    A citation the seed does not identify is a work of its own, unless a parallel passage
    narrows it to candidates and one of them is already cited here under an identified number:
    then it is taken to be that work (a maximum matching, one unidentified citation per
    candidate), so a work is not counted twice just because one seed leaves it unnamed.
    """
    citations = set(citations)
    entries = cmap.entries()
    known: set[str] = set()
    open_refs = []
    for seed, number in citations:
        entry = entries[(seed, int(number))]
        if entry.candidates:
            open_refs.append(entry)
        else:
            known.add(entry.work)
    import networkx as nx  # on first use: 0.2 s to import, and a cached model never needs it

    graph = nx.Graph()
    for entry in open_refs:
        graph.add_node(entry.work)
        graph.add_edges_from((entry.work, ("cand", w)) for w in entry.candidates if w in known)
    matched = nx.bipartite.maximum_matching(graph, top_nodes={e.work for e in open_refs}) if open_refs else {}
    unmatched = {e.work for e in open_refs if e.work not in matched}
    citing_seeds = {seed for seed, _ in citations}
    restated = {w for w in known if w in cmap.works and cmap.works[w].seed in citing_seeds}
    return frozenset((known | unmatched) - restated)


def citation_points(scoring: Scoring, sources: float) -> float:
    """Points for ``sources`` distinct works (plus uncited records): ``scale * log2(1 + sources)``.

    More evidence always weighs more, and each extra source adds less than the one before
    (no cap: 51 works earn 2.4 times what 4 do with the default scale, not the same).
    """
    return scoring.citation_scale * math.log2(1 + max(0.0, sources))


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
        # a record printing no citation is one configuration the authors report from their own
        # synthesis or interviews: one source (duplicates are merged, so it is not counted twice)
        uncited += not cited_here
    works = distinct_works(citation_map(theory.root), citations)
    s = settings.scoring
    hypothesis_only = bool(records) and all(r.hypothesis for r in records)
    points = citation_points(s, len(works) + uncited * s.uncited_record_weight)
    points += s.per_extra_stage * max(0, len(stages) - 1)
    points -= s.conflict_penalty * bool(against)
    points -= s.hypothesis_only_penalty * hypothesis_only
    points = round(points, 2)  # a score people read and recompute; also keeps 4 sources at exactly 4
    return EvidenceSummary(
        cmocs=ids,
        conflicting=against,
        citations=frozenset(citations),
        works=works,
        uncited_records=uncited,
        stages=frozenset(stages),
        hypothesis_only=hypothesis_only,
        points=points,
        grade=settings.grade_for(points),
    )


def summarise_edge(theory: Theory, edge: Edge, settings: ElicitationSettings) -> EvidenceSummary:
    return summarise_records(theory, edge.cmocs, edge.conflicting, settings)
