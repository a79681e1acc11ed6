"""Whole-theory checks: names, states, provenance, structure.

Each check returns :class:`~bayescollab.errors.Problem` entries naming the file and entry, so
``bayescollab validate`` can list everything wrong at once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise

from bayescollab.errors import Problem
from bayescollab.theory.citations import check_citations
from bayescollab.theory.core import Theory
from bayescollab.theory.edges import link_sign
from bayescollab.theory.graph import find_cycle
from bayescollab.theory.schema import SeedRef
from bayescollab.theory.vocabulary import CONTRACT, ORDINAL_SCALES

#: Largest number of parents a node may have; the theory's intermediate nodes keep it modest.
MAX_PARENTS = 8


def validate_theory(theory: Theory) -> list[Problem]:
    """Run every check and return the problems found (empty when the theory is valid)."""
    checks = (
        _check_vocabulary,
        _check_node_states_ordered,
        _check_cmoc_terms,
        _check_sources,
        check_citations,
        _check_manifests,
        _check_proposed_nodes,
        _check_structure,
        _check_routing,
        _check_interactions,
        _check_forms,
        _check_scenarios,
    )
    problems: list[Problem] = []
    for check in checks:
        problems.extend(check(theory))
    return problems


def _check_vocabulary(t: Theory) -> Iterator[Problem]:
    for node, states in CONTRACT.items():
        if node not in t.nodes:
            yield Problem("nodes.yaml", f"id={node}", "contract node missing from the vocabulary")
            continue
        have = list(t.nodes[node].states)
        missing = [s for s in states if s not in have]
        if missing:
            yield Problem("nodes.yaml", f"id={node}", f"states {have} lack contract states {missing}")
        elif [s for s in have if s in states] != list(states):
            yield Problem(
                "nodes.yaml",
                f"id={node}",
                f"states {have} reorder the contract order {list(states)}",
            )


def _check_node_states_ordered(t: Theory) -> Iterator[Problem]:
    for node in t.nodes.values():
        if not node.ordered:
            continue
        for scale in ORDINAL_SCALES:
            if set(node.states) == set(scale) and tuple(node.states) != scale:
                yield Problem(
                    "nodes.yaml",
                    f"id={node.id}",
                    f"states {node.states} are not ordered low -> high; expected {list(scale)}",
                )


def _known_states(t: Theory) -> dict[str, list[str]]:
    known = {nid: list(n.states) for nid, n in t.nodes.items()}
    return known


def _check_cmoc_terms(t: Theory) -> Iterator[Problem]:
    known = _known_states(t)
    for cid, rec in t.cmocs.items():
        where = (t.cmoc_files[cid], f"id={cid}")
        for part in ("context", "mechanism", "outcome"):
            for term in getattr(rec, part):
                if term.node not in known:
                    yield Problem(*where, f"{part} names unknown node {term.node!r}")
                elif term.state not in known[term.node]:
                    yield Problem(
                        *where,
                        f"{part} gives {term.node} state {term.state!r}; expected one of {known[term.node]}",
                    )
        for link in rec.links:
            bad = [n for n in (link.parent, link.child) if n not in known]
            if bad:
                yield Problem(*where, f"link {link.parent} -> {link.child} names unknown {bad}")
                continue
            if link.parent == link.child:
                yield Problem(*where, f"link {link.parent} -> {link.child} is a self-loop")
            if rec.shapes_cpt and link_sign(rec, link, t.nodes) == 0:
                yield Problem(
                    *where,
                    f"sign of link {link.parent} -> {link.child} cannot be derived from the "
                    "record's states; give sign: 1 or -1",
                )
        for other in rec.conflicts_with:
            if other not in t.cmocs:
                yield Problem(*where, f"conflicts_with names unknown record {other!r}")
        if rec.lever:
            node, _, state = rec.lever.partition("=")
            if node not in known or state not in known[node]:
                yield Problem(*where, f"lever {rec.lever!r} is not NODE=STATE of the vocabulary")


def location_key(location: str) -> str:
    """A location less any trailing '(...)' notes, case- and dash-insensitive."""
    key = re.sub(r"\s*\([^)]*\)", "", location).strip().lower()
    return key.replace("–", "-").replace("—", "-")


def _location_ok(t: Theory, ref: SeedRef) -> str | None:
    entry = t.seed_index.get(ref.seed)
    if entry is None:
        return f"unknown seed file {ref.seed!r}; expected one of {sorted(t.seed_index)}"
    if location_key(ref.location) in {location_key(k.location) for k in entry.locations}:
        return None
    return (
        f"location {ref.location!r} is not a known place in {ref.seed}; "
        "seed_index.yaml lists the valid sections / tables / boxes"
    )


def _check_sources(t: Theory) -> Iterator[Problem]:
    for node in t.nodes.values():
        msg = _location_ok(t, node.source)
        if msg:
            yield Problem("nodes.yaml", f"id={node.id}", msg)
    for cid, rec in t.cmocs.items():
        for src in rec.sources:
            msg = _location_ok(t, src)
            if msg:
                yield Problem(t.cmoc_files[cid], f"id={cid}", msg)
    for form in t.forms.values():
        for src in form.sources:
            msg = _location_ok(t, src)
            if msg:
                yield Problem("forms.yaml", f"id={form.id}", msg)
    for fb in t.feedback:
        msg = _location_ok(t, fb.source)
        if msg:
            yield Problem("feedback.yaml", f"{fb.parent} -> {fb.child}", msg)


def count_by_location(t: Theory, seed: str, location: str, file: str | None = None) -> int:
    """Number of records (in ``file``, or anywhere) with a source at exactly this location."""
    return sum(
        any(s.seed == seed and s.location == location for s in rec.sources)
        for cid, rec in t.cmocs.items()
        if file is None or t.cmoc_files[cid] == file
    )


def _check_manifests(t: Theory) -> Iterator[Problem]:
    for filename, entry in t.manifests:
        have = count_by_location(t, entry.seed, entry.location, filename)
        if have != entry.count:
            yield Problem(
                filename,
                f"manifest {entry.location!r}",
                f"{have} record(s) cite this location; the manifest expects {entry.count}",
            )


def _check_proposed_nodes(t: Theory) -> Iterator[Problem]:
    for filename, node in t.proposed_nodes:
        if node.id not in t.nodes:
            yield Problem(filename, f"proposed node {node.id}", "not adopted in nodes.yaml")


def _check_structure(t: Theory) -> Iterator[Problem]:
    cycle = find_cycle(t.parent_map)
    if cycle is not None:
        yield Problem("nodes.yaml", "order", f"the static network has a cycle: {cycle}")
    for node, degree in Counter(e.child for e in t.edges).items():
        if degree > MAX_PARENTS:
            parents = t.parents(node)
            yield Problem(
                "cmocs/",
                f"node {node}",
                f"{degree} parents {parents}; at most {MAX_PARENTS}: route through the "
                "intermediate mechanisms the theory names",
            )
    for edge in t.edges:
        if edge.conflicting and len(edge.conflicting) == len(edge.cmocs):
            yield Problem(
                "cmocs/",
                f"edge {edge.parent} -> {edge.child}",
                f"as many records for +1 ({list(edge.cmocs)}) as for -1 "
                f"({list(edge.conflicting)}); resolve the sign or state an interaction",
            )
    feedback_keys = {e.key for e in t.feedback_edges}
    for edge in t.feedback_edges:
        if edge.feedback_reason is None:
            yield Problem(
                "feedback.yaml",
                f"{edge.parent} -> {edge.child}",
                f"link runs against the life-cycle order (records {list(edge.cmocs)}); "
                "add the reason it is cut",
            )
    for fb in t.feedback:
        if (fb.parent, fb.child) not in feedback_keys:
            yield Problem(
                "feedback.yaml",
                f"{fb.parent} -> {fb.child}",
                "no CMOC record asserts this feedback link",
            )


def _check_routing(t: Theory) -> Iterator[Problem]:
    edges = {e.key for e in t.edges} | {e.key for e in t.feedback_edges}
    linked = {(link.parent, link.child) for rec in t.cmocs.values() if rec.shapes_cpt for link in rec.links}
    for route in t.routing:
        where = ("routing.yaml", f"{route.parent} -> {route.child}")
        for name in (route.parent, route.child, *route.via):
            if name not in t.nodes:
                yield Problem(*where, f"unknown node {name!r}")
        if (route.parent, route.child) not in linked:
            yield Problem(*where, "no CMOC record asserts the routed link")
        path = [route.parent, *route.via, route.child]
        for hop in list(pairwise(path))[1:]:
            if hop not in edges:
                yield Problem(*where, f"hop {hop[0]} -> {hop[1]} is asserted by no record")
        if (route.parent, route.child) in edges:
            yield Problem(*where, "the routed link is still in the network")


def _check_interactions(t: Theory) -> Iterator[Problem]:
    edges = {e.key for e in t.edges}
    for spec in t.interactions:
        where = ("interactions.yaml", f"id={spec.id}")
        for name in (spec.child, spec.parent, spec.modifier):
            if name not in t.nodes:
                yield Problem(*where, f"unknown node {name!r}")
        if (spec.parent, spec.child) not in edges:
            yield Problem(*where, f"no edge {spec.parent} -> {spec.child} is derived from records")
        if (spec.modifier, spec.child) not in edges:
            yield Problem(
                *where,
                f"modifier {spec.modifier} does not come before {spec.child} in the life cycle",
            )
        if spec.modifier == spec.parent:
            yield Problem(*where, "modifier and parent are the same node")
        for cid in spec.cmocs:
            if cid not in t.cmocs:
                yield Problem(*where, f"names unknown CMOC {cid!r}")


def _check_forms(t: Theory) -> Iterator[Problem]:
    forms = set(t.nodes["collaboration_form"].states) if "collaboration_form" in t.nodes else set()
    for missing in sorted(forms - set(t.forms)):
        yield Problem("forms.yaml", f"id={missing}", "collaboration form has no typology entry")
    for extra in sorted(set(t.forms) - forms):
        yield Problem("forms.yaml", f"id={extra}", "not a state of collaboration_form")


def _check_scenarios(t: Theory) -> Iterator[Problem]:
    known = _known_states(t)
    for scenario in t.scenarios.values():
        for node, state in scenario.evidence.items():
            if node not in known:
                yield Problem("scenarios.yaml", f"name={scenario.name}", f"unknown node {node!r}")
            elif state not in known[node]:
                yield Problem(
                    "scenarios.yaml",
                    f"name={scenario.name}",
                    f"{node}={state!r}; expected one of {known[node]}",
                )
