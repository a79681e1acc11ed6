"""theory.graph: the one set of walks over the DAG, checked against brute force and networkx."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollab.theory.graph import (
    ancestors,
    children_map,
    depths,
    descendants,
    favourable_state,
    find_cycle,
    in_order,
    topological_order,
)


@st.composite
def dags(draw: st.DrawFn) -> dict[str, tuple[str, ...]]:
    """A random DAG whose node order is shuffled (so it need not be topological)."""
    n = draw(st.integers(1, 9))
    names = [f"n{i}" for i in range(n)]
    parents = {names[i]: tuple(names[j] for j in range(i) if draw(st.booleans())) for i in range(n)}
    shuffled = draw(st.permutations(names))
    return {k: parents[k] for k in shuffled}


def _nx(parents: dict[str, tuple[str, ...]]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(parents)
    g.add_edges_from((p, c) for c, ps in parents.items() for p in ps)
    return g


@settings(max_examples=60, deadline=None)
@given(dags())
def test_walks_agree_with_networkx(parents) -> None:
    g = _nx(parents)
    for node in parents:
        assert ancestors(parents, [node]) == nx.ancestors(g, node) | {node}
        assert ancestors(parents, [node], include_self=False) == nx.ancestors(g, node)
        assert descendants(parents, node) == nx.descendants(g, node)
        assert descendants(parents, node, include_self=True) == nx.descendants(g, node) | {node}
    order = topological_order(parents)
    assert sorted(order) == sorted(parents)
    pos = {n: i for i, n in enumerate(order)}
    assert all(pos[p] < pos[c] for c, ps in parents.items() for p in ps)
    assert find_cycle(parents) is None
    for node, d in depths(parents).items():
        assert d == max(
            (len(path) - 1 for r in g if g.in_degree(r) == 0 for path in nx.all_simple_paths(g, r, node)),
            default=0,
        )
    kids = children_map(parents)
    assert all(c in kids[p] for c, ps in parents.items() for p in ps)


def test_cut_stops_the_climb() -> None:
    parents = {"a": (), "b": ("a",), "c": ("b",), "d": ("c",)}
    assert ancestors(parents, ["d"], cut={"c"}) == {"c", "d"}
    assert ancestors(parents, ["d", "b"], include_self=False) == {"a", "b", "c"}


def test_topological_order_is_the_wave_order(theory) -> None:
    """Roots first, then each wave in node order: the order forward sampling draws in."""
    order = topological_order(theory.parent_map)
    roots = [n for n in theory.nodes if not theory.parent_map[n]]
    assert order[: len(roots)] == roots
    pos = {n: i for i, n in enumerate(order)}
    assert all(pos[p] < pos[c] for c, ps in theory.parent_map.items() for p in ps)
    assert depths(theory.parent_map)["collaborative_performance"] > depths(theory.parent_map)["trust"]
    assert in_order(theory.parent_map, ["trust", "mandated"]) == ["mandated", "trust"]


def test_topological_order_waves() -> None:
    parents = {"c": ("a",), "a": (), "b": ()}
    assert topological_order(parents) == ["a", "b", "c"]


def test_cycle_is_found_and_named() -> None:
    parents = {"a": ("c",), "b": ("a",), "c": ("b",), "d": ()}
    cycle = find_cycle(parents)
    assert cycle is not None and len(cycle) == 3
    assert {(p, c) for p, c in cycle} == {("c", "a"), ("a", "b"), ("b", "c")}
    assert all(cycle[i][1] == cycle[(i + 1) % 3][0] for i in range(3))
    with pytest.raises(ValueError, match="cycle among"):
        topological_order(parents)


def test_unknown_node_is_named() -> None:
    with pytest.raises(KeyError, match="zz"):
        ancestors({"a": ()}, ["zz"])


def test_favourable_state(theory) -> None:
    assert favourable_state(theory.nodes["trust"]) == "high"
    assert favourable_state(theory.nodes["conflict"]) == "low"
    assert favourable_state(theory.nodes["ambition"]) == "realistic"
