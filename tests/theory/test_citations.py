"""models/citations.yaml against the seed texts, and the evidence-stage rule for restatements."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import bayescollab as bc
from bayescollab.theory.citations import UNIDENTIFIED, CitationMap, citation_map
from bayescollab.theory.validate import location_key

SEED_000 = "000_fe0097164cc621a7.txt"
SEED_001 = "001_6928d31e97453c0f.txt"
SEED_002 = "002_88c03433245ed2d8.txt"


@pytest.fixture(scope="module")
def cmap(theory: bc.Theory) -> CitationMap:
    return citation_map(theory.root)


def _text(seeds_dir: Path, name: str) -> str:
    return (seeds_dir / name).read_text(encoding="utf-8", errors="replace")


def _references_000(seeds_dir: Path) -> dict[int, str]:
    text = _text(seeds_dir, SEED_000)
    block = text[text.index("## References") : text.index("### Publisher")]
    return {int(m[1]): m[2] for m in re.finditer(r"^\s*(\d{1,2})\.\s+(.*)$", block, re.M)}


def test_the_identities_the_issue_names(cmap: CitationMap) -> None:
    for a, b in [
        ((SEED_000, 72), (SEED_002, 197)),
        ((SEED_000, 6), (SEED_002, 60)),
        ((SEED_000, 44), (SEED_002, 165)),
    ]:
        assert cmap.work_of(*a) == cmap.work_of(*b) is not None, (a, b)


def test_000_entries_read_its_reference_list(cmap: CitationMap, seeds_dir: Path) -> None:
    refs = _references_000(seeds_dir)
    entries = {n: c for (seed, n), c in cmap.entries().items() if seed == SEED_000}
    assert set(entries) == set(refs), "every numbered reference of 000 is mapped"
    for n, entry in entries.items():
        assert entry.basis == "reference_list"
        assert refs[n].startswith(entry.named), (n, entry.named, refs[n][:60])
        year = cmap.works[entry.work].year
        assert year is not None and str(year) in refs[n], (n, entry.work, year)


def test_002_entries_are_printed_beside_their_number(cmap: CitationMap, seeds_dir: Path) -> None:
    text = _text(seeds_dir, SEED_002)
    for (seed, n), entry in cmap.entries().items():
        if seed != SEED_002 or entry.named is None:
            continue
        if entry.basis == "table_6" or entry.candidates:
            assert f"\n{entry.named}{n} |" in text, (n, entry.named)
        else:
            pattern = re.escape(entry.named) + r"[^0-9]{0,20}?(?:\d+,)*" + str(n) + r"(?!\d)"
            assert re.search(pattern, text), (n, entry.named)


def test_001_named_entries_sit_before_their_number(cmap: CitationMap, seeds_dir: Path) -> None:
    text = _text(seeds_dir, SEED_001).replace("\n", " ")
    for (seed, n), entry in cmap.entries().items():
        if seed == SEED_001 and entry.basis == "named_in_text":
            pattern = re.escape(entry.named) + r"[^()]{0,40}\(\d{4}\)[^()]{0,400}\(" + str(n) + r"\)"
            assert re.search(pattern, text), (n, entry.named)


def test_parallel_passages_point_at_the_same_work(cmap: CitationMap) -> None:
    short = {SEED_000[:3]: SEED_000, SEED_001[:3]: SEED_001, SEED_002[:3]: SEED_002}
    for (seed, n), entry in cmap.entries().items():
        if entry.basis != "parallel_passage":
            continue
        m = re.fullmatch(r"(\d{3}) [\[(]?(\d+)[\])]?", entry.same_as or "")
        assert m, (seed, n, entry.same_as)
        other = cmap.work_of(short[m[1]], int(m[2]))
        assert other is None or other == entry.work, (seed, n, entry.work, other)


def test_unidentified_citations_are_works_of_their_own(cmap: CitationMap) -> None:
    for (seed, n), entry in cmap.entries().items():
        if entry.basis == "unidentified":
            assert entry.work == f"{UNIDENTIFIED}{seed[:3]}:{n}"
            assert all(c in cmap.works for c in entry.candidates)


def test_validation_refuses_an_unmapped_citation(model_copy: tuple[Path, Path]) -> None:
    models, priors = model_copy
    path = models / "citations.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    seed = next(s for s in data["seeds"] if s["seed"] == SEED_002)
    seed["citations"] = [c for c in seed["citations"] if c["number"] != 197]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(bc.TheoryError) as info:
        bc.load_model(models, priors)
    bad = [p for p in info.value.problems if "[197]" in p.message]
    assert bad and all("citations.yaml does not map" in p.message for p in bad), info.value.problems


#: Where a seed restates the gleaning-phase theory of the initial review (001): Box 1 and the
#: 'Theory gleaning' part of 002 Chapter 4, and 000's summary of the existing theory. Evidence
#: printed there is initial-review evidence, whichever document prints it (docs/elicitation.md).
GLEANING_RESTATEMENTS = {
    SEED_002: (
        "box 1",
        "chapter 4, partnership synergy as a middle range theory",
        "chapter 4, gleaning initial context-mechanism-outcome configurations",
    ),
    SEED_000: ("summary of existing middle range theory",),
}


def _restates_gleaning(seed: str, location: str) -> bool:
    key = location_key(location)
    return any(key == p or key.startswith(p + ",") for p in GLEANING_RESTATEMENTS.get(seed, ()))


def test_gleaning_restatements_are_initial_review(theory: bc.Theory) -> None:
    wrong = [
        (cid, src.location, src.stage)
        for cid, rec in theory.cmocs.items()
        for src in rec.sources
        if _restates_gleaning(src.seed, src.location) and src.stage != "initial_review"
    ]
    assert not wrong, wrong
    box1 = sum(src.location.startswith("Box 1") for rec in theory.cmocs.values() for src in rec.sources)
    assert box1 > 0, "the rule has something to apply to"


def test_no_duplicate_records_shape_the_cpts(theory: bc.Theory) -> None:
    """Two CPT-shaping records with the same terms and links from one seed place are one record."""
    seen: dict[tuple, str] = {}
    dupes = []
    for cid, rec in theory.cmocs.items():
        if not rec.shapes_cpt:
            continue
        terms = frozenset((t.node, t.state) for t in (*rec.context, *rec.mechanism, *rec.outcome))
        links = frozenset((link.parent, link.child) for link in rec.links)
        for src in rec.sources:
            key = (terms, links, src.seed, location_key(src.location))
            if key in seen and seen[key] != cid:
                dupes.append((seen[key], cid, src.location))
            seen.setdefault(key, cid)
    assert not dupes, dupes
