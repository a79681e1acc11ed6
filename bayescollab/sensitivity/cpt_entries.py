"""Sensitivity of an answer to single CPT entries (Leonelli & Görgen's bnmonitor standard).

A CPT entry t = P(X=x | parents=u) is what a Bayesian-network reader sees. Under proportional
co-variation (the column's other entries scaled so it still sums to 1) any query is exactly a
linear-fractional function of t; :func:`sensitivity_function` gives its coefficients, and
:func:`scan_cpt_entries` gives every entry's derivative from one reverse pass through the
query's contraction. Nothing here changes the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayescollab._validate import check_node, check_state
from bayescollab._version import __version__
from bayescollab.compiled import EVIDENCE_ZERO_ATOL
from bayescollab.model import Evidence, Model, VirtualEvidence
from bayescollab.sensitivity._query import sensitivity_setting, setting_labels
from bayescollab.sensitivity.tornado import Swing

#: A column whose other entries sum to less than this cannot be scaled proportionally; its
#: other entries then share 1 - t equally (the only co-variation defined there).
COVARIATION_ATOL = 1e-12
#: P(evidence) counts as zero at a t where it is this small relative to its values at t = 0 and 1
#: (at that end the entry makes the evidence impossible, and the query is its limit there).
DEGENERATE_RTOL = 1e-12


def _vanishes(c3, c4, t):
    """Where P(evidence) = c3 t + c4 is zero up to rounding, relative to its size on [0, 1]."""
    scale = np.maximum(np.abs(c4), np.abs(c3 + c4))
    return np.abs(c3 * t + c4) <= np.maximum(DEGENERATE_RTOL * scale, EVIDENCE_ZERO_ATOL)


def _linear_fractional(c1, c2, c3, c4, t):
    """(c1 t + c2) / (c3 t + c4), with the limit c1/c3 where P(evidence) vanishes.

    The denominator is P(evidence) as a function of t, linear and non-negative on [0, 1]; it can
    only reach zero at an end, where the numerator (P(target, evidence) <= P(evidence)) vanishes
    too, so the function equals c1/c3 everywhere else and that is its limit there.
    """
    c1, c2, c3, c4, t = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (c1, c2, c3, c4, t)))
    zero = _vanishes(c3, c4, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (c1 * t + c2) / np.where(zero, 1.0, c3 * t + c4)
        limit = c1 / np.where(c3 != 0, c3, np.nan)
    return np.where(zero, limit, ratio)


def _derivative(c1, c2, c3, c4, t):
    """d/dt of :func:`_linear_fractional`: (c1 c4 - c2 c3) / (c3 t + c4)^2 (0 where it is constant)."""
    c1, c2, c3, c4, t = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (c1, c2, c3, c4, t)))
    zero = _vanishes(c3, c4, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(zero, 0.0, (c1 * c4 - c2 * c3) / np.where(zero, 1.0, c3 * t + c4) ** 2)


def _covaried(column: np.ndarray, x: int, t: float) -> np.ndarray:
    """The CPT column with entry ``x`` set to ``t`` and the others scaled to sum to 1 - t."""
    rest = 1.0 - column[x]
    if rest > COVARIATION_ATOL:
        out = column * ((1.0 - t) / rest)
    else:
        out = np.full(column.shape, (1.0 - t) / (len(column) - 1))
    out[x] = t
    return out


@dataclass(frozen=True)
class SensitivityFunction:
    """P(target=state | evidence) as a function of one CPT entry t = P(node=node_state | parents).

    Under proportional co-variation (the column's other entries keep their ratios and sum to
    1 - t) both P(target=state, evidence) = c1 t + c2 and P(evidence) = c3 t + c4 are exactly
    linear in t, so the query is the linear-fractional (c1 t + c2) / (c3 t + c4). It is monotone
    on [0, 1], so its values at t = 0 and t = 1 are its range.
    """

    target: str
    state: str
    node: str
    node_state: str
    parent_states: tuple[tuple[str, str], ...]
    c1: float
    c2: float
    c3: float
    c4: float
    t0: float
    evidence: Mapping[str, str] = field(default_factory=dict, hash=False)
    do: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def label(self) -> str:
        given = ", ".join(f"{p}={s}" for p, s in self.parent_states)
        return f"P({self.node}={self.node_state}" + (f" | {given})" if given else ")")

    def __call__(self, t: float) -> float:
        """The query when the entry is ``t`` (a probability in [0, 1])."""
        t = float(t)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"t is {t}; expected a probability in [0, 1]")
        return float(_linear_fractional(self.c1, self.c2, self.c3, self.c4, t))

    def values(self, ts: Sequence[float] | np.ndarray) -> xr.DataArray:
        """The query at each of ``ts``, labelled by t."""
        ts = np.asarray(ts, dtype=float)
        if ts.ndim != 1 or ((ts < 0) | (ts > 1)).any():
            raise ValueError(f"ts must be a 1-d sequence of probabilities in [0, 1]; got {ts!r}")
        return xr.DataArray(
            _linear_fractional(self.c1, self.c2, self.c3, self.c4, ts),
            dims=("t",),
            coords={"t": ts},
            name=f"P({self.target}={self.state})",
            attrs={"entry": self.label, "evidence": repr(dict(self.evidence)), "do": repr(dict(self.do))},
        )

    @property
    def query_at_t0(self) -> float:
        """The query at the entry's current value (the model's own answer)."""
        return self(self.t0)

    @property
    def derivative(self) -> float:
        """d query / dt at the current value t0."""
        return float(_derivative(self.c1, self.c2, self.c3, self.c4, self.t0))

    def swing(self) -> Swing:
        """The query's range as the entry goes from 0 to 1, for :func:`bayescollab.plots.tornado_plot`."""
        return Swing(self.label, self(0.0), self(1.0), "t=0", "t=1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "state": self.state,
            "entry": self.label,
            "node": self.node,
            "node_state": self.node_state,
            "parent_states": dict(self.parent_states),
            "evidence": dict(self.evidence),
            "do": dict(self.do),
            "coefficients": {"c1": self.c1, "c2": self.c2, "c3": self.c3, "c4": self.c4},
            "t0": self.t0,
            "query_at_t0": self.query_at_t0,
            "derivative": self.derivative,
            "at_0": self(0.0),
            "at_1": self(1.0),
        }


