"""Snapshot the numbers issue 11 is about, at the prior-mean θ (run before and after a CPT change).

Run: ``.venv/bin/python scripts/measure_cpt_faithfulness.py OUT.json``. It records every named
scenario's P(collaborative_behaviour) and P(collaborative_performance), the headline query, the
formalisation x form table (trust, confidence, risk_tolerance P(high)), the baseline marginals
of every mechanism and outcome, and each context's do() effect (P(high) under its most
favourable extreme minus under its least favourable) on trust and collaborative_behaviour.
"""

from __future__ import annotations

import json
import sys
import time

import bayescollab as bc

OUTCOMES = ("collaborative_behaviour", "collaborative_performance")
HEADLINE = "mandated_cross_sector_ics_poor_history"
FORMAL_TARGETS = ("trust", "confidence", "risk_tolerance")


def _round(d) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in d.items()}


def measure(model: bc.Model) -> dict:
    theory = model.theory
    out: dict = {"scenarios": {}, "formalisation": [], "baseline": {}, "context_effects": {}}
    for name, ev in model.scenarios.items():
        out["scenarios"][name] = {t: _round(model.query(t, evidence=ev)) for t in OUTCOMES}
    out["headline"] = _round(model.query("collaborative_behaviour", evidence=model.scenario(HEADLINE)))
    for mandated in model.states("mandated"):
        for level in model.states("integration_level"):
            for form in model.states("formalisation"):
                do = {"mandated": mandated, "integration_level": level, "formalisation": form}
                marg = model.query_marginals(list(FORMAL_TARGETS), do=do)
                out["formalisation"].append(
                    {**do, **{t: round(float(marg[t]["high"]), 4) for t in FORMAL_TARGETS}}
                )
    mechanisms = [n for n, s in theory.nodes.items() if s.kind != "context"]
    base = model.query_marginals(mechanisms)
    out["baseline"] = {n: _round(base[n]) for n in mechanisms}
    contexts = [n for n, s in theory.nodes.items() if s.kind == "context" and s.ordered]
    for ctx in contexts:
        states = model.states(ctx)
        lo, hi = states[0], states[-1]
        m_hi = model.query_marginals(["trust", "collaborative_behaviour"], do={ctx: hi})
        m_lo = model.query_marginals(["trust", "collaborative_behaviour"], do={ctx: lo})
        out["context_effects"][ctx] = {
            "contrast": f"{hi} - {lo}",
            **{
                t: round(float(m_hi[t]["high"] - m_lo[t]["high"]), 4)
                for t in ("trust", "collaborative_behaviour")
            },
        }
    return out


def table(before: dict, after: dict | None = None) -> str:
    """Markdown before(/after) tables of two snapshots written by :func:`measure`."""
    after = after or before
    pair = (lambda b, a: f"{b:.3f}") if after is before else (lambda b, a: f"{b:.3f} -> {a:.3f}")
    lines = ["| scenario | P(behaviour) low/med/high | P(performance=high) |", "|---|---|---|"]
    for name, row in before["scenarios"].items():
        b, a = row["collaborative_behaviour"], after["scenarios"][name]["collaborative_behaviour"]
        cells = " / ".join(pair(b[s], a[s]) for s in ("low", "medium", "high"))
        perf = pair(
            row["collaborative_performance"]["high"],
            after["scenarios"][name]["collaborative_performance"]["high"],
        )
        lines.append(f"| {name} | {cells} | {perf} |")
    lines += [
        "",
        "| mandated | integration | formalisation | trust | confidence | risk_tolerance |",
        "|---|---|---|---|---|---|",
    ]
    for b, a in zip(before["formalisation"], after["formalisation"], strict=True):
        cells = " | ".join(pair(b[t], a[t]) for t in FORMAL_TARGETS)
        lines.append(f"| {b['mandated']} | {b['integration_level']} | {b['formalisation']} | {cells} |")
    lines += ["", "| node (baseline) | P(low) | P(medium) | P(high) |", "|---|---|---|---|"]
    for n, d in before["baseline"].items():
        lines.append(
            f"| {n} | "
            + " | ".join(pair(d[s], after["baseline"][n][s]) for s in ("low", "medium", "high"))
            + " |"
        )
    lines += [
        "",
        "| context (do: last - first state) | contrast | trust | collaborative_behaviour |",
        "|---|---|---|---|",
    ]
    for c, d in before["context_effects"].items():
        e = after["context_effects"][c]
        lines.append(
            f"| {c} | {d['contrast']} | {pair(d['trust'], e['trust'])} | "
            f"{pair(d['collaborative_behaviour'], e['collaborative_behaviour'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "table":
        snaps = [json.load(open(p, encoding="utf-8")) for p in sys.argv[2:4]]
        print(table(*snaps))
        return
    start = time.perf_counter()
    result = measure(bc.load_model())
    result["seconds"] = round(time.perf_counter() - start, 2)
    text = json.dumps(result, indent=1)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
