"""Citation numbers to works: ``models/citations.yaml`` and the check that every record's numbers map.

The seeds number their references independently (Casey 2008 is 000 [6] and 002 60), so counting
distinct ``(seed, number)`` pairs counts a work once per seed that cites it. This module reads the
map from each (seed, number) to a work id, and :func:`check_citations` refuses a record whose
citation number the map does not cover. :mod:`bayescollab.elicit.grades` counts work ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bayescollab.errors import Problem

if TYPE_CHECKING:
    from bayescollab.theory.load import Theory

CITATIONS_FILE = "citations.yaml"
Basis = Literal["reference_list", "table_6", "named_in_text", "parallel_passage", "unidentified"]
#: prefix of the work id of a citation the seed does not identify (a work of its own)
UNIDENTIFIED = "ref:"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Work(_Strict):
    author: str | None = None
    year: int | None = None
    title: str | None = None
    seed: str | None = None
    listed_in: str | None = None


class CitationEntry(_Strict):
    """One citation number of one seed and the work it stands for."""

    number: int = Field(ge=1)
    work: str = Field(min_length=1)
    basis: Basis
    named: str | None = None
    same_as: str | None = None
    candidates: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _basis_fits(self) -> CitationEntry:
        unidentified = self.work.startswith(UNIDENTIFIED)
        if unidentified != (self.basis == "unidentified"):
            raise ValueError(
                f"work {self.work!r} with basis {self.basis!r}: ids starting {UNIDENTIFIED!r} "
                "are exactly the unidentified citations"
            )
        if self.basis in ("reference_list", "table_6", "named_in_text") and not self.named:
            raise ValueError(f"basis {self.basis!r} needs `named` (the author as the seed prints it)")
        if self.basis == "parallel_passage" and not self.same_as:
            raise ValueError("basis 'parallel_passage' needs `same_as` (the other seed's number)")
        if self.candidates and not unidentified:
            raise ValueError("only unidentified citations list candidates")
        return self


class SeedCitations(_Strict):
    seed: str
    reference_list: str
    citations: list[CitationEntry]


class CitationMap(_Strict):
    """The whole file: works, and per seed the number -> work entries."""

    works: dict[str, Work]
    seeds: list[SeedCitations]

    def entries(self) -> dict[tuple[str, int], CitationEntry]:
        return {(s.seed, c.number): c for s in self.seeds for c in s.citations}

    def work_of(self, seed: str, number: int | str) -> str | None:
        entry = self.entries().get((seed, int(number)))
        return entry.work if entry else None


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> tuple[CitationMap | None, tuple[Problem, ...]]:
    rel = f"{path.parent.name}/{path.name}"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, (Problem(rel, "file", f"not valid YAML: {exc}"),)
    try:
        return CitationMap.model_validate(raw), ()
    except ValidationError as err:
        return None, tuple(
            Problem(rel, ".".join(str(p) for p in e["loc"]) or "file", f"{e['msg']} (got {e.get('input')!r})")
            for e in err.errors()
        )


def load_citations(models_root: Path | str) -> tuple[CitationMap | None, list[Problem]]:
    """Read ``citations.yaml`` in the models folder; the map (or None) and the problems found."""
    path = Path(models_root) / CITATIONS_FILE
    if not path.is_file():
        return None, [Problem(CITATIONS_FILE, "file", f"missing file {path}")]
    cmap, problems = _load(path.resolve(), path.stat().st_mtime)
    return cmap, list(problems)


def citation_map(models_root: Path | str) -> CitationMap:
    """The map, or :class:`~bayescollab.errors.TheoryError` listing why it cannot be read."""
    from bayescollab.errors import TheoryError

    cmap, problems = load_citations(models_root)
    if cmap is None:
        raise TheoryError(problems)
    return cmap


def check_citations(theory: Theory) -> Iterator[Problem]:
    """Every record's citation numbers map to a work; every named work and candidate exists."""
    cmap, problems = load_citations(theory.root)
    yield from problems
    if cmap is None:
        return
    seen: set[tuple[str, int]] = set()
    for s in cmap.seeds:
        if s.seed not in theory.seed_index:
            yield Problem(
                CITATIONS_FILE,
                f"seed={s.seed}",
                f"unknown seed file; expected one of {sorted(theory.seed_index)}",
            )
        for c in s.citations:
            where = (CITATIONS_FILE, f"{s.seed} [{c.number}]")
            if (s.seed, c.number) in seen:
                yield Problem(*where, "number listed twice")
            seen.add((s.seed, c.number))
            for w in (c.work, *c.candidates):
                if not w.startswith(UNIDENTIFIED) and w not in cmap.works:
                    yield Problem(*where, f"work {w!r} is not listed under works")
    entries = cmap.entries()
    for cid, rec in theory.cmocs.items():
        for src in rec.sources:
            for number in src.citations:
                if not str(number).isdigit() or (src.seed, int(number)) not in entries:
                    yield Problem(
                        theory.cmoc_files[cid],
                        f"id={cid}",
                        f"cites [{number}] of {src.seed} ({src.location}), which {CITATIONS_FILE} does not "
                        "map to a work; add the number with the work the seed's reference list names",
                    )
