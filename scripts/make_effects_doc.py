"""Write docs/effects.md (and docs/effects.json) from the packaged models/ and priors/.

Run: ``.venv/bin/python scripts/make_effects_doc.py [--draws N] [--samples N]``. Prints the
time taken; the doc records it and the hash of its inputs (tests/test_effects.py checks both
the hash and a few entries against exact queries).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import bayescollab as bc
from bayescollab.claims import load_claims
from bayescollab.effects import effects_table, inputs_hash
from bayescollab.effects_report import claim_results, extremes, formalisation_table, mc_sd, render

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument(
        "--claims-from",
        type=Path,
        help="reuse the claims and extremes of an earlier run (a JSON with 'inputs', 'claims', "
        "'extremes'), refused unless its inputs hash is the current one",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    model = bc.load_model()
    rules = load_claims()
    table = effects_table(model, draws=args.draws, n_samples=args.samples)
    t_table = time.perf_counter() - start
    if args.claims_from is not None:
        earlier = json.loads(args.claims_from.read_text(encoding="utf-8"))
        if earlier.get("inputs") != inputs_hash():
            raise SystemExit(f"{args.claims_from} was computed for other inputs; expected {inputs_hash()}")
        claims, extreme = earlier["claims"], earlier["extremes"]
    else:
        claims, extreme = claim_results(model, rules), extremes(model)
    formal = formalisation_table(model)
    seconds = time.perf_counter() - start
    header = {
        "inputs": inputs_hash(),
        "draws": args.draws,
        "samples": args.samples,
        "mc_sd": mc_sd(table, args.samples),
        "seconds": seconds,
    }
    (DOCS / "effects.md").write_text(
        render(model, table, rules, claims, formal, header=header, extreme=extreme), encoding="utf-8"
    )
    payload = {
        "header": header,
        "claims": claims,
        "formalisation": formal,
        "extremes": extreme,
        "effects": [e.to_dict() for e in table],
    }
    (DOCS / "effects.json").write_text(json.dumps(payload, indent=0) + "\n", encoding="utf-8")
    print(
        f"effects table {t_table:.1f} s, claims + formalisation {seconds - t_table:.1f} s, "
        f"total {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
