"""The ``bayescollab`` command line (Typer). It only parses, dispatches and prints.

Errors go to stderr with exit code 2; ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bayescollab.errors import TheoryError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Query, explain and draw the realist programme theory of inter-organisational "
    "collaboration in healthcare as a Bayesian network.",
)

HEADLINE = "mandated_cross_sector_ics_poor_history"
COMPARISON = "voluntary_buddying_positive_history"

ModelsOpt = Annotated[
    Path | None, typer.Option("--models", help="Theory folder (default: the packaged models/).")
]
PriorsOpt = Annotated[
    Path | None, typer.Option("--priors", help="Priors folder (default: the packaged priors/).")
]
GivenOpt = Annotated[
    list[str] | None, typer.Option("--given", "-g", help="Observed context or node: NODE=STATE.")
]
DoOpt = Annotated[list[str] | None, typer.Option("--do", help="Intervention: NODE=STATE.")]
ScenarioOpt = Annotated[
    str | None, typer.Option("--scenario", "-s", help="Named scenario (see `scenarios`).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Replace existing output files (refused without it).")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed, an integer >= 0.")]
#: the files of one ``learn`` run; the folder also gets manifest.json (written last)
LEARN_FILES = ("posterior.nc", "summary.csv", "diagnostics.json", "ppc.csv", "ppc.png")
PICTURE_SUFFIXES = (".png", ".svg")
EXPORT_SUFFIXES = {"bif": (".bif",), "xmlbif": (".xml", ".xmlbif", ".bifxml")}


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _friendly_errors(func: F) -> F:
    """Turn the package's errors into a one-screen message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TheoryError as exc:
            _fail(str(exc))
        except KeyError as exc:  # str(KeyError) adds quotes around the message
            _fail(str(exc.args[0]) if exc.args else repr(exc))
        except ValueError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc))
        return None

    return wrapper  # type: ignore[return-value]


def _check_counts(*options: tuple[str, int | None, int]) -> None:
    """Refuse a negative (or too small) count or seed before any work, naming the option."""
    from bayescollab._validate import check_count

    for option, value, minimum in options:
        if value is not None:
            check_count(value, option, minimum)


def _load(models: Path | None, priors: Path | None):
    from bayescollab.model import load_model

    return load_model(models, priors)


def _evidence(model, given: list[str] | None, scenario: str | None) -> dict[str, str]:
    from bayescollab._validate import parse_assignments

    # the one scenario-merge rule (bayescollab.setting): a clash names both values
    return dict(model.setting(evidence=parse_assignments(given or [], "--given"), scenario=scenario).evidence)


def _print_distribution(dist, *, title: str | None = None) -> None:
    if title:
        typer.echo(title)
    typer.echo(repr(dist))
    for state, p in dist.items():
        bar = "#" * round(40 * p)
        typer.echo(f"  {state:>14s}  {p:6.3f}  {bar}")


