"""The conditions of a question, validated once: target, state, evidence, do, likelihoods, scenario.

Every analysis asks "P(target = state | evidence, do(...), likelihoods)" under some named
scenario. A :class:`Setting` is that question, built once with :meth:`Setting.build` (or
:meth:`bayescollab.Model.setting`): names and states are checked through
:mod:`bayescollab._validate`, the scenario's evidence is merged with the caller's by the one
rule below, and the state indices and likelihood vectors the engine needs are kept beside the
names. It is frozen, so it can be passed around, compared, used as a cache key and written
into a result's attributes (:meth:`Setting.to_dict`) without anyone changing it on the way.

**The scenario-merge rule.** A scenario's evidence and the caller's evidence are united. A
node the caller gives with the *same* state is fine; with a *different* state it is an error
that names both values (``evidence gives mandated='voluntary' but scenario '...' sets
mandated='mandated'; give one value``). Nothing is overridden silently, in the CLI
(``--scenario`` with ``--given``) and the Python API alike (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from bayescollab._validate import check_disjoint, check_node, check_state, to_indices, to_likelihoods

__all__ = ["Evidence", "Likelihoods", "Setting", "Vocabulary", "merge_scenario"]

Evidence = Mapping[str, str]
Likelihoods = Mapping[str, Mapping[str, float] | Sequence[float]]


class Vocabulary(Protocol):
    """What a Setting is validated against (a :class:`bayescollab.Model` is one)."""

    @property
    def nodes(self) -> list[str]: ...

    def states(self, node: str) -> list[str]: ...

    def scenario(self, name: str) -> dict[str, str]: ...


def merge_scenario(
    scenario: str | None, scenario_evidence: Evidence, evidence: Evidence | None
) -> dict[str, str]:
    """The scenario's evidence united with the caller's; a clash names both values.

    The one merge rule of the package (module docstring): the CLI's ``--scenario`` with
    ``--given``, :meth:`Setting.build` and the sensitivity analyses all come through here.
    """
    merged = dict(scenario_evidence)
    for node, state in (evidence or {}).items():
        state = str(state)
        if node in merged and merged[node] != state:
            raise ValueError(
                f"evidence gives {node}={state!r} but scenario {scenario!r} sets {node}={merged[node]!r}; "
                "give one value"
            )
        merged[node] = state
    return merged


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class Setting:
    """One validated question: P(``target`` = ``state`` | ``evidence``, do(``do``), ``likelihoods``).

    Attributes
    ----------
    target, state
        The node asked about and, optionally, the state of interest (both validated).
    evidence
        Observed ``{node: state}``: the scenario's evidence merged with the caller's.
    do
        Interventions ``{node: state}`` (graph surgery).
    likelihoods
        Virtual evidence ``{node: likelihoods in state order}`` (tuples of floats).
    scenario
        The named scenario the evidence started from, or ``None``.
    given
        The caller's own evidence, before the scenario was merged in (for labels).

    The engine's view is kept beside the names: :attr:`evidence_index`, :attr:`do_index`
    (state indices) and :attr:`likelihood_arrays` (read-only vectors). Two settings are equal
    when they ask the same question (:meth:`key`).
    """

    target: str | None
    state: str | None
    evidence: Mapping[str, str]
    do: Mapping[str, str]
    likelihoods: Mapping[str, tuple[float, ...]]
    scenario: str | None = None
    given: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    evidence_index: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    do_index: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    likelihood_arrays: Mapping[str, np.ndarray] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )

    # ------------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        vocabulary: Vocabulary,
        target: str | None = None,
        state: str | None = None,
        *,
        evidence: Evidence | None = None,
        do: Evidence | None = None,
        likelihoods: Likelihoods | None = None,
        scenario: str | None = None,
    ) -> Setting:
        """Validate names and states against ``vocabulary`` and merge the scenario (one rule).

        Raises ``UnknownNameError`` for an unknown node, state or scenario (listing the valid
        ones), ``ValueError`` for a node given both as evidence and do / likelihood, for a
        clash between the scenario and ``evidence`` (naming both values), or for bad
        likelihoods.
        """
        nodes = vocabulary.nodes
        states_of = {n: vocabulary.states(n) for n in nodes}
        if target is not None:
            check_node(target, nodes, argument="target")
        if state is not None:
            if target is None:
                raise ValueError(f"state {state!r} is given without a target; expected a target node too")
            check_state(target, state, states_of[target])
        to_indices(evidence, states_of)  # the caller's own evidence first: types and names (_validate)
        base = vocabulary.scenario(scenario) if scenario is not None else {}
        merged = merge_scenario(scenario, base, evidence)
        ev = to_indices(merged, states_of)
        dos = to_indices(do, states_of, argument="do")
        virt = to_likelihoods(likelihoods, states_of)
        check_disjoint(evidence=ev, do=dos, virtual_evidence=virt)
        arrays = {}
        for node, vec in virt.items():
            vec = np.array(vec, dtype=float)
            vec.setflags(write=False)
            arrays[node] = vec
        return cls(
            target=target,
            state=state,
            evidence=_frozen(merged),
            do=_frozen({k: str(v) for k, v in (do or {}).items()}),
            likelihoods=_frozen({k: tuple(float(x) for x in v) for k, v in arrays.items()}),
            scenario=scenario,
            given=_frozen({k: str(v) for k, v in (evidence or {}).items()}),
            evidence_index=_frozen(ev),
            do_index=_frozen(dos),
            likelihood_arrays=_frozen(arrays),
        )

    def replace(self, vocabulary: Vocabulary, **changes: Any) -> Setting:
        """A new Setting with some of the question changed, validated again.

        Keys: ``target``, ``state``, ``evidence`` (the caller's own, merged with the scenario
        again), ``do``, ``likelihoods``, ``scenario``.
        """
        unknown = set(changes) - {"target", "state", "evidence", "do", "likelihoods", "scenario"}
        if unknown:
            raise TypeError(f"Setting.replace got unknown keys {sorted(unknown)}")
        current = {
            "target": self.target,
            "state": self.state,
            "evidence": dict(self.given),
            "do": dict(self.do),
            "likelihoods": {k: list(v) for k, v in self.likelihoods.items()},
            "scenario": self.scenario,
        }
        current.update(changes)
        return Setting.build(vocabulary, current.pop("target"), current.pop("state"), **current)

    # ------------------------------------------------------------------ reading
    @property
    def conditioned(self) -> frozenset[str]:
        """Every node the setting fixes or weighs: evidence, do and likelihood nodes."""
        return frozenset(self.evidence) | frozenset(self.do) | frozenset(self.likelihoods)

    @property
    def target_is_fixed(self) -> bool:
        """Whether the target is itself observed or intervened on (its answer is a point mass)."""
        return self.target is not None and (self.target in self.evidence or self.target in self.do)

    def require_target(self, *, free: bool = False) -> str:
        """The target; ``ValueError`` if there is none, or (``free=True``) if it is fixed."""
        if self.target is None:
            raise ValueError("this setting has no target; expected one (Model.setting(target, ...))")
        if free and self.target_is_fixed:
            raise ValueError(
                f"the target {self.target!r} is itself observed or intervened on; its probability is "
                "fixed and has no sensitivity. Expected a target outside evidence and do"
            )
        return self.target

    def key(self) -> tuple:
        """A hashable identity of the question (names only)."""
        return (
            self.target,
            self.state,
            tuple(sorted(self.evidence.items())),
            tuple(sorted(self.do.items())),
            tuple(sorted(self.likelihoods.items())),
            self.scenario,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Setting) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def describe(self) -> str:
        """The conditions in words: ``a=x, do(b=y), virtual evidence on c`` (or ``nothing``)."""
        parts = [f"{k}={v}" for k, v in self.evidence.items()] + [f"do({k}={v})" for k, v in self.do.items()]
        if self.likelihoods:
            parts.append("virtual evidence on " + ", ".join(self.likelihoods))
        return ", ".join(parts) or "nothing"

    def to_dict(self) -> dict[str, Any]:
        """The result header every analysis prints: target, state, scenario, evidence, do, likelihoods."""
        return {
            "target": self.target,
            "state": self.state,
            "scenario": self.scenario,
            "evidence": dict(self.evidence),
            "do": dict(self.do),
            "virtual_evidence": {k: list(v) for k, v in self.likelihoods.items()},
        }

    def attrs(self) -> dict[str, str]:
        """The setting as string attributes for an xarray result (netCDF-safe)."""
        return {k: repr(v) for k, v in self.to_dict().items()}
