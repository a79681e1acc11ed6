"""Actionable levers: the file and its provenance, and the ranking against direct do() queries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import bayescollab as bc
from bayescollab._paths import models_dir
from bayescollab.sensitivity.levers import LeverRanking, LeverSet, load_levers, rank_levers

HEADLINE = "mandated_cross_sector_ics_poor_history"
TARGET = "collaborative_behaviour"
ATOL = 1e-9


@pytest.fixture(scope="module")
def levers(model: bc.Model) -> LeverSet:
    return load_levers(theory=model.theory)


@pytest.fixture(scope="module")
def headline(model: bc.Model, levers: LeverSet) -> LeverRanking:
    return rank_levers(model, HEADLINE, levers=levers)


# ------------------------------------------------------------------------------ the file
def test_packaged_file_loads_beside_the_theory(levers: LeverSet) -> None:
    assert levers.path == models_dir() / "levers.yaml"
    assert load_levers().nodes == levers.nodes
    for node in ("formalisation", "joint_working", "quick_wins", "evaluation_dissemination",
                 "stakeholder_involvement", "patient_public_engagement", "accountability_arrangements",
                 "leadership_style", "it_interoperability"):  # fmt: skip
        assert node in levers.levers, node


def test_levers_are_context_nodes_with_their_states(model: bc.Model, levers: LeverSet) -> None:
    for node, lever in levers.levers.items():
        assert model.theory.nodes[node].kind == "context", node
        assert set(lever.do) <= set(model.states(node)), node


def test_every_record_exists_and_actions_are_table10(model: bc.Model, levers: LeverSet) -> None:
    for node, lever in levers.levers.items():
        assert lever.actions or lever.not_in_table10, node
        for rid in lever.records:
            assert rid in model.theory.cmocs, (node, rid)
        for rid in lever.actions:
            locations = [s.location for s in model.theory.cmocs[rid].sources]
            assert rid.startswith("ACT-") and any(loc.startswith("Table 10") for loc in locations), rid
        backing = levers.backing[node]
        assert [b.id for b in backing] == lever.records
        assert all(b.table10 for b in backing if b.id in lever.actions)


def test_every_table10_statement_is_placed(model: bc.Model, levers: LeverSet) -> None:
    """Table 10 read in full: each ACT record backs a lever or says why it is not one."""
    placed = {rid for lever in levers.levers.values() for rid in lever.actions}
    placed |= {rid for entry in levers.not_levers for rid in entry.actions}
    acts = {rid for rid in model.theory.cmocs if rid.startswith("ACT-")}
    assert acts == placed, sorted(acts ^ placed)


def _norm(text: str) -> str:
    """As tests/theory/test_theory.py: case-, ligature-, dash- and quote-insensitive text."""
    text = text.lower()
    for lig in ("ffi", "ffl", "fi", "fl", "ﬁ", "ﬂ", "\ufffd"):
        text = text.replace(lig, "#")
    text = text.replace("–", "-").replace("—", "-")
    text = re.sub(r"[‘’'`\"“”]", "", text)
    return re.sub(r"\s+", " ", text)


def _ngrams(text: str, n: int = 10) -> set[str]:
    words = re.findall(r"[a-z#']+", _norm(text))
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_lever_text_is_paraphrase(levers: LeverSet, seeds_dir: Path) -> None:
    """No 10-word run of levers.yaml's own text is copied from a seed."""
    seed_grams: set[str] = set()
    for path in seeds_dir.glob("0*.txt"):
        seed_grams |= _ngrams(path.read_text(encoding="utf-8"))
    texts = [(n, lever.paraphrase) for n, lever in levers.levers.items()]
    texts += [(n, lever.not_in_table10 or "") for n, lever in levers.levers.items()]
    texts += [(e.node, e.reason) for e in levers.not_levers]
    copied = [(name, sorted(_ngrams(t) & seed_grams)[:1]) for name, t in texts if _ngrams(t) & seed_grams]
    assert not copied, copied


