"""The :class:`Theory` value: the programme theory as loaded from ``models/`` (immutable).

It lives apart from the loader (:mod:`bayescollab.theory.load`) and the checks
(:mod:`bayescollab.theory.validate`) so that both can use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bayescollab.theory.edges import Edge
from bayescollab.theory.schema import (
    CMOC,
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

__all__ = ["Theory"]


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
        """The static edge ``parent -> child``; KeyError when the theory has none."""
        for e in self.edges:
            if e.parent == parent and e.child == child:
                return e
        raise KeyError(f"no edge {parent} -> {child} in the theory")
