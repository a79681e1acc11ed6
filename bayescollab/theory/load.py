"""Read ``models/`` into a :class:`Theory`, collecting every problem instead of stopping at one.

A :class:`Theory` is the programme theory as data: nodes, CMOC records with their sources,
the collaboration forms, feedback reasons, interactions, named scenarios and the seed index.
Edges are derived from the records (:func:`bayescollab.theory.edges.derive_edges`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bayescollab._paths import models_dir
from bayescollab.errors import Problem, TheoryError
from bayescollab.theory.edges import Edge, add_moderator_edges, derive_edges
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

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Theory:
    """The programme theory as loaded from ``models/`` (immutable)."""

    root: Path
    nodes: dict[str, NodeSpec]
    cmocs: dict[str, CMOC]
    cmoc_files: dict[str, str]
    manifests: list[tuple[str, ManifestEntry]]
    proposed_nodes: list[tuple[str, ProposedNode]]
    forms: dict[str, FormSpec]
    feedback: list[FeedbackSpec]
    routing: list[RoutingSpec]
    interactions: list[InteractionSpec]
    scenarios: dict[str, Scenario]
    seed_index: dict[str, SeedIndexEntry]
    edges: list[Edge] = field(default_factory=list)
    feedback_edges: list[Edge] = field(default_factory=list)

    @cached_property
    def parent_map(self) -> dict[str, tuple[str, ...]]:
        """node -> its parents in the static DAG, nodes in life-cycle order (for theory.graph)."""
        out: dict[str, list[str]] = {n: [] for n in self.nodes}
        for e in self.edges:
            out.setdefault(e.child, []).append(e.parent)
        return {n: tuple(ps) for n, ps in out.items()}

    def parents(self, node: str) -> list[str]:
        """Parents of ``node`` in the static DAG, in life-cycle order."""
        return list(self.parent_map.get(node, ()))

    def edge(self, parent: str, child: str) -> Edge:
        for e in self.edges:
            if e.parent == parent and e.child == child:
                return e
        raise KeyError(f"no edge {parent} -> {child} in the theory")


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        problems.append(Problem(path.name, where, f"not valid YAML: {exc}"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(path.name, "file", f"not UTF-8 text: {exc}"))
    return None


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "entry"
        parts.append(f"{loc}: {e['msg']} (got {e.get('input')!r})")
    return "; ".join(parts)


def parse_entries(
    raw: Any,
    key: str,
    model: type[T],
    filename: str,
    problems: list[Problem],
    label: Callable[[int, Any], str] | None = None,
) -> list[T]:
    """Validate ``raw[key]`` (a list of mappings) entry by entry, recording each failure."""
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        problems.append(Problem(filename, key, f"expected a mapping with a list under '{key}'"))
        return []
    out: list[T] = []
    for i, item in enumerate(raw[key]):
        name = label(i, item) if label else _entry_label(i, item)
        try:
            out.append(model.model_validate(item))
        except ValidationError as err:
            problems.append(Problem(filename, name, _describe(err)))
    return out


def _entry_label(i: int, item: Any) -> str:
    if isinstance(item, dict):
        for k in ("id", "name", "file"):
            if k in item:
                return f"{k}={item[k]}"
        if "parent" in item and "child" in item:
            return f"{item['parent']} -> {item['child']}"
    return f"entry {i}"


def _load_cmoc_files(root: Path, problems: list[Problem]) -> tuple[list, list, list, dict]:
    cmocs: list[tuple[str, CMOC]] = []
    manifests: list[tuple[str, ManifestEntry]] = []
    proposed: list[tuple[str, ProposedNode]] = []
    files: dict[str, str] = {}
    folder = root / "cmocs"
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        problems.append(Problem("cmocs/", "folder", "no CMOC files (*.yaml) found"))
    for path in paths:
        rel = f"cmocs/{path.name}"
        raw = _read_yaml(path, problems)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            problems.append(Problem(rel, "file", "expected a mapping with key 'cmocs'"))
            continue
        unknown = set(raw) - set(CMOCFile.model_fields)
        if unknown:
            problems.append(Problem(rel, "file", f"unknown top-level keys {sorted(unknown)}"))
        for rec in parse_entries(raw, "cmocs", CMOC, rel, problems):
            if rec.id in files:
                problems.append(Problem(rel, f"id={rec.id}", f"duplicate CMOC id (also in {files[rec.id]})"))
                continue
            files[rec.id] = rel
            cmocs.append((rel, rec))
        if raw.get("manifest"):
            for m in parse_entries(raw, "manifest", ManifestEntry, rel, problems):
                manifests.append((rel, m))
        if raw.get("proposed_nodes"):
            for p in parse_entries(raw, "proposed_nodes", ProposedNode, rel, problems):
                proposed.append((rel, p))
    return cmocs, manifests, proposed, files


def load_theory(root: Path | str | None = None, *, check: bool = True) -> Theory:
    """Load and (by default) validate the theory in ``root`` (the packaged ``models/``).

    Raises
    ------
    TheoryError
        Listing every problem found, each with its file and entry, when ``check`` is true.
    """
    from bayescollab.theory.validate import validate_theory

    root = Path(root) if root is not None else models_dir()
    if not root.is_dir():
        raise TheoryError([Problem(str(root), "folder", "models folder does not exist")])
    problems: list[Problem] = []

    def entries(filename: str, key: str, model: type[T]) -> list[T]:
        path = root / filename
        if not path.is_file():
            problems.append(Problem(filename, "file", f"missing file {path}"))
            return []
        raw = _read_yaml(path, problems)
        return [] if raw is None else parse_entries(raw, key, model, filename, problems)

    nodes = entries("nodes.yaml", "nodes", NodeSpec)
    forms = entries("forms.yaml", "forms", FormSpec)
    feedback = entries("feedback.yaml", "feedback", FeedbackSpec)
    routing = entries("routing.yaml", "routing", RoutingSpec)
    interactions = entries("interactions.yaml", "interactions", InteractionSpec)
    scenarios = entries("scenarios.yaml", "scenarios", Scenario)
    seeds = entries("seed_index.yaml", "seeds", SeedIndexEntry)
    cmoc_pairs, manifests, proposed, files = _load_cmoc_files(root, problems)

    node_map: dict[str, NodeSpec] = {}
    for n in sorted(nodes, key=lambda n: n.order):
        if n.id in node_map:
            problems.append(Problem("nodes.yaml", f"id={n.id}", "duplicate node id"))
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
    if check:
        problems.extend(validate_theory(theory))
        if problems:
            raise TheoryError(problems)
    return theory
