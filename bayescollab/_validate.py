"""Runtime argument checks shared by the API and the CLI: one place turns user input into indices.

Every error names the bad value and the valid choices, closest match first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from bayescollab.errors import ImpossibleEvidenceError, UnknownNameError


def _kind(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_node(name: str, nodes: Sequence[str], *, argument: str = "node") -> str:
    """A node id of the model; a non-string (an int, None, a list) is a TypeError naming ``argument``."""
    if not isinstance(name, str):
        example = nodes[0] if len(nodes) else "trust"
        raise TypeError(f"{argument} must be a node id (str), e.g. {example!r}; got {_kind(name)}")
    if name not in nodes:
        raise UnknownNameError("node", name, list(nodes))
    return name


def check_state(node: str, state: str, states: Sequence[str]) -> int:
    if state not in states:
        raise UnknownNameError(f"state of {node!r}", state, list(states))
    return list(states).index(state)


def _check_mapping(value: object, argument: str, shape: str) -> None:
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"{argument} must be a dict {shape}; got {_kind(value)}")


def to_indices(
    assignment: Mapping[str, str] | None,
    states_of: Mapping[str, Sequence[str]],
    *,
    argument: str = "evidence",
) -> dict[str, int]:
    """``{node: state}`` -> ``{node: state index}``, validating names (``argument`` names the input)."""
    _check_mapping(assignment, argument, "{node: state}, e.g. {'mandated': 'mandated'}")
    out: dict[str, int] = {}
    for node, state in (assignment or {}).items():
        check_node(node, list(states_of), argument=f"a key of {argument}")
        out[node] = check_state(node, str(state), states_of[node])
    return out


def to_likelihoods(
    virtual: Mapping[str, Mapping[str, float] | Sequence[float]] | None,
    states_of: Mapping[str, Sequence[str]],
) -> dict[str, np.ndarray]:
    """Virtual evidence as likelihood vectors in state order.

    Accepts ``{node: {state: likelihood}}`` (missing states get 0) or ``{node: [l0, l1, ...]}``.
    Likelihoods must be finite, non-negative and not all zero. They carry no scale, so each
    vector is divided by its largest entry: ``[1e-310] * 3`` is as uninformative as ``[1, 1, 1]``
    instead of underflowing to "impossible" in the contraction.
    """
    argument = "virtual_evidence"
    _check_mapping(virtual, argument, "{node: {state: likelihood}} or {node: [likelihood per state]}")
    out: dict[str, np.ndarray] = {}
    for node, spec in (virtual or {}).items():
        check_node(node, list(states_of), argument=f"a key of {argument}")
        states = list(states_of[node])
        expected = f"one number per state {states} or {{state: number}}"
        if isinstance(spec, Mapping):
            vec = np.zeros(len(states))
            for state, value in spec.items():
                vec[check_state(node, str(state), states)] = _likelihood(value, node, expected)
        else:
            if isinstance(spec, str | bytes) or not hasattr(spec, "__iter__"):
                raise TypeError(f"{argument}[{node!r}] must be {expected}; got {_kind(spec)}")
            vec = np.array([_likelihood(v, node, expected) for v in spec], dtype=float)
            if vec.shape != (len(states),):
                raise ValueError(
                    f"virtual evidence for {node!r} has {vec.size} values; expected "
                    f"{len(states)} (one per state {states})"
                )
        if not np.all(np.isfinite(vec)) or (vec < 0).any():
            raise ValueError(
                f"virtual evidence for {node!r} must be finite and non-negative; got {vec.tolist()}"
            )
        if not (vec > 0).any():
            raise ImpossibleEvidenceError(
                f"virtual evidence for {node!r} is zero for every state {states}, so no state is "
                "possible; expected likelihoods that are not all zero"
            )
        out[node] = vec / vec.max()
    return out


def _likelihood(value: object, node: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"virtual_evidence[{node!r}] holds {_kind(value)}; expected a number: {expected}")
    return float(value)


def check_disjoint(**groups: Iterable[str]) -> None:
    """Refuse a node given in two evidence kinds (e.g. observed and intervened on)."""
    names = list(groups)
    sets = {k: set(v) for k, v in groups.items()}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = sets[a] & sets[b]
            if both:
                raise ValueError(f"nodes given as both {a} and {b}: {sorted(both)}")


def parse_assignments(items: Iterable[str], option: str) -> dict[str, str]:
    """CLI ``NODE=STATE`` strings -> dict; refuses malformed items and repeats."""
    out: dict[str, str] = {}
    for item in items:
        node, sep, state = item.partition("=")
        if not sep or not node.strip() or not state.strip():
            raise ValueError(f"{option} expects NODE=STATE; got {item!r}")
        node, state = node.strip(), state.strip()
        if node in out and out[node] != state:
            raise ValueError(f"{option} gives {node!r} twice ({out[node]!r} and {state!r})")
        out[node] = state
    return out


def check_count(value: object, option: str, minimum: int = 0) -> int:
    """A count or seed option: an integer (not a bool) of at least ``minimum``; names the option."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{option} is {value!r} ({type(value).__name__}); expected an integer >= {minimum}")
    if value < minimum:
        raise ValueError(f"{option} is {value}; expected an integer >= {minimum}")
    return int(value)
