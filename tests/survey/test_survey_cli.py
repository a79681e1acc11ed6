"""`bayescollab instrument`, run through the installed console script."""

from __future__ import annotations

import json
from pathlib import Path

from bayescollab.survey.instrument import MATURITY3_LEVELS, Instrument


def test_csv_template_prints_exactly_the_header(run_cli, instrument: Instrument) -> None:
    res = run_cli("instrument", "--csv-template")
    assert res.returncode == 0, res.stderr
    assert (
        res.stdout
        == ",".join(["respondent_id", "collaboration_id", "organisation", *instrument.item_ids]) + "\n"
    )


def test_questionnaire_is_grouped_by_node_with_options(run_cli, instrument: Instrument) -> None:
    res = run_cli("instrument")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "5 strongly agree" in out
    positions = [out.index(f"\n{node}  (states:") for node in instrument.nodes]
    assert positions == sorted(positions)
    for item in instrument:
        assert f"  {item.item_id} [{item.scale}" in out
    trust = out[out.index("\ntrust  (states:") : out.index("\nfaith  (states:")]
    for number, level in enumerate(MATURITY3_LEVELS, start=1):
        assert f"{number} {level}: " in trust


def test_json_is_one_object(run_cli, instrument: Instrument) -> None:
    res = run_cli("instrument", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["n_items"] == len(instrument)
    assert [i["item_id"] for i in out["items"]] == list(instrument.item_ids)
    assert out["nodes"]["trust"] == [i.item_id for i in instrument.items_for("trust")]


def test_check_summarises_a_good_file_and_lists_problems_of_a_bad_one(run_cli, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("respondent_id,collaboration_id,trust_1\nr1,a,4\nr2,a,\nr3,b,agree\n", encoding="utf-8")
    res = run_cli("instrument", "--check", str(good))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("ok: 3 respondents in 2 collaboration(s): a (2), b (1); 2 of 96 answers")

    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id,trust_1\nr1,4\nr2,maybe\n", encoding="utf-8")
    res = run_cli("instrument", "--check", str(bad))
    assert res.returncode == 2
    assert "line 3, column 'trust_1': 'maybe' is not an answer on the likert5 scale" in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""


def test_template_does_not_combine_with_json(run_cli) -> None:
    res = run_cli("instrument", "--csv-template", "--json")
    assert res.returncode == 2 and "--csv-template" in res.stderr and res.stdout == ""
