"""docs/effects.md stays current and its entries agree with exact queries; the `effects` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import bayescollab as bc
from bayescollab.effects import inputs_hash

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_doc_matches_its_inputs() -> None:
    text = (DOCS / "effects.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- inputs: (\w+) -->", text)
    assert found, "docs/effects.md has no inputs hash"
    assert found.group(1) == inputs_hash(), "docs/effects.md is stale: run scripts/make_effects_doc.py"
    recorded = json.loads((DOCS / "effects.json").read_text(encoding="utf-8"))
    assert recorded["header"]["inputs"] == found.group(1)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("collaboration_history", "initial_trust"),
        ("mandated", "collaborative_behaviour"),
        ("trust", "risk_tolerance"),
        ("conflict", "trust"),
    ],
)
def test_recorded_entries_equal_exact_queries(model: bc.Model, source: str, target: str) -> None:
    """Monte Carlo entries at the prior mean lie within 4 sd of the exact do() difference."""
    recorded = json.loads((DOCS / "effects.json").read_text(encoding="utf-8"))
    entry = next(e for e in recorded["effects"] if e["source"] == source and e["target"] == target)
    hi, lo = entry["contrast"].split(" - ")
    exact = model.query(target, do={source: hi})["high"] - model.query(target, do={source: lo})["high"]
    assert entry["mean"] == pytest.approx(exact, abs=4 * recorded["header"]["mc_sd"])
    assert entry["interval90"][0] <= entry["interval90"][1]


def test_effects_command_json(run_cli, model: bc.Model) -> None:
    res = run_cli("effects", "--source", "quick_wins", "--draws", "4", "--samples", "400", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    rows = {e["target"]: e for e in out["effects"]}
    assert set(rows) == {n for n, s in model.theory.nodes.items() if s.kind != "context"}
    assert rows["perception_of_progress"]["mean"] > 0  # quick wins raise perceived progress
    assert rows["initial_trust"]["mean"] == 0  # not downstream: exactly zero under common random numbers


def test_effects_command_names_a_bad_node(run_cli) -> None:
    res = run_cli("effects", "--source", "trusst")
    assert res.returncode == 2
    assert "trust" in res.stderr
