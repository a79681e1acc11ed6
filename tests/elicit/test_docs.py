"""docs/elicitation.md's worked node is generated from the packaged theory and priors."""

from __future__ import annotations

from pathlib import Path

import bayescollab as bc
from bayescollab.elicit.report import update_document

DOC = Path(__file__).resolve().parents[2] / "docs" / "elicitation.md"


def test_worked_node_is_current(model: bc.Model) -> None:
    assert DOC.read_text(encoding="utf-8") == update_document(DOC, model), (
        "docs/elicitation.md is stale: run `python -m bayescollab.elicit.report`"
    )
