"""BIF / XMLBIF export read back by pgmpy and pyAgrum gives the same posteriors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pgmpy.inference import VariableElimination
from pgmpy.readwrite import BIFReader, XMLBIFReader

import bayescollab as bc

HEADLINE = "mandated_cross_sector_ics_poor_history"
TARGETS = ["collaborative_behaviour", "trust", "faith", "collaborative_performance"]


@pytest.fixture(scope="module")
def exported(model: bc.Model, tmp_path_factory) -> dict[str, Path]:
    from bayescollab.pgmpy_bridge import export_network

    folder = tmp_path_factory.mktemp("export")
    # pyAgrum recognises XMLBIF by the .bifxml extension
    names = {"bif": "model.bif", "xmlbif": "model.bifxml"}
    return {fmt: export_network(model, folder / names[fmt], fmt) for fmt in ("bif", "xmlbif")}


@pytest.mark.parametrize("fmt", ["bif", "xmlbif"])
def test_pgmpy_reads_back_same_posteriors(model: bc.Model, exported, fmt: str) -> None:
    reader = BIFReader(str(exported[fmt])) if fmt == "bif" else XMLBIFReader(str(exported[fmt]))
    net = reader.get_model()
    evidence = model.scenario(HEADLINE)
    ve = VariableElimination(net)
    for target in TARGETS:
        ref = ve.query([target], evidence=evidence, show_progress=False)
        ours = model.query(target, evidence=evidence)
        assert ref.state_names[target] == list(ours)
        np.testing.assert_allclose(ref.values, list(ours.values()), atol=1e-6)


@pytest.mark.parametrize("fmt", ["bif", "xmlbif"])
def test_pyagrum_reads_back_same_posteriors(model: bc.Model, exported, fmt: str) -> None:
    gum = pytest.importorskip("pyagrum")
    bn = gum.loadBN(str(exported[fmt]))
    evidence = model.scenario(HEADLINE)
    ie = gum.LazyPropagation(bn)
    ie.setEvidence(evidence)
    ie.makeInference()
    for target in TARGETS:
        post = ie.posterior(target)
        labels = list(bn.variable(target).labels())
        ours = model.query(target, evidence=evidence)
        assert labels == list(ours)
        np.testing.assert_allclose(post.toarray(), list(ours.values()), atol=1e-6)