@app.command()
@_friendly_errors
def query(
    target: Annotated[str, typer.Argument(help="Node to query, e.g. collaborative_behaviour.")],
    given: GivenOpt = None,
    do: DoOpt = None,
    scenario: ScenarioOpt = None,
    as_json: JsonOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """P(TARGET | evidence): exact posterior of one node."""
    from bayescollab._validate import parse_assignments

    model = _load(models, priors)
    dist = model.query(
        target,
        evidence=_evidence(model, given, scenario),
        do=parse_assignments(do or [], "--do"),
    )
    if as_json:
        typer.echo(json.dumps(dist.to_dict()))
    else:
        _print_distribution(dist)


@app.command()
@_friendly_errors
def effects(
    source: Annotated[str | None, typer.Option("--source", help="Only this source node.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target node.")] = None,
    draws: Annotated[int, typer.Option("--draws", min=2, help="Prior draws of θ for the 90% interval.")] = 50,
    samples: Annotated[int, typer.Option("--samples", min=100, help="Forward samples per draw.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (θ draws and samples).")] = 11,
    as_json: JsonOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """do() effect of every context and mechanism on each mechanism and outcome (P(high) difference).

    The effect is P(target=high | do(source=last state)) - P(target=high | do(source=first state)),
    at the prior-mean θ with a 90% interval over prior draws (docs/effects.md explains the method).
    """
    from bayescollab.effects import effects_table

    model = _load(models, priors)
    for name in (source, target):
        if name is not None:
            model.states(name)  # unknown names fail with the valid choices
    rows = [
        e
        for e in effects_table(model, draws=draws, n_samples=samples, seed=seed)
        if (source is None or e.source == source) and (target is None or e.target == target)
    ]
    if as_json:
        typer.echo(json.dumps({"draws": draws, "samples": samples, "effects": [e.to_dict() for e in rows]}))
        return
    typer.echo(f"{'source':28s} {'target':28s} {'contrast':26s} {'effect':>7s}  90% over {draws} draws")
    for e in rows:
        if e.mean == 0 and e.lo == 0 and e.hi == 0:
            continue  # target not downstream of the source
        contrast = f"{e.contrast[0]} - {e.contrast[1]}"
        typer.echo(f"{e.source:28s} {e.target:28s} {contrast:26s} {e.mean:+7.3f}  [{e.lo:+.3f}, {e.hi:+.3f}]")


@app.command()
@_friendly_errors
def scenarios(as_json: JsonOpt = False, models: ModelsOpt = None, priors: PriorsOpt = None) -> None:
    """List the named scenarios and their evidence."""
    from bayescollab.theory.load import load_theory

    theory = load_theory(models)
    if as_json:
        out = {
            name: {"description": s.description, "evidence": s.evidence}
            for name, s in theory.scenarios.items()
        }
        typer.echo(json.dumps(out))
        return
    for name, s in theory.scenarios.items():
        typer.echo(f"{name}\n    {s.description}")
        typer.echo("    " + ", ".join(f"{k}={v}" for k, v in s.evidence.items()))


@app.command()
def validate(models: ModelsOpt = None, priors: PriorsOpt = None) -> None:
    """Check every file in models/ and priors/; list each problem with its file and entry."""
    from bayescollab.elicit.settings import load_settings
    from bayescollab.theory.check import check_files

    theory, found = check_files(models, priors)
    problems = [str(p) for p in found]
    try:
        load_settings(priors)
    except TheoryError as exc:
        problems.extend(str(p) for p in exc.problems)
    if problems:
        typer.echo(f"{len(problems)} problem(s):", err=True)
        for p in problems:
            typer.echo(f"  - {p}", err=True)
        raise typer.Exit(code=2)
    assert theory is not None
    typer.echo(
        f"ok: {len(theory.nodes)} nodes, {len(theory.edges)} edges "
        f"(+{len(theory.feedback_edges)} feedback), {len(theory.cmocs)} CMOC records, "
        f"{len(theory.interactions)} interactions, {len(theory.scenarios)} scenarios"
    )


@app.command()
@_friendly_errors
def explain(
    target: Annotated[str, typer.Argument(help="Node to explain.")],
    given: GivenOpt = None,
    do: DoOpt = None,
    scenario: ScenarioOpt = None,
    as_json: JsonOpt = False,
    max_chains: Annotated[
        int, typer.Option("--max-chains", help="CMOC chains to show per evidence item (>= 0).")
    ] = 3,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """How much each piece of evidence moves TARGET, and the CMOC chains that carry it."""
    _check_counts(("--max-chains", max_chains, 0))
    from bayescollab._validate import parse_assignments
    from bayescollab.explain import explain as run_explain

    model = _load(models, priors)
    evidence = _evidence(model, given, scenario)
    n_items = len(evidence) + len(do or [])
    typer.echo(f"explaining with {2 + 2 * n_items} exact queries ...", err=True)
    result = run_explain(
        model,
        target,
        evidence=evidence,
        do=parse_assignments(do or [], "--do"),
        max_chains=max_chains,
    )
    typer.echo(json.dumps(result.to_dict()) if as_json else result.to_text())


@app.command()
@_friendly_errors
def draw(
    output: Annotated[Path, typer.Option("--output", "-o", help="FILE.png or FILE.svg")],
    given: GivenOpt = None,
    scenario: ScenarioOpt = None,
    force: ForceOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """Draw the causal web by life-cycle stage (contexts: green boxes; mechanisms: blue ellipses)."""
    from bayescollab._output import atomic_path, check_output_file

    check_output_file(output, force=force, option="--output", suffixes=PICTURE_SUFFIXES)
    from bayescollab.viz import draw_causal_web

    model = _load(models, priors)
    evidence = _evidence(model, given, scenario)

    def progress(i: int, n: int, node: str) -> None:
        typer.echo(f"\r[{i + 1}/{n}] P({node} | evidence)".ljust(60), err=True, nl=False)
        if i + 1 == n:
            typer.echo("", err=True)

    with atomic_path(output) as staged:
        draw_causal_web(model, staged, evidence=evidence or None, progress=progress)
    typer.echo(f"wrote {output}")


@app.command()
@_friendly_errors
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="bif or xmlbif")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write: .bif, or .xml / .xmlbif / .bifxml.")
    ],
    force: ForceOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """Write the network as BIF or XMLBIF (readable by pgmpy, pyAgrum and others)."""
    from bayescollab._output import atomic_path, check_output_file

    if fmt not in EXPORT_SUFFIXES:
        _fail(f"unknown format {fmt!r}; expected one of: bif, xmlbif")
    check_output_file(output, force=force, option=f"--format {fmt} --output", suffixes=EXPORT_SUFFIXES[fmt])
    from bayescollab.pgmpy_bridge import export_network

    model = _load(models, priors)
    with atomic_path(output) as staged:
        export_network(model, staged, fmt)  # type: ignore[arg-type]
    typer.echo(f"wrote {output}")


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
) -> None:
    """Update the theory's link strengths and the items' discriminations from surveys (PyMC NUTS).

    Every unobserved node is summed out exactly, so this is slow on surveys that measure the
    densely linked mechanisms (docs/performance.md); progress is shown while sampling.
    The folder is checked before sampling; existing results are replaced only with --force, and
    the files are renamed into place together at the end (docs/reliability.md).
    """
    import warnings

    from bayescollab._output import check_output_dir, noticing_sigint

    _check_counts(("--draws", draws, 1), ("--tune", tune, 0), ("--chains", chains, 1), ("--seed", seed, 0))
    check_output_dir(out, results=LEARN_FILES, force=force, option="--out")
    from bayescollab.survey.learn import learn as run_learn

    model = _load(models, priors)
    with warnings.catch_warnings(record=True) as caught, noticing_sigint() as interrupted:
        warnings.simplefilter("always", UserWarning)
        result = run_learn(
            model, survey, draws=draws, tune=tune, chains=chains, seed=seed, progressbar=not as_json
        )
    kept = int(result.idata.posterior.sizes["draw"])
    if interrupted or kept != draws:  # PyMC returns the draws so far on Ctrl-C
        typer.echo(
            f"error: sampling was interrupted after {kept} of {draws} draws per chain; "
            f"nothing was written to {out}",
            err=True,
        )
        raise typer.Exit(code=130)
    report = _write_learn_run(result, out, {"survey": str(survey), "out": str(out), **result.to_dict()})
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


@app.command()
@_friendly_errors
def sensitivity(
    target: Annotated[str, typer.Argument(help="Node whose probability is analysed.")],
    given: GivenOpt = None,
    do: DoOpt = None,
    scenario: ScenarioOpt = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Target state (default: its favourable state).")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the three-panel figure here (.png or .svg).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Rows per section (>= 1).")] = 8,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """Context tornado, lever ranking (002 Table 10 actions) and value of information, in one report."""
    from bayescollab._output import atomic_path, check_output_file

    _check_counts(("--top", top, 1))
    if plot is not None:
        check_output_file(plot, force=force, option="--plot", suffixes=PICTURE_SUFFIXES)
    from bayescollab._validate import parse_assignments
    from bayescollab.sensitivity.report import sensitivity_report

    model = _load(models, priors)
    report = sensitivity_report(
        model,
        target,
        state,
        scenario=scenario,
        evidence=parse_assignments(given or [], "--given"),
        do=parse_assignments(do or [], "--do"),
    )
    if plot is not None:
        from bayescollab.plots import report_figure

        with atomic_path(plot) as staged:
            report_figure(report, top=top).savefig(staged, dpi=120)
    if as_json:
        out = report.to_dict()
        if plot is not None:
            out["plot"] = str(plot)
        typer.echo(json.dumps(out))
        return
    typer.echo(report.to_text(top=top))
    if plot is not None:
        typer.echo(f"figure: {plot}")


@app.command()
@_friendly_errors
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Picture of the causal web.")] = Path(
        "causal_web.png"
    ),
    force: ForceOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """The main job: the headline scenario beside voluntary buddying, and the causal web."""
    from bayescollab._output import atomic_path, check_output_file

    check_output_file(output, force=force, option="--output", suffixes=PICTURE_SUFFIXES)
    from bayescollab.viz import draw_causal_web

    model = _load(models, priors)
    target = "collaborative_behaviour"
    typer.echo(f"bayescollab: {len(model.nodes)} nodes, {len(model.theory.cmocs)} CMOC records\n")
    for name in (HEADLINE, COMPARISON):
        s = model.theory.scenarios[name]
        dist = model.query(target, evidence=s.evidence)
        _print_distribution(dist, title=f"[{name}] {s.description}")
        typer.echo("")
    with atomic_path(output) as staged:
        draw_causal_web(model, staged)
    typer.echo(f"causal web (contexts: green boxes; mechanisms and outcomes: blue ellipses): {output}")
    typer.echo(f"colour it by a scenario with: bayescollab draw -o web.png --scenario {HEADLINE}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted (Ctrl-C); files being written were left as they were", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
