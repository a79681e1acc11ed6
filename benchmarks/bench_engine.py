"""Engine benchmarks: bayescollab vs pgmpy VE vs pyAgrum LazyPropagation, all in one run.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--quick] [--json] [--save] [--skip-loglik]``.

Sections (packaged model unless said otherwise):

1. single-query latency of the headline query;
2. a 10,000-scenario sweep over six contexts for ``collaborative_behaviour``;
3. 1,000 θ draws from the prior, the headline query under each;
4. log-likelihood plus gradient for 500 partially observed cases (PyTensor backend);
5. scaling on random networks of 50, 100 and 200 nodes at the packaged model's in-degree.

pgmpy is far too slow to run every case of sections 2 and 3 (seconds per query), so its loop is
timed on a subset and extrapolated linearly; the output says so. Peak memory is measured with
tracemalloc around each engine call. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import bayescollab as bc
from bayescollab.engine.batch import case_likelihoods, query_cases
from bayescollab.engine.exact import Network, build_contraction, contract_joint, query_joint
from bayescollab.engine.sample import forward_sample
from bayescollab.pgmpy_bridge import export_network

TARGET = "collaborative_behaviour"
SCENARIO = "mandated_cross_sector_ics_poor_history"
SIX = [
    "collaboration_form",
    "mandated",
    "cross_sector",
    "collaboration_history",
    "formalisation",
    "resource_capacity",
]
LOGLIK_NODES = [
    "collaboration_form", "mandated", "cross_sector", "collaboration_history", "resource_capacity",
    "trust", "conflict", "communication", "faith", "collaborative_behaviour",
]  # fmt: skip
RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    return statistics.median(timed(fn)[0] for _ in range(repeat))


def peak_mib(fn: Callable[[], Any]) -> float:
    """Peak traced Python/numpy allocation while ``fn`` runs, in MiB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- pyAgrum
def agrum_engine(bif: Path):
    import pyagrum as gum

    bn = gum.loadBN(str(bif))
    return bn, gum.LazyPropagation(bn)


def agrum_query(bn, ie, target: str, evidence: dict[str, str]) -> np.ndarray:
    ie.eraseAllEvidence()
    for node, state in evidence.items():
        ie.addEvidence(node, state)
    ie.makeInference()
    return np.asarray(ie.posterior(target).toarray())


# ------------------------------------------------------------------------------------- sections
def single_query(model: bc.Model, bif: Path, repeat: int, pgmpy_repeat: int) -> dict[str, Any]:
    from pgmpy.inference import VariableElimination

    evidence = model.scenario(SCENARIO)
    first, ours = timed(lambda: model.query(TARGET, evidence=evidence))
    ours_s = median_time(lambda: model.query(TARGET, evidence=evidence), repeat)
    ve = VariableElimination(model.network)
    ref = ve.query([TARGET], evidence=evidence, show_progress=False).values
    pgmpy_s = median_time(lambda: ve.query([TARGET], evidence=evidence, show_progress=False), pgmpy_repeat)
    t_load, (bn, ie) = timed(lambda: agrum_engine(bif))
    agrum_first, agrum = timed(lambda: agrum_query(bn, ie, TARGET, evidence))
    agrum_s = median_time(lambda: agrum_query(bn, ie, TARGET, evidence), repeat)
    return {
        "bayescollab_s": ours_s,
        "bayescollab_first_call_s": first,
        "pgmpy_ve_s": pgmpy_s,
        "pyagrum_lazy_s": agrum_s,
        "pyagrum_first_call_s": agrum_first,
        "pyagrum_load_s": t_load,
        "ratio_pgmpy_over_ours": pgmpy_s / ours_s,
        "ratio_ours_over_pyagrum": ours_s / agrum_s,
        "max_abs_diff_vs_pgmpy": float(np.abs(np.array(list(ours.values())) - ref).max()),
        "max_abs_diff_pyagrum_vs_pgmpy": float(np.abs(agrum - ref).max()),
        "peak_mib": peak_mib(lambda: model.query(TARGET, evidence=evidence)),
    }


