"""Value of information: which mechanism, or which survey item, to measure next.

An evaluator with one more question to ask wants the observation that tells most about the
target (say ``collaborative_behaviour``) in the scenario at hand. The measure is the mutual
information I(target; observation | scenario) in bits: how far, on average over the
observation's possible outcomes, it would shrink the entropy of the target. It is computed
exactly from the joint P(target, node | scenario) (``Model.query_joint``), never by sampling.

Two kinds of candidate observation:

* a mechanism or outcome node, observed perfectly (an upper bound on what any measurement of
  that node can give);
* a survey item, observed through its measurement model: the answer is a noisy child of the
  node the item measures, P(answer | node state) = :func:`~bayescollab.survey.measurement.answer_table`
  at the item's discrimination, from one respondent. So
  P(target, answer) = sum_s P(target, node = s) P(answer | s).

By the data processing inequality an item never carries more information than its node
observed perfectly; the gap is what the item's noise costs.

:func:`greedy_measurements` goes one step further: having chosen the best observation, which
is best *next*, given that the first will have been seen? It scores each remaining candidate
by the conditional mutual information I(target; candidate | chosen), averaging over the chosen
observations' outcomes, from the exact joint of the target, the chosen nodes and the
candidate's node. That joint grows by one node per step, so ``k`` stays small.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import xarray as xr

from bayescollab import __version__
from bayescollab._validate import check_node

if TYPE_CHECKING:
    from bayescollab.model import Model, VirtualEvidence
    from bayescollab.survey.instrument import Instrument

__all__ = [
    "MeasurementSequence",
    "MeasurementStep",
    "ObservationValue",
    "ValueOfInformation",
    "entropy_bits",
    "greedy_measurements",
    "mutual_information_bits",
    "value_of_information",
]

#: node kinds that are candidates by default (contexts can be asked for with ``nodes=``)
DEFAULT_NODE_KINDS = ("mechanism", "outcome")
#: largest ``k`` for :func:`greedy_measurements`: the joint grows by one node per step
MAX_GREEDY_STEPS = 6


def entropy_bits(p: np.ndarray) -> float:
    """Shannon entropy in bits of a distribution (any shape; zero cells contribute nothing)."""
    p = np.asarray(p, dtype=float).ravel()
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


def mutual_information_bits(joint: np.ndarray) -> float:
    """I(T; O) in bits from a joint table whose axis 0 is T and whose other axes are O.

    Computed as H(T) + H(O) - H(T, O) and clipped to [0, H(T)]: outside that range a value
    can only be rounding error (MI is never negative, and never exceeds H(T)).
    """
    joint = np.asarray(joint, dtype=float)
    joint = joint.reshape(joint.shape[0], -1) / joint.sum()
    h_t = entropy_bits(joint.sum(axis=1))
    mi = h_t + entropy_bits(joint.sum(axis=0)) - entropy_bits(joint)
    return float(min(max(mi, 0.0), h_t))


@dataclass(frozen=True)
class _Candidate:
    """One possible observation: the node it reveals and P(outcome | node state)."""

    name: str
    kind: Literal["node", "item"]
    node: str
    channel: np.ndarray  # (n_outcomes, n_states of node)
    scale: str | None = None
    discrimination: float | None = None


@dataclass(frozen=True)
class ObservationValue:
    """What observing one node or item is worth for the target, in bits."""

    name: str
    kind: Literal["node", "item"]
    node: str
    mutual_information: float
    expected_entropy: float
    scale: str | None = None
    discrimination: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "node": self.node,
            "mutual_information_bits": self.mutual_information,
            "expected_entropy_bits": self.expected_entropy,
            "scale": self.scale,
            "discrimination": self.discrimination,
        }


def _condition_text(evidence: Mapping[str, str], do: Mapping[str, str], virtual: Sequence[str]) -> str:
    parts = [f"{k}={v}" for k, v in evidence.items()] + [f"do({k}={v})" for k, v in do.items()]
    if virtual:
        parts.append("virtual evidence on " + ", ".join(virtual))
    return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class ValueOfInformation:
    """Every candidate observation ranked by I(target; observation | scenario), highest first.

    The order is the order in which to measure if only one observation could be made;
    ``entropy`` is the target's current uncertainty, the most any observation could remove.
    """

    target: str
    distribution: dict[str, float]
    entropy: float
    evidence: dict[str, str]
    do: dict[str, str]
    virtual_evidence: list[str]
    ranking: tuple[ObservationValue, ...]
    excluded: list[str] = field(default_factory=list)

    def nodes(self) -> list[ObservationValue]:
        """The perfectly observed nodes, best first."""
        return [r for r in self.ranking if r.kind == "node"]

    def items(self) -> list[ObservationValue]:
        """The survey items, best first."""
        return [r for r in self.ranking if r.kind == "item"]

    def __getitem__(self, name: str) -> ObservationValue:
        for r in self.ranking:
            if r.name == name:
                return r
        raise KeyError(f"{name!r} is not a candidate here; candidates: {[r.name for r in self.ranking]}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "evidence": self.evidence,
            "do": self.do,
            "virtual_evidence": self.virtual_evidence,
            "distribution": self.distribution,
            "entropy_bits": self.entropy,
            "ranking": [r.to_dict() for r in self.ranking],
            "excluded": self.excluded,
        }

    def to_dataset(self) -> xr.Dataset:
        """The ranking as an ``xarray.Dataset`` over dimension ``observation``."""
        names = [r.name for r in self.ranking]
        return xr.Dataset(
            {
                "mutual_information": ("observation", [r.mutual_information for r in self.ranking]),
                "expected_entropy": ("observation", [r.expected_entropy for r in self.ranking]),
                "kind": ("observation", [r.kind for r in self.ranking]),
                "node": ("observation", [r.node for r in self.ranking]),
            },
            coords={"observation": names},
            attrs={
                "target": self.target,
                "units": "bits",
                "entropy": self.entropy,
                "evidence": repr(self.evidence),
                "do": repr(self.do),
                "bayescollab_version": __version__,
            },
        )

    def to_text(self, top: int | None = 10) -> str:
        cond = _condition_text(self.evidence, self.do, self.virtual_evidence)
        lines = [
            f"Value of information for {self.target} | {cond}",
            f"current uncertainty H({self.target}) = {self.entropy:.3f} bits "
            f"({', '.join(f'{s} {p:.3f}' for s, p in self.distribution.items())})",
        ]
        for title, rows in (("nodes observed perfectly", self.nodes()), ("survey items", self.items())):
            if not rows:
                continue
            lines += ["", f"{title} (mutual information, expected entropy after; bits):"]
            for r in rows[: top or None]:
                extra = f"  [{r.node}, {r.scale}, λ={r.discrimination:.2f}]" if r.kind == "item" else ""
                share = r.mutual_information / self.entropy if self.entropy > 0 else 0.0
                lines.append(
                    f"  {r.name:<32s} {r.mutual_information:.4f} ({share:5.1%})  "
                    f"-> {r.expected_entropy:.3f}{extra}"
                )
        return "\n".join(lines)


@dataclass(frozen=True)
class MeasurementStep:
    """One step of the greedy sequence: the observation chosen and what it adds."""

    step: int
    name: str
    kind: Literal["node", "item"]
    node: str
    gain: float  # I(target; this | the earlier ones), bits
    cumulative: float  # I(target; this and the earlier ones), bits
    expected_entropy: float  # H(target | all of them), bits

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "name": self.name,
            "kind": self.kind,
            "node": self.node,
            "gain_bits": self.gain,
            "cumulative_bits": self.cumulative,
            "expected_entropy_bits": self.expected_entropy,
        }


@dataclass(frozen=True)
class MeasurementSequence:
    """A greedy order of observations: each the best given that the earlier ones will be seen."""

    target: str
    entropy: float
    evidence: dict[str, str]
    do: dict[str, str]
    virtual_evidence: list[str]
    steps: tuple[MeasurementStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "evidence": self.evidence,
            "do": self.do,
            "virtual_evidence": self.virtual_evidence,
            "entropy_bits": self.entropy,
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_text(self) -> str:
        cond = _condition_text(self.evidence, self.do, self.virtual_evidence)
        lines = [
            f"Greedy measurement order for {self.target} | {cond}",
            f"H({self.target}) = {self.entropy:.3f} bits now",
        ]
        for s in self.steps:
            lines.append(
                f"  {s.step}. {s.name:<32s} adds {s.gain:.4f} bits  "
                f"(together {s.cumulative:.4f}; H after {s.expected_entropy:.3f})"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------- candidates
def _discriminations(instrument: Instrument, discrimination: Mapping[str, float] | None) -> dict[str, float]:
    """Each item's discrimination: the prior median of its scale, overridden by ``discrimination``."""
    from bayescollab.survey.assess import prior_discrimination
    from bayescollab.survey.measurement import load_measurement_priors

    out = prior_discrimination(instrument, load_measurement_priors())
    for item_id, value in (discrimination or {}).items():
        instrument[item_id]  # raises UnknownNameError listing the items
        value = float(value)
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"discrimination of item {item_id!r} is {value!r}; expected a positive number")
        out[item_id] = value
    return out


