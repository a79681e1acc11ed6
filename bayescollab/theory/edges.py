"""Derive the network's edges from the CMOC records.

Every link a CMOC asserts (``links``) is pooled by (parent, child). The sign of a link comes
from the states the record gives its ends, so the data never carries a sign that could
disagree with its own states. Links that run against the life-cycle order of the nodes are
feedback edges: they are kept, with the reason from ``models/feedback.yaml``, for a later
dynamic (unrolled) model, but they are not part of the static DAG.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import pairwise

from bayescollab.theory.schema import (
    CMOC,
    FeedbackSpec,
    InteractionSpec,
    Link,
    NodeSpec,
    RoutingSpec,
)


@dataclass(frozen=True)
class Edge:
    """A parent -> child link with the records that support it.

    ``sign`` is the sign most supporting records give; 0 marks a moderator-only edge, which
    exists because an interaction the theory states needs the modifier as a parent (its
    main effect then has prior mean 0).
    """

    parent: str
    child: str
    sign: int
    cmocs: tuple[str, ...]
    conflicting: tuple[str, ...] = ()
    feedback_reason: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.parent, self.child)


def state_polarity(node: NodeSpec, state: str) -> int:
    """+1 for a state in the upper half of an ordered node, -1 for the lower half, 0 middle."""
    if node.scores is not None:
        score = node.scores[node.states.index(state)]
        return (score > 0) - (score < 0)
    if not node.ordered:
        return 0
    k = len(node.states)
    idx = node.states.index(state)
    position = 2 * idx - (k - 1)
    return (position > 0) - (position < 0)


def link_sign(record: CMOC, link: Link, nodes: Mapping[str, NodeSpec]) -> int:
    """Sign of ``link`` in ``record``: explicit, or the product of its ends' state polarities.

    Returns 0 when the sign cannot be derived (validation reports it).
    """
    if link.sign is not None:
        return link.sign
    parent_state = record.state_of(link.parent)
    child_state = record.state_of(link.child)
    if parent_state is None or child_state is None:
        return 0
    if parent_state not in nodes[link.parent].states or child_state not in nodes[link.child].states:
        return 0
    return state_polarity(nodes[link.parent], parent_state) * state_polarity(nodes[link.child], child_state)


def _majority(by_sign: dict[int, list[str]]) -> int:
    return 1 if len(by_sign[1]) >= len(by_sign[-1]) else -1


def _apply_routing(
    votes: dict[tuple[str, str], dict[int, list[str]]], routing: Iterable[RoutingSpec]
) -> None:
    """Replace each routed link by its hops; the hops' signs multiply to the link's sign.

    A route whose later hops no record asserts is left alone (validation reports it).
    """
    for route in routing:
        key = (route.parent, route.child)
        path = [route.parent, *route.via, route.child]
        hops = list(pairwise(path))
        if key not in votes or any(hop not in votes for hop in hops[1:]):
            continue
        tail_signs = [_majority(votes[hop]) for hop in hops[1:]]
        tail_sign = 1
        for sign in tail_signs:
            tail_sign *= sign
        routed = votes.pop(key)
        for sign, ids in routed.items():
            hop_signs = [sign * tail_sign, *tail_signs]
            for hop, hop_sign in zip(hops, hop_signs, strict=True):
                bucket = votes[hop][hop_sign]
                bucket.extend(c for c in ids if c not in bucket)


def derive_edges(
    nodes: Mapping[str, NodeSpec],
    cmocs: Iterable[CMOC],
    feedback: Iterable[FeedbackSpec],
    routing: Iterable[RoutingSpec] = (),
) -> tuple[list[Edge], list[Edge]]:
    """Pool the records' links into forward (DAG) edges and feedback edges.

    Only records with ``shapes_cpt`` contribute. Links named in ``routing`` are carried
    through their intermediate mechanisms. Links naming unknown nodes or with an
    underivable sign are skipped here; :mod:`bayescollab.theory.validate` reports them.
    """
    votes: dict[tuple[str, str], dict[int, list[str]]] = defaultdict(lambda: {1: [], -1: []})
    for record in cmocs:
        if not record.shapes_cpt:
            continue
        for link in record.links:
            if link.parent not in nodes or link.child not in nodes:
                continue
            sign = link_sign(record, link, nodes)
            if sign == 0:
                continue
            supporters = votes[(link.parent, link.child)][sign]
            if record.id not in supporters:
                supporters.append(record.id)
    _apply_routing(votes, routing)
    reasons = {(f.parent, f.child): f.reason for f in feedback}
    forward: list[Edge] = []
    backward: list[Edge] = []
    for (parent, child), by_sign in votes.items():
        sign = _majority(by_sign)
        edge = Edge(
            parent=parent,
            child=child,
            sign=sign,
            cmocs=tuple(by_sign[sign]),
            conflicting=tuple(by_sign[-sign]),
        )
        if nodes[parent].order <= nodes[child].order:
            forward.append(edge)
        else:
            backward.append(replace(edge, feedback_reason=reasons.get((parent, child))))
    order = {nid: spec.order for nid, spec in nodes.items()}
    forward.sort(key=lambda e: (order[e.child], order[e.parent]))
    backward.sort(key=lambda e: (order[e.parent], order[e.child]))
    return forward, backward


def add_moderator_edges(
    forward: list[Edge], interactions: Iterable[InteractionSpec], nodes: Mapping[str, NodeSpec]
) -> list[Edge]:
    """Edges (sign 0) from each interaction's modifier to its child when no record links them."""
    have = {e.key for e in forward}
    out = list(forward)
    for spec in interactions:
        key = (spec.modifier, spec.child)
        if key in have or spec.modifier not in nodes or spec.child not in nodes:
            continue
        if nodes[spec.modifier].order >= nodes[spec.child].order:
            continue  # validation reports the orientation
        out.append(Edge(parent=spec.modifier, child=spec.child, sign=0, cmocs=tuple(spec.cmocs)))
        have.add(key)
    order = {nid: n.order for nid, n in nodes.items()}
    out.sort(key=lambda e: (order[e.child], order[e.parent]))
    return out
