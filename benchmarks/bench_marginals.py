"""Every posterior at once: our one-pass marginals against one query per node, pgmpy and pyAgrum.

Run: ``.venv/bin/python benchmarks/bench_marginals.py [--pgmpy-nodes N] [--json]``. Two settings
on the packaged model: the shipped pilot-shaped survey as ``assess`` reads it (soft evidence on 16
measured nodes, posteriors of 45 nodes), and the headline scenario (hard evidence on four
contexts, posteriors of every mechanism and outcome). For each, in the same run: ``all_marginals``
(one contraction and its reverse pass), our engine one query per node, pyAgrum ``LazyPropagation`` (one
propagation, then every posterior), and pgmpy variable elimination (one query per node, timed on
``--pgmpy-nodes`` of them and scaled to all). Prints times, ratios and the largest difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import bayescollab as bc
from bayescollab.engine.exact import query_joint
from bayescollab.engine.marginals import all_marginals
from bayescollab.pgmpy_bridge import export_network
from bayescollab.survey.assess import collaboration_evidence, prior_discrimination, reported_nodes
from bayescollab.survey.ingest import read_survey
from bayescollab.survey.instrument import load_instrument
from bayescollab.survey.measurement import load_measurement_priors
from bayescollab.survey.simulate import example_survey_path


def settings(model: bc.Model) -> dict[str, tuple[dict[str, str], dict[str, np.ndarray], list[str]]]:
    instrument = load_instrument(theory=model.theory)
    survey = read_survey(example_survey_path(), instrument)
    lambdas = prior_discrimination(instrument, load_measurement_priors())
    rows = collaboration_evidence(survey, instrument, lambdas)
    soft = {
        k: np.asarray(list(v.values()) if isinstance(v, dict) else v, dtype=float) for k, v in rows.items()
    }
    hard = model.scenario("mandated_cross_sector_ics_poor_history")
    open_nodes = [n for n in model.nodes if model.theory.nodes[n].kind != "context"]
    return {
        "pilot survey (soft evidence on 16 nodes)": ({}, soft, reported_nodes(model, list(soft))),
        "headline scenario (hard evidence on 4 contexts; mechanisms and outcomes)": (hard, {}, open_nodes),
    }


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def measure(model: bc.Model, bn, ve, hard: dict, soft: dict, nodes: list[str], pgmpy_nodes: int) -> dict:
    """One setting: the four ways to every posterior, timed in the same run."""
    import pyagrum as gum

    net = model._net
    ix = {k: model.states(k).index(v) for k, v in hard.items()}
    all_marginals(net, nodes, evidence=ix, virtual_evidence=soft)  # plans are cached once
    for n in nodes:
        query_joint(net, [n], evidence=ix, virtual_evidence=soft)
    ours, t_one_pass = timed(lambda: all_marginals(net, nodes, evidence=ix, virtual_evidence=soft))
    each, t_each = timed(
        lambda: {n: query_joint(net, [n], evidence=ix, virtual_evidence=soft) for n in nodes}
    )

    def agrum() -> dict:
        ie = gum.LazyPropagation(bn)
        for k, v in hard.items():
            ie.addEvidence(k, v)
        for k, v in soft.items():
            ie.addEvidence(k, [float(x) for x in v])
        ie.makeInference()
        return {n: np.asarray(ie.posterior(n).toarray()) for n in nodes}

    ag, t_agrum = timed(agrum)
    sub = nodes[:: max(1, len(nodes) // pgmpy_nodes)][:pgmpy_nodes]  # spread over the web
    # pgmpy 1.1.2 takes soft evidence as CPDs, but with several of them on this model its own
    # check_model fails ("state names of collaboration_form doesn't match"), so it runs only
    # on the hard-evidence setting

    def pgmpy() -> dict:
        return {n: ve.query([n], evidence=hard, show_progress=False).values for n in sub}

    if soft:
        pg, t_pg_all = {}, None
    else:
        pg, t_pg = timed(pgmpy)
        t_pg_all = t_pg * len(nodes) / len(sub)
    return {
        "posteriors": len(nodes),
        "one_pass_s": t_one_pass,
        "one_query_each_s": t_each,
        "pyagrum_lazy_s": t_agrum,
        "pgmpy_ve_s_scaled": t_pg_all,
        "pgmpy_nodes_timed": len(sub),
        "ratio_each_over_one_pass": t_each / t_one_pass,
        "ratio_pyagrum_over_one_pass": t_agrum / t_one_pass,
        "ratio_pgmpy_over_one_pass": t_pg_all / t_one_pass if t_pg_all else None,
        "max_abs_diff_vs_each": max(float(np.abs(ours[n] - each[n]).max()) for n in nodes),
        "max_abs_diff_vs_pyagrum": max(float(np.abs(ours[n] - ag[n]).max()) for n in nodes),
        "max_abs_diff_vs_pgmpy": max((float(np.abs(ours[n] - pg[n]).max()) for n in pg), default=None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pgmpy-nodes", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import pyagrum as gum
    from pgmpy.inference import VariableElimination

    model = bc.load_model()
    with tempfile.TemporaryDirectory() as tmp:
        bn = gum.loadBN(str(export_network(model, Path(tmp) / "model.bif", "bif")))
    ve = VariableElimination(model.network)
    report = {}
    for name, (hard, soft, nodes) in settings(model).items():
        r = report[name] = measure(model, bn, ve, hard, soft, nodes, args.pgmpy_nodes)
        print(
            f"{name}: {r['posteriors']} posteriors | one pass {r['one_pass_s']:.2f} s | one query each "
            f"{r['one_query_each_s']:.2f} s ({r['ratio_each_over_one_pass']:.1f}x) | pyAgrum "
            f"{r['pyagrum_lazy_s']:.2f} s ({r['ratio_pyagrum_over_one_pass']:.1f}x) | pgmpy "
            + (
                f"~{r['pgmpy_ve_s_scaled']:.0f} s ({r['ratio_pgmpy_over_one_pass']:.0f}x, from "
                f"{r['pgmpy_nodes_timed']}, max diff {r['max_abs_diff_vs_pgmpy']:.1e}) "
                if r["pgmpy_ve_s_scaled"]
                else "n/a (soft evidence) "
            )
            + f"| max diff vs each {r['max_abs_diff_vs_each']:.1e}, "
            f"vs pyAgrum {r['max_abs_diff_vs_pyagrum']:.1e}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(report, indent=2))


def _virtual_cpd(node: str, likelihood: np.ndarray, states: list[str]):
    from pgmpy.factors.discrete import TabularCPD

    values = np.asarray(likelihood, dtype=float)
    return TabularCPD(node, len(values), (values / values.sum()).reshape(-1, 1), state_names={node: states})


if __name__ == "__main__":
    main()