def _candidates(
    model: Model,
    target: str,
    clamped: set[str],
    nodes: Sequence[str] | None,
    items: Sequence[str] | None,
    discrimination: Mapping[str, float] | None,
    instrument: Instrument | None,
) -> tuple[list[_Candidate], list[str]]:
    """The candidate observations, and the default ones left out because their node is given."""
    from bayescollab.survey.instrument import load_instrument
    from bayescollab.survey.measurement import answer_table

    excluded: list[str] = []
    if nodes is None:
        kinds = {n: s.kind for n, s in model.theory.nodes.items()}
        nodes = [n for n in model.nodes if kinds[n] in DEFAULT_NODE_KINDS and n != target]
        excluded += [n for n in nodes if n in clamped]
        nodes = [n for n in nodes if n not in clamped]
    out = []
    for node in nodes:
        check_node(node, model.nodes)
        if node == target:
            raise ValueError(f"{node!r} is the target; observing it perfectly is not a candidate")
        out.append(_Candidate(node, "node", node, np.eye(len(model.states(node)))))
    if items is not None and len(items) == 0:
        return out, excluded
    instrument = instrument if instrument is not None else load_instrument(theory=model.theory)
    lam = _discriminations(instrument, discrimination)
    if items is None:
        chosen = [i for i in instrument if i.node not in clamped]
        excluded += [i.item_id for i in instrument if i.node in clamped]
    else:
        chosen = [instrument[i] for i in items]
    for item in chosen:
        check_node(item.node, model.nodes)
        table = np.asarray(answer_table(item, lam[item.item_id]), dtype=float)
        out.append(_Candidate(item.item_id, "item", item.node, table, item.scale, lam[item.item_id]))
    return out, excluded


