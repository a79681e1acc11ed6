"""Graph utilities over the theory's static DAG, written once for every layer.

Everything here takes a *parent map* (node -> its parents, in the network's node order), so the
same walk serves a :class:`~bayescollab.theory.load.Theory` (``theory.parent_map``), a
``Model`` (``{n: model.parents(n) for n in model.nodes}``) and an engine ``Network``
(``net.parents``). The map's key order is the node order: results that are lists keep it, so
a walk never reorders the life cycle.

Before this module the same walks lived in seven places (``Network.ancestors``,
``pytensor_backend._needed``, ``global_sensitivity``, ``assess._descendants``,
``simulate._topological_order``, ``viz._columns`` and networkx), each with its own edge cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

import numpy as np

from bayescollab.theory.schema import NodeSpec

__all__ = [
    "ParentMap",
    "ancestors",
    "children_map",
    "depths",
    "descendants",
    "favourable_state",
    "find_cycle",
    "in_order",
    "topological_order",
]

#: node -> its parents; the key order is the network's node order
ParentMap = Mapping[str, Sequence[str]]


def _check_known(parents: ParentMap, nodes: Iterable[str]) -> list[str]:
    nodes = list(nodes)
    unknown = [n for n in nodes if n not in parents]
    if unknown:
        raise KeyError(f"nodes {unknown} are not in the graph; expected some of {list(parents)[:12]} ...")
    return nodes


def ancestors(
    parents: ParentMap,
    nodes: Iterable[str],
    *,
    cut: Iterable[str] = (),
    include_self: bool = True,
) -> set[str]:
    """``nodes`` (unless ``include_self`` is false) and every ancestor of them.

    The walk does not climb past a node in ``cut``: a node held by ``do()`` has no parents in
    the mutilated graph, so its ancestors are not needed to answer a query about it.
    """
    start = _check_known(parents, nodes)
    cut = frozenset(cut)
    stack = list(start) if include_self else [p for s in start if s not in cut for p in parents[s]]
    seen: set[str] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n not in cut:
            stack.extend(parents[n])
    return seen


def children_map(parents: ParentMap) -> dict[str, list[str]]:
    """node -> its children, each list in node order."""
    out: dict[str, list[str]] = {n: [] for n in parents}
    for node, ps in parents.items():
        for p in ps:
            out[p].append(node)
    return out


def descendants(parents: ParentMap, node: str, *, include_self: bool = False) -> set[str]:
    """Every node reachable from ``node`` along edges (``node`` itself only if asked)."""
    _check_known(parents, [node])
    children = children_map(parents)
    seen: set[str] = set()
    stack = list(children[node])
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(children[n])
    if include_self:
        seen.add(node)
    return seen


def in_order(parents: ParentMap, nodes: Iterable[str]) -> list[str]:
    """``nodes`` sorted into the graph's node order (duplicates dropped)."""
    keep = set(nodes)
    return [n for n in parents if n in keep]


def topological_order(parents: ParentMap) -> list[str]:
    """A topological order built in waves, each wave in node order.

    Each wave takes, in node order, every remaining node whose parents are all placed, so roots
    come first and ties keep the node order. This is the order forward sampling draws in
    (``survey.simulate`` used it first), so a seed keeps giving the same draws.

    Raises
    ------
    ValueError
        When the graph has a cycle, naming the nodes left on it.
    """
    order: list[str] = []
    placed: set[str] = set()
    remaining = list(parents)
    while remaining:
        ready = [n for n in remaining if placed.issuperset(parents[n])]
        if not ready:
            raise ValueError(f"the network has a cycle among {remaining}")
        order.extend(ready)
        placed.update(ready)
        remaining = [n for n in remaining if n not in placed]
    return order


def find_cycle(parents: ParentMap) -> list[tuple[str, str]] | None:
    """One directed cycle as ``[(parent, child), ...]`` edges, or None when the graph is a DAG.

    Parents missing from the map count as roots, so a half-built theory can still be checked.
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in parents:
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            ps = parents.get(node, ())
            if i < len(ps):
                stack.append((node, i + 1))
                nxt = ps[i]
                if state.get(nxt) == 1:  # walking child -> parent: reverse for parent -> child edges
                    loop = [*path[path.index(nxt) :], nxt]
                    return [(b, a) for a, b in reversed(list(pairwise(loop)))]
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def depths(parents: ParentMap) -> dict[str, int]:
    """Longest-path depth of each node: 0 for a root, else 1 + the deepest parent."""
    out: dict[str, int] = {}
    for node in topological_order(parents):
        out[node] = 1 + max((out[p] for p in parents[node]), default=-1)
    return out


def favourable_state(spec: NodeSpec) -> str:
    """The state of a node that points most towards collaboration.

    Its ``scores`` when the theory gives them, else evenly spaced scores along its
    low -> high order; reversed for an ``adverse`` node (e.g. conflict, where ``low`` is good).
    """
    scores = np.asarray(spec.scores if spec.scores is not None else np.linspace(-1, 1, len(spec.states)))
    if spec.adverse:
        scores = -scores
    return spec.states[int(np.argmax(scores))]
