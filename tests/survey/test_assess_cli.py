"""`bayescollab assess` through the installed entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import bayescollab as bc


def write_survey(path: Path, header: list[str], answers: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, restval="")
        writer.writeheader()
        writer.writerows(answers)
    return path


def test_assess_json_has_a_posterior_for_every_mechanism(run_cli, tmp_path: Path, model: bc.Model) -> None:
    header = run_cli("instrument", "--csv-template").stdout.strip().split(",")
    rows = [
        {
            "respondent_id": f"r{i}",
            "collaboration_id": "ics-north",
            "trust_maturity": "pathological",
            "faith_1": "4",
        }
        for i in range(4)
    ]
    survey = write_survey(tmp_path / "survey.csv", header, rows)
    done = run_cli("assess", str(survey), "--given", "mandated=mandated", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    mechanisms = [n for n, s in model.theory.nodes.items() if s.kind == "mechanism"]
    for node in [*mechanisms, "collaborative_behaviour", "collaborative_performance"]:
        assert abs(sum(out["posterior"][node].values()) - 1) < 1e-9, node
    assert out["posterior"]["trust"]["low"] > out["prior"]["trust"]["low"]
    assert out["collaborations"][0]["collaboration_id"] == "ics-north"
    assert out["bottlenecks"] and "gain" in out["bottlenecks"][0]
    assert "assessing collaboration" in done.stderr  # progress goes to stderr, JSON alone on stdout


def test_assess_bad_inputs_exit_2_with_the_reason(run_cli, tmp_path: Path) -> None:
    header = run_cli("instrument", "--csv-template").stdout.strip().split(",")
    survey = write_survey(tmp_path / "s.csv", header, [{"respondent_id": "r1", "trust_1": "9"}])
    done = run_cli("assess", str(survey))
    assert done.returncode == 2 and "trust_1" in done.stderr and "9" in done.stderr
    good = write_survey(tmp_path / "g.csv", header, [{"respondent_id": "r1", "trust_1": "2"}])
    done = run_cli("assess", str(good), "--given", "mandated=sometimes")
    assert done.returncode == 2 and "sometimes" in done.stderr
    done = run_cli("assess", str(tmp_path / "missing.csv"))
    assert done.returncode == 2