def _write(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load((models_dir() / "levers.yaml").read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "levers.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _first(**changes):
    return lambda raw: raw["levers"][0].update(**changes)


BAD_FILES = [
    (_first(node="formalization"), r"unknown context node 'formalization'.*formalisation"),
    (_first(do=["strong"]), r"unknown do state of 'formalisation' 'strong'.*binding"),
    (_first(actions=["ACT-999"]), r"unknown action record 'ACT-999'.*ACT-0"),
    (_first(node="trust"), r"'trust' is a mechanism node; a lever must be a context"),
    (_first(actions=["TRU-001"]), r"TRU-001 is not a Table 10 action statement"),
    (
        lambda raw: raw["levers"][0]["sources"].pop(),
        r"'Table 10, Confidence and formalisation' .* is missing",
    ),
    (lambda raw: raw["levers"].append(raw["levers"][1]), r"node=joint_working.*lever listed twice"),
]


@pytest.mark.parametrize(("edit", "expected"), BAD_FILES)
def test_bad_file_names_the_bad_value(model: bc.Model, tmp_path: Path, edit, expected: str) -> None:
    with pytest.raises(bc.TheoryError, match=expected):
        load_levers(_write(tmp_path, edit), theory=model.theory)


# ------------------------------------------------------------------------------ the ranking
def test_gains_equal_direct_do_queries(model: bc.Model, headline: LeverRanking) -> None:
    evidence = model.scenario(HEADLINE)
    base = model.query(TARGET, evidence=evidence)["high"]
    np.testing.assert_allclose(headline.baseline, base, atol=ATOL)
    checked = [*headline.singles[:3], headline.singles[-1], *headline.pairs[:2], headline.pairs[-1]]
    for effect in checked:
        direct = model.query(TARGET, evidence=evidence, do=effect.do)["high"]
        np.testing.assert_allclose(effect.probability, direct, atol=ATOL, err_msg=effect.label)
        np.testing.assert_allclose(effect.gain, direct - base, atol=ATOL, err_msg=effect.label)


def test_ranking_sorted_with_pairs_and_backing(levers: LeverSet, headline: LeverRanking) -> None:
    for ranked in (headline.singles, headline.pairs):
        gains = [e.gain for e in ranked]
        assert gains == sorted(gains, reverse=True)
    n_settings = sum(len(lever.do) for lever in levers.levers.values())
    assert len(headline.singles) == n_settings
    same_lever = sum(len(lever.do) * (len(lever.do) - 1) // 2 for lever in levers.levers.values())
    assert len(headline.pairs) == n_settings * (n_settings - 1) // 2 - same_lever
    gain_of = {e.settings[0]: e.gain for e in headline.singles}
    for pair in headline.pairs:
        assert pair.single_gains == tuple(gain_of[s] for s in pair.settings)
        assert pair.interaction == pytest.approx(pair.gain - sum(pair.single_gains))
        assert pair.sub_additive == (pair.interaction < -1e-9)
    top = headline.singles[0]
    assert top.backing and all(b.locations for b in top.backing)
    assert all(b.table10 and "Table 10" in b.locations[0] for b in top.backing)
    data = json.loads(json.dumps(headline.to_dict()))
    assert data["pairs"][0]["interaction"] == pytest.approx(headline.pairs[0].interaction)
    text = headline.to_text()
    assert top.label in text and top.backing[0].id in text and "pairs" in text


def test_levers_fixed_by_the_scenario_are_not_ranked(model: bc.Model, levers: LeverSet) -> None:
    ranking = rank_levers(
        model,
        HEADLINE,
        evidence={"formalisation": "binding"},
        do={"leadership_style": "collaborative"},
        levers=levers,
        pairs=False,
    )
    ranked = {n for e in ranking.singles for n, _ in e.settings}
    assert "formalisation" not in ranked and "leadership_style" not in ranked
    assert ranking.excluded == {
        "formalisation": "observed in the scenario",
        "leadership_style": "set by do in the scenario",
    }
    assert ranking.pairs == ()
    effect = ranking.singles[0]
    evidence = {**model.scenario(HEADLINE), "formalisation": "binding"}
    do = {"leadership_style": "collaborative"}
    direct = model.query(TARGET, evidence=evidence, do={**do, **effect.do})["high"]
    base = model.query(TARGET, evidence=evidence, do=do)["high"]
    np.testing.assert_allclose(effect.gain, direct - base, atol=ATOL)


def test_lever_with_parents_is_intervened_on_directly(model: bc.Model, tmp_path: Path) -> None:
    """power_imbalance has parents, so seeing it is not setting it; the ranking must set it."""

    def edit(raw: dict) -> None:
        keep = [lever for lever in raw["levers"] if lever["node"] == "quick_wins"]
        keep.append(
            {
                "node": "power_imbalance",
                "do": ["low"],
                "paraphrase": "A test lever on a context that has parents.",
                "actions": ["ACT-021"],
                "sources": [
                    {
                        "seed": "002_88c03433245ed2d8.txt",
                        "location": "Table 10, Managing mandated collaborations",
                    }
                ],
            }
        )
        raw["levers"] = keep
        raw["not_levers"] = [e for e in raw["not_levers"] if e["node"] != "power_imbalance"]

    custom = load_levers(_write(tmp_path, edit), theory=model.theory)
    ranking = rank_levers(model, HEADLINE, levers=custom)
    evidence = model.scenario(HEADLINE)
    base = model.query(TARGET, evidence=evidence)["high"]
    for effect in (*ranking.singles, *ranking.pairs):
        direct = model.query(TARGET, evidence=evidence, do=effect.do)["high"]
        np.testing.assert_allclose(effect.gain, direct - base, atol=ATOL, err_msg=effect.label)
    seen = model.query(TARGET, evidence={**evidence, "power_imbalance": "low"})["high"]
    imbalance = next(e for e in ranking.singles if e.do == {"power_imbalance": "low"})
    assert abs(imbalance.probability - seen) > 1e-4  # observing would have given another answer
