"""bayescollab: the refined realist programme theory of inter-organisational collaboration in
healthcare (Aunger, Millar, Greenhalgh et al.) as a queryable discrete Bayesian network."""

from __future__ import annotations

import logging

from bayescollab._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

from bayescollab.errors import (  # noqa: E402
    CPTError,
    ImpossibleEvidenceError,
    TheoryError,
    UnknownNameError,
)
from bayescollab.explain import Explanation, explain  # noqa: E402
from bayescollab.model import Distribution, Model, load_model  # noqa: E402
from bayescollab.theory.load import Theory, load_theory  # noqa: E402

__all__ = [
    "CPTError",
    "Distribution",
    "Explanation",
    "ImpossibleEvidenceError",
    "Model",
    "Theory",
    "TheoryError",
    "UnknownNameError",
    "__version__",
    "explain",
    "load_model",
    "load_theory",
]
