"""``priors/measurement.yaml``: the prior of each item's discrimination, per answer scale.

The numbers are read and checked here, with the other data files, so ``bayescollab validate``
checks them; the measurement model that uses them is :mod:`bayescollab.survey.measurement`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bayescollab._paths import priors_dir
from bayescollab.errors import PriorsError, Problem
from bayescollab.theory._yaml import EMPTY, read_yaml
from bayescollab.theory.instrument import SCALES

__all__ = [
    "MEASUREMENT_FILE",
    "DiscriminationPrior",
    "MeasurementPriors",
    "check_measurement_priors",
    "load_measurement_priors",
]

MEASUREMENT_FILE = "measurement.yaml"
_SHOWN = f"priors/{MEASUREMENT_FILE}"
_EXPECTED = "expected {median: <positive>, sd_log: <positive>}"


@dataclass(frozen=True)
class DiscriminationPrior:
    """Log-normal prior of an item's discrimination lambda: ``log lambda ~ Normal(log median, sd_log)``."""

    median: float
    sd_log: float

    def mean(self) -> float:
        return float(self.median * np.exp(self.sd_log**2 / 2))

    def sd(self) -> float:
        """Standard deviation of lambda (log-normal)."""
        return float(self.mean() * np.sqrt(np.exp(self.sd_log**2) - 1))

    def draw(self, rng: np.random.Generator) -> float:
        """One lambda from this prior."""
        return float(np.exp(np.log(self.median) + self.sd_log * rng.standard_normal()))


@dataclass(frozen=True)
class MeasurementPriors:
    """Discrimination priors per scale, read from ``priors/measurement.yaml``."""

    by_scale: Mapping[str, DiscriminationPrior]

    def for_scale(self, scale: str) -> DiscriminationPrior:
        try:
            return self.by_scale[scale]
        except KeyError:
            raise PriorsError(
                f"no measurement prior for scale {scale!r}; expected one of {sorted(self.by_scale)} "
                f"in priors/{MEASUREMENT_FILE}"
            ) from None


def _parse(path: Path) -> tuple[dict[str, DiscriminationPrior], list[Problem], list[str]]:
    """The priors that parse, a Problem per fault, and the same faults in the loader's words."""
    problems: list[Problem] = []
    if not path.is_file():
        return (
            {},
            [Problem(_SHOWN, "file", f"missing file {path}")],
            [f"measurement priors not found: {path}"],
        )
    raw: Any = read_yaml(path, problems)
    if problems:
        return {}, [Problem(_SHOWN, p.entry, p.message) for p in problems], [f"{path}: {problems[0].message}"]
    raw = {} if raw is EMPTY else raw
    section = raw.get("discrimination") if isinstance(raw, dict) else None
    if not isinstance(section, dict) or not section:
        msg = "no 'discrimination' section; expected one entry per scale"
        return {}, [Problem(_SHOWN, "discrimination", f"{msg} ({', '.join(SCALES)})")], [f"{path}: {msg}"]
    out: dict[str, DiscriminationPrior] = {}
    said: list[str] = []
    for scale, entry in section.items():
        where = f"discrimination.{scale}"
        try:
            median, sd_log = float(entry["median"]), float(entry["sd_log"])
        except (KeyError, TypeError, ValueError):
            problems.append(Problem(_SHOWN, where, f"is {entry!r}; {_EXPECTED}"))
            said.append(f"{path}: {where} is {entry!r}; {_EXPECTED}")
            continue
        if not (median > 0 and sd_log > 0):
            msg = f"has median {median}, sd_log {sd_log}; expected both > 0"
            problems.append(Problem(_SHOWN, where, msg))
            said.append(f"{path}: {where} {msg}")
            continue
        out[scale] = DiscriminationPrior(median, sd_log)
    return out, problems, said


def load_measurement_priors(root: Path | str | None = None) -> MeasurementPriors:
    """Read ``measurement.yaml`` from ``root`` (default: the packaged priors/).

    Raises
    ------
    PriorsError
        At the first fault: a missing file or section, an entry that is not two numbers, or a
        median or sd_log that is not positive.
    """
    path = Path(root or priors_dir()) / MEASUREMENT_FILE
    out, _, said = _parse(path)
    if said:
        raise PriorsError(said[0])
    return MeasurementPriors(out)


def check_measurement_priors(root: Path | str | None = None) -> list[Problem]:
    """Every fault of ``measurement.yaml`` (empty when valid), for ``bayescollab validate``.

    Beyond what the loader refuses, a scale of the instrument with no prior, or a prior for a
    scale the instrument does not have, is reported too.
    """
    path = Path(root or priors_dir()) / MEASUREMENT_FILE
    out, problems, _ = _parse(path)
    if problems:
        return problems
    missing = [s for s in SCALES if s not in out]
    unknown = [s for s in out if s not in SCALES]
    if missing:
        problems.append(
            Problem(_SHOWN, "discrimination", f"no prior for scales {missing}; expected {list(SCALES)}")
        )
    for scale in unknown:
        problems.append(
            Problem(
                _SHOWN, f"discrimination.{scale}", f"unknown scale {scale!r}; expected one of {list(SCALES)}"
            )
        )
    return problems
