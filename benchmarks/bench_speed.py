"""THE speed benchmark of issue 13: every figure of its target table, in one process, one run.

Run: ``.venv/bin/python benchmarks/bench_speed.py [--quick] [--json] [--save] [--skip-cold]``.

Each figure is printed with the ratio against pgmpy and / or pyAgrum measured in the same run,
and the 1-minute load average beside it (the test machine's 2 cores are shared: a figure taken
under load is an upper bound). Sections:

1. the machine: dgemm GFLOP/s in float64 and float32 (numpy ``matmul`` of 2048² matrices);
2. contraction plans: opt_einsum's random greedy against the cotengra search, in flops;
3. the headline single query (bayescollab, pgmpy VE, pyAgrum LazyPropagation);
4. the 10,000-scenario sweep against the pyAgrum loop;
5. 1,000 prior θ draws of the headline query, float64 and float32, with the engine's GFLOP/s
   as a share of dgemm's;
6. warm single queries on the bnlearn networks shipped with pgmpy (asia … pigs), per network;
7. the cold CLI (``benchmarks/bench_cold.py: run()``), when that module is present.

pgmpy and pyAgrum are timed on subsets where a full loop would take hours; the output says so.
Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bnlearn

import bayescollab as bc

TARGET = "collaborative_behaviour"
HEADLINE = "mandated_cross_sector_ics_poor_history"
RESULTS = Path(__file__).resolve().parent / "results"


def load() -> float:
    return os.getloadavg()[0]


def median_s(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def say(line: str) -> None:
    print(line, flush=True)


# ----------------------------------------------------------------------------------- machine
def dgemm(n: int = 2048, repeat: int = 3) -> dict[str, float]:
    """GFLOP/s of one large matrix product, float64 and float32 (the machine's BLAS limit)."""
    out = {}
    for dtype in (np.float64, np.float32):
        a = np.random.default_rng(0).random((n, n)).astype(dtype)
        out[np.dtype(dtype).name] = 2 * n**3 / median_s(lambda a=a: a @ a, repeat) / 1e9
    return out


# ------------------------------------------------------------------------------------- plans
def plan_settings(model: bc.Model) -> dict[str, dict]:
    from bench_marginals import settings as survey_settings

    soft = next(v[1] for k, v in survey_settings(model).items() if k.startswith("pilot"))
    return {
        "headline": dict(evidence=model.scenario(HEADLINE)),
        "no evidence": {},
        "full instrument, soft evidence": dict(virtual_evidence=soft),
    }


def plans(model: bc.Model) -> dict[str, Any]:
    """Flops (opt_einsum's count) of the old search's plan and of the cotengra plan."""
    import opt_einsum

    from bayescollab.engine.plan import plan_search

    out = {}
    for name, kw in plan_settings(model).items():
        c = model.compile_query(model.setting(TARGET, **kw))._base
        expr, shapes = c.spec.expr, [o.shape for o in c.operands]
        state = random.getstate()
        try:
            _, old = opt_einsum.contract_path(
                expr, *shapes, optimize=opt_einsum.RandomGreedy(max_repeats=64), shapes=True
            )
        finally:
            random.setstate(state)
        start = time.perf_counter()
        new = plan_search(expr, shapes, 1)
        out[name] = {
            "operands": len(shapes),
            "opt_einsum_random_greedy_64_flops": float(old.opt_cost),
            "cotengra_flops": new.multiply_adds,
            "search_s": time.perf_counter() - start,
            "ratio": float(old.opt_cost) / new.multiply_adds,
            "load": load(),
        }
    return out


# ----------------------------------------------------------------------------- headline query
def agrum_packaged(model: bc.Model):
    import pyagrum as gum

    from bayescollab.pgmpy_bridge import export_network

    with tempfile.TemporaryDirectory() as tmp:
        bn = gum.loadBN(str(export_network(model, Path(tmp) / "m.bif", "bif")))
    return bn, gum.LazyPropagation(bn)


def agrum_query(ie, target: str, evidence: dict[str, str]) -> np.ndarray:
    ie.eraseAllEvidence()
    ie.eraseAllTargets()
    ie.addTarget(target)
    for node, state in evidence.items():
        ie.addEvidence(node, state)
    ie.makeInference()
    return np.asarray(ie.posterior(target).toarray())


def single_query(model: bc.Model, ie, repeat: int) -> dict[str, Any]:
    from pgmpy.inference import VariableElimination

    evidence = model.scenario(HEADLINE)
    ours = np.array(list(model.query(TARGET, evidence=evidence).values()))
    ours_s = median_s(lambda: model.query(TARGET, evidence=evidence), repeat)
    ve = VariableElimination(model.network)
    ref = ve.query([TARGET], evidence=evidence, show_progress=False).values
    pgmpy_s = median_s(lambda: ve.query([TARGET], evidence=evidence, show_progress=False), 1)
    agrum_s = median_s(lambda: agrum_query(ie, TARGET, evidence), 3)  # seconds per query here
    return {
        "bayescollab_s": ours_s,
        "pgmpy_ve_s": pgmpy_s,
        "pyagrum_lazy_s": agrum_s,
        "ratio_pgmpy_over_ours": pgmpy_s / ours_s,
        "ratio_pyagrum_over_ours": agrum_s / ours_s,
        "max_abs_diff_vs_pgmpy": float(np.abs(ours - ref).max()),
        "load": load(),
    }


# -------------------------------------------------------------------------------------- sweep
SIX = ["collaboration_form", "mandated", "cross_sector", "collaboration_history", "formalisation",
       "resource_capacity"]  # fmt: skip


def sweep(model: bc.Model, ie, n_cases: int, agrum_subset: int) -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    cases = [{n: model.states(n)[rng.integers(len(model.states(n)))] for n in SIX} for _ in range(n_cases)]
    model.query_batch(TARGET, cases[:10])
    start = time.perf_counter()
    batch = model.query_batch(TARGET, cases)
    ours_s = time.perf_counter() - start
    agrum_query(ie, TARGET, cases[0])
    start = time.perf_counter()
    theirs = [agrum_query(ie, TARGET, c) for c in cases[:agrum_subset]]
    agrum_total = (time.perf_counter() - start) / agrum_subset * n_cases
    diff = max(float(np.abs(batch.values[i] - theirs[i]).max()) for i in range(agrum_subset))
    return {
        "cases": n_cases,
        "bayescollab_s": ours_s,
        "pyagrum_loop_s": agrum_total,
        "pyagrum_extrapolated_from": agrum_subset,
        "ratio_pyagrum_over_ours": agrum_total / ours_s,
        "max_abs_diff_vs_pyagrum": diff,
        "load": load(),
    }


# -------------------------------------------------------------------------------------- draws
def draws(model: bc.Model, n_draws: int, peak: dict[str, float]) -> dict[str, Any]:
    """``n_draws`` prior draws of the headline query in float64 and float32 (plans warmed)."""
    from pgmpy.inference import VariableElimination

    evidence = model.scenario(HEADLINE)
    theta = model.sample_theta(n_draws, seed=7)
    query = model.compile_query(model.setting(TARGET, evidence=evidence))
    net = query.network(theta[:2], plan_runs=n_draws)
    flops = query._contraction(net).spec.plan.multiply_adds  # per draw, opt_einsum's count
    out: dict[str, Any] = {"draws": n_draws, "flops_per_draw": flops}
    values = {}
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        kw = {} if dtype is np.float64 else {"dtype": dtype}
        try:
            query.draws(theta[: min(16, n_draws)], **kw)  # warm: plan for n_draws runs below
        except TypeError:  # a version without the float32 option (a "before" run)
            out[name] = None
            continue
        start = time.perf_counter()
        values[name] = model.query_draws(TARGET, theta, evidence=evidence, **kw).values
        seconds = time.perf_counter() - start
        gflops = n_draws * flops / seconds / 1e9
        out[name] = {
            "seconds": seconds,
            "gflops": gflops,
            "share_of_dgemm": gflops / peak[name],
            "load": load(),
        }
    ve = VariableElimination(model.with_theta(theta[0]).network)
    ref = ve.query([TARGET], evidence=evidence, show_progress=False).values
    out["float64"]["max_abs_diff_vs_pgmpy_draw0"] = float(np.abs(values["float64"][0] - ref).max())
    if out["float32"] is not None:
        out["float32"]["max_abs_diff_vs_float64"] = float(np.abs(values["float32"] - values["float64"]).max())
    return out


def draws_many_targets(model: bc.Model, n_draws: int) -> dict[str, Any] | None:
    """``Model.query_marginals_draws`` as assess and the report use it: the first collaboration of
    the shipped pilot survey as soft evidence, every reported node a target, float32."""
    if not hasattr(model, "query_marginals_draws"):  # a "before" run: no such call yet
        return None
    from bayescollab._paths import models_dir
    from bayescollab.survey.assess import collaboration_evidence, prior_discrimination, reported_nodes
    from bayescollab.survey.ingest import read_survey
    from bayescollab.survey.instrument import load_instrument
    from bayescollab.survey.measurement import load_measurement_priors

    instrument = load_instrument(theory=model.theory)
    survey = read_survey(models_dir() / "examples" / "pilot_synthetic.csv", instrument)
    _, frame = next(iter(survey.groupby("collaboration_id", sort=True)))
    discrimination = prior_discrimination(instrument, load_measurement_priors())
    evidence = collaboration_evidence(frame, instrument, discrimination)
    nodes = reported_nodes(model, list(evidence))
    theta = model.sample_theta(n_draws, seed=3)
    model.query_marginals_draws(nodes, theta[:2], virtual_evidence=evidence, dtype=np.float32)  # plans
    wall, cpu = time.perf_counter(), time.process_time()
    model.query_marginals_draws(nodes, theta, virtual_evidence=evidence, dtype=np.float32)
    return {
        "draws": n_draws,
        "targets": len(nodes),
        "measured_nodes": len(evidence),
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "load": load(),
    }


# ------------------------------------------------------------------------------------ bnlearn
def bnlearn_table(names: tuple[str, ...], repeat: int) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        row = bnlearn.bench_network(name, repeat=repeat)
        row["load"] = load()
        rows.append(row)
        say(
            f"  {name:11s} {row['nodes']:4d} nodes  bayescollab {row['bayescollab_ms']:8.3f} ms  "
            f"pyAgrum {row['pyagrum_lazy_ms']:8.3f} ms  ours/pyAgrum {row['ratio_ours_over_pyagrum']:5.2f}  "
            f"max|diff| vs pgmpy {row['max_abs_diff_vs_pgmpy']:.1e}  (load {row['load']:.1f})"
        )
    return rows


def cold(quick: bool) -> dict[str, Any] | None:
    try:
        from bench_cold import run
    except ImportError:
        say("  (benchmarks/bench_cold.py not present: cold CLI figures skipped)")
        return None
    return run(repeat=1 if quick else 3)


# --------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/speed.json")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-bnlearn", action="store_true")
    parser.add_argument(
        "--allocator",
        choices=("default", "tuned"),
        default="tuned",
        help="tuned: this process takes the console script's memory settings (bayescollab.allocator)",
    )
    args = parser.parse_args()
    q = args.quick
    report: dict[str, Any] = {"cpu_count": os.cpu_count(), "load_start": load(), "allocator": args.allocator}
    if args.allocator == "tuned":
        from bayescollab.allocator import tune_allocator

        report["allocator_applied"] = tune_allocator()
    model = bc.load_model()
    peak = report["dgemm_gflops"] = dgemm()
    say(f"dgemm: {peak['float64']:.1f} GFLOP/s float64, {peak['float32']:.1f} float32 (load {load():.1f})")
    report["plans"] = plans(model)
    for name, r in report["plans"].items():
        say(
            f"plan {name:31s} opt_einsum random greedy {r['opt_einsum_random_greedy_64_flops']:.3g} flops, "
            f"cotengra {r['cotengra_flops']:.3g} ({r['ratio']:.1f}x fewer; search {r['search_s']:.2f} s)"
        )
    _, ie = agrum_packaged(model)
    r = report["single_query"] = single_query(model, ie, repeat=5 if q else 30)
    say(
        f"headline single query: {r['bayescollab_s'] * 1e3:.1f} ms; pgmpy VE {r['pgmpy_ve_s']:.2f} s "
        f"({r['ratio_pgmpy_over_ours']:.0f}x ours); pyAgrum {r['pyagrum_lazy_s'] * 1e3:.1f} ms "
        f"({r['ratio_pyagrum_over_ours']:.1f}x ours); max|diff| vs pgmpy {r['max_abs_diff_vs_pgmpy']:.1e} "
        f"(load {r['load']:.1f})"
    )
    r = report["sweep"] = sweep(model, ie, 500 if q else 10_000, 10 if q else 20)
    say(
        f"sweep of {r['cases']} scenarios: {r['bayescollab_s']:.2f} s; "
        f"pyAgrum loop {r['pyagrum_loop_s']:.1f} s (from {r['pyagrum_extrapolated_from']}) = "
        f"{r['ratio_pyagrum_over_ours']:.0f}x ours (load {r['load']:.1f})"
    )
    r = report["draws"] = draws(model, 64 if q else 1000, peak)
    for name in ("float64", "float32"):
        d = r[name]
        if d is None:
            say(f"{r['draws']} prior draws, {name}: not available in this version")
            continue
        say(
            f"{r['draws']} prior draws, {name}: {d['seconds']:.2f} s, {d['gflops']:.2f} GFLOP/s = "
            f"{100 * d['share_of_dgemm']:.1f}% of dgemm (load {d['load']:.1f})"
        )
    f32 = r["float32"]["max_abs_diff_vs_float64"] if r["float32"] else float("nan")
    pg = r["float64"]["max_abs_diff_vs_pgmpy_draw0"]
    say(f"  float64 draw 0 vs pgmpy {pg:.1e}; float32 vs float64 {f32:.1e}")
    r = report["draws_many_targets"] = draws_many_targets(model, 8 if q else 100)
    if r is None:
        say("draws x targets: not available in this version")
    else:
        say(
            f"{r['draws']} draws x {r['targets']} targets (soft evidence on {r['measured_nodes']} nodes, "
            f"float32, one call): {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU "
            f"(load {r['load']:.1f})"
        )
    if not args.skip_bnlearn:
        say("bnlearn networks (warm single query: 5 observed, 1 target, 20 cases; pyAgrum one target):")
        names = bnlearn.NETWORKS[:4] if q else bnlearn.NETWORKS
        report["bnlearn"] = bnlearn_table(names, repeat=2 if q else 5)
        slower = [row["network"] for row in report["bnlearn"] if row["ratio_ours_over_pyagrum"] > 1]
        say(f"  slower than pyAgrum on {len(slower)} of {len(report['bnlearn'])}: {slower}")
    if not args.skip_cold:
        report["cold"] = cold(q)
    report["load_end"] = load()
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / ("speed_quick.json" if q else "speed.json")).write_text(json.dumps(report, indent=2))
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
