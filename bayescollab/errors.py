"""Domain exceptions. Each subclasses a built-in so callers can catch either."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One validation finding: which file, which entry, what is wrong."""

    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file} [{self.entry}]: {self.message}"


class TheoryError(ValueError):
    """The files in ``models/`` or ``priors/`` do not form a valid theory."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the theory files:\n{lines}")


class CPTError(ValueError):
    """A derived conditional probability table is not a valid distribution."""


class UnknownNameError(ValueError):
    """A node or state name that the model does not have; lists the valid choices."""

    def __init__(self, what: str, bad: str, choices: list[str]):
        from difflib import get_close_matches

        close = get_close_matches(bad, choices, n=len(choices), cutoff=0.0)
        self.bad = bad
        self.choices = close
        shown = ", ".join(close[:12]) + (" ..." if len(close) > 12 else "")
        super().__init__(f"unknown {what} {bad!r}; valid choices (closest first): {shown}")


class ImpossibleEvidenceError(ValueError):
    """The evidence has probability zero under the model, so no posterior exists."""


class InstrumentError(ValueError):
    """The survey instrument file is not valid against the theory (one line per problem)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the survey instrument:\n{lines}")


@dataclass(frozen=True)
class SurveyProblem:
    """One problem in a survey CSV: the file line (1 = header), the column, the bad value."""

    line: int | None
    column: str | None
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SurveyError(ValueError):
    """A survey CSV that cannot be read: each problem names its line, column and value."""

    #: problems shown in the message; all of them stay in ``problems``
    SHOWN = 20

    def __init__(self, source: str, problems: list[SurveyProblem]):
        self.source = source
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[: self.SHOWN])
        more = len(self.problems) - self.SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{source}: {len(self.problems)} problem(s) in the survey file:\n{shown}{tail}")


class PriorsError(ValueError):
    """A file in ``priors/`` is missing or malformed; the message names the file and the entry."""


class OutputError(ValueError):
    """An output path that cannot or must not be written (a folder, existing results, unwritable)."""
