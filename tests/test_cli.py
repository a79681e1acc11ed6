"""The command line, run through the installed console script as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bayescollab as bc

HEADLINE = "mandated_cross_sector_ics_poor_history"


def test_query_json_matches_api(run_cli, model: bc.Model) -> None:
    res = run_cli("query", "collaborative_behaviour", "--scenario", HEADLINE, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= {"target", "evidence", "do", "distribution"}
    expected = model.query("collaborative_behaviour", evidence=model.scenario(HEADLINE))
    for state, p in expected.items():
        assert out["distribution"][state] == pytest.approx(p, abs=1e-12)
    assert out["evidence"] == model.scenario(HEADLINE)


def test_query_with_given_and_do(run_cli, model: bc.Model) -> None:
    res = run_cli(
        "query",
        "trust",
        "--given",
        "collaboration_history=poor",
        "--do",
        "formalisation=binding",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    expected = model.query(
        "trust", evidence={"collaboration_history": "poor"}, do={"formalisation": "binding"}
    )
    assert out["distribution"]["high"] == pytest.approx(expected["high"], abs=1e-12)
    assert out["do"] == {"formalisation": "binding"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["query", "trsut"], "closest first): trust,"),
        (["query", "trust", "--given", "mandated=mandatory"], "voluntary"),
        (["query", "trust", "--given", "mandated"], "NODE=STATE"),
        (["query", "trust", "--scenario", "nope"], HEADLINE),
        (
            ["explain", "faith", "--given", "collaboration_histroy=poor"],
            "closest first): collaboration_history",
        ),
        (["draw", "-o", "web.gif"], ".png or .svg"),
        (["export", "--format", "dot", "-o", "x.dot"], "bif, xmlbif"),
    ],
)
def test_bad_input_exit_2_with_choices(run_cli, tmp_path: Path, args: list[str], needle: str) -> None:
    res = run_cli(*args, cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert needle in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""


def test_scenarios_json_lists_required(run_cli) -> None:
    res = run_cli("scenarios", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out[HEADLINE]["evidence"]["collaboration_form"] == "integrated_care_system"
    assert "voluntary_buddying_positive_history" in out


def test_validate_clean(run_cli) -> None:
    res = run_cli("validate")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("ok:")


def test_explain_names_chains_and_sources(run_cli) -> None:
    res = run_cli("explain", "collaborative_behaviour", "--scenario", HEADLINE, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert {c["node"] for c in out["contributions"]} == set(
        ["collaboration_form", "mandated", "cross_sector", "collaboration_history"]
    )
    history = next(c for c in out["contributions"] if c["node"] == "collaboration_history")
    assert history["alone"] < 0
    assert history["chains"], "a poor history must reach collaborative behaviour through CMOC chains"
    first = history["chains"][0]
    assert first[0]["parent"] == "collaboration_history"
    assert first[-1]["child"] == "collaborative_behaviour"
    assert all(link["cmocs"] and link["sources"] for link in first)


def test_draw_png_and_svg(run_cli, tmp_path: Path) -> None:
    png = tmp_path / "web.png"
    res = run_cli("draw", "-o", str(png), "--scenario", HEADLINE)
    assert res.returncode == 0, res.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "web.svg"
    res = run_cli("draw", "-o", str(svg))
    assert res.returncode == 0, res.stderr
    text = svg.read_text()
    assert "<svg" in text and "collaborative" in text


def test_demo_prints_headline_and_comparison(run_cli, tmp_path: Path) -> None:
    res = run_cli("demo", "-o", str(tmp_path / "web.png"))
    assert res.returncode == 0, res.stderr
    assert HEADLINE in res.stdout and "voluntary_buddying_positive_history" in res.stdout
    assert (tmp_path / "web.png").stat().st_size > 10_000
