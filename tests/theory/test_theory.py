"""The theory data: completeness per source table, provenance, paraphrase, structure."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import networkx as nx

import bayescollab as bc
from bayescollab.theory.validate import MAX_PARENTS, count_by_location

REPO = Path(__file__).resolve().parents[2]


def _norm(text: str) -> str:
    """Lower-case, ligature-, dash- and quote-insensitive, single-spaced text for matching."""
    text = text.lower()
    for lig in ("ffi", "ffl", "fi", "fl", "ﬁ", "ﬂ", "\ufffd"):
        text = text.replace(lig, "#")
    text = text.replace("–", "-").replace("—", "-")
    text = re.sub(r"[‘’'`\"“”]", "", text)
    return re.sub(r"\s+", " ", text)


def test_every_manifest_location_is_fully_recorded(theory: bc.Theory) -> None:
    assert theory.manifests, "each CMOC file states how many configurations each location holds"
    for filename, entry in theory.manifests:
        have = count_by_location(theory, entry.seed, entry.location, filename)
        assert have == entry.count, f"{filename}: {entry.location}: {have} != {entry.count}"


def test_required_source_tables_are_all_present(theory: bc.Theory) -> None:
    per_place = Counter(
        (s.seed[:3], s.location.split(",")[0].strip()) for r in theory.cmocs.values() for s in r.sources
    )
    for place in [("001", "Table 3"), ("002", "Box 1"), ("002", "Table 10")]:
        assert per_place[place] > 0, place
    stages = Counter(s.stage for r in theory.cmocs.values() for s in r.sources)
    assert set(stages) == {"initial_review", "refinement", "empirical", "action_statement"}
    assert len(theory.cmocs) > 100


def test_every_record_has_provenance_and_reason(theory: bc.Theory) -> None:
    for rec in theory.cmocs.values():
        assert rec.sources
        assert rec.shapes_cpt or rec.why_not_cpt


def test_seed_index_locations_exist_in_seeds(theory: bc.Theory, seeds_dir: Path) -> None:
    for entry in theory.seed_index.values():
        text = _norm((seeds_dir / entry.file).read_text(encoding="utf-8"))
        for loc in entry.locations:
            for part in re.split(r",\s+|\s+-\s+|:\s+", loc.location):
                assert _norm(part) in text, f"{entry.file}: {part!r} of {loc.location!r} not found"


def _ngrams(text: str, n: int) -> set[str]:
    words = re.findall(r"[a-z#']+", _norm(text))
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_paraphrases_do_not_copy_seed_sentences(theory: bc.Theory, seeds_dir: Path) -> None:
    """No paraphrase or definition shares a run of 10 words with any seed."""
    seed_grams: set[str] = set()
    for path in seeds_dir.glob("0*.txt"):
        seed_grams |= _ngrams(path.read_text(encoding="utf-8"), 10)
    texts = [(r.id, r.paraphrase) for r in theory.cmocs.values()]
    texts += [(n.id, n.definition) for n in theory.nodes.values()]
    texts += [(s.name, s.description) for s in theory.scenarios.values()]
    copied = [
        (name, sorted(_ngrams(t, 10) & seed_grams)[:1]) for name, t in texts if _ngrams(t, 10) & seed_grams
    ]
    assert not copied, copied


def test_structure_is_a_dag_with_modest_in_degree(theory: bc.Theory) -> None:
    graph = nx.DiGraph([e.key for e in theory.edges])
    assert nx.is_directed_acyclic_graph(graph)
    assert max(dict(graph.in_degree()).values()) <= MAX_PARENTS
    for edge in theory.edges:
        assert edge.cmocs, edge
    for edge in theory.feedback_edges:
        assert edge.feedback_reason, edge


def test_reciprocal_links_are_kept_as_feedback(theory: bc.Theory) -> None:
    forward = {e.key for e in theory.edges}
    backward = {e.key for e in theory.feedback_edges}
    for a, b in [("conflict", "trust"), ("conflict", "faith"), ("perception_of_progress", "trust")]:
        assert (a, b) in forward, (a, b)
        assert (b, a) in backward, (b, a)


def test_every_mechanism_is_wired(theory: bc.Theory) -> None:
    parents = {e.child for e in theory.edges}
    children = {e.parent for e in theory.edges}
    for node, spec in theory.nodes.items():
        if spec.kind == "mechanism":
            assert node in parents, f"{node} has no parent"
            assert node in children, f"{node} feeds nothing"
