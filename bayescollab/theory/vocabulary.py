"""The public vocabulary contract of DESIGN.md: node ids and their states, low -> high.

Other code and outside checks rely on these names, so validation refuses a ``models/nodes.yaml``
that drops or reorders any of them. New nodes and states may be added freely.
"""

from __future__ import annotations

LMH = ("low", "medium", "high")

#: The outcome the analyses ask about by default (the theory's headline outcome).
TARGET = "collaborative_behaviour"

MECHANISMS_AND_OUTCOMES: tuple[str, ...] = (
    "initial_trust",
    "trust",
    "confidence",
    "risk_tolerance",
    "initial_faith",
    "faith",
    "perceived_task_complexity",
    "perceived_legitimacy",
    "perception_of_progress",
    "conflict",
    "conflict_resolution",
    "cultural_assimilation",
    "communication",
    "vision_clarity",
    "vision_sharedness",
    "collaborative_behaviour",
    "collaborative_performance",
)

CONTEXTS: dict[str, tuple[str, ...]] = {
    "collaboration_form": (
        "buddying",
        "clinical_network",
        "alliance",
        "joint_venture",
        "merger",
        "integrated_care_system",
        "primary_care_network",
    ),
    "integration_level": LMH,
    "mandated": ("voluntary", "mandated"),
    "cross_sector": ("no", "yes"),
    "collaboration_history": ("positive", "neutral", "poor"),
    "formalisation": ("none", "non_binding", "binding"),
    "partner_scale": ("small", "large"),
    "geographic_proximity": ("near", "far"),
    "regulatory_environment": ("favourable", "neutral", "unfavourable"),
    "resource_capacity": ("adequate", "constrained"),
    "leadership_style": ("collaborative", "mixed", "combative"),
    "leadership_stability": ("stable", "turnover"),
    "workforce_stability": ("stable", "unstable"),
    "stakeholder_involvement": ("low", "high"),
    "patient_public_engagement": ("low", "high"),
    "power_imbalance": ("low", "high"),
    "cultural_distance": ("low", "high"),
    "quick_wins": ("no", "yes"),
    "ambition": ("unambitious", "realistic", "overambitious"),
    "evaluation_dissemination": ("weak", "strong"),
    "it_interoperability": ("low", "high"),
    "accountability_arrangements": ("weak", "strong"),
    "joint_working": ("low", "high"),
    "task_failure": ("no", "yes"),
    "form_reputation": ("positive", "negative"),
    "perceived_threat": ("no", "yes"),
}

CONTRACT: dict[str, tuple[str, ...]] = {
    **{node: LMH for node in MECHANISMS_AND_OUTCOMES},
    **CONTEXTS,
}

#: Known ordinal scales; a node using one of these state sets must list them in this order.
ORDINAL_SCALES: tuple[tuple[str, ...], ...] = (
    LMH,
    ("low", "high"),
    ("no", "yes"),
    ("weak", "strong"),
    ("none", "non_binding", "binding"),
    ("small", "large"),
    ("near", "far"),
    ("positive", "neutral", "poor"),
    ("favourable", "neutral", "unfavourable"),
    ("adequate", "constrained"),
    ("collaborative", "mixed", "combative"),
    ("stable", "turnover"),
    ("stable", "unstable"),
    ("unambitious", "realistic", "overambitious"),
    ("positive", "negative"),
    ("voluntary", "mandated"),
)
