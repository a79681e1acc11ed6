"""Check every data file the theory layer reads, for ``bayescollab validate``.

:func:`check_files` loads ``models/`` (the theory, then ``levers.yaml`` and ``instrument.csv``
against it, and ``magnitude_claims.yaml``) and ``priors/measurement.yaml``, and returns every problem as a
:class:`~bayescollab.errors.Problem` naming the file, the entry and the expected value. The
elicitation priors (``priors/evidence_grades.yaml``) load one layer up, in
:mod:`bayescollab.elicit.settings`; the command adds those.

When the theory itself cannot be loaded, the files checked against it are skipped: their
every node name would fail again and bury the root cause.
"""

from __future__ import annotations

from pathlib import Path

from bayescollab._paths import priors_dir
from bayescollab.errors import InstrumentError, Problem, TheoryError
from bayescollab.theory.claims import check_claims, load_claims
from bayescollab.theory.core import Theory
from bayescollab.theory.instrument import INSTRUMENT_FILE, load_instrument
from bayescollab.theory.levers import load_levers
from bayescollab.theory.load import load_theory
from bayescollab.theory.measurement import check_measurement_priors

__all__ = ["check_files"]


def _priors_root(priors: Path | str | None) -> Path | None:
    try:
        root = Path(priors) if priors is not None else priors_dir()
    except FileNotFoundError:
        return None
    return root if root.is_dir() else None


def check_files(
    models: Path | str | None = None, priors: Path | str | None = None
) -> tuple[Theory | None, list[Problem]]:
    """The loaded theory (None when it does not load) and every problem found.

    A missing priors folder is left to the elicitation loader, which names it once.
    """
    problems: list[Problem] = []
    theory: Theory | None = None
    try:
        theory = load_theory(models)
    except TheoryError as exc:
        problems.extend(exc.problems)
    if theory is not None:
        try:
            load_levers(theory=theory)
        except TheoryError as exc:
            problems.extend(exc.problems)
        path = theory.root / INSTRUMENT_FILE
        if not path.is_file():
            problems.append(
                Problem(INSTRUMENT_FILE, "file", f"missing file {path}; expected the survey items")
            )
        else:
            try:
                load_instrument(path, theory=theory)
            except InstrumentError as exc:
                problems.extend(exc.problems)
        try:
            problems.extend(check_claims(load_claims(theory.root), theory))
        except TheoryError as exc:
            problems.extend(exc.problems)
    root = _priors_root(priors)
    if root is not None:
        problems.extend(check_measurement_priors(root))
    return theory, problems
