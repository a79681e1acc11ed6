"""Render ``docs/theory.md`` from ``models/``: nodes, edges, feedback, interactions, CMOCs.

The document is generated, never edited by hand; tests/test_docs_generated.py checks it matches
the data. Regenerate with

    .venv/bin/python scripts/docs_theory.py > docs/theory.md
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from bayescollab.theory.core import Theory
from bayescollab.theory.load import load_theory
from bayescollab.theory.schema import SeedRef


def _ref(ref: SeedRef) -> str:
    cites = ", ".join(str(c) for c in ref.citations)
    return f"{ref.seed[:3]} {ref.location}" + (f" [{cites}]" if cites else "")


def _sign(sign: int) -> str:
    return {1: "+", -1: "−", 0: "moderator"}[sign]


def _terms(terms) -> str:
    return ", ".join(f"{t.node}={t.state}" for t in terms) or "—"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_theory_markdown(theory: Theory) -> str:
    """The whole theory as one Markdown document."""
    out: list[str] = [
        "# The programme theory as encoded in `models/`",
        "",
        "Generated from `models/` by `scripts/docs_theory.py`; do not edit by hand.",
        "Seed files: 000 = Aunger, Millar & Greenhalgh 2021 (refined theory); 001 = initial realist",
        "review; 002 = NIHR HSDR final report 2023; 003 = initial realist theory of partnering.",
        "Citation numbers in brackets are those printed in the seed at that location.",
        "",
        f"{len(theory.nodes)} nodes, {len(theory.edges)} edges in the static DAG, "
        f"{len(theory.feedback_edges)} feedback edges, {len(theory.interactions)} interaction terms, "
        f"{len(theory.cmocs)} CMOC records.",
        "",
        "## Nodes",
        "",
        "| id | kind | stage | states (low → high) | definition | source |",
        "|---|---|---|---|---|---|",
    ]
    for n in theory.nodes.values():
        out.append(
            f"| `{n.id}` | {n.kind} | {n.stage} | {', '.join(n.states)} | {_cell(n.definition)} "
            f"| {_cell(_ref(n.source))} |"
        )
    out += [
        "",
        "## Edges (static DAG)",
        "",
        "| parent | child | sign | supporting CMOCs | conflicting |",
        "|---|---|---|---|---|",
    ]
    for e in theory.edges:
        out.append(
            f"| `{e.parent}` | `{e.child}` | {_sign(e.sign)} | {', '.join(e.cmocs)} "
            f"| {', '.join(e.conflicting) or '—'} |"
        )
    out += [
        "",
        "## Feedback edges (cut from the static DAG, kept for a dynamic model)",
        "",
        "| parent | child | sign | CMOCs | why cut |",
        "|---|---|---|---|---|",
    ]
    for e in theory.feedback_edges:
        out.append(
            f"| `{e.parent}` | `{e.child}` | {'+' if e.sign > 0 else '−'} | {', '.join(e.cmocs)} "
            f"| {_cell(e.feedback_reason or '')} |"
        )
    out += [
        "",
        "## Interaction (moderation) terms",
        "",
        "| id | child | effect of | moderated by | sign | CMOCs | paraphrase |",
        "|---|---|---|---|---|---|---|",
    ]
    for i in theory.interactions:
        out.append(
            f"| {i.id} | `{i.child}` | `{i.parent}` | `{i.modifier}` | {i.sign:+d} "
            f"| {', '.join(i.cmocs)} | {_cell(i.paraphrase)} |"
        )
    by_file: dict[str, list[str]] = defaultdict(list)
    for cid, fname in theory.cmoc_files.items():
        by_file[fname].append(cid)
    stage_counts = Counter(s.stage for r in theory.cmocs.values() for s in r.sources)
    out += [
        "",
        "## CMOC records",
        "",
        "Sources by evidence stage: " + ", ".join(f"{k} {v}" for k, v in sorted(stage_counts.items())),
        "",
    ]
    for fname in sorted(by_file):
        out += [
            f"### `{fname}`",
            "",
            "| id | context | mechanism | outcome | dir. | paraphrase | sources | hyp. | in CPT |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for cid in by_file[fname]:
            r = theory.cmocs[cid]
            used = "yes" if r.shapes_cpt else f"no: {r.why_not_cpt}"
            out.append(
                f"| {r.id} | {_terms(r.context)} | {_terms(r.mechanism)} | {_terms(r.outcome)} "
                f"| {'+' if r.direction == 'positive' else '−'} | {_cell(r.paraphrase)} "
                f"| {_cell('; '.join(_ref(s) for s in r.sources))} | {'yes' if r.hypothesis else ''} "
                f"| {_cell(used)} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    sys.stdout.write(render_theory_markdown(load_theory()))


if __name__ == "__main__":
    main()
