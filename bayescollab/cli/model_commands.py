"""Commands on the theory and the model: query, effects, scenarios, validate, explain, draw, export,
sensitivity and the demo. Each parses, asks the model, prints; errors leave with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bayescollab.cli._app import (
    COMPARISON,
    EXPORT_SUFFIXES,
    HEADLINE,
    PICTURE_SUFFIXES,
    DoOpt,
    ForceOpt,
    GivenOpt,
    JsonOpt,
    ModelsOpt,
    PriorsOpt,
    ScenarioOpt,
    _check_counts,
    _evidence,
    _fail,
    _friendly_errors,
    _load,
    _print_distribution,
    app,
)
from bayescollab.errors import TheoryError


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
