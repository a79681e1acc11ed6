"""One sensitivity report for a target in a setting: contexts, levers, and what to measure next.

``bayescollab sensitivity`` answers the three questions an analyst asks of a scenario at once:
which unobserved contexts move the answer most (context tornado), which actions on the levers
Table 10 names would raise it most (lever ranking), and which survey item or mechanism to
measure first to narrow it down (value of information). Each part is its own module; this one
only runs them on the same setting and puts the results side by side, as text and JSON; the
figure is :func:`bayescollab.plots.report_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bayescollab.sensitivity._query import result_header
from bayescollab.sensitivity.context import ContextSensitivity, context_sensitivity
from bayescollab.sensitivity.levers import LeverRanking, rank_levers
from bayescollab.sensitivity.voi import ValueOfInformation, value_of_information


@dataclass(frozen=True)
class SensitivityReport:
    """The three analyses of one target under one setting (scenario, evidence, do).

    The setting itself is read off the context analysis, which resolved it first; the lever
    ranking and the value of information ran on the same one.
    """

    contexts: ContextSensitivity
    levers: LeverRanking
    information: ValueOfInformation

    @property
    def target(self) -> str:
        return self.contexts.target

    @property
    def state(self) -> str:
        return self.contexts.state

    @property
    def scenario(self) -> str | None:
        return self.contexts.scenario

    @property
    def evidence(self) -> dict[str, str]:
        return dict(self.contexts.evidence)

    @property
    def do(self) -> dict[str, str]:
        return dict(self.contexts.do)

    @property
    def probability(self) -> float:
        """P(target = state) in the setting, before any lever is pulled."""
        return self.contexts.baseline

    def to_dict(self) -> dict[str, Any]:
        return {
            **result_header(self),
            "probability": self.probability,
            "contexts": self.contexts.to_dict(),
            "levers": self.levers.to_dict(),
            "value_of_information": self.information.to_dict(),
        }

    def to_text(self, top: int = 8) -> str:
        rule = "-" * 78
        return "\n".join(
            [
                "CONTEXTS: how far each unobserved context swings the answer",
                self.contexts.to_text(top=top),
                rule,
                "LEVERS: actions from 002 Table 10, alone and in pairs, by gain",
                self.levers.to_text(top=min(top, 5)),
                rule,
                "WHAT TO MEASURE NEXT: mutual information with the target",
                self.information.to_text(top=top),
            ]
        )


def sensitivity_report(
    model: Any,
    target: str,
    state: str | None = None,
    *,
    scenario: str | None = None,
    evidence: Mapping[str, str] | None = None,
    do: Mapping[str, str] | None = None,
) -> SensitivityReport:
    """Run the context, lever and value-of-information analyses on one setting.

    ``scenario`` names a packaged scenario; ``evidence`` adds to it (a clash is refused by
    :func:`bayescollab.sensitivity.context.scenario_conditions`). ``state`` defaults to the
    target's favourable state.
    """
    contexts = context_sensitivity(model, target, state, scenario=scenario, evidence=evidence, do=do)
    levers = rank_levers(model, scenario, evidence=evidence, do=do, target=target, state=contexts.state)
    information = value_of_information(model, target, evidence=contexts.evidence, do=contexts.do)
    return SensitivityReport(contexts=contexts, levers=levers, information=information)