class _Joints:
    """P(target, nodes... | scenario), one exact query per set of nodes, remembered for this call."""

    def __init__(self, model: Model, target: str, evidence, do, virtual_evidence):
        self.model, self.target = model, target
        self.kwargs = {"evidence": evidence, "do": do, "virtual_evidence": virtual_evidence}
        self.order = {n: i for i, n in enumerate(model.nodes)}
        self._cache: dict[tuple[str, ...], np.ndarray] = {}

    def key(self, nodes: Sequence[str]) -> tuple[str, ...]:
        return tuple(sorted({n for n in nodes if n != self.target}, key=self.order.__getitem__))

    def __call__(self, nodes: Sequence[str]) -> np.ndarray:
        key = self.key(nodes)
        if key not in self._cache:
            self._cache[key] = self.model.query_joint([self.target, *key], **self.kwargs).values
        return self._cache[key]

    def target_marginal(self, nodes: Sequence[str]) -> np.ndarray:
        """P(target | scenario), summed out of a joint already in hand."""
        joint = self(nodes)
        return joint.reshape(joint.shape[0], -1).sum(axis=1)

    def observed(self, chosen: Sequence[_Candidate]) -> np.ndarray:
        """P(target, outcome_1, ..., outcome_m): the node joint times each candidate's channel."""
        key = self.key([c.node for c in chosen])
        letters = iter(string.ascii_letters)
        axis = {self.target: next(letters), **{n: next(letters) for n in key}}
        outcomes = [next(letters) for _ in chosen]
        expr = (
            "".join(axis[n] for n in (self.target, *key))
            + ","
            + ",".join(o + axis[c.node] for o, c in zip(outcomes, chosen, strict=True))
            + "->"
            + axis[self.target]
            + "".join(outcomes)
        )
        return np.einsum(expr, self(key), *(c.channel for c in chosen))


def _prepare(
    model: Model,
    target: str,
    evidence: Mapping[str, str] | None,
    do: Mapping[str, str] | None,
    virtual_evidence: VirtualEvidence | None,
    nodes: Sequence[str] | None,
    items: Sequence[str] | None,
    discrimination: Mapping[str, float] | None,
    instrument: Instrument | None,
) -> tuple[dict, list[_Candidate], list[str], _Joints]:
    check_node(target, model.nodes)
    evidence, do = dict(evidence or {}), dict(do or {})
    candidates, excluded = _candidates(
        model, target, set(evidence) | set(do), nodes, items, discrimination, instrument
    )
    if not candidates:
        raise ValueError(
            f"no candidate observations (nodes={nodes!r}, items={items!r}, "
            f"given {sorted(evidence) + sorted(do)}); expected at least one node or item to rank"
        )
    header = {
        "target": target,
        "evidence": evidence,
        "do": do,
        "virtual_evidence": sorted(virtual_evidence or {}),
    }
    return header, candidates, excluded, _Joints(model, target, evidence, do, virtual_evidence)


