"""Pydantic schemas for the theory files in ``models/``.

The schemas check the shape of each entry (types, required fields, allowed literals). Checks
that need the whole theory (unknown node ids, edges without a record, cycles, seed locations)
live in :mod:`bayescollab.theory.validate`, so that one malformed entry does not hide the rest.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Stage = Literal["early", "mid-life", "atemporal", "performance"]
EvidenceStage = Literal["initial_review", "refinement", "empirical", "action_statement"]
NodeKind = Literal["context", "mechanism", "outcome"]


class _Strict(BaseModel):
    # defer_build: the validators are built on first validation, not at import (a cached model
    # is unpickled without validating, so `bayescollab query` never pays for them)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class SeedRef(_Strict):
    """A place in one of the seed texts: file, section / table / box, citation numbers."""

    seed: str
    location: str = Field(min_length=1)
    citations: list[int | str] = Field(default_factory=list)


class Source(SeedRef):
    """A seed location supporting a CMOC, with the stage of evidence it represents."""

    stage: EvidenceStage


class ChildScores(_Strict):
    """Per-child parent-state scores (in [-1, 1]) with the seed location that asks for them."""

    scores: list[float]
    why: str = Field(min_length=10)
    source: SeedRef


class NodeSpec(_Strict):
    """One node of the causal web."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: NodeKind
    stage: Stage
    order: int
    states: list[str] = Field(min_length=2)
    ordered: bool = True
    definition: str = Field(min_length=5)
    source: SeedRef
    domain: str | None = None
    adverse: bool = False  # the top state is the bad end (more conflict, more complexity, ...)
    #: optional per-state scores in [-1, 1] when the listed order is not the direction of effect
    #: (ambition: realistic is best, both extremes harm); used for link signs and CPT scores
    scores: list[float] | None = None
    #: scores this node's states carry as a parent of one particular child, when that child's
    #: response is not the node's own order (MoU best for trust); see ChildScores
    child_scores: dict[str, ChildScores] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _scores_fit(self) -> NodeSpec:
        for where, scores in [("scores", self.scores)] + [
            (f"child_scores[{c}]", cs.scores) for c, cs in self.child_scores.items()
        ]:
            if scores is None:
                continue
            if len(scores) != len(self.states):
                raise ValueError(f"{where} {scores} need one value per state {self.states}")
            if any(not -1.0 <= v <= 1.0 for v in scores):
                raise ValueError(f"{where} {scores} must lie in [-1, 1]")
        return self

    @field_validator("states")
    @classmethod
    def _states_unique(cls, states: list[str]) -> list[str]:
        if len(set(states)) != len(states):
            raise ValueError(f"states must be unique; got {states}")
        return states


class StateTerm(_Strict):
    node: str
    state: str


class Link(_Strict):
    """A causal step a CMOC asserts, parent -> child; sign derived from states unless given."""

    parent: str
    child: str
    sign: Literal[-1, 1] | None = None


class InteractionNote(_Strict):
    modifier: str
    parent: str
    child: str
    note: str = ""


class CMOC(_Strict):
    """A context-mechanism-outcome configuration with its provenance."""

    id: str = Field(pattern=r"^[A-Z]{3}-\d{3}$")
    context: list[StateTerm] = Field(default_factory=list)
    mechanism: list[StateTerm] = Field(default_factory=list)
    outcome: list[StateTerm] = Field(default_factory=list)
    direction: Literal["positive", "negative"]
    paraphrase: str = Field(min_length=10)
    sources: list[Source] = Field(min_length=1)
    hypothesis: bool = False
    conflicts_with: list[str] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    interaction: InteractionNote | None = None
    shapes_cpt: bool = True
    why_not_cpt: str | None = None
    lever: str | None = None
    entry_point: str | None = None

    @model_validator(mode="after")
    def _reason_when_unused(self) -> CMOC:
        if not self.shapes_cpt and not (self.why_not_cpt and self.why_not_cpt.strip()):
            raise ValueError("shapes_cpt is false, so why_not_cpt must say why")
        if self.shapes_cpt and not self.links:
            raise ValueError("shapes_cpt is true but no links are listed")
        return self

    @property
    def stages(self) -> frozenset[str]:
        return frozenset(s.stage for s in self.sources)

    def state_of(self, node: str) -> str | None:
        """The state this record gives ``node`` in its context, mechanism or outcome."""
        for term in (*self.context, *self.mechanism, *self.outcome):
            if term.node == node:
                return term.state
        return None


class ManifestEntry(_Strict):
    seed: str
    location: str
    count: int = Field(ge=0)
    how_counted: str = ""


class ProposedNode(_Strict):
    id: str
    kind: NodeKind
    states: list[str]
    definition: str
    sources: list[SeedRef] = Field(default_factory=list)


class CMOCFile(_Strict):
    manifest: list[ManifestEntry] = Field(default_factory=list)
    proposed_nodes: list[ProposedNode] = Field(default_factory=list)
    cmocs: list[CMOC]


class FormSpec(_Strict):
    """A collaboration form's place on the integration continuum (seed 003)."""

    id: str
    integration_level: Literal["low", "medium", "high"]
    entry: Literal["voluntary", "mandated", "either"]
    cross_sector: Literal["yes", "no", "either"]
    partner_scale: Literal["small", "large", "either"]
    description: str
    entry_basis: str = ""
    sources: list[SeedRef] = Field(min_length=1)


class FeedbackSpec(_Strict):
    """Why a reciprocal link is cut in the static DAG."""

    parent: str
    child: str
    reason: str = Field(min_length=10)
    source: SeedRef


class RoutingSpec(_Strict):
    """Carry a record's parent -> child link through intermediate mechanisms the theory names.

    Used to keep in-degree modest without dropping parents: the link's records then support
    every hop of ``parent -> via... -> child``. The hops after the first must already be
    asserted by other records.
    """

    parent: str
    child: str
    via: list[str] = Field(min_length=1)
    reason: str = Field(min_length=10)


class InteractionSpec(_Strict):
    """A moderation the theory states: ``modifier`` changes the effect of ``parent`` on ``child``.

    ``kind: moderation`` scales the parent's weight by exp(u * s(modifier)): ``sign`` +1 means
    the effect is stronger when the modifier is at its high end, -1 weaker; it can never flip
    the effect's direction. ``kind: crossover`` adds v * s(modifier) * t(parent), with
    ``parent_scores`` t, for the few places the seeds say the direction itself changes.
    """

    id: str
    child: str
    parent: str
    modifier: str
    sign: Literal[-1, 1]
    cmocs: list[str] = Field(min_length=1)
    paraphrase: str
    kind: Literal["moderation", "crossover"] = "moderation"
    parent_scores: list[float] | None = None

    @model_validator(mode="after")
    def _scores_for_crossover(self) -> InteractionSpec:
        if self.kind == "moderation" and self.parent_scores is not None:
            raise ValueError("parent_scores only apply to kind: crossover")
        return self


class Scenario(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    evidence: dict[str, str]
    sources: list[SeedRef] = Field(default_factory=list)


class SeedLocation(_Strict):
    location: str
    note: str = ""


class SeedIndexEntry(_Strict):
    file: str
    title: str
    locations: list[SeedLocation]