def random_cases(model: bc.Model, n: int, seed: int) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    return [
        {node: model.states(node)[rng.integers(len(model.states(node)))] for node in SIX} for _ in range(n)
    ]


def sweep(model: bc.Model, bif: Path, n_cases: int, pgmpy_subset: int, agrum_subset: int) -> dict[str, Any]:
    from pgmpy.inference import VariableElimination

    cases = random_cases(model, n_cases, seed=2026)
    first, batch = timed(lambda: model.query_batch(TARGET, cases))
    ours_s, batch = timed(lambda: model.query_batch(TARGET, cases))
    grid_s, grid = timed(lambda: model.sweep(TARGET, SIX))
    ve = VariableElimination(model.network)
    pg_s, refs = timed(
        lambda: [ve.query([TARGET], evidence=c, show_progress=False).values for c in cases[:pgmpy_subset]]
    )
    bn, ie = agrum_engine(bif)
    agrum_query(bn, ie, TARGET, cases[0])  # warm
    ag_n = min(agrum_subset, n_cases)
    ag_s, ag = timed(lambda: [agrum_query(bn, ie, TARGET, c) for c in cases[:ag_n]])
    pgmpy_total = pg_s / pgmpy_subset * n_cases
    agrum_total = ag_s / ag_n * n_cases
    diffs = [np.abs(batch.values[i] - refs[i]).max() for i in range(pgmpy_subset)]
    agrum_diffs = [np.abs(batch.values[i] - ag[i]).max() for i in range(ag_n)]
    return {
        "cases": n_cases,
        "bayescollab_s": ours_s,
        "bayescollab_first_call_s": first,
        "bayescollab_full_grid_s": grid_s,
        "grid_cells": int(np.prod(grid.shape[:-1])),
        "bayescollab_cases_per_s": n_cases / ours_s,
        "pgmpy_loop_s": pgmpy_total,
        "pgmpy_extrapolated_from": pgmpy_subset,
        "pyagrum_loop_s": agrum_total,
        "pyagrum_extrapolated_from": ag_n if ag_n < n_cases else None,
        "ratio_throughput_vs_pyagrum": agrum_total / ours_s,
        "ratio_throughput_vs_pgmpy": pgmpy_total / ours_s,
        "max_abs_diff_vs_pgmpy": float(max(diffs)),
        "max_abs_diff_vs_pyagrum": float(max(agrum_diffs)),
        "peak_mib": peak_mib(lambda: model.query_batch(TARGET, cases)),
    }


def draws(model: bc.Model, n_draws: int, pgmpy_subset: int) -> dict[str, Any]:
    from pgmpy.inference import VariableElimination

    evidence = model.scenario(SCENARIO)
    theta = model.sample_theta(n_draws, seed=7)
    first, _ = timed(lambda: model.query_draws(TARGET, theta, evidence=evidence))
    ours_s, out = timed(lambda: model.query_draws(TARGET, theta, evidence=evidence))

    def pgmpy_route(i: int) -> np.ndarray:
        net = model.with_theta(theta[i]).network
        return VariableElimination(net).query([TARGET], evidence=evidence, show_progress=False).values

    pg_s, refs = timed(lambda: [pgmpy_route(i) for i in range(pgmpy_subset)])
    pgmpy_total = pg_s / pgmpy_subset * n_draws
    diff = max(np.abs(out.values[i] - refs[i]).max() for i in range(pgmpy_subset))
    return {
        "draws": n_draws,
        "bayescollab_s": ours_s,
        "bayescollab_first_call_s": first,
        "bayescollab_ms_per_draw": 1000 * ours_s / n_draws,
        "pgmpy_rebuild_and_query_s": pgmpy_total,
        "pgmpy_extrapolated_from": pgmpy_subset,
        "ratio_pgmpy_over_ours": pgmpy_total / ours_s,
        "max_abs_diff_vs_pgmpy": float(diff),
        "p_high_5_50_95": [float(q) for q in np.quantile(out.values[:, -1], [0.05, 0.5, 0.95])],
        "peak_mib": peak_mib(lambda: model.query_draws(TARGET, theta[: min(64, n_draws)], evidence=evidence)),
    }


