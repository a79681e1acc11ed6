"""Commands on survey data: the instrument, assess, simulate and learn. Each checks its inputs and
its destination before working, then prints or writes; errors leave with exit code 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bayescollab.cli._app import (
    LEARN_FILES,
    DoOpt,
    ForceOpt,
    GivenOpt,
    JsonOpt,
    ModelsOpt,
    PriorsOpt,
    SeedOpt,
    _check_counts,
    _fail,
    _friendly_errors,
    _load,
    app,
)

InstrumentOpt = Annotated[
    Path | None,
    typer.Option("--instrument", help="Instrument CSV (default: instrument.csv beside the theory)."),
]


@app.command()
@_friendly_errors
def instrument(
    csv_template: Annotated[
        bool, typer.Option("--csv-template", help="Print only the survey CSV header row.")
    ] = False,
    check: Annotated[
        Path | None,
        typer.Option(
            "--check",
            metavar="SURVEY.csv",
            help="Read a survey CSV against the instrument: summarise it or list its problems.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    instrument_file: InstrumentOpt = None,
    models: ModelsOpt = None,
) -> None:
    """The survey instrument: the questionnaire by node, or the CSV header respondents fill in."""
    from bayescollab.survey.ingest import describe_survey, read_survey
    from bayescollab.survey.instrument import load_instrument
    from bayescollab.theory.load import load_theory

    if csv_template and (as_json or check is not None):
        _fail("--csv-template prints only the header row; it does not combine with --json or --check")
    inst = load_instrument(instrument_file, theory=load_theory(models))
    if csv_template:
        typer.echo(",".join(inst.csv_header()))
    elif check is not None:
        summary = describe_survey(read_survey(check, inst), inst)
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            collabs = ", ".join(f"{k} ({v})" for k, v in summary["collaborations"].items())
            typer.echo(
                f"ok: {summary['respondents']} respondents in {len(summary['collaborations'])} "
                f"collaboration(s): {collabs}; {summary['answered']} of {summary['cells']} answers given"
            )
            if summary["never_answered"]:
                typer.echo(f"never answered: {', '.join(summary['never_answered'])}")
    elif as_json:
        typer.echo(json.dumps(inst.to_dict()))
    else:
        typer.echo(inst.to_text())


@app.command()
@_friendly_errors
def assess(
    survey: Annotated[Path, typer.Argument(help="Survey CSV (see `bayescollab instrument --csv-template`).")],
    given: GivenOpt = None,
    draws: Annotated[
        int,
        typer.Option("--draws", help="Add 90% credible intervals from N prior θ draws (slow)."),
    ] = 0,
    seed: SeedOpt = None,
    top: Annotated[int, typer.Option("--top", help="Bottlenecks to print (>= 0).")] = 5,
    as_json: JsonOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """What a collaboration's survey answers imply: exact posteriors, change from prior, bottlenecks.

    With --json the top-level fields are those of the file's first collaboration (by id);
    every collaboration is listed under "collaborations".
    """
    _check_counts(("--draws", draws, 0), ("--seed", seed, 0), ("--top", top, 0))
    from bayescollab._validate import parse_assignments
    from bayescollab.survey.assess import assess as run_assess

    model = _load(models, priors)
    results = run_assess(
        model,
        survey,
        given=parse_assignments(given or [], "--given"),
        draws=draws,
        seed=seed,
        progress=lambda msg: typer.echo(msg, err=True),
    )
    if as_json:
        out = {
            "survey": str(survey),
            **results[0].to_dict(),
            "collaborations": [r.to_dict() for r in results],
        }
        typer.echo(json.dumps(out))
        return
    for r in results:
        _print_assessment(r, top)


def _print_assessment(result, top: int) -> None:
    given = ", ".join(f"{k}={v}" for k, v in result.given.items()) or "nothing else"
    typer.echo(
        f"collaboration {result.collaboration_id}: {result.respondents} respondents, "
        f"{result.answered_cells} answers, given {given}"
    )
    typer.echo(f"  measured: {', '.join(result.measured_nodes) or 'nothing'}")
    typer.echo(f"  {'node':<28s} {'state':>8s} {'prior':>7s} {'posterior':>9s} {'change':>7s}")
    shown = ["collaborative_behaviour", "collaborative_performance", *result.measured_nodes]
    for node in dict.fromkeys(shown):
        if node not in result.posterior:
            continue
        for state, p in result.posterior[node].items():
            interval = ""
            if node in result.intervals:
                lo, hi = result.intervals[node][state]
                interval = f"  [{lo:.3f}, {hi:.3f}]"
            typer.echo(
                f"  {node:<28s} {state:>8s} {result.prior[node][state]:7.3f} {p:9.3f} "
                f"{result.change[node][state]:+7.3f}{interval}"
            )
    typer.echo("  bottlenecks (moving the mechanism to its favourable state would change the expected")
    typer.echo("  score of collaborative_behaviour, -1..+1, by):")
    for b in result.bottlenecks[:top]:
        typer.echo(
            f"    {b.node:<26s} -> {b.favourable_state:<6s} {b.gain:+.3f}   "
            f"(now P({b.favourable_state}) = {b.p_favourable_now:.2f})"
        )


@app.command()
@_friendly_errors
def simulate(
    collaborations: Annotated[int, typer.Option("--collaborations", help="Synthetic collaborations (>= 1).")],
    respondents: Annotated[int, typer.Option("--respondents", help="Respondents per collaboration (>= 1).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="FILE.csv; FILE.truth.csv and FILE.meta.json go beside it.")
    ],
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed >= 0 (default: fresh, recorded in meta).")
    ] = None,
    blank_rate: Annotated[
        float, typer.Option("--blank-rate", help="Chance that each answer is left blank, 0 <= F < 1.")
    ] = 0.1,
    given: GivenOpt = None,
    do: DoOpt = None,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
    instrument_file: InstrumentOpt = None,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """Synthetic survey answers drawn from the model, with the true latent states beside them.

    --given states are conditioned on (as `assess --given` reads them); --do states are clamped.
    The CSV is an ordinary survey file; its collaboration ids start with `synthetic-` and
    FILE.meta.json records "synthetic": true, the seed and the settings.
    """
    import shlex

    from bayescollab._output import OutputSet, check_output_file, staging_folder
    from bayescollab._validate import parse_assignments
    from bayescollab.survey.instrument import load_instrument
    from bayescollab.survey.simulate import (
        check_simulation_arguments,
        simulate_survey,
        simulation_paths,
        write_simulation,
    )

    # refuse bad arguments and unsafe destinations before the model is built
    _check_counts(("--seed", seed, 0))
    check_simulation_arguments(collaborations, respondents, blank_rate)
    given_states = parse_assignments(given or [], "--given")
    do_states = parse_assignments(do or [], "--do")
    check_output_file(output, force=force, option="--output", suffixes=(".csv",))
    targets = simulation_paths(output)
    check_output_file(output, force=force, option="--output", companions=[targets["truth"], targets["meta"]])
    model = _load(models, priors)
    sim = simulate_survey(
        model,
        collaborations=collaborations,
        respondents=respondents,
        seed=seed,
        blank_rate=blank_rate,
        given=given_states,
        do=do_states,
        instrument=load_instrument(instrument_file, theory=model.theory),
    )
    command = shlex.join(["bayescollab", *sys.argv[1:]])
    # the three files appear together or not at all: written in a staging folder, renamed at the end
    with staging_folder(output.parent) as staging, OutputSet() as files:
        written = write_simulation(sim, staging / output.name, command=command)
        for key, path in written.items():
            files.adopt(path, targets[key])
    paths = targets
    meta = sim.meta()
    if as_json:
        out = {
            **{name: str(path) for name, path in paths.items()},
            "synthetic": True,
            "seed": sim.seed,
            "collaborations": sim.n_collaborations,
            "respondents": sim.n_respondents,
            "items": meta["items"],
            "cells": meta["cells"],
            "blank_cells": meta["blank_cells"],
            "blank_rate": sim.blank_rate,
            "blank_fraction": sim.blank_fraction,
            "given": sim.given,
            "do": sim.do,
        }
        typer.echo(json.dumps(out))
        return
    typer.echo(
        f"wrote {paths['answers']}: {sim.n_respondents} synthetic respondents in "
        f"{sim.n_collaborations} collaboration(s), {meta['items']} items; "
        f"{meta['blank_cells']} of {meta['cells']} answers blank "
        f"({sim.blank_fraction:.1%}; rate {blank_rate:g})"
    )
    typer.echo(f"  true latent states: {paths['truth']}")
    typer.echo(f"  settings (seed {sim.seed}): {paths['meta']}")


@app.command()
@_friendly_errors
def learn(
    survey: Annotated[Path, typer.Argument(help="Survey CSV of many collaborations.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for posterior.nc, summary.csv, diagnostics.json, ppc.csv, ppc.png."
        ),
    ],
    draws: Annotated[int, typer.Option("--draws", help="Posterior draws per chain.")] = 1000,
    tune: Annotated[int, typer.Option("--tune", help="Tuning steps per chain.")] = 1000,
    chains: Annotated[int, typer.Option("--chains", help="Independent chains.")] = 4,
    seed: SeedOpt = None,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
    sampler: Annotated[
        str,
        typer.Option(
            "--sampler",
            help="exact (latent nodes summed out), augmented (latent states sampled) or auto "
            "(exact when its contraction is cheap).",
        ),
    ] = "auto",
    cores: Annotated[
        int | None, typer.Option("--cores", help="Processes for the chains (default min(chains, CPUs)).")
    ] = None,
    sampler_option: Annotated[
        list[str] | None,
        typer.Option(
            "--sampler-option",
            help="KEY=VALUE for the sampler, repeatable: target_accept, max_treedepth, step_scale, "
            "early_max_treedepth; sweeps, collapse=N (augmented: largest joint state count of a "
            "collapsed block, 0 = none).",
        ),
    ] = None,
) -> None:
    """Update the theory's link strengths and the items' discriminations from surveys (PyMC).

    ``--sampler exact`` sums every unobserved node out (NUTS on the marginal likelihood: slow on
    surveys that measure the densely linked mechanisms, docs/performance.md); ``augmented``
    samples each collaboration's latent states beside θ; ``auto`` picks by the exact
    contraction's cost and diagnostics.json records the choice. Progress is shown while sampling.
    The folder is checked before sampling; existing results are replaced only with --force, and
    the files are renamed into place together at the end (docs/reliability.md).
    """
    import warnings

    from bayescollab._output import check_output_dir, noticing_sigint

    _check_counts(("--draws", draws, 1), ("--tune", tune, 0), ("--chains", chains, 1), ("--seed", seed, 0))
    if cores is not None:
        _check_counts(("--cores", cores, 1))
    options = _sampler_options(sampler_option or [])
    check_output_dir(out, results=LEARN_FILES, force=force, option="--out")
    from bayescollab.survey.learn import learn as run_learn

    model = _load(models, priors)
    with warnings.catch_warnings(record=True) as caught, noticing_sigint() as interrupted:
        warnings.simplefilter("always", UserWarning)
        result = run_learn(
            model,
            survey,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            progressbar=not as_json,
            sampler=sampler,
            sampler_kwargs=options,
            cores=cores,
        )
    kept = int(result.idata.posterior.sizes["draw"])
    if interrupted or kept != draws:  # PyMC returns the draws so far on Ctrl-C
        typer.echo(
            f"error: sampling was interrupted after {kept} of {draws} draws per chain; "
            f"nothing was written to {out}",
            err=True,
        )
        raise typer.Exit(code=130)
    attrs = result.idata.attrs
    run = {"sampler": attrs["learn_sampler"], "sampler_reason": attrs["learn_sampler_reason"]}
    if "learn_sweeps" in attrs:  # augmented: Gibbs sweeps per draw and the nodes summed out of θ's step
        run.update(sweeps=int(attrs["learn_sweeps"]), collapsed_nodes=attrs["learn_collapsed_nodes"],
                   collapsed_blocks=attrs.get("learn_collapsed_blocks", ""))  # fmt: skip
    report = {"survey": str(survey), "out": str(out), **run, **result.to_dict()}
    report = _write_learn_run(result, out, report)
    for w in caught:
        if "diagnostics failed" in str(w.message):
            typer.echo(f"warning: {w.message}", err=True)
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(f"posterior written to {out / 'posterior.nc'} ({result.seconds:.0f} s sampling)")
    typer.echo(
        f"max r_hat {report['max_r_hat']:.3f}, min bulk ESS {report['min_ess_bulk']:.0f}, "
        f"min tail ESS {report['min_ess_tail']:.0f}, divergences {result.divergences}"
    )
    if "ppc_inside_90" in report:
        typer.echo(
            f"posterior predictive check: {report['ppc_inside_90']:.0%} of observed answer shares inside "
            f"the replicated 90% intervals ({out / 'ppc.png'})"
        )
    typer.echo(f"reload with bayescollab.load_model(posterior={str(out / 'posterior.nc')!r})")


def _sampler_options(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings as sampler keyword arguments (numbers parsed); learn checks the keys."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(
                f"{pair!r}; expected KEY=VALUE, e.g. target_accept=0.9", param_hint="--sampler-option"
            )
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                raise typer.BadParameter(
                    f"{pair!r} has a value that is not a number", param_hint="--sampler-option"
                ) from None
    return out


def _write_learn_run(result, out: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Stage every file of the run beside its destination, then rename them in together."""
    from bayescollab._output import OutputSet

    with OutputSet(run_folder=out, stale=LEARN_FILES) as files:
        result.idata.to_netcdf(str(files.stage(out / "posterior.nc")))
        result.summary.to_csv(files.stage(out / "summary.csv"))
        if "posterior_predictive" in result.idata.groups():
            import matplotlib.pyplot as plt

            from bayescollab.survey.predictive import plot_ppc, ppc_table

            ppc = ppc_table(result.idata)
            ppc.to_csv(files.stage(out / "ppc.csv"), index=False)
            figure = plot_ppc(ppc)
            figure.savefig(files.stage(out / "ppc.png"), dpi=120)
            plt.close(figure)
            report["ppc_inside_90"] = float(ppc["inside"].mean())
        text = json.dumps(report, indent=2) + "\n"
        files.stage(out / "diagnostics.json").write_text(text, encoding="utf-8")
    return report
