"""Read ``models/`` into a :class:`Theory`, collecting every problem instead of stopping at one.

A :class:`Theory` is the programme theory as data: nodes, CMOC records with their sources,
the collaboration forms, feedback reasons, interactions, named scenarios and the seed index.
Edges are derived from the records (:func:`bayescollab.theory.edges.derive_edges`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from bayescollab._paths import models_dir
from bayescollab.errors import Problem, TheoryError
from bayescollab.theory._yaml import EMPTY, parse_entries, read_yaml
from bayescollab.theory.core import Theory
from bayescollab.theory.edges import add_moderator_edges, derive_edges
from bayescollab.theory.schema import (
    CMOC,
    CMOCFile,
    FeedbackSpec,
    FormSpec,
    InteractionSpec,
    ManifestEntry,
    NodeSpec,
    ProposedNode,
    RoutingSpec,
    Scenario,
    SeedIndexEntry,
)
from bayescollab.theory.validate import validate_theory

__all__ = ["Theory", "load_theory", "parse_entries"]

T = TypeVar("T", bound=BaseModel)

#: The file every other file refers into: when it cannot be read, nothing else can be checked.
NODES_FILE = "nodes.yaml"


class _Reader:
    """Reads the files of one ``models/`` folder, keeping problems and root causes apart.

    A root cause is a problem that stops the whole-theory checks: a file that cannot be read
    at all (missing, not YAML, empty, wrong top-level shape) or any problem in ``nodes.yaml``.
    Every other file names nodes, so after one of these the checks would report the same fault
    hundreds of times over.
    """

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.root_causes: list[Problem] = []

    def raw(self, filename: str, key: str) -> Any:
        """The parsed file, or None after recording why it cannot be used."""
        path = self.root / filename
        before = len(self.problems)
        raw = None
        if not path.is_file():
            self.problems.append(
                Problem(filename, "file", f"missing file {path}; expected a list under '{key}'")
            )
        else:
            raw = read_yaml(path, self.problems)
            if raw is EMPTY:
                raw = None
                self.problems.append(
                    Problem(filename, "file", f"file is empty; expected a mapping with a list under '{key}'")
                )
        self.root_causes.extend(self.problems[before:])
        return raw

    def entries(self, filename: str, key: str, model: type[T]) -> list[T]:
        raw = self.raw(filename, key)
        if raw is None:
            return []
        before = len(self.problems)
        parsed = parse_entries(raw, key, model, filename, self.problems)
        shape_broken = not isinstance(raw, dict) or not isinstance(raw.get(key), list)
        if shape_broken or filename == NODES_FILE:
            self.root_causes.extend(self.problems[before:])
        return parsed

    def cmoc_files(self) -> tuple[list, list, list, dict]:
        cmocs: list[tuple[str, CMOC]] = []
        manifests: list[tuple[str, ManifestEntry]] = []
        proposed: list[tuple[str, ProposedNode]] = []
        files: dict[str, str] = {}
        paths = sorted((self.root / "cmocs").glob("*.yaml"))
        if not paths:
            self._root_cause(Problem("cmocs/", "folder", "no CMOC files (*.yaml) found"))
        for path in paths:
            rel = f"cmocs/{path.name}"
            raw = self.raw(f"cmocs/{path.name}", "cmocs")
            if raw is None:
                continue
            if not isinstance(raw, dict):
                self._root_cause(Problem(rel, "file", "expected a mapping with key 'cmocs'"))
                continue
            unknown = set(raw) - set(CMOCFile.model_fields)
            if unknown:
                self.problems.append(Problem(rel, "file", f"unknown top-level keys {sorted(unknown)}"))
            for rec in parse_entries(raw, "cmocs", CMOC, rel, self.problems):
                if rec.id in files:
                    self.problems.append(
                        Problem(rel, f"id={rec.id}", f"duplicate CMOC id (also in {files[rec.id]})")
                    )
                    continue
                files[rec.id] = rel
                cmocs.append((rel, rec))
            if raw.get("manifest"):
                manifests += [
                    (rel, m) for m in parse_entries(raw, "manifest", ManifestEntry, rel, self.problems)
                ]
            if raw.get("proposed_nodes"):
                proposed += [
                    (rel, p) for p in parse_entries(raw, "proposed_nodes", ProposedNode, rel, self.problems)
                ]
        return cmocs, manifests, proposed, files

    def _root_cause(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.root_causes.append(problem)


def load_theory(root: Path | str | None = None, *, check: bool = True) -> Theory:
    """Load and (by default) validate the theory in ``root`` (the packaged ``models/``).

    Raises
    ------
    TheoryError
        Listing every problem found, each with its file and entry, when ``check`` is true. When a
        file cannot be read at all, or ``nodes.yaml`` has a problem, only those root causes are
        listed: the cross-file checks would repeat them many times over.
    """
    root = Path(root) if root is not None else models_dir()
    if not root.is_dir():
        raise TheoryError([Problem(str(root), "folder", "models folder does not exist")])
    read = _Reader(root)
    nodes = read.entries(NODES_FILE, "nodes", NodeSpec)
    forms = read.entries("forms.yaml", "forms", FormSpec)
    feedback = read.entries("feedback.yaml", "feedback", FeedbackSpec)
    routing = read.entries("routing.yaml", "routing", RoutingSpec)
    interactions = read.entries("interactions.yaml", "interactions", InteractionSpec)
    scenarios = read.entries("scenarios.yaml", "scenarios", Scenario)
    seeds = read.entries("seed_index.yaml", "seeds", SeedIndexEntry)
    cmoc_pairs, manifests, proposed, files = read.cmoc_files()

    node_map: dict[str, NodeSpec] = {}
    for n in sorted(nodes, key=lambda n: n.order):
        if n.id in node_map:
            read._root_cause(Problem(NODES_FILE, f"id={n.id}", "duplicate node id"))
        node_map[n.id] = n
    cmoc_map = {rec.id: rec for _, rec in cmoc_pairs}
    forward, backward = derive_edges(node_map, cmoc_map.values(), feedback, routing)
    forward = add_moderator_edges(forward, interactions, node_map)
    theory = Theory(
        root=root,
        nodes=node_map,
        cmocs=cmoc_map,
        cmoc_files=files,
        manifests=manifests,
        proposed_nodes=proposed,
        forms={f.id: f for f in forms},
        feedback=feedback,
        routing=routing,
        interactions=interactions,
        scenarios={s.name: s for s in scenarios},
        seed_index={s.file: s for s in seeds},
        edges=forward,
        feedback_edges=backward,
    )
    if check and read.root_causes:
        raise TheoryError(read.root_causes)
    if check:
        problems = [*read.problems, *validate_theory(theory)]
        if problems:
            raise TheoryError(problems)
    return theory
