"""Conversion to pgmpy (the model object and reference engine) and BIF / XMLBIF export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from bayescollab.engine.exact import Network

if TYPE_CHECKING:
    from pgmpy.models import DiscreteBayesianNetwork

ExportFormat = Literal["bif", "xmlbif"]


class HasNetwork(Protocol):
    """Anything with a pgmpy ``network`` (a :class:`bayescollab.Model`)."""

    @property
    def network(self) -> DiscreteBayesianNetwork: ...


def to_pgmpy(net: Network, states: Mapping[str, Sequence[str]]) -> DiscreteBayesianNetwork:
    """A pgmpy ``DiscreteBayesianNetwork`` with the network's CPTs and these state names.

    Takes the plain-array network (no draw axis), so it sits below :mod:`bayescollab.model`.
    """
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    if net.draw_shape:
        raise ValueError(f"to_pgmpy takes one network; this one has draw_shape {net.draw_shape}")
    out = DiscreteBayesianNetwork()
    out.add_nodes_from(net.order)
    for node in net.order:
        for parent in net.parents[node]:
            out.add_edge(parent, node)
    cpds = []
    for node in net.order:
        parents = list(net.parents[node])
        table = np.asarray(net.cpts[node])
        card = table.shape[0]
        cpds.append(
            TabularCPD(
                variable=node,
                variable_card=card,
                values=table.reshape(card, -1),
                evidence=parents or None,
                evidence_card=[len(states[p]) for p in parents] or None,
                state_names={n: list(states[n]) for n in [node, *parents]},
            )
        )
    out.add_cpds(*cpds)
    out.check_model()
    return out


def export_network(model: HasNetwork, path: Path | str, fmt: ExportFormat) -> Path:
    """Write the network as BIF or XMLBIF so other tools (pyAgrum, GeNIe, ...) can read it."""
    from pgmpy.readwrite import BIFWriter, XMLBIFWriter

    path = Path(path)
    writer_cls = {"bif": BIFWriter, "xmlbif": XMLBIFWriter}.get(fmt)
    if writer_cls is None:
        raise ValueError(f"unknown export format {fmt!r}; expected one of ['bif', 'xmlbif']")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer_cls(model.network).write(str(path))
    return path
