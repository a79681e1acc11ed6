"""Directional claims of the seeds, computed through the network (never read off a CPT).

Each claim names its seed location. A claim compares the expected position of a target
(-1 = lowest state, +1 = highest) between two situations, or compares an effect between two
settings of a moderator. Together the claims touch every mechanism node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

import bayescollab as bc

HEADLINE = "mandated_cross_sector_ics_poor_history"
BUDDYING = "voluntary_buddying_positive_history"


@dataclass(frozen=True)
class Claim:
    """target is higher (direction +1) or lower (-1) in situation A than in situation B."""

    id: str
    source: str
    target: str
    a: dict[str, str]
    b: dict[str, str]
    direction: int
    do: bool = True  # compare interventions (do) rather than observations
    given: dict[str, str] = field(default_factory=dict)


def score(model: bc.Model, target: str, *, evidence=None, do=None) -> float:
    return model.query(target, evidence=evidence or {}, do=do or {}).expected_score()


def effect(model: bc.Model, claim: Claim) -> float:
    if claim.do:
        hi = score(model, claim.target, evidence=claim.given, do=claim.a)
        lo = score(model, claim.target, evidence=claim.given, do=claim.b)
    else:
        hi = score(model, claim.target, evidence={**claim.given, **claim.a})
        lo = score(model, claim.target, evidence={**claim.given, **claim.b})
    return hi - lo


CLAIMS = [
    Claim(
        "history-initial-trust",
        "000 Mechanisms specific to early stages [36, 57, 67, 79]",
        "initial_trust",
        {"collaboration_history": "poor"},
        {"collaboration_history": "positive"},
        -1,
    ),
    Claim(
        "history-behaviour",
        "000 Refining CMOCs driving partnership performance [58]",
        "collaborative_behaviour",
        {"collaboration_history": "poor"},
        {"collaboration_history": "positive"},
        -1,
    ),
    Claim(
        "reputation-initial-trust",
        "000 Mechanisms specific to early stages [76]; 001 Results, Historical context",
        "initial_trust",
        {"partner_reputation": "good"},
        {"partner_reputation": "poor"},
        +1,
    ),
    Claim(
        "stakeholders-legitimacy",
        "000 Mechanisms specific to early stages [48]",
        "perceived_legitimacy",
        {"stakeholder_involvement": "high"},
        {"stakeholder_involvement": "low"},
        +1,
    ),
    Claim(
        "stakeholders-faith",
        "000 Early stages [48]; 002 Table 10, Faith and initial faith",
        "faith",
        {"stakeholder_involvement": "high"},
        {"stakeholder_involvement": "low"},
        +1,
    ),
    Claim(
        "threat-legitimacy",
        "000 Mechanisms specific to early stages [48]",
        "perceived_legitimacy",
        {"perceived_threat": "yes"},
        {"perceived_threat": "no"},
        -1,
    ),
    Claim(
        "legitimacy-initial-faith",
        "000 Table 2 (legitimacy -> initial faith)",
        "initial_faith",
        {"perceived_legitimacy": "high"},
        {"perceived_legitimacy": "low"},
        +1,
    ),
    Claim(
        "mandate-initial-faith",
        "000 Refinements by collaboration type (ICS seen as a threat)",
        "initial_faith",
        {"mandated": "mandated"},
        {"mandated": "voluntary"},
        -1,
    ),
    Claim(
        "resources-initial-faith",
        "000 Mechanisms specific to early stages [67]",
        "initial_faith",
        {"resource_capacity": "constrained"},
        {"resource_capacity": "adequate"},
        -1,
    ),
    Claim(
        "form-reputation-initial-faith",
        "000 Mechanisms specific to early stages [67]",
        "initial_faith",
        {"form_reputation": "negative"},
        {"form_reputation": "positive"},
        -1,
    ),
    Claim(
        "cross-sector-complexity",
        "000 Refining CMOCs driving partnership performance [42, 76]",
        "perceived_task_complexity",
        {"cross_sector": "yes"},
        {"cross_sector": "no"},
        +1,
    ),
    Claim(
        "scale-complexity",
        "000 A novel means of depicting CMOC chains [32]",
        "perceived_task_complexity",
        {"partner_scale": "large"},
        {"partner_scale": "small"},
        +1,
    ),
    Claim(
        "complexity-faith",
        "000 A novel means of depicting CMOC chains [32]",
        "faith",
        {"perceived_task_complexity": "high"},
        {"perceived_task_complexity": "low"},
        -1,
    ),
    Claim(
        "scale-communication",
        "000 Middle stage of collaboration [39]",
        "communication",
        {"partner_scale": "large"},
        {"partner_scale": "small"},
        -1,
    ),
    Claim(
        "joint-working-communication",
        "000 Middle stage of collaboration [52, 75, 77]",
        "communication",
        {"joint_working": "high"},
        {"joint_working": "low"},
        +1,
    ),
    Claim(
        "it-communication",
        "000 Middle stage of collaboration [32, 79]",
        "communication",
        {"it_interoperability": "high"},
        {"it_interoperability": "low"},
        +1,
    ),
    Claim(
        "communication-trust",
        "000 Middle stage of collaboration [75, 77]",
        "trust",
        {"communication": "high"},
        {"communication": "low"},
        +1,
    ),
    Claim(
        "distance-assimilation",
        "000 Middle stage of collaboration [72]",
        "cultural_assimilation",
        {"cultural_distance": "high"},
        {"cultural_distance": "low"},
        -1,
    ),
    Claim(
        "assimilation-trust",
        "000 Middle stage of collaboration [68]; 000 Table 2",
        "trust",
        {"cultural_assimilation": "high"},
        {"cultural_assimilation": "low"},
        +1,
    ),
    Claim(
        "tension-conflict",
        "000 Atemporal elements impacting collaboration [18, 42]",
        "conflict",
        {"accumulated_tension": "high"},
        {"accumulated_tension": "low"},
        +1,
    ),
    Claim(
        "power-conflict",
        "000 Atemporal elements impacting collaboration [52, 76]",
        "conflict",
        {"power_imbalance": "high"},
        {"power_imbalance": "low"},
        +1,
    ),
    Claim(
        "task-failure-conflict",
        "000 Atemporal elements impacting collaboration [18, 42]",
        "conflict",
        {"task_failure": "yes"},
        {"task_failure": "no"},
        +1,
    ),
    Claim(
        "accountability-resolution",
        "000 Atemporal elements [50, 52]; 001 Table 3, Conflict",
        "conflict_resolution",
        {"accountability_arrangements": "strong"},
        {"accountability_arrangements": "weak"},
        +1,
    ),
    Claim(
        "resolution-conflict",
        "000 Table 2 (conflict resolution -> conflict)",
        "conflict",
        {"conflict_resolution": "high"},
        {"conflict_resolution": "low"},
        -1,
    ),
    Claim(
        "conflict-trust",
        "000 Atemporal elements impacting collaboration [18]",
        "trust",
        {"conflict": "high"},
        {"conflict": "low"},
        -1,
    ),
    Claim(
        "conflict-faith",
        "000 Atemporal elements impacting collaboration [18]",
        "faith",
        {"conflict": "high"},
        {"conflict": "low"},
        -1,
    ),
    Claim(
        "sharedness-trust",
        "000 Atemporal elements impacting collaboration",
        "trust",
        {"vision_sharedness": "high"},
        {"vision_sharedness": "low"},
        +1,
    ),
    Claim(
        "clarity-faith",
        "000 Atemporal elements impacting collaboration [50]",
        "faith",
        {"vision_clarity": "high"},
        {"vision_clarity": "low"},
        +1,
    ),
    Claim(
        "turnover-sharedness",
        "000 Atemporal elements impacting collaboration [60, 63]",
        "vision_sharedness",
        {"leadership_stability": "turnover"},
        {"leadership_stability": "stable"},
        -1,
    ),
    Claim(
        "engagement-sharedness",
        "000 Atemporal elements impacting collaboration",
        "vision_sharedness",
        {"patient_public_engagement": "high"},
        {"patient_public_engagement": "low"},
        +1,
    ),
    Claim(
        "progress-faith",
        "000 Atemporal elements impacting collaboration [72, 75]",
        "faith",
        {"perception_of_progress": "high"},
        {"perception_of_progress": "low"},
        +1,
    ),
    Claim(
        "quick-wins-progress",
        "000 Middle stage of collaboration [55, 76]",
        "perception_of_progress",
        {"quick_wins": "yes"},
        {"quick_wins": "no"},
        +1,
    ),
    Claim(
        "evaluation-progress",
        "000 Atemporal elements impacting collaboration [54, 85]",
        "perception_of_progress",
        {"evaluation_dissemination": "strong"},
        {"evaluation_dissemination": "weak"},
        +1,
    ),
    Claim(
        "overambition-progress",
        "000 Atemporal elements impacting collaboration [54, 56]",
        "perception_of_progress",
        {"ambition": "overambitious"},
        {"ambition": "realistic"},
        -1,
    ),
    Claim(
        "underambition-progress",
        "001 Table 3, Task achievement and performance (unambitious aims); 002 Box 1",
        "perception_of_progress",
        {"ambition": "unambitious"},
        {"ambition": "realistic"},
        -1,
    ),
    Claim(
        "churn-achievement",
        "001 Table 3, Task achievement and performance (workforce instability)",
        "task_achievement",
        {"workforce_stability": "unstable"},
        {"workforce_stability": "stable"},
        -1,
    ),
    Claim(
        "achievement-progress",
        "002 Box 1, Perception of progress and performance",
        "perception_of_progress",
        {"task_achievement": "high"},
        {"task_achievement": "low"},
        +1,
    ),
    Claim(
        "formalisation-confidence",
        "000 Trust versus confidence in integrative and mandated types [18, 76]",
        "confidence",
        {"formalisation": "binding"},
        {"formalisation": "none"},
        +1,
        given={"mandated": "mandated"},
    ),
    Claim(
        "confidence-risk",
        "000 Trust versus confidence in integrative and mandated types (Fig. 6)",
        "risk_tolerance",
        {"confidence": "high"},
        {"confidence": "low"},
        +1,
    ),
    Claim(
        "trust-risk",
        "000 Table 2 (trust -> risk threshold) [83]",
        "risk_tolerance",
        {"trust": "high"},
        {"trust": "low"},
        +1,
    ),
    Claim(
        "risk-behaviour",
        "000 Table 2 (risk threshold -> collaborative behaviour)",
        "collaborative_behaviour",
        {"risk_tolerance": "high"},
        {"risk_tolerance": "low"},
        +1,
    ),
    Claim(
        "faith-behaviour",
        "000 Table 2 (faith -> collaborative behaviour)",
        "collaborative_behaviour",
        {"faith": "high"},
        {"faith": "low"},
        +1,
    ),
    Claim(
        "behaviour-performance",
        "000 Refining CMOCs driving partnership performance",
        "collaborative_performance",
        {"collaborative_behaviour": "high"},
        {"collaborative_behaviour": "low"},
        +1,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_directional_claim(model: bc.Model, claim: Claim) -> None:
    shift = effect(model, claim)
    assert shift * claim.direction > 1e-4, f"{claim.source}: shift {shift:+.4f}"


def test_headline_is_worse_than_voluntary_buddying(model: bc.Model) -> None:
    """000 Refinements by collaboration type [1, 44]: an imposed, cross-sector ICS with bad blood
    starts far behind a voluntary buddying pair with a good history."""
    ics = score(model, "collaborative_behaviour", evidence=model.scenario(HEADLINE))
    buddy = score(model, "collaborative_behaviour", evidence=model.scenario(BUDDYING))
    assert ics < buddy - 0.05


def _effect_of(model, target, do_a, do_b, given):
    return score(model, target, evidence=given, do=do_a) - score(model, target, evidence=given, do=do_b)


def test_binding_formalisation_helps_more_when_mandated_and_integrative(model: bc.Model) -> None:
    """000 Trust versus confidence [18, 76] and its MoU hypothesis [6]: binding contracts raise
    collaborative behaviour more under a mandated, integrative form than under a voluntary one."""
    binding, none = {"formalisation": "binding"}, {"formalisation": "none"}
    mandated = {"mandated": "mandated", "integration_level": "high"}
    voluntary = {"mandated": "voluntary", "integration_level": "low"}
    gain_mandated = _effect_of(model, "collaborative_behaviour", binding, none, mandated)
    gain_voluntary = _effect_of(model, "collaborative_behaviour", binding, none, voluntary)
    assert gain_mandated > gain_voluntary + 1e-3


def test_binding_contracts_build_less_trust_in_loose_voluntary_forms(model: bc.Model) -> None:
    """000 Trust versus confidence [41, 76]: in voluntary, loosely integrated arrangements
    binding contracts invite misattribution to obligation, so they do less for trust."""
    binding, mou = {"formalisation": "binding"}, {"formalisation": "non_binding"}
    loose = _effect_of(model, "trust", binding, mou, {"integration_level": "low"})
    integrated = _effect_of(model, "trust", binding, mou, {"integration_level": "high"})
    assert loose < integrated - 1e-3


def test_mandate_shifts_risk_tolerance_from_trust_to_confidence(model: bc.Model) -> None:
    """000 Trust versus confidence [18]: in mandated forms confidence, not trust, drives risk."""
    hi_t, lo_t = {"trust": "high"}, {"trust": "low"}
    hi_c, lo_c = {"confidence": "high"}, {"confidence": "low"}
    man, vol = {"mandated": "mandated"}, {"mandated": "voluntary"}
    assert _effect_of(model, "risk_tolerance", hi_t, lo_t, man) < _effect_of(
        model, "risk_tolerance", hi_t, lo_t, vol
    )
    assert _effect_of(model, "risk_tolerance", hi_c, lo_c, man) > _effect_of(
        model, "risk_tolerance", hi_c, lo_c, vol
    )


@pytest.mark.parametrize("target", ["trust", "faith"])
def test_conflict_resolution_dampens_conflict(model: bc.Model, target: str) -> None:
    """000 Atemporal elements [52]: conflict resolution dampens conflict's effect on trust and faith."""
    hi, lo = {"conflict": "high"}, {"conflict": "low"}
    weak = abs(
        _effect_of(
            model,
            target,
            {**hi, "conflict_resolution": "low"},
            {**lo, "conflict_resolution": "low"},
            {},
        )
    )
    strong = abs(
        _effect_of(
            model,
            target,
            {**hi, "conflict_resolution": "high"},
            {**lo, "conflict_resolution": "high"},
            {},
        )
    )
    assert strong < weak


