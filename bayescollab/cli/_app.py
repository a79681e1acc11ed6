"""What every command shares: the Typer ``app``, the option types, and the helpers that turn a
failure into one line on stderr with exit code 2 (:func:`_friendly_errors`), load the model and
merge ``--scenario`` with ``--given`` (one rule: :func:`bayescollab.setting.merge_scenario`)."""

from __future__ import annotations

import functools
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
