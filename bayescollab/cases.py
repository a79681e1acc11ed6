"""Evidence cases as columns: dicts or a DataFrame -> case labels and state indices per node."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bayescollab._validate import check_node
from bayescollab.errors import UnknownNameError

__all__ = ["case_columns"]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == ""


def case_columns(cases: Any, states_of: Mapping[str, Sequence[str]]) -> tuple[list, dict[str, np.ndarray]]:
    """Cases (a list of ``{node: state}`` dicts or a pandas DataFrame) -> labels and indices.

    Returns the case labels (the DataFrame's index, else 0..B-1) and, per node named in any
    case, one state index per case (-1 where that case did not observe the node: a missing
    key, ``None``, a blank or a NaN). Unknown nodes and states are refused by name.
    """
    if hasattr(cases, "to_dict") and hasattr(cases, "columns"):  # a pandas DataFrame
        labels = list(cases.index)
        records = cases.to_dict(orient="records")
    else:
        records = [dict(c) for c in cases]
        labels = list(range(len(records)))
    if not records:
        raise ValueError("no cases given; expected at least one {node: state} case")
    columns = sorted({k for r in records for k in r})
    observed: dict[str, np.ndarray] = {}
    for node in columns:
        check_node(node, list(states_of))
        states = list(states_of[node])
        idx = np.full(len(records), -1, dtype=int)
        for i, r in enumerate(records):
            value = r.get(node)
            if _blank(value):
                continue
            if str(value) not in states:
                raise UnknownNameError(f"state of {node!r} in case {labels[i]!r}", str(value), states)
            idx[i] = states.index(str(value))
        observed[node] = idx
    return labels, observed