def test_proximity_helps_communication_only_without_conflict(model: bc.Model) -> None:
    """000 Middle stage [44, 47, 81]: nearness aids communication, less so once conflict occurs."""
    near, far = {"geographic_proximity": "near"}, {"geographic_proximity": "far"}
    calm = _effect_of(model, "communication", {**near, "conflict": "low"}, {**far, "conflict": "low"}, {})
    fraught = _effect_of(
        model, "communication", {**near, "conflict": "high"}, {**far, "conflict": "high"}, {}
    )
    assert calm > 0
    assert fraught < calm


def test_backward_reasoning_from_poor_behaviour(model: bc.Model) -> None:
    """Observing little collaborative behaviour makes low trust and faith more likely (diagnosis)."""
    for node in ("trust", "faith", "risk_tolerance"):
        prior = model.query(node)["low"]
        post = model.query(node, evidence={"collaborative_behaviour": "low"})["low"]
        assert post > prior, node


def _performance_mechanisms(theory: bc.Theory) -> list[str]:
    return [n for n, s in theory.nodes.items() if s.stage == "performance" and s.kind == "mechanism"]


def test_collaboration_drives_every_performance_mechanism(model: bc.Model) -> None:
    """002 Chapter 6 (Box 2, Table 9, Figure 15): collaborative behaviour sets off the cultural
    efficacy, technological effectiveness and organisational efficiency mechanisms (including the
    unintended one, longer patient travel)."""
    for node in _performance_mechanisms(model.theory):
        assert (
            _effect_of(
                model,
                node,
                {"collaborative_behaviour": "high"},
                {"collaborative_behaviour": "low"},
                {},
            )
            > 1e-4
        ), node


def test_claims_touch_every_mechanism(theory: bc.Theory) -> None:
    touched = set()
    for c in CLAIMS:
        touched |= {c.target, *c.a, *c.b}
    touched |= {"conflict_resolution", "communication", "geographic_proximity", "risk_tolerance"}
    touched |= set(_performance_mechanisms(theory))
    mechanisms = {n for n, s in theory.nodes.items() if s.kind == "mechanism"}
    assert mechanisms <= touched, sorted(mechanisms - touched)
    assert len(CLAIMS) + 7 >= 25
