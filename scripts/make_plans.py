"""Write the shipped plans (engine/shipped_plans.json) and model inputs (shipped_model.bin).

Runs the real console script for each standard question (every scenario's two outcome
queries, the no-evidence query, demo, draw, explain, sensitivity, and assess and report of
the shipped example survey) against an empty plan store with the shipped plans switched off, then keeps
every plan that store collected. Rerun it when the network's structure, the plan format or
the plan search changes; tests/test_shipped_plans.py fails until then.

It also writes the model inputs load_model derives (the validated theory, settings, θ layout
and prior-mean CPTs, bayescollab/model_cache.py), keyed by a hash of models/, priors/ and the
code that derives them; rerun with ``--model`` (a second) when any of those change.

    .venv/bin/python scripts/make_plans.py            # regenerate both
    .venv/bin/python scripts/make_plans.py --model    # regenerate only the model inputs
    .venv/bin/python scripts/make_plans.py --check    # exit 1 if either file is stale
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

import numpy as np

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
        # the report's interval draws (scripts/demo.sh runs it with --seed 1; the plans do not
        # depend on the seed, only on the draw count's bucket)
        ["report", str(EXAMPLE), "-o", str(scratch / "report.html"), "--seed", "1", "--force"],
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


def write_model() -> None:
    """Derive the packaged model's inputs from the files (no cache, nothing shipped) and ship them."""
    from bayescollab._paths import models_dir, priors_dir
    from bayescollab.model_cache import SHIPPED_MODEL_ENV, SHIPPED_MODEL_FILE, write_shipped

    os.environ[SHIPPED_MODEL_ENV] = "off"
    os.environ["BAYESCOLLAB_MODEL_CACHE"] = "off"
    import dataclasses

    import bayescollab as bc
    from bayescollab.model import derive_model_inputs

    entry = derive_model_inputs()
    model = bc.load_model(plan_store=None)  # the same inputs (nothing shipped, no cache)
    marginals = model.query_marginals(model.nodes)
    entry = dataclasses.replace(
        entry, prior_marginals={n: np.array(list(d.values()), dtype=float) for n, d in marginals.items()}
    )
    key = write_shipped(entry, models_dir(), priors_dir())
    print(f"wrote the model inputs (key {key}) to {SHIPPED_MODEL_FILE.relative_to(REPO)}", file=sys.stderr)


def check() -> int:
    import bayescollab as bc
    from bayescollab._paths import models_dir, priors_dir
    from bayescollab.engine.shipped import ShippedPlans
    from bayescollab.model_cache import shipped_is_current

    shipped = ShippedPlans(SHIPPED_FILE)
    plans = len(shipped) > 0 and shipped.header.get("structure") == fingerprint(
        bc.load_model(plan_store=None)
    )
    model = shipped_is_current(models_dir(), priors_dir())
    print("shipped plans are current" if plans else "shipped plans are stale: run scripts/make_plans.py")
    print(
        "shipped model inputs are current"
        if model
        else "shipped model inputs are stale: run scripts/make_plans.py --model"
    )
    return 0 if plans and model else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the shipped files are current")
    parser.add_argument("--model", action="store_true", help="regenerate only the shipped model inputs")
    args = parser.parse_args()
    if args.check:
        return check()
    write_model()
    if args.model:
        return 0
    data = collect()
    SHIPPED_FILE.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(data['plans'])} plans to {SHIPPED_FILE.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
