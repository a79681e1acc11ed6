"""Render ``docs/effects.md``: the effects table, the formalisation x form table, the claims.

The text is generated from ``models/`` and ``priors/`` (``scripts/make_effects_doc.py`` writes
it); the header records :func:`bayescollab.effects.inputs_hash` so a test can tell when the
doc no longer matches its inputs.
"""

from __future__ import annotations

import numpy as np

from bayescollab.claims import ClaimRules, MagnitudeClaim, claim_draws, claim_value
from bayescollab.effects import Effect
from bayescollab.model import Model

FORMAL_TARGETS = ("trust", "confidence", "risk_tolerance")
#: entries smaller than this (in absolute value, with an interval containing 0) are left out
SHOW_AT_LEAST = 0.01


def formalisation_table(model: Model) -> list[dict]:
    """P(high) of trust, confidence and risk tolerance per formalisation x mandated x integration (exact)."""
    rows = []
    for mandated in model.states("mandated"):
        for level in model.states("integration_level"):
            for form in model.states("formalisation"):
                do = {"mandated": mandated, "integration_level": level, "formalisation": form}
                marg = model.query_marginals(list(FORMAL_TARGETS), do=do)
                rows.append({**do, **{t: round(float(marg[t]["high"]), 4) for t in FORMAL_TARGETS}})
    return rows


#: a mechanism state below / above these under one named scenario or form setting is near-certain
EXTREME_BOUNDS = (0.02, 0.98)


def form_settings(model: Model) -> dict[str, dict[str, str]]:
    """The named scenarios and every mandated x integration x formalisation setting, by label."""
    out = {f"scenario {name}": dict(do) for name, do in model.scenarios.items()}
    for mandated in model.states("mandated"):
        for level in model.states("integration_level"):
            for form in model.states("formalisation"):
                out[f"form {mandated}/{level}/{form}"] = {
                    "mandated": mandated,
                    "integration_level": level,
                    "formalisation": form,
                }
    return out


def extremes(
    model: Model, settings: dict[str, dict[str, str]] | None = None, nodes: list[str] | None = None
) -> list[dict]:
    """Every mechanism state outside :data:`EXTREME_BOUNDS` under one setting (exact, prior-mean θ).

    A seed may call a determinant essential; otherwise a single named scenario or form setting
    should leave each mechanism some doubt (issue 11: stacked moderations made confidence
    near-certain). ``tests/test_magnitudes.py`` reads this list from ``docs/effects.json``.
    """
    lo, hi = EXTREME_BOUNDS
    mechanisms = nodes or [n for n, s in model.theory.nodes.items() if s.kind != "context"]
    out = []
    for label, do in (form_settings(model) if settings is None else settings).items():
        targets = [n for n in mechanisms if n not in do]
        marg = model.query_marginals(targets, do=do)
        for node in targets:
            for state, p in marg[node].items():
                if not lo <= float(p) <= hi:
                    out.append({"setting": label, "node": node, "state": state, "p": round(float(p), 4)})
    return out


def claim_results(model: Model, rules: ClaimRules, *, seed: int = 11) -> list[dict]:
    """Each claim: exact value at the prior mean, whether it holds, share of prior draws in which it holds."""
    theta = model.sample_theta(rules.draws, seed=seed)
    draws = claim_draws(model, list(rules.claims), theta)
    out = []
    for c in rules.claims:
        value = claim_value(model, c)
        out.append(
            {
                "id": c.id,
                "kind": c.kind,
                "target": c.target,
                "wording": c.wording,
                "minimum": rules.minimum(c),
                "value": round(value, 4),
                "holds_at_mean": bool(rules.holds(c, value)),
                "share_of_draws": round(float(rules.holds(c, draws[c.id]).mean()), 3),
                "needs_share": None if c.hedged else rules.min_share_unhedged,
                "location": c.location,
                "paraphrase": c.paraphrase,
            }
        )
    return out


def _claims_by_pair(claims: tuple[MagnitudeClaim, ...]) -> dict[tuple[str, str], list[MagnitudeClaim]]:
    out: dict[tuple[str, str], list[MagnitudeClaim]] = {}
    for c in claims:
        if c.kind == "effect" and len(c.a) == 1:
            out.setdefault((next(iter(c.a)), c.target), []).append(c)
    return out


def _seed_note(model: Model, e: Effect, claimed: dict) -> str:
    notes = [
        f"{c.id} ({c.wording}): {c.paraphrase} [{c.location}]" for c in claimed.get((e.source, e.target), [])
    ]
    if e.source in model.parents(e.target):
        edge = model.theory.edge(e.source, e.target)
        recs = [r for r in edge.cmocs if r in model.theory.cmocs]
        if recs:
            src = model.theory.cmocs[recs[0]].sources[0]
            more = f" +{len(recs) - 1}" if len(recs) > 1 else ""
            notes.append(f"direct link: {recs[0]}{more} ({src.seed[:3]} {src.location})")
        else:
            notes.append("direct link added for a moderation (main effect not stated)")
    return "; ".join(notes) or "seeds silent"


