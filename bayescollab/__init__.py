"""bayescollab: the refined realist programme theory of inter-organisational collaboration in
healthcare (Aunger, Millar, Greenhalgh et al.) as a queryable discrete Bayesian network."""

from __future__ import annotations

import importlib
import logging
import sys
import types
from typing import TYPE_CHECKING, Any

from bayescollab._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from bayescollab.errors import CPTError, ImpossibleEvidenceError, TheoryError, UnknownNameError
    from bayescollab.explain import Explanation, explain
    from bayescollab.model import Distribution, Model, load_model
    from bayescollab.theory.load import Theory, load_theory

#: public name -> module; imported on first use, so `bayescollab --help` or a refused option does not
#: pay for xarray, pandas and the engine (about 2 s) before it can answer
_LAZY = {
    "CPTError": "bayescollab.errors",
    "ImpossibleEvidenceError": "bayescollab.errors",
    "TheoryError": "bayescollab.errors",
    "UnknownNameError": "bayescollab.errors",
    "Explanation": "bayescollab.explain",
    "explain": "bayescollab.explain",
    "Distribution": "bayescollab.model",
    "Model": "bayescollab.model",
    "load_model": "bayescollab.model",
    "Theory": "bayescollab.theory.load",
    "load_theory": "bayescollab.theory.load",
}

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


class _Package(types.ModuleType):
    """Keeps a lazy public name from being replaced by a submodule of the same name.

    Importing ``bayescollab.explain`` (the module) makes Python set the package attribute
    ``explain`` to that module, after which ``bc.explain(...)`` would call a module. The
    function is the public name; the module stays reachable through ``sys.modules``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bayescollab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

