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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from bayescollab._validate import check_node
from bayescollab.sensitivity.voi_results import (
    MeasurementSequence,
    MeasurementStep,
    ObservationValue,
    ValueOfInformation,
)

if TYPE_CHECKING:
    from bayescollab.model import Model, VirtualEvidence
    from bayescollab.setting import Setting
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

    def __init__(self, model: Model, setting: Setting):
        self.model, self.setting = model, setting
        self.target = setting.require_target()
        self.order = {n: i for i, n in enumerate(model.nodes)}
        self._cache: dict[tuple[str, ...], np.ndarray] = {}

    def key(self, nodes: Sequence[str]) -> tuple[str, ...]:
        return tuple(sorted({n for n in nodes if n != self.target}, key=self.order.__getitem__))

    def __call__(self, nodes: Sequence[str]) -> np.ndarray:
        key = self.key(nodes)
        if key not in self._cache:
            query = self.model.compile_query(self.setting, targets=[self.target, *key])
            self._cache[key] = query()
        return self._cache[key]

    def fill(self, keys: Sequence[tuple[str, ...]]) -> None:
        """Query every missing joint of ``keys`` at once: compiled here, run on worker threads
        (:func:`bayescollab.survey.assess.run_compiled`; the same numbers as one by one)."""
        from bayescollab.survey.assess import run_compiled

        missing = [k for k in dict.fromkeys(self.key(k) for k in keys) if k not in self._cache]
        compiled = [self.model.compile_query(self.setting, targets=[self.target, *k]) for k in missing]
        self._cache.update(zip(missing, run_compiled(compiled), strict=True))

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


def _setup(
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
    """The validated setting (:meth:`Model.setting`), the candidates, and the joints to query."""
    setting = model.setting(target, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
    given = [*sorted(setting.evidence), *sorted(setting.do)]
    candidates, excluded = _candidates(model, target, set(given), nodes, items, discrimination, instrument)
    if not candidates:
        raise ValueError(
            f"no candidate observations (nodes={nodes!r}, items={items!r}, "
            f"given {given}); expected at least one node or item to rank"
        )
    header = {
        "target": target,
        "evidence": dict(setting.evidence),
        "do": dict(setting.do),
        "virtual_evidence": sorted(setting.likelihoods),
    }
    return header, candidates, excluded, _Joints(model, setting)


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
        ``progress(done, total)`` for each exact joint query, once they are in (they run in parallel).

    The model is not changed; each distinct node costs one ``query_joint`` over the target and
    that node, shared by the node and all its items.
    """
    header, candidates, excluded, joints = _setup(
        model, target, evidence, do, virtual_evidence, nodes, items, discrimination, instrument
    )
    groups = list(dict.fromkeys(joints.key([c.node]) for c in candidates))
    joints.fill(groups)
    if progress is not None:
        for i in range(1, len(groups) + 1):
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
    header, candidates, _, joints = _setup(
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