def sensitivity_function(
    model: Model,
    target: str,
    state: str,
    *,
    node: str,
    node_state: str,
    parent_states: Mapping[str, str] | None = None,
    evidence: Evidence | None = None,
    do: Evidence | None = None,
    virtual_evidence: VirtualEvidence | None = None,
) -> SensitivityFunction:
    """The sensitivity function of P(target=state | evidence) in one CPT entry.

    The entry is t = P(node=node_state | parent_states), and ``parent_states`` must name every
    parent of ``node``. Two exact contractions, with the column set to t = 0 and t = 1 in a copy
    of the network, give the linear numerator and denominator; the model is never modified.
    """
    setting = sensitivity_setting(model, target, state, evidence, do, virtual_evidence)
    query = model.compile_query(setting)
    y = model.states(target).index(state)
    check_node(node, model.nodes)
    x = check_state(node, node_state, model.states(node))
    parents = model.parents(node)
    given = dict(parent_states or {})
    if set(given) != set(parents):
        raise ValueError(
            f"parent_states names {sorted(given)}; expected exactly the parents of {node!r}: {parents}"
        )
    column = tuple(check_state(p, given[p], model.states(p)) for p in parents)
    table = model.cpts[node]
    ends = []
    for t in (0.0, 1.0):
        changed = np.array(table, dtype=float)  # a copy: the model's tables stay read-only
        changed[(slice(None), *column)] = _covaried(table[(slice(None), *column)], x, t)
        joint, mass = query.contract(cpts={node: changed})
        ends.append((float(joint[y]), float(mass)))
    (ye0, e0), (ye1, e1) = ends
    return SensitivityFunction(
        target=target,
        state=state,
        node=node,
        node_state=node_state,
        parent_states=tuple((p, given[p]) for p in parents),
        c1=ye1 - ye0,
        c2=ye0,
        c3=e1 - e0,
        c4=e0,
        t0=float(table[(x, *column)]),
        evidence=dict(evidence or {}),
        do=dict(do or {}),
    )


def _entry_lines(table: np.ndarray, grad: np.ndarray, total: float) -> tuple[np.ndarray, np.ndarray]:
    """Slope and intercept in t of a quantity linear in one CPT, for every entry of that CPT.

    ``total`` = sum(table * grad) is the quantity now (P(y, e) or P(e)). When entry (x, u) is t
    and the rest of column u co-varies, the quantity is (total - S_u + R) + t (D - R), where
    D = grad[x, u], S_u = sum_x' table[x', u] grad[x', u] is column u's share now and R is the
    co-varied rest's grad, weighted as it is at t = 0.
    """
    k = table.shape[0]
    share = (table * grad).sum(axis=0, keepdims=True)
    rest = 1.0 - table
    proportional = rest > COVARIATION_ATOL
    others = np.where(
        proportional,
        (share - table * grad) / np.where(proportional, rest, 1.0),
        (grad.sum(axis=0, keepdims=True) - grad) / (k - 1),
    )
    return grad - others, total - share + others


