"""Sensitivity and uncertainty analyses of the network: which numbers matter, and how sure we are.

Each module answers one question; this package re-exports their entry points:

* :mod:`.uncertainty`: credible intervals over θ draws, paired scenario comparisons;
* :mod:`.context`: how far each open context swings a target, observed and under ``do()``;
* :mod:`.levers`: actionable levers from 002 Table 10 (``models/levers.yaml``), ranked;
* :mod:`.voi`: value of information of mechanisms and survey items;
* :mod:`.cpt_entries`: sensitivity functions of single CPT entries;
* :mod:`.parameters`: θ-component derivatives and prior-interval swings;
* :mod:`.global_sensitivity`: Sobol indices over θ's prior and prior robustness;
* :mod:`.report`: the three-part report behind ``bayescollab sensitivity``;
* :mod:`.tornado`: the :class:`Swing` record they share.

Every function returns a finished, labelled result; the pictures of them live in
:mod:`bayescollab.plots` (``import bayescollab.sensitivity`` does not load matplotlib).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayescollab.sensitivity.context import context_sensitivity
    from bayescollab.sensitivity.cpt_entries import scan_cpt_entries, sensitivity_function
    from bayescollab.sensitivity.global_sensitivity import prior_robustness, sobol_indices
    from bayescollab.sensitivity.levers import load_levers, rank_levers
    from bayescollab.sensitivity.parameters import theta_sensitivity
    from bayescollab.sensitivity.report import sensitivity_report
    from bayescollab.sensitivity.tornado import Swing
    from bayescollab.sensitivity.uncertainty import compare_scenarios, credible_interval
    from bayescollab.sensitivity.voi import greedy_measurements, value_of_information

#: public name -> module, imported on first use: the report needs value of information, not
#: SALib and scipy.stats (about a second) behind the Sobol indices
_LAZY = {
    "context_sensitivity": "context",
    "scan_cpt_entries": "cpt_entries",
    "sensitivity_function": "cpt_entries",
    "prior_robustness": "global_sensitivity",
    "sobol_indices": "global_sensitivity",
    "load_levers": "levers",
    "rank_levers": "levers",
    "theta_sensitivity": "parameters",
    "sensitivity_report": "report",
    "Swing": "tornado",
    "compare_scenarios": "uncertainty",
    "credible_interval": "uncertainty",
    "greedy_measurements": "voi",
    "value_of_information": "voi",
}

__all__ = [
    "Swing",
    "compare_scenarios",
    "context_sensitivity",
    "credible_interval",
    "greedy_measurements",
    "load_levers",
    "prior_robustness",
    "rank_levers",
    "scan_cpt_entries",
    "sensitivity_function",
    "sensitivity_report",
    "sobol_indices",
    "theta_sensitivity",
    "value_of_information",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bayescollab.sensitivity' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bayescollab.sensitivity.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
