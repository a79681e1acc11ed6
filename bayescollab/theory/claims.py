"""Load and check ``models/magnitude_claims.yaml``: the seeds' magnitude and interaction claims.

The file holds the rule that maps the seeds' wording ("essential", "drastically", "key", "most
often", a plain statement, a hypothesis) to the least effect a claim needs, and the claims
themselves, each with its seed location. It is theory data like the rest of ``models/``, so it
loads here and ``bayescollab validate`` checks it: every node and state a claim names must exist,
its target must have a ``high`` state, and its wording must have a rule. Computing the claims
through the network is an analysis (:mod:`bayescollab.claims`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

from bayescollab._paths import models_dir
from bayescollab.errors import Problem, TheoryError
from bayescollab.theory.core import Theory

__all__ = ["CLAIMS_FILE", "ClaimRules", "MagnitudeClaim", "check_claims", "load_claims"]

CLAIMS_FILE = "magnitude_claims.yaml"


@dataclass(frozen=True)
class MagnitudeClaim:
    """do(a) vs do(b) moves ``target``'s P(high) by at least the wording's minimum (times direction).

    ``kind: interaction``: the effect of a vs b is larger in ``stronger`` than in ``weaker``.
    """

    id: str
    target: str
    a: dict[str, str]
    b: dict[str, str]
    wording: str
    location: str
    paraphrase: str
    kind: Literal["effect", "interaction"] = "effect"
    direction: int = 1
    given: dict[str, str] = field(default_factory=dict)
    stronger: dict[str, str] = field(default_factory=dict)
    weaker: dict[str, str] = field(default_factory=dict)

    @property
    def hedged(self) -> bool:
        return self.wording == "hypothesis"


@dataclass(frozen=True)
class ClaimRules:
    wording_rule: dict[str, float]
    interaction_rule: dict[str, float]
    hypothesis_max: float
    min_share_unhedged: float
    draws: int
    claims: tuple[MagnitudeClaim, ...]

    def minimum(self, claim: MagnitudeClaim) -> float:
        table = self.interaction_rule if claim.kind == "interaction" else self.wording_rule
        if claim.wording not in table:
            raise ValueError(
                f"claim {claim.id}: wording {claim.wording!r} has no rule; expected one of {sorted(table)}"
            )
        return table[claim.wording]

    def holds(self, claim: MagnitudeClaim, value: np.ndarray | float) -> np.ndarray:
        """Whether ``value`` (a claim value, or one per draw) satisfies the claim."""
        value = np.asarray(value, dtype=float)
        ok = value > self.minimum(claim) if claim.hedged else value >= self.minimum(claim)
        if claim.hedged and claim.kind == "effect":
            ok &= value <= self.hypothesis_max
        return ok


def _parse(path: Path) -> ClaimRules:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TheoryError([Problem(CLAIMS_FILE, "file", f"cannot read {path}: {exc.strerror}")]) from None
    except yaml.YAMLError as exc:
        raise TheoryError([Problem(CLAIMS_FILE, "file", f"invalid YAML: {exc}")]) from None
    try:
        claims = tuple(MagnitudeClaim(**c) for c in raw["claims"])
        return ClaimRules(
            wording_rule=dict(raw["wording_rule"]),
            interaction_rule=dict(raw["interaction_rule"]),
            hypothesis_max=float(raw["hypothesis_max"]),
            min_share_unhedged=float(raw["min_share_unhedged"]),
            draws=int(raw["draws"]),
            claims=claims,
        )
    except (KeyError, TypeError, ValueError) as exc:
        expected = "wording_rule, interaction_rule, hypothesis_max, min_share_unhedged, draws, claims"
        raise TheoryError(
            [
                Problem(
                    CLAIMS_FILE, "file", f"malformed ({type(exc).__name__}: {exc}); expected keys {expected}"
                )
            ]
        ) from None


def check_claims(rules: ClaimRules, theory: Theory) -> list[Problem]:
    """Every node, state and wording a claim names, against the theory and the rules."""
    problems: list[Problem] = []
    for claim in rules.claims:
        where = f"claim {claim.id}"
        if claim.target not in theory.nodes:
            problems.append(Problem(CLAIMS_FILE, where, f"unknown target {claim.target!r}"))
        elif "high" not in theory.nodes[claim.target].states:
            states = list(theory.nodes[claim.target].states)
            problems.append(
                Problem(CLAIMS_FILE, where, f"target {claim.target!r} has no state 'high': {states}")
            )
        for part in (claim.a, claim.b, claim.given, claim.stronger, claim.weaker):
            for node, state in part.items():
                if node not in theory.nodes:
                    problems.append(Problem(CLAIMS_FILE, where, f"unknown node {node!r}"))
                elif state not in theory.nodes[node].states:
                    states = list(theory.nodes[node].states)
                    problems.append(
                        Problem(
                            CLAIMS_FILE, where, f"unknown state {state!r} of {node}; expected one of {states}"
                        )
                    )
        try:
            rules.minimum(claim)
        except ValueError as exc:
            problems.append(Problem(CLAIMS_FILE, where, str(exc)))
    return problems


def load_claims(root: Path | str | None = None, *, theory: Theory | None = None) -> ClaimRules:
    """Read ``models/magnitude_claims.yaml``; with ``theory``, refuse claims it cannot express."""
    rules = _parse(Path(root or models_dir()) / CLAIMS_FILE)
    problems = check_claims(rules, theory) if theory is not None else []
    if theory is None:
        for claim in rules.claims:
            try:
                rules.minimum(claim)
            except ValueError as exc:
                problems.append(Problem(CLAIMS_FILE, f"claim {claim.id}", str(exc)))
    if problems:
        raise TheoryError(problems)
    return rules
