"""The cost of ``learn`` at the survey issue's scale, and parameter recovery, measured in one run.

Run: ``.venv/bin/python benchmarks/bench_learn.py [--sections reduced,full,augmented,compare,recovery]
[--save]``.

Sections (each prints as it goes; ``--save`` writes ``benchmarks/results/learn.json``):

* ``reduced``: 50 collaborations x 12 respondents simulated from the packaged model, answering
  the items whose nodes have small ancestries (``RECOVERY_ITEMS``), learned with 4 chains x 1,000
  draws (1,000 tuning steps) exactly as ``bayescollab learn`` runs: wall time, diagnostics, the
  sampler's gradient evaluations per draw, and the posterior predictive check.
* ``full``: the same survey design answering the whole instrument (32 items on 16 nodes). The
  exact log-likelihood and its gradient are compiled and timed per evaluation, its value is
  checked against pyAgrum (``LazyPropagation`` soft evidence, ``evidenceProbability``) and
  pyAgrum's time for the value alone is printed beside ours. A full NUTS run at this size is
  not attempted; the time it would take is *projected* from the measured evaluation time and
  the gradient evaluations per draw measured in ``reduced`` (labelled as a projection).
* ``augmented``: the whole instrument learned with the data-augmentation sampler
  (``sampler="augmented"``), timed end to end as ``learn`` runs it, with the load average before
  and after; ``--scaling 10,50,200`` repeats it at other sizes.
* ``compare``: the reduced instrument learned by both samplers on the same data; per parameter
  |Δmean| against 0.1 sd + 3 MCSE and the sd ratio against 0.8-1.25
  (:func:`bayescollab.survey.compare.compare_posteriors`).
* ``recovery``: :func:`bayescollab.survey.recovery.recovery_study` over several seeds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import bayescollab as bc
from bayescollab.survey.compare import compare_posteriors
from bayescollab.survey.instrument import RESERVED_COLUMNS, load_instrument
from bayescollab.survey.learn import answer_counts, build_learn_model, count_likelihood_rows, learn
from bayescollab.survey.predictive import ppc_table
from bayescollab.survey.recovery import CALIBRATION_RANGE, RECOVERY_ITEMS, recovery_study
from bayescollab.survey.simulate import simulate_survey

RESULTS = Path(__file__).parent / "results" / "learn.json"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def simulated(model: bc.Model, items, collaborations: int, respondents: int, seed: int):
    sim = simulate_survey(
        model, collaborations=collaborations, respondents=respondents, seed=seed, blank_rate=0.1
    )
    keep = [c for c in sim.answers.columns if c in RESERVED_COLUMNS or items is None or c in items]
    return sim.answers[keep]


def section_reduced(model: bc.Model, args) -> dict:
    survey = simulated(model, RECOVERY_ITEMS, args.collaborations, args.respondents, args.seed)
    log(f"[reduced] {len(survey)} respondents, items {list(RECOVERY_ITEMS)}")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        result = learn(model, survey, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
                       progressbar=not args.quiet)  # fmt: skip
    wall = time.perf_counter() - start
    stats = result.idata.sample_stats
    steps = stats["n_steps"].values
    ppc = ppc_table(result.idata)
    out = {
        "collaborations": args.collaborations,
        "respondents_per_collaboration": args.respondents,
        "items": list(RECOVERY_ITEMS),
        "chains": args.chains,
        "draws": args.draws,
        "tune": args.tune,
        "wall_s": wall,
        "sampling_s": result.seconds,
        "grad_evals_per_draw_mean": float(steps.mean()),
        "grad_evals_total_post_tune": int(steps.sum()),
        "ppc_inside_90": float(ppc["inside"].mean()),
        "warnings": [str(w.message) for w in caught if "diagnostics" in str(w.message)],
        **result.to_dict(),
    }
    log(f"[reduced] wall {wall:.1f} s (sampling {result.seconds:.1f} s); max r_hat {out['max_r_hat']:.3f}, "
        f"min ESS bulk {out['min_ess_bulk']:.0f} tail {out['min_ess_tail']:.0f}, "
        f"divergences {out['divergences']}, {out['grad_evals_per_draw_mean']:.1f} grad evals/draw, "
        f"PPC {out['ppc_inside_90']:.0%} inside")  # fmt: skip
    return out


def _agrum_logliks(model: bc.Model, rows: dict[str, np.ndarray], peaks: np.ndarray, cases: int):
    import pyagrum as gum

    from bayescollab.pgmpy_bridge import export_network

    with tempfile.TemporaryDirectory() as tmp:
        bif = export_network(model, Path(tmp) / "model.bif", "bif")
        bn = gum.loadBN(str(bif))
    ie = gum.LazyPropagation(bn)
    values, times = [], []
    for c in range(cases):
        start = time.perf_counter()
        ie.eraseAllEvidence()
        for node, table in rows.items():
            ie.addEvidence(node, [float(x) for x in table[c]])
        ie.makeInference()
        values.append(math.log(ie.evidenceProbability()) + peaks[c])
        times.append(time.perf_counter() - start)
    return np.array(values), times


def section_full(model: bc.Model, args, grad_evals_per_draw: float | None) -> dict:
    import pytensor

    survey = simulated(model, None, args.collaborations, args.respondents, args.seed)
    instrument = load_instrument(theory=model.theory)
    collabs, counts = answer_counts(survey, instrument)
    log(f"[full] {len(survey)} respondents, {len(counts)} items; building and compiling logp + gradient")
    pm_model = build_learn_model(model, survey, instrument=instrument)
    start = time.perf_counter()
    logp = pm_model.compile_logp()
    dlogp = pm_model.compile_dlogp()
    [loglik] = pm_model.replace_rvs_by_values([pm_model["loglik"]])
    per_collab = pm_model.compile_fn(loglik, inputs=pm_model.value_vars, on_unused_input="ignore")
    compile_s = time.perf_counter() - start
    point = pm_model.initial_point()
    log(f"[full] compiled in {compile_s:.1f} s; timing {args.evals} value+gradient evaluations")
    times = []
    for _ in range(args.evals):
        t0 = time.perf_counter()
        logp(point)
        dlogp(point)
        times.append(time.perf_counter() - t0)
        log(f"[full]   {times[-1]:.2f} s")
    ours = np.asarray(per_collab(point))

    # the same per-collaboration log-likelihoods from pyAgrum's soft evidence (value only)

    lam = np.exp(point["discrimination_log__"])
    rows, total_peak = count_likelihood_rows(counts, instrument, lam)
    cases = min(args.agrum_cases, len(collabs))
    agrum, agrum_times = _agrum_logliks(model, rows, total_peak, cases)
    diff = float(np.abs(agrum - ours[:cases]).max())
    eval_s = float(np.median(times))
    out = {
        "collaborations": len(collabs),
        "items": len(counts),
        "nodes_measured": sorted({instrument[i].node for i in counts}),
        "compile_s": compile_s,
        "value_and_grad_s": times,
        "value_and_grad_median_s": eval_s,
        "pyagrum_value_per_collaboration_s": float(np.median(agrum_times)),
        "ours_value_and_grad_per_collaboration_s": eval_s / len(collabs),
        "max_abs_diff_loglik_vs_pyagrum": diff,
        "pyagrum_cases_compared": cases,
        "pytensor_blas": pytensor.config.blas__ldflags or "none",
    }
    if grad_evals_per_draw:
        iterations = args.chains * (args.draws + args.tune)
        evals = iterations * grad_evals_per_draw
        out["projection"] = {
            "note": "projected, not run: evaluations x measured seconds per evaluation / cores",
            "grad_evals_per_draw_from_reduced": grad_evals_per_draw,
            "iterations": iterations,
            "grad_evals": evals,
            "hours_on_all_cores": evals * eval_s / (os.cpu_count() or 1) / 3600,
        }
    agrum_s = out["pyagrum_value_per_collaboration_s"]
    log(f"[full] value+grad {eval_s:.1f} s per evaluation over {len(collabs)} collaborations "
        f"({eval_s / len(collabs):.2f} s each); pyAgrum value alone {agrum_s:.2f} s per collaboration; "
        f"max |diff| {diff:.2e}")  # fmt: skip
    if "projection" in out:
        log(f"[full] projected NUTS time at this size: {out['projection']['hours_on_all_cores']:.0f} h")
    return out


def section_recovery(model: bc.Model, args) -> dict:
    seeds = list(range(args.recovery_seed_start, args.recovery_seed_start + args.recovery_seeds))
    log(f"[recovery] seeds {seeds}, {args.chains} chains x {args.recovery_draws} draws")

    def progress(done: int, total: int) -> None:
        log(f"[recovery] {done}/{total} seeds done")

    every_item = list(load_instrument(theory=model.theory).item_ids)
    options = augmented_options(args) if args.recovery_sampler == "augmented" else None
    items = RECOVERY_ITEMS if args.recovery_items == "reduced" else every_item
    partial = Path(args.recovery_log) if args.recovery_log else None

    def keep(run) -> None:  # one JSON line per finished replication: nothing lost if stopped
        if partial is None:
            return
        row = {
            "seed": run.seed,
            "seconds": run.seconds,
            "coverage": run.coverage,
            "informed_coverage": run.informed_coverage,
            "informed": int(run.table["informed"].sum()),
            "problems": run.problems,
            "table": run.table.reset_index().to_dict(orient="records"),
        }
        with partial.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, default=float) + "\n")

    study = recovery_study(
        model,
        seeds,
        items=items,
        sampler=args.recovery_sampler,
        draws=args.recovery_draws,
        tune=args.recovery_draws,
        chains=args.chains,
        collaborations=args.collaborations,
        respondents=args.respondents,
        progress=progress,
        on_run=keep,
        sampler_kwargs=options,
    )
    frame = study.to_frame()
    log(frame.to_string())
    pooled = study.pooled_informed_coverage
    low, high = CALIBRATION_RANGE
    inside = pooled is not None and low <= pooled <= high
    n_informed = study.to_dict()["informed_parameters"]
    log(f"[recovery] pooled 90% coverage over {n_informed} informed parameters: {pooled} "
        f"(within {low}-{high}: {inside})")  # fmt: skip
    log(f"[recovery] passed: {study.passed} (every seed covers >= {study.threshold:.0%} at {study.prob:.0%})")
    return study.to_dict()


def augmented_options(args) -> dict | None:
    """The augmented sampler's options given on the command line (None: its defaults)."""
    options = {k: v for k, v in (("sweeps", args.sweeps), ("collapse", args.collapse)) if v is not None}
    return options or None


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages (timings under load are upper bounds)."""
    return [round(x, 2) for x in os.getloadavg()]


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (PyMC's chain processes)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _learn_run(model: bc.Model, survey, args, sampler: str, draws: int, tune: int) -> tuple[dict, object]:
    """One learn run timed end to end (model build, compile, sampling, predictive, summary)."""
    before = load()
    cpu0 = cpu_seconds()
    start = time.perf_counter()
    options = augmented_options(args) if sampler == "augmented" else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        result = learn(model, survey, draws=draws, tune=tune, chains=args.chains, seed=args.seed,
                       progressbar=not args.quiet, sampler=sampler, cores=args.cores,
                       sampler_kwargs=options)  # fmt: skip
    wall = time.perf_counter() - start
    cpu = cpu_seconds() - cpu0
    n_draws = draws * args.chains
    out = {
        "sampler": result.idata.attrs["learn_sampler"],
        "collaborations": int(result.idata.posterior.sizes.get("collaboration", 0))
        or len(survey["collaboration_id"].unique()),
        "chains": args.chains,
        "draws": draws,
        "tune": tune,
        "cores": args.cores,
        "wall_s": wall,
        "cpu_s": cpu,
        "sampling_s": result.seconds,
        "sweeps": result.idata.attrs.get("learn_sweeps"),
        "collapse": result.idata.attrs.get("learn_collapse"),
        "collapsed_blocks": result.idata.attrs.get("learn_collapsed_blocks"),
        "divergence_share": result.divergences / n_draws,
        "load_before": before,
        "load_after": load(),
        "warnings": [str(w.message) for w in caught if "diagnostics" in str(w.message)],
        **result.to_dict(),
    }
    low = result.summary.sort_values("ess_bulk").head(8)
    out["lowest_ess"] = low.reset_index().to_dict(orient="records")
    log(f"[{sampler}] lowest bulk ESS:\n{low.to_string()}")
    log(f"[{sampler}] wall {wall:.1f} s, CPU {cpu:.1f} s (sampling {result.seconds:.1f} s), load {before} -> "
        f"{out['load_after']}; "
        f"max r_hat {out['max_r_hat']:.3f}, min ESS bulk {out['min_ess_bulk']:.0f} tail "
        f"{out['min_ess_tail']:.0f}, divergences {result.divergences}")  # fmt: skip
    return out, result


def section_augmented(model: bc.Model, args) -> dict:
    """The issue's target: the whole instrument, augmented sampler, timed end to end; then scaling."""
    out = {}
    sizes = [int(x) for x in args.scaling.split(",")] if args.scaling else [args.collaborations]
    for n in sizes:
        survey = simulated(model, None, n, args.respondents, args.seed)
        draws, tune = (args.draws, args.tune) if n == args.collaborations else (args.scaling_draws,) * 2
        log(f"[augmented] {n} collaborations, {len(survey)} respondents, whole instrument, {draws}+{tune}")
        out[str(n)], _ = _learn_run(model, survey, args, "augmented", draws, tune)
    return out