def render(
    model: Model,
    table: list[Effect],
    rules: ClaimRules,
    claims: list[dict],
    formal: list[dict],
    *,
    header: dict,
    extreme: list[dict] | None = None,
) -> str:
    """The whole document as markdown."""
    lines = [
        "# Effects of every context and mechanism (generated)",
        "",
        "<!-- generated by scripts/make_effects_doc.py; do not edit by hand -->",
        f"<!-- inputs: {header['inputs']} -->",
        "",
        "Each entry is P(target = high | do(source = first-named state)) minus P(target = high | "
        "do(source = second-named state)), at the prior-mean θ, with the 5-95% range over "
        f"{header['draws']} prior draws of θ. Computed by forward sampling with common random numbers "
        f"({header['samples']} samples per draw; Monte Carlo sd of an entry about {header['mc_sd']:.3f}; "
        "a target that is not downstream of the source has effect exactly 0 and is not listed). "
        f"Entries below {SHOW_AT_LEAST} whose interval contains 0 are left out. Beside each entry: the "
        "seed claims about it (magnitude claims from `models/magnitude_claims.yaml`, and the records "
        "behind a direct link) or *seeds silent*. For an adverse target (conflict, task complexity, "
        "tension, travel distance) a positive entry is bad news. "
        f"Generation took {header['seconds']:.0f} s.",
        "",
        "## Formalisation x form (exact, prior-mean θ): P(high)",
        "",
        "| mandated | integration | formalisation | trust | confidence | risk_tolerance |",
        "|---|---|---|---|---|---|",
    ]
    for r in formal:
        lines.append(
            f"| {r['mandated']} | {r['integration_level']} | {r['formalisation']} | "
            + " | ".join(f"{r[t]:.3f}" for t in FORMAL_TARGETS)
            + " |"
        )
    lines += _claims_section(rules, claims)
    if extreme is not None:
        lines += _extremes_section(extreme)
    claimed = _claims_by_pair(rules.claims)
    lines += ["", "## Effects by source", ""]
    by_source: dict[str, list[Effect]] = {}
    for e in table:
        by_source.setdefault(e.source, []).append(e)
    for source, rows in by_source.items():
        shown = [e for e in rows if abs(e.mean) >= SHOW_AT_LEAST or e.lo > 0 or e.hi < 0]
        if not shown:
            continue
        kind = model.theory.nodes[source].kind
        lines += [
            f"### {source} ({kind}; {rows[0].contrast[0]} vs {rows[0].contrast[1]})",
            "",
            "| target | effect | 90% over draws | seeds |",
            "|---|---|---|---|",
        ]
        for e in sorted(shown, key=lambda e: -abs(e.mean)):
            note = _seed_note(model, e, claimed)
            lines.append(f"| {e.target} | {e.mean:+.3f} | [{e.lo:+.3f}, {e.hi:+.3f}] | {note} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _extremes_section(extreme: list[dict]) -> list[str]:
    lo, hi = EXTREME_BOUNDS
    lines = [
        "",
        "## Near-certain states",
        "",
        f"Mechanism states with P below {lo:g} or above {hi:g} under one named scenario or one "
        "mandated x integration x formalisation setting (exact, prior-mean θ). Each must rest on a "
        "determinant the seeds call essential (`tests/test_magnitudes.py`, NEAR_CERTAIN_ALLOWED).",
        "",
    ]
    if not extreme:
        return [*lines, "None.", ""]
    lines += ["| setting | node | state | P |", "|---|---|---|---|"]
    lines += [f"| {e['setting']} | {e['node']} | {e['state']} | {e['p']:.4f} |" for e in extreme]
    return lines


def _claims_section(rules: ClaimRules, claims: list[dict]) -> list[str]:
    held = sum(c["holds_at_mean"] for c in claims)
    unhedged = [c for c in claims if c["needs_share"] is not None]
    ok_share = sum(c["share_of_draws"] >= c["needs_share"] for c in unhedged)
    rule = ", ".join(f"{k} >= {v:g}" for k, v in rules.wording_rule.items())
    irule = ", ".join(f"{k} >= {v:g}" for k, v in rules.interaction_rule.items())
    lines = [
        "",
        "## Magnitude and interaction claims",
        "",
        f"Wording rule (least P(high) difference, `models/magnitude_claims.yaml`): {rule}; a hypothesis "
        f"must keep its direction and stay at most {rules.hypothesis_max:g}. Interactions (the gap between "
        f"the effect's size in the two settings): {irule}. {held} of {len(claims)} claims hold at the "
        f"prior mean (exact queries); {ok_share} of {len(unhedged)} unhedged claims hold in at least "
        f"{rules.min_share_unhedged:.0%} of {rules.draws} prior draws.",
        "",
        "| claim | target | wording | least | value at prior mean | holds | share of draws | seed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in claims:
        mark = "yes" if c["holds_at_mean"] else "**no**"
        share = f"{c['share_of_draws']:.2f}"
        if c["needs_share"] is not None and c["share_of_draws"] < c["needs_share"]:
            share = f"**{share}**"
        lines.append(
            f"| {c['id']} | {c['target']} | {c['wording']} | {c['minimum']:g} | {c['value']:+.3f} | {mark} "
            f"| {share} | {c['paraphrase']} [{c['location']}] |"
        )
    return lines


def mc_sd(table: list[Effect], n_samples: int) -> float:
    """Rough Monte Carlo sd of one entry: two CRN-coupled proportions, bounded by the independent case."""
    return float(np.sqrt(2 * 0.25 / n_samples))
