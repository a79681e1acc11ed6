"""Write bayescollab/engine/shipped_plans.json: the plans of the packaged model's standard questions.

Runs the real console script for each standard question (every scenario's two outcome
queries, the no-evidence query, demo, draw, explain, sensitivity, and assess of the shipped
example survey) against an empty plan store with the shipped plans switched off, then keeps
every plan that store collected. Rerun it when the network's structure, the plan format or
the plan search changes; tests/test_shipped_plans.py fails until then.

    .venv/bin/python scripts/make_plans.py            # regenerate
    .venv/bin/python scripts/make_plans.py --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bayescollab.engine.plan import FORMAT  # noqa: E402
from bayescollab.engine.shipped import SHIPPED_ENV, SHIPPED_FILE, structure_fingerprint  # noqa: E402

HEADLINE = "mandated_cross_sector_ics_poor_history"
OUTCOMES = ("collaborative_behaviour", "collaborative_performance")
EXAMPLE = REPO / "models" / "examples" / "pilot_synthetic.csv"


def fingerprint(model) -> str:
    """The packaged model's structure fingerprint (what the shipped plans depend on)."""
    return structure_fingerprint(
        {n: model.parents(n) for n in model.nodes}, {n: len(model.states(n)) for n in model.nodes}
    )


def workloads(scenarios: list[str], scratch: Path) -> list[list[str]]:
    """The CLI commands whose plans are shipped (the first commands a new user types)."""
    runs = [["query", target, "-s", s] for s in scenarios for target in OUTCOMES]
    runs += [["query", target] for target in OUTCOMES]
    runs += [
        ["demo", "-o", str(scratch / "web.png"), "--force"],
        ["draw", "-o", str(scratch / "web_s.png"), "-s", HEADLINE, "--force"],
        ["explain", OUTCOMES[0], "-s", HEADLINE],
        ["sensitivity", OUTCOMES[0], "-s", HEADLINE],
        ["assess", str(EXAMPLE)],
    ]
    return runs


def collect(verbose: bool = True) -> dict:
    import bayescollab as bc

    model = bc.load_model(plan_store=None)
    exe = Path(sys.executable).with_name("bayescollab")
    with tempfile.TemporaryDirectory() as tmp:
        store, scratch = Path(tmp) / "plans", Path(tmp) / "out"
        scratch.mkdir()
        env = {**os.environ, "BAYESCOLLAB_PLAN_CACHE": str(store), SHIPPED_ENV: "off", "MPLBACKEND": "Agg"}
        for args in workloads(list(model.scenarios), scratch):
            start = time.perf_counter()
            subprocess.run([str(exe), *args], env=env, check=True, capture_output=True, cwd=REPO)
            if verbose:
                print(f"{time.perf_counter() - start:7.1f} s  bayescollab {' '.join(args)}", file=sys.stderr)
        plans = {}
        for entry in sorted(store.glob("*.json")):
            raw = json.loads(entry.read_text(encoding="utf-8"))
            plans[entry.stem] = {k: raw[k] for k in ("path", "multiply_adds", "largest")}
    return {
        "format": FORMAT,
        "structure": fingerprint(model),
        "generated_by": "scripts/make_plans.py",
        "plans": plans,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the shipped file is current")
    args = parser.parse_args()
    if args.check:
        import bayescollab as bc
        from bayescollab.engine.shipped import ShippedPlans

        shipped = ShippedPlans(SHIPPED_FILE)
        current = len(shipped) > 0 and shipped.header.get("structure") == fingerprint(
            bc.load_model(plan_store=None)
        )
        print(
            "shipped plans are current" if current else "shipped plans are stale: run scripts/make_plans.py"
        )
        return 0 if current else 1
    data = collect()
    SHIPPED_FILE.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(data['plans'])} plans to {SHIPPED_FILE.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
