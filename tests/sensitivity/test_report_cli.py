"""`bayescollab sensitivity` through the installed console script: report, JSON, figure, bad input."""

from __future__ import annotations

import json

import bayescollab as bc

SCENARIO = "mandated_cross_sector_ics_poor_history"


def test_sensitivity_json_and_plot(run_cli, model: bc.Model, tmp_path) -> None:
    figure = tmp_path / "sens.png"
    done = run_cli("sensitivity", "collaborative_behaviour", "--scenario", SCENARIO,
                   "--plot", str(figure), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    evidence = model.scenario(SCENARIO)
    expected = model.query("collaborative_behaviour", evidence=evidence)["high"]
    assert report["state"] == "high" and abs(report["probability"] - expected) < 1e-12
    assert report["evidence"] == evidence
    # each section is present, ranked, and agrees with direct queries
    widths = [c["do"]["width"] for c in report["contexts"]["contexts"]]
    assert widths and widths == sorted(widths, reverse=True)
    assert set(report["contexts"]["excluded"]) == set(evidence)
    assert not set(evidence) & {c["context"] for c in report["contexts"]["contexts"]}
    gains = [s["gain"] for s in report["levers"]["singles"]]
    assert gains == sorted(gains, reverse=True)
    top = report["levers"]["singles"][0]
    direct = model.query("collaborative_behaviour", evidence=evidence, do=top["do"])["high"]
    assert abs(top["probability"] - direct) < 1e-9
    voi = report["value_of_information"]["ranking"]
    mis = [r["mutual_information_bits"] for r in voi]
    assert mis == sorted(mis, reverse=True) and all(m >= -1e-12 for m in mis)
    assert figure.is_file() and figure.stat().st_size > 10_000 and report["plot"] == str(figure)


def test_sensitivity_text_and_bad_input(run_cli, tmp_path) -> None:
    done = run_cli("sensitivity", "trust", "--given", "collaboration_history=poor", "--top", "3")
    assert done.returncode == 0, done.stderr
    assert "CONTEXTS" in done.stdout and "LEVERS" in done.stdout and "WHAT TO MEASURE NEXT" in done.stdout
    bad = run_cli("sensitivity", "trsut")
    assert bad.returncode == 2 and "trust" in bad.stderr
    bad_plot = run_cli("sensitivity", "trust", "--plot", str(tmp_path / "x.jpg"))
    assert bad_plot.returncode == 2 and "expected .png or .svg" in bad_plot.stderr
    clash = run_cli("sensitivity", "trust", "--scenario", SCENARIO, "--given", "mandated=voluntary")
    assert clash.returncode == 2 and "mandated" in clash.stderr
