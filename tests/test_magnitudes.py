"""Magnitude and interaction claims of the seeds (models/magnitude_claims.yaml), through the network.

Beside the directional claims of tests/test_faithfulness.py: each claim's wording sets the least
effect it needs (the rule lives in the YAML), every claim is checked exactly at the prior-mean θ,
and docs/effects.json records the share of 200 prior draws in which each holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import bayescollab as bc
from bayescollab.claims import claim_draws, claim_value, load_claims

RULES = load_claims()
EFFECTS_JSON = Path(__file__).resolve().parents[1] / "docs" / "effects.json"

#: claims the network does not yet carry at the size their wording asks: (id, why), reported in
#: docs/effects.md. Strict: a claim that starts holding must leave this list.
SHORT_AT_MEAN: dict[str, str] = {}
SHORT_IN_DRAWS = {
    "M02": "partner reputation rests on two works (grade C after GRADES); 'essential' asks 0.15 and "
    "the prior mean gives 0.154, so half the draws fall short",
    "M05": "perceived threat is one of several parents of legitimacy with a grade-C weight",
    "M13": "quick wins reach trust only through perception of progress; two ranked-node links keep 0.08",
    "M19": "cultural assimilation reaches trust only through conflict; 0.086 sits on the 0.08 threshold",
    "M22": "initial trust is one of eight parents of trust with a grade-C weight",
    "M23": "power imbalance reaches trust only through initial trust",
    "M42": "the MoU gain on trust is one grade-C link among eight parents",
}


def test_rule_covers_every_wording_and_enough_claims() -> None:
    assert len(RULES.claims) >= 40
    assert len({c.id for c in RULES.claims}) == len(RULES.claims)
    for c in RULES.claims:
        assert re.match(r"^00[0-4] ", c.location), (c.id, c.location)  # a seed location, always
        assert RULES.minimum(c) >= 0
    # the rule orders wordings by strength
    w = RULES.wording_rule
    assert w["essential"] >= w["key"] >= w["plain"] > w["hypothesis"] == 0


@pytest.mark.parametrize("claim", RULES.claims, ids=lambda c: c.id)
def test_claim_holds_at_prior_mean(model: bc.Model, claim) -> None:
    value = claim_value(model, claim)
    if claim.id in SHORT_AT_MEAN:
        assert not RULES.holds(claim, value), (
            f"{claim.id} now holds ({value:+.3f}); drop it from SHORT_AT_MEAN"
        )
        assert value > 0, f"{claim.id} lost even its direction: {value:+.3f}"
        return
    assert RULES.holds(claim, value), (
        f"{claim.id} ({claim.wording}, least {RULES.minimum(claim)}): value {value:+.3f} at the prior mean; "
        f"{claim.paraphrase} [{claim.location}]"
    )


def test_hypotheses_stay_small(model: bc.Model) -> None:
    for c in RULES.claims:
        if c.hedged and c.kind == "effect":
            assert claim_value(model, c) <= RULES.hypothesis_max, c.id


def test_monte_carlo_claims_match_exact_queries(model: bc.Model) -> None:
    """The sampler that gives the 200-draw shares agrees with exact queries draw by draw."""
    claims = [c for c in RULES.claims if c.id in {"M01", "M11", "M42", "I01", "I05"}]
    theta = model.sample_theta(3, seed=5)
    mc = claim_draws(model, claims, theta, n_samples=6000, seed=3)
    for d in range(len(theta)):
        drawn = model.with_theta(theta[d])
        for c in claims:
            assert mc[c.id][d] == pytest.approx(claim_value(drawn, c), abs=0.05), (c.id, d)


def test_recorded_draw_shares_meet_the_rule() -> None:
    """docs/effects.json (scripts/make_effects_doc.py, 200 draws): unhedged claims hold in >= 80%."""
    recorded = {c["id"]: c for c in json.loads(EFFECTS_JSON.read_text(encoding="utf-8"))["claims"]}
    assert set(recorded) == {c.id for c in RULES.claims}
    short = {
        i
        for i, c in recorded.items()
        if c["needs_share"] is not None and c["share_of_draws"] < c["needs_share"]
    }
    assert short == set(SHORT_IN_DRAWS), f"claims short of the 80% rule changed: {sorted(short)}"
    assert np.mean([c["holds_at_mean"] for c in recorded.values()]) >= 0.95