def section_compare(model: bc.Model, args) -> dict:
    """Reduced instrument: exact and augmented on the same data, parameter by parameter."""
    import arviz as az

    survey = simulated(model, RECOVERY_ITEMS, args.collaborations, args.respondents, args.seed)
    runs = {}
    for sampler in ("exact", "augmented"):
        runs[sampler] = _learn_run(model, survey, args, sampler, args.draws, args.tune)
    summaries = {
        k: az.summary(r.idata, var_names=["links", "noise", "discrimination"], kind="all")
        for k, (_, r) in runs.items()
    }
    table = compare_posteriors(summaries["exact"], summaries["augmented"])
    log(table.describe().to_string())
    return {
        "runs": {k: v for k, (v, _) in runs.items()},
        "all_within_mean_bound": bool(table["mean_ok"].all()),
        "all_sd_ratio_in_range": bool(table["sd_ok"].all()),
        "table": table.reset_index().to_dict(orient="records"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="reduced,full,recovery")
    parser.add_argument("--collaborations", type=int, default=50)
    parser.add_argument("--respondents", type=int, default=12)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--evals", type=int, default=3, help="timed value+gradient evaluations in 'full'")
    parser.add_argument("--agrum-cases", type=int, default=5)
    parser.add_argument("--recovery-seeds", type=int, default=5)
    parser.add_argument("--recovery-draws", type=int, default=500)
    parser.add_argument(
        "--recovery-items",
        choices=("reduced", "all"),
        default="reduced",
        help="all: the whole instrument (calibration of the augmented sampler)",
    )
    parser.add_argument("--recovery-log", default="", help="append each finished replication (JSON lines)")
    parser.add_argument("--recovery-seed-start", type=int, default=1, help="first recovery seed")
    parser.add_argument("--recovery-sampler", default="auto", choices=("auto", "exact", "augmented"))
    parser.add_argument("--cores", type=int, default=None, help="sampler cores (default min(chains, CPUs))")
    parser.add_argument("--scaling", default="", help="augmented: collaboration counts, e.g. 10,50,200")
    parser.add_argument("--scaling-draws", type=int, default=1000, help="draws (= tune) for the other sizes")
    parser.add_argument("--sweeps", type=int, default=None, help="Gibbs sweeps per draw")
    parser.add_argument(
        "--collapse",
        type=int,
        default=None,
        help="largest joint state count of a collapsed block (augmented; 0 = none)",
    )
    parser.add_argument("--quiet", action="store_true", help="no sampler progress bars")
    parser.add_argument("--save", action="store_true", help=f"write {RESULTS}")
    args = parser.parse_args()
    sections = args.sections.split(",")
    model = bc.load_model()
    report: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "args": vars(args),
    }
    if "reduced" in sections:
        report["reduced"] = section_reduced(model, args)
    if "full" in sections:
        per_draw = report.get("reduced", {}).get("grad_evals_per_draw_mean")
        report["full"] = section_full(model, args, per_draw)
    if "augmented" in sections:
        report["augmented"] = section_augmented(model, args)
    if "compare" in sections:
        report["compare"] = section_compare(model, args)
    if "recovery" in sections:
        report["recovery"] = section_recovery(model, args)
    text = json.dumps(report, indent=2, default=float)
    if args.save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text + "\n", encoding="utf-8")
        log(f"written {RESULTS}")
    print(text)


if __name__ == "__main__":
    main()