def loglik(model: bc.Model, n_cases: int, missing: float) -> dict[str, Any]:
    rng = np.random.default_rng(11)
    full = forward_sample(model._net, n_cases, rng)
    observed = {n: np.where(rng.random(n_cases) < missing, -1, full[n]) for n in LOGLIK_NODES}
    rows = case_likelihoods(model._net, observed, {})
    ll = model.case_log_likelihood(rows)
    chunk = ll.default_chunk()
    compile_s, fn = timed(lambda: ll.compile(chunk))
    theta = model.sample_theta(1, seed=3)[0]
    eval_s, (value, grad) = timed(lambda: fn(theta))  # one evaluation: minutes at full size
    # the numpy engine on a 20-case subset (its unchunked batch would not fit in memory for all)
    sub = {k: v[:20] for k, v in rows.items()}
    sub_value, _ = model.case_log_likelihood(sub).compile(chunk)(theta)
    net = model.with_theta(theta)._net
    np_s, (_, mass) = timed(lambda: contract_joint(net, [], virtual_evidence=sub))
    return {
        "cases": n_cases,
        "observed_nodes": LOGLIK_NODES,
        "missing_fraction": missing,
        "nodes_in_graph": len(ll.nodes),
        "chunk": chunk,
        "compile_s": compile_s,
        "value_and_grad_s": eval_s,
        "value": value,
        "numpy_value_20_cases_s": np_s,
        "abs_diff_vs_numpy_engine_20_cases": float(abs(sub_value - np.log(mass).sum())),
        "grad_norm": float(np.linalg.norm(grad)),
    }


# -------------------------------------------------------------------------------------- scaling
def packaged_in_degree(model: bc.Model) -> tuple[float, int]:
    counts = [len(model.parents(n)) for n in model.nodes if model.parents(n)]
    return float(np.mean(counts)), int(max(counts))


def random_network(n_nodes: int, mean_parents: float, max_parents: int, window: int, seed: int) -> Network:
    """Random 3-state DAG: parents drawn from the ``window`` preceding nodes, Dirichlet CPTs.

    A window (rather than any earlier node) keeps the graph local, like a causal web that runs
    from contexts through mechanisms to outcomes; the in-degree matches the packaged model.
    """
    rng = np.random.default_rng(seed)
    order = tuple(f"v{i:03d}" for i in range(n_nodes))
    parents: dict[str, tuple[str, ...]] = {}
    cpts: dict[str, np.ndarray] = {}
    for i, node in enumerate(order):
        k = 0 if i < 3 else int(min(max_parents, i, max(1, rng.poisson(mean_parents))))
        pool = order[max(0, i - window) : i]
        parents[node] = tuple(rng.choice(pool, size=min(k, len(pool)), replace=False)) if k else ()
        shape = (3, *[3] * len(parents[node]))
        cpts[node] = rng.dirichlet(np.ones(3), size=int(np.prod(shape[1:], dtype=int))).T.reshape(shape)
    return Network(order, parents, cpts)


def to_pgmpy(net: Network):
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    bn = DiscreteBayesianNetwork()
    bn.add_nodes_from(net.order)
    bn.add_edges_from((p, n) for n in net.order for p in net.parents[n])
    for n in net.order:
        t, pa = net.cpts[n], list(net.parents[n])
        bn.add_cpds(
            TabularCPD(n, 3, t.reshape(3, -1), evidence=pa or None, evidence_card=[3] * len(pa) or None)
        )
    return bn


