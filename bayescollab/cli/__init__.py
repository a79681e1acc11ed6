"""The ``bayescollab`` command line (Typer). It only parses, dispatches and prints.

Errors go to stderr with exit code 2; ``--json`` prints exactly one JSON object on stdout. The
commands live in :mod:`~bayescollab.cli.model_commands` and
:mod:`~bayescollab.cli.survey_commands`; importing them registers them on :data:`app`.
"""

from __future__ import annotations

import sys

import typer

from bayescollab.allocator import tune_allocator
from bayescollab.cli import model_commands, report_commands, survey_commands  # noqa: F401  (registers the commands)
from bayescollab.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point; the process is ours, so it takes the memory settings of
    :mod:`bayescollab.allocator`."""
    try:
        tune_allocator()
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted (Ctrl-C); files being written were left as they were", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