# ---------------------------------------------------------------------------- public
def value_of_information(
    model: Model,
    target: str,
    *,
    evidence: Mapping[str, str] | None = None,
    do: Mapping[str, str] | None = None,
    virtual_evidence: VirtualEvidence | None = None,
    nodes: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
    discrimination: Mapping[str, float] | None = None,
    instrument: Instrument | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ValueOfInformation:
    """Rank candidate observations by I(target; observation | scenario), in bits, exactly.

    Parameters
    ----------
    model, target
        The model and the node whose uncertainty the observation should reduce.
    evidence, do, virtual_evidence
        The scenario, as in :meth:`Model.query`.
    nodes
        Nodes observed perfectly. Default: every mechanism and outcome node except the target
        and the nodes the scenario gives (those are listed in ``excluded``). A given node may be
        asked for explicitly; its value is 0.
    items
        Survey item ids. Default: every item of the instrument whose node the scenario does not
        give. ``items=[]`` ranks nodes only.
    discrimination
        Item discriminations overriding the prior median of each item's scale
        (``priors/measurement.yaml``), e.g. a ``learn`` posterior mean.
    instrument
        The survey instrument (default: the packaged one).
    progress
        ``progress(done, total)`` after each exact joint query.

    The model is not changed; each distinct node costs one ``query_joint`` over the target and
    that node, shared by the node and all its items.
    """
    header, candidates, excluded, joints = _prepare(
        model, target, evidence, do, virtual_evidence, nodes, items, discrimination, instrument
    )
    groups = list(dict.fromkeys(joints.key([c.node]) for c in candidates))
    for i, key in enumerate(groups, start=1):
        joints(key)
        if progress is not None:
            progress(i, len(groups))
    p_target = joints.target_marginal(groups[0])
    h_target = entropy_bits(p_target)
    rows = []
    for c in candidates:
        mi = mutual_information_bits(joints.observed([c]))
        rows.append(ObservationValue(c.name, c.kind, c.node, mi, h_target - mi, c.scale, c.discrimination))
    rows.sort(key=lambda r: -r.mutual_information)  # stable: ties keep model / instrument order
    return ValueOfInformation(
        **header,
        distribution=dict(zip(model.states(target), (float(p) for p in p_target), strict=True)),
        entropy=h_target,
        ranking=tuple(rows),
        excluded=excluded,
    )


def greedy_measurements(
    model: Model,
    target: str,
    *,
    k: int = 3,
    evidence: Mapping[str, str] | None = None,
    do: Mapping[str, str] | None = None,
    virtual_evidence: VirtualEvidence | None = None,
    nodes: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
    discrimination: Mapping[str, float] | None = None,
    instrument: Instrument | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MeasurementSequence:
    """Choose ``k`` observations one at a time, each the best given the ones chosen before.

    Step j picks the candidate with the largest I(target; candidate | chosen_1..chosen_{j-1}),
    the information it adds on average over the earlier observations' outcomes. Every score
    is exact, from ``query_joint`` over the target, the chosen nodes and the candidate's node,
    so step j costs one query per distinct candidate node over a joint of j + 1 nodes: keep
    ``k`` small (at most ``MAX_GREEDY_STEPS``). Greedy is not guaranteed to find the best
    *set* of k observations, but each step's value is exact. Arguments as in
    :func:`value_of_information`; ``progress(step, k)`` after each step.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= MAX_GREEDY_STEPS:
        raise ValueError(f"k is {k!r}; expected a whole number from 1 to {MAX_GREEDY_STEPS}")
    header, candidates, _, joints = _prepare(
        model, target, evidence, do, virtual_evidence, nodes, items, discrimination, instrument
    )
    h_target = entropy_bits(joints.target_marginal([candidates[0].node]))
    chosen: list[_Candidate] = []
    steps: list[MeasurementStep] = []
    so_far = 0.0
    remaining = list(candidates)
    for step in range(1, min(k, len(candidates)) + 1):
        scored = [(mutual_information_bits(joints.observed([*chosen, c])), c) for c in remaining]
        best_mi, best = max(scored, key=lambda pair: pair[0])  # first of equals: model / instrument order
        chosen.append(best)
        remaining.remove(best)
        steps.append(
            MeasurementStep(
                step, best.name, best.kind, best.node, max(best_mi - so_far, 0.0), best_mi, h_target - best_mi
            )
        )
        so_far = best_mi
        if progress is not None:
            progress(step, k)
    return MeasurementSequence(**header, entropy=h_target, steps=tuple(steps))


