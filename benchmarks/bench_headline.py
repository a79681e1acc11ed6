"""Baseline: latency of the headline query, bayescollab vs pgmpy VE vs pyAgrum LazyPropagation.

Run: ``.venv/bin/python benchmarks/bench_headline.py [--repeat N] [--json]``. All three engines
answer the same query on the packaged model in the same run; the script prints the median
latency of each and the ratios, and checks the answers agree.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import bayescollab as bc
from bayescollab.pgmpy_bridge import export_network

TARGET = "collaborative_behaviour"
SCENARIO = "mandated_cross_sector_ics_poor_history"


def _median_seconds(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    model = bc.load_model()
    load_s = time.perf_counter() - t0
    evidence = model.scenario(SCENARIO)

    from pgmpy.inference import VariableElimination

    ve = VariableElimination(model.network)
    results: dict[str, dict[str, float]] = {}
    answers: dict[str, np.ndarray] = {}

    answers["bayescollab"] = np.array(list(model.query(TARGET, evidence=evidence).values()))
    results["bayescollab"] = {
        "median_s": _median_seconds(lambda: model.query(TARGET, evidence=evidence), args.repeat)
    }

    answers["pgmpy_ve"] = ve.query([TARGET], evidence=evidence, show_progress=False).values
    results["pgmpy_ve"] = {
        "median_s": _median_seconds(
            lambda: ve.query([TARGET], evidence=evidence, show_progress=False), args.repeat
        )
    }
    try:
        import pyagrum as gum

        with tempfile.TemporaryDirectory() as tmp:
            bn = gum.loadBN(str(export_network(model, Path(tmp) / "m.bif", "bif")))

        def agrum_query() -> np.ndarray:
            ie = gum.LazyPropagation(bn)
            ie.setEvidence(evidence)
            ie.makeInference()
            return ie.posterior(TARGET).toarray()

        answers["pyagrum_lazy"] = agrum_query()
        results["pyagrum_lazy"] = {"median_s": _median_seconds(agrum_query, args.repeat)}
    except ImportError:
        pass

    ref = answers["pgmpy_ve"]
    for name in results:
        results[name]["max_abs_diff_vs_pgmpy"] = float(np.max(np.abs(answers[name] - ref)))
        results[name]["ratio_vs_bayescollab"] = results[name]["median_s"] / results["bayescollab"]["median_s"]
    report = {
        "query": f"P({TARGET} | {SCENARIO})",
        "answer": dict(zip(model.states(TARGET), answers["bayescollab"].tolist(), strict=True)),
        "model": {"nodes": len(model.nodes), "edges": len(model.theory.edges), "load_s": load_s},
        "repeat": args.repeat,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "engines": results,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['query']} = {report['answer']}")
    print(f"model: {len(model.nodes)} nodes, {len(model.theory.edges)} edges, loaded in {load_s:.2f} s")
    for name, r in results.items():
        print(
            f"  {name:<14s} median {r['median_s'] * 1e3:8.3f} ms   "
            f"{r['ratio_vs_bayescollab']:6.2f}x bayescollab's time   "
            f"max |diff| vs pgmpy {r['max_abs_diff_vs_pgmpy']:.1e}"
        )


if __name__ == "__main__":
    main()
