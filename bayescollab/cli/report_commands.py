"""``bayescollab report``: one self-contained HTML file an evaluator can hand to a partnership board.

The destination is checked before the model loads (a folder, a wrong suffix or an existing
file without ``--force`` costs a second, not an assessment), and the page is written
atomically, so an interrupted run never leaves half a report behind.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from bayescollab.cli._app import (
    ForceOpt,
    GivenOpt,
    ModelsOpt,
    PriorsOpt,
    SeedOpt,
    _check_counts,
    _friendly_errors,
    _load,
    app,
)

#: prior θ draws behind the credible intervals when --draws is not given
DEFAULT_DRAWS = 100
REPORT_SUFFIXES = (".html", ".htm")


@app.command()
@_friendly_errors
def report(
    survey: Annotated[Path, typer.Argument(help="Survey CSV (see `bayescollab instrument --csv-template`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    given: GivenOpt = None,
    draws: Annotated[
        int,
        typer.Option("--draws", help="Prior θ draws behind the 90% credible intervals (0: none)."),
    ] = DEFAULT_DRAWS,
    seed: SeedOpt = None,
    collaboration: Annotated[
        str | None,
        typer.Option("--collaboration", help="Report only this collaboration id (default: every one)."),
    ] = None,
    force: ForceOpt = False,
    models: ModelsOpt = None,
    priors: PriorsOpt = None,
) -> None:
    """Write an HTML assessment report: mechanisms, outcomes, bottlenecks, levers, what to measure next.

    One file with a section per collaboration; figures are embedded and it needs no network to open.
    """
    _check_counts(("--draws", draws, 0), ("--seed", seed, 0))
    from bayescollab._output import check_output_file
    from bayescollab._validate import parse_assignments

    check_output_file(output, force=force, option="--output", suffixes=REPORT_SUFFIXES)
    assignments = parse_assignments(given or [], "--given")
    if not survey.is_file():
        raise ValueError(f"survey {survey} is not a file; expected a survey CSV")
    from bayescollab.report import write_report

    model = _load(models, priors)
    command = shlex.join(["bayescollab", *sys.argv[1:]])
    write_report(
        model,
        survey,
        output,
        given=assignments,
        draws=draws,
        seed=seed,
        collaboration=collaboration,
        command=command,
        models=models,
        priors=priors,
        progress=lambda msg: typer.echo(msg, err=True),
    )
    typer.echo(f"wrote {output}")
