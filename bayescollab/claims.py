"""Magnitude and interaction claims of the seeds, checked through the network.

``models/magnitude_claims.yaml`` (loaded and checked by :mod:`bayescollab.theory.claims`)
holds the claims (each with its seed location) and the rule
that maps the seeds' wording ("essential", "drastically", "key", "most often", a plain
statement, a hypothesis) to the least effect the claim needs. A claim's value is computed by
exact queries at one θ (:func:`claim_value`), and for many prior draws at once by the same
exact queries with the draws riding on the CPT tensors (:func:`claim_draws`).
"""

from __future__ import annotations

import numpy as np

from bayescollab.model import Model
from bayescollab.theory.claims import CLAIMS_FILE, ClaimRules, MagnitudeClaim, load_claims

__all__ = ["CLAIMS_FILE", "ClaimRules", "MagnitudeClaim", "claim_draws", "claim_value", "load_claims"]


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


def claim_draws(model: Model, claims: list[MagnitudeClaim], theta: np.ndarray) -> dict[str, np.ndarray]:
    """Claim id -> its value under each θ row, by exact do() queries over the draws.

    Each (target, do) setting is compiled once and run for all rows of ``theta`` at once
    (:meth:`bayescollab.compiled.CompiledQuery.draws`), so the share of draws in which a claim
    holds carries no Monte Carlo error.
    """
    compiled: dict[tuple, np.ndarray] = {}

    def p_high(target: str, do: dict[str, str]) -> np.ndarray:
        key = (target, tuple(sorted(do.items())))
        if key not in compiled:
            query = model.compile_query(model.setting(target, do=do))
            compiled[key] = query.draws(theta)[:, model.states(target).index("high")]
        return compiled[key]

    out = {}
    for claim in claims:
        effects = [p_high(claim.target, do_a) - p_high(claim.target, do_b) for do_a, do_b in _settings(claim)]
        out[claim.id] = _combine(claim, effects)
    return out
