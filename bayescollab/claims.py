"""Magnitude and interaction claims of the seeds, checked through the network.

``models/magnitude_claims.yaml`` holds the claims (each with its seed location) and the rule
that maps the seeds' wording ("essential", "drastically", "key", "most often", a plain
statement, a hypothesis) to the least effect the claim needs. A claim's value is computed by
exact queries at one θ (:func:`claim_value`), and for many prior draws at once by the
common-random-numbers sampler of :mod:`bayescollab.effects` (:func:`claim_draws`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

from bayescollab._paths import models_dir
from bayescollab.effects import _Sampler
from bayescollab.model import Model

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


def load_claims(root: Path | str | None = None) -> ClaimRules:
    """Read ``models/magnitude_claims.yaml``; unknown wordings raise with the known ones."""
    path = Path(root or models_dir()) / CLAIMS_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    claims = tuple(MagnitudeClaim(**c) for c in raw["claims"])
    rules = ClaimRules(
        wording_rule=dict(raw["wording_rule"]),
        interaction_rule=dict(raw["interaction_rule"]),
        hypothesis_max=float(raw["hypothesis_max"]),
        min_share_unhedged=float(raw["min_share_unhedged"]),
        draws=int(raw["draws"]),
        claims=claims,
    )
    for c in claims:
        rules.minimum(c)
    return rules


def _settings(claim: MagnitudeClaim) -> list[tuple[dict[str, str], dict[str, str]]]:
    """(do for a, do for b) per setting: one for an effect, (stronger, weaker) for an interaction."""
    if claim.kind == "effect":
        return [({**claim.given, **claim.a}, {**claim.given, **claim.b})]
    return [({**ctx, **claim.a}, {**ctx, **claim.b}) for ctx in (claim.stronger, claim.weaker)]


def _combine(claim: MagnitudeClaim, effects: list):
    if claim.kind == "effect":
        return claim.direction * effects[0]
    return np.abs(effects[0]) - np.abs(effects[1])


def claim_value(model: Model, claim: MagnitudeClaim) -> float:
    """The claim's value at the model's θ, by exact queries: the signed effect, or the interaction gap."""
    effects = []
    for do_a, do_b in _settings(claim):
        effects.append(
            model.query(claim.target, do=do_a)["high"] - model.query(claim.target, do=do_b)["high"]
        )
    return float(_combine(claim, effects))


def claim_draws(
    model: Model, claims: list[MagnitudeClaim], theta: np.ndarray, *, n_samples: int = 4000, seed: int = 11
) -> dict[str, np.ndarray]:
    """Claim id -> its value under each θ row (Monte Carlo with common random numbers)."""
    sampler = _Sampler(model, theta, n_samples, seed)
    out = {}
    for claim in claims:
        high = model.states(claim.target).index("high")
        effects = []
        for do_a, do_b in _settings(claim):
            runs = []
            for do in (do_a, do_b):
                idx = {n: model.states(n).index(s) for n, s in do.items()}
                below = set().union(*(sampler.descendants(n) for n in idx))
                runs.append((sampler.run(idx, only=below)[claim.target] == high).mean(axis=1))
            effects.append(runs[0] - runs[1])
        out[claim.id] = _combine(claim, effects)
    return out
