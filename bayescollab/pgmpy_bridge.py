"""Conversion to pgmpy (the model object and reference engine) and BIF / XMLBIF export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from pgmpy.models import DiscreteBayesianNetwork

    from bayescollab.model import Model

ExportFormat = Literal["bif", "xmlbif"]


def to_pgmpy(model: Model) -> DiscreteBayesianNetwork:
    """A pgmpy ``DiscreteBayesianNetwork`` with the model's CPTs and state names."""
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    net = DiscreteBayesianNetwork()
    net.add_nodes_from(model.nodes)
    for node in model.nodes:
        for parent in model.parents(node):
            net.add_edge(parent, node)
    cpds = []
    for node in model.nodes:
        parents = model.parents(node)
        table = np.asarray(model.cpts[node])
        card = table.shape[0]
        cpds.append(
            TabularCPD(
                variable=node,
                variable_card=card,
                values=table.reshape(card, -1),
                evidence=parents or None,
                evidence_card=[len(model.states(p)) for p in parents] or None,
                state_names={n: model.states(n) for n in [node, *parents]},
            )
        )
    net.add_cpds(*cpds)
    net.check_model()
    return net


def export_network(model: Model, path: Path | str, fmt: ExportFormat) -> Path:
    """Write the network as BIF or XMLBIF so other tools (pyAgrum, GeNIe, ...) can read it."""
    from pgmpy.readwrite import BIFWriter, XMLBIFWriter

    path = Path(path)
    writer_cls = {"bif": BIFWriter, "xmlbif": XMLBIFWriter}.get(fmt)
    if writer_cls is None:
        raise ValueError(f"unknown export format {fmt!r}; expected one of ['bif', 'xmlbif']")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer_cls(model.network).write(str(path))
    return path