def _entry_rows(
    model: Model, chosen: Sequence[str], grads: Any, p_ye: float, p_e: float
) -> tuple[dict[str, list], dict[str, list[np.ndarray]]]:
    """Labels and linear coefficients of every entry of the chosen CPTs, in entry order."""
    columns: dict[str, list] = {k: [] for k in ("node", "node_state", "parent_states")}
    numbers: dict[str, list[np.ndarray]] = {k: [] for k in ("t0", "c1", "c2", "c3", "c4")}
    for node in chosen:
        cpt = np.asarray(model.cpts[node], dtype=float)
        parents = model.parents(node)
        d_ye = grads.d_joint.get(node, np.zeros(cpt.shape))
        d_e = grads.d_evidence.get(node, np.zeros(cpt.shape))
        c1, c2 = _entry_lines(cpt, d_ye, p_ye)
        c3, c4 = _entry_lines(cpt, d_e, p_e)
        for key, arr in zip(("t0", "c1", "c2", "c3", "c4"), (cpt, c1, c2, c3, c4), strict=True):
            numbers[key].append(np.broadcast_to(arr, cpt.shape).ravel())
        states = [model.states(v) for v in (node, *parents)]
        for entry in np.ndindex(cpt.shape):
            columns["node"].append(node)
            columns["node_state"].append(states[0][entry[0]])
            columns["parent_states"].append(
                ", ".join(
                    f"{p}={states[j + 1][s]}" for j, (p, s) in enumerate(zip(parents, entry[1:], strict=True))
                )
            )
    return columns, numbers


def scan_cpt_entries(
    model: Model,
    target: str,
    state: str,
    *,
    evidence: Evidence | None = None,
    do: Evidence | None = None,
    virtual_evidence: VirtualEvidence | None = None,
    nodes: Sequence[str] | None = None,
    rank_by: Literal["derivative", "range"] = "derivative",
    top: int | None = None,
) -> pd.DataFrame:
    """Every CPT entry of ``nodes`` ranked by how much P(target=state | evidence) depends on it.

    ``nodes`` defaults to every node whose CPT enters the query (the ancestors of the target and
    the evidence, cut at ``do``); other CPTs cannot matter. One row per entry t = P(node=
    node_state | parent_states): its current value ``t0``, the ``derivative`` of the query at
    t0, the query at t = 0 and t = 1 (its range, the function being monotone), and the
    coefficients c1..c4 of :class:`SensitivityFunction`. ``rank_by`` is ``"derivative"``
    (|d query / dt| at t0, local) or ``"range"`` (|query(1) - query(0)|, global). Entries in a
    column the evidence rules out come out with zero derivative and zero range.

    All entries come from the reverse passes through the query's own contraction
    (:meth:`bayescollab.compiled.CompiledQuery.cpt_gradients`: P(y, e) is multilinear in the
    CPTs, so its derivative in one CPT is the contraction of all the others); ``attrs`` records
    the query, its value and the co-variation scheme.
    """
    if rank_by not in ("derivative", "range"):
        raise ValueError(f"rank_by is {rank_by!r}; expected 'derivative' or 'range'")
    if top is not None and (isinstance(top, bool) or int(top) < 1):
        raise ValueError(f"top is {top!r}; expected a positive number of rows or None")
    setting = sensitivity_setting(model, target, state, evidence, do, virtual_evidence)
    query = model.compile_query(setting)
    for n in nodes or ():
        check_node(n, model.nodes)
    chosen = list(query.needed if nodes is None else dict.fromkeys(nodes))
    grads = query.cpt_gradients(state)
    p_ye, p_e = float(grads.joint), float(grads.evidence)
    columns, numbers = _entry_rows(model, chosen, grads, p_ye, p_e)
    t0, c1, c2, c3, c4 = (np.concatenate(numbers[k]) if numbers[k] else np.zeros(0) for k in numbers)
    at_0 = _linear_fractional(c1, c2, c3, c4, 0.0)
    at_1 = _linear_fractional(c1, c2, c3, c4, 1.0)
    frame = pd.DataFrame(
        {
            **columns,
            "t0": t0,
            "derivative": _derivative(c1, c2, c3, c4, t0),
            "at_0": at_0,
            "at_1": at_1,
            "range": np.abs(at_1 - at_0),
            "c1": c1,
            "c2": c2,
            "c3": c3,
            "c4": c4,
        }
    )
    key = frame["derivative"].abs() if rank_by == "derivative" else frame["range"]
    frame = frame.loc[key.sort_values(ascending=False, kind="mergesort").index].reset_index(drop=True)
    if top is not None:
        frame = frame.head(int(top))
    frame.attrs = {
        **setting_labels(setting),
        "query": p_ye / p_e,
        "rank_by": rank_by,
        "covariation": "proportional",
        "bayescollab_version": __version__,
    }
    return frame


# ---------------------------------------------------------------------------- θ sensitivity