def to_agrum(net: Network):
    import pyagrum as gum

    bn = gum.BayesNet()
    for n in net.order:
        bn.add(gum.LabelizedVariable(n, n, 3))
    for n in net.order:
        for p in net.parents[n]:
            bn.addArc(p, n)
    for n in net.order:
        pa = list(net.parents[n])
        # fillWith runs through the tensor's variables with the first name varying fastest,
        # i.e. C order over the names reversed; map our (child, *parents) axes onto that
        potential = bn.cpt(n)
        axes = [0 if v == n else 1 + pa.index(v) for v in potential.names]
        potential.fillWith(np.transpose(net.cpts[n], list(reversed(axes))).ravel().tolist())
    return bn


def scaling(
    sizes: list[int], mean_parents: float, max_parents: int, pgmpy_repeat: int
) -> list[dict[str, Any]]:
    import pyagrum as gum
    from pgmpy.inference import VariableElimination

    rows = []
    for n in sizes:
        net = random_network(n, mean_parents, max_parents, window=12, seed=n)
        target = net.order[-1]
        evidence = {net.order[i]: 0 for i in (0, n // 3, n // 2)}
        plan = build_contraction(net, [target], evidence=evidence).plan
        first, ours = timed(
            lambda net=net, target=target, evidence=evidence: query_joint(net, [target], evidence=evidence)
        )
        ours_s = median_time(
            lambda net=net, target=target, evidence=evidence: query_joint(net, [target], evidence=evidence), 5
        )
        ve = VariableElimination(to_pgmpy(net))
        states = dict(evidence)
        ref = ve.query([target], evidence=states, show_progress=False).values
        pg_s = median_time(
            lambda ve=ve, target=target, states=states: ve.query(
                [target], evidence=states, show_progress=False
            ),
            pgmpy_repeat,
        )
        bn = to_agrum(net)
        ie = gum.LazyPropagation(bn)
        ag = agrum_query(bn, ie, target, evidence)
        # evidence is reset every call, so LazyPropagation cannot reuse a finished inference
        ag_s = median_time(
            lambda bn=bn, ie=ie, target=target, ev=evidence: agrum_query(bn, ie, target, ev), 5
        )
        rng = np.random.default_rng(n)
        observed = {k: rng.integers(0, 3, 1000) for k in evidence}
        batch_s = timed(
            lambda net=net, target=target, observed=observed: query_cases(net, [target], observed=observed)
        )[0]
        rows.append(
            {
                "nodes": n,
                "edges": sum(len(p) for p in net.parents.values()),
                "plan_multiply_adds": plan.multiply_adds,
                "plan_largest_intermediate": plan.largest_intermediate,
                "bayescollab_first_call_s": first,
                "bayescollab_s": ours_s,
                "pgmpy_ve_s": pg_s,
                "pyagrum_lazy_s": ag_s,
                "batch_1000_cases_s": batch_s,
                "max_abs_diff_vs_pgmpy": float(np.abs(ours - ref).max()),
                "max_abs_diff_pyagrum_vs_pgmpy": float(np.abs(ag - ref).max()),
            }
        )
        log(f"  scaling n={n}: ours {ours_s:.4f}s pgmpy {pg_s:.4f}s pyAgrum {ag_s:.5f}s")
    return rows


# ----------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--save", action="store_true", help="also write benchmarks/results/engine.json")
    parser.add_argument("--skip-loglik", action="store_true")
    args = parser.parse_args()
    q = args.quick
    model = bc.load_model()
    mean_parents, max_parents = packaged_in_degree(model)
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "quick": q,
    }
    with tempfile.TemporaryDirectory() as tmp:
        bif = export_network(model, Path(tmp) / "model.bif", "bif")
        log("[1/5] single query")
        report["single_query"] = single_query(model, bif, repeat=5 if q else 30, pgmpy_repeat=1 if q else 3)
        log("[2/5] 10,000-scenario sweep")
        report["sweep"] = sweep(model, bif, n_cases=200 if q else 10_000, pgmpy_subset=2 if q else 10,
                                agrum_subset=20 if q else 200)  # fmt: skip
    log("[3/5] θ draws")
    report["draws"] = draws(model, n_draws=16 if q else 1000, pgmpy_subset=1 if q else 3)
    if not args.skip_loglik:
        log("[4/5] log-likelihood + gradient")
        report["loglik"] = loglik(model, n_cases=20 if q else 500, missing=0.3)
    log("[5/5] scaling")
    report["scaling"] = {
        "mean_parents": mean_parents,
        "max_parents": max_parents,
        "rows": scaling(
            [20, 30] if q else [50, 100, 200], mean_parents, max_parents, pgmpy_repeat=1 if q else 3
        ),
    }
    report["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_summary(report)
    if args.json:
        print(json.dumps(report, indent=2))
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / ("engine_quick.json" if q else "engine.json")).write_text(
            json.dumps(report, indent=2) + "\n"
        )


def print_summary(r: dict[str, Any]) -> None:
    s, w, d = r["single_query"], r["sweep"], r["draws"]
    lines = [
        f"single query: ours {s['bayescollab_s'] * 1e3:.1f} ms"
        f" | pgmpy {s['pgmpy_ve_s'] * 1e3:.0f} ms ({s['ratio_pgmpy_over_ours']:.0f}x)"
        f" | pyAgrum {s['pyagrum_lazy_s'] * 1e3:.1f} ms (ours/pyAgrum {s['ratio_ours_over_pyagrum']:.2f})"
        f" | diff {s['max_abs_diff_vs_pgmpy']:.1e}",
        f"sweep {w['cases']} cases: ours {w['bayescollab_s']:.2f} s"
        f" | pyAgrum loop {w['pyagrum_loop_s']:.1f} s ({w['ratio_throughput_vs_pyagrum']:.1f}x)"
        f" | pgmpy loop {w['pgmpy_loop_s']:.0f} s (extrapolated from {w['pgmpy_extrapolated_from']};"
        f" {w['ratio_throughput_vs_pgmpy']:.0f}x) | diff {w['max_abs_diff_vs_pgmpy']:.1e}",
        f"{d['draws']} θ draws: ours {d['bayescollab_s']:.1f} s ({d['bayescollab_ms_per_draw']:.1f} ms/draw)"
        f" | pgmpy rebuild+VE {d['pgmpy_rebuild_and_query_s']:.0f} s"
        f" (extrapolated from {d['pgmpy_extrapolated_from']}; {d['ratio_pgmpy_over_ours']:.0f}x)"
        f" | diff {d['max_abs_diff_vs_pgmpy']:.1e}",
    ]
    if "loglik" in r:
        g = r["loglik"]
        lines.append(
            f"loglik+grad {g['cases']} cases: compile {g['compile_s']:.1f} s"
            f", eval {g['value_and_grad_s']:.2f} s"
            f" | diff vs numpy (20 cases) {g['abs_diff_vs_numpy_engine_20_cases']:.1e}"
        )
    for row in r["scaling"]["rows"]:
        lines.append(
            f"random n={row['nodes']}: madds {row['plan_multiply_adds']:.2e}"
            f" | ours {row['bayescollab_s'] * 1e3:.2f} ms | pgmpy {row['pgmpy_ve_s'] * 1e3:.1f} ms"
            f" | pyAgrum {row['pyagrum_lazy_s'] * 1e3:.2f} ms | 1000 cases {row['batch_1000_cases_s']:.3f} s"
            f" | diff {row['max_abs_diff_vs_pgmpy']:.1e}"
        )
    lines.append(f"max RSS {r['max_rss_mib']:.0f} MiB")
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
