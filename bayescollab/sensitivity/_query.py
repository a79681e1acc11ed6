"""The setup the parameter analyses share: the question as a Setting, and which θ can move it.

The question is validated once, by :meth:`bayescollab.Model.setting`; the CPTs that enter its
contraction are :attr:`bayescollab.compiled.CompiledQuery.needed`. Nothing here rebuilds the
network or re-checks names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bayescollab.model import Evidence, Model, VirtualEvidence
from bayescollab.setting import Setting


def sensitivity_setting(
    model: Model,
    target: str,
    state: str | None,
    evidence: Evidence | None,
    do: Evidence | None,
    virtual_evidence: VirtualEvidence | None,
) -> Setting:
    """The validated question, refusing a target that the setting itself fixes."""
    setting = model.setting(target, state, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
    setting.require_target(free=True)
    return setting


def relevant_parameters(
    model: Model,
    target: str,
    *,
    evidence: Evidence | None = None,
    do: Evidence | None = None,
    virtual_evidence: VirtualEvidence | None = None,
) -> list[str]:
    """Names of the θ components that may change P(target | evidence, do(...)).

    Only the CPTs of the query's ancestors (with the parents of ``do`` nodes cut away, and the
    ``do`` nodes' own CPTs replaced) enter the contraction; every other θ component leaves the
    answer exactly unchanged, so sensitivity analyses vary only these by default. It is a
    superset: a component whose influence hard evidence blocks is still listed (and then
    comes out with zero sensitivity).
    """
    setting = sensitivity_setting(model, target, None, evidence, do, virtual_evidence)
    needed = set(model.compile_query(setting).needed)
    return [p.name for p in model.theta_spec.parameters if p.child in needed]


def setting_labels(setting: Setting) -> dict[str, Any]:
    """The header every sensitivity result carries: target, state, evidence, do, likelihoods.

    One place for it, read off the validated :class:`~bayescollab.setting.Setting` (the
    scenario, when there is one, is added by the results that take a scenario).
    """
    return {
        "target": setting.target,
        "state": setting.state,
        "evidence": dict(setting.evidence),
        "do": dict(setting.do),
        "virtual_evidence": {k: list(v) for k, v in setting.likelihoods.items()},
    }


def describe_conditions(evidence: Mapping[str, str], do: Mapping[str, str], virtual: Sequence[str]) -> str:
    """A stored result's conditions in words, as :meth:`Setting.describe` words a live setting:
    ``a=x, do(b=y), virtual evidence on c`` (or ``nothing``)."""
    parts = [f"{k}={v}" for k, v in evidence.items()] + [f"do({k}={v})" for k, v in do.items()]
    if virtual:
        parts.append("virtual evidence on " + ", ".join(virtual))
    return ", ".join(parts) or "nothing"


def result_header(result: Any) -> dict[str, Any]:
    """The header of a scenario-level result (target, state, scenario, evidence, do), in the
    order every ``to_dict`` of :mod:`bayescollab.sensitivity` starts with it.

    ``result`` is any result with those five attributes (context swings, lever ranking, the
    combined report); one function, so the header cannot drift between them.
    """
    return {
        "target": result.target,
        "state": result.state,
        "scenario": result.scenario,
        "evidence": dict(result.evidence),
        "do": dict(result.do),
    }


def header_attrs(result: Any) -> dict[str, str]:
    """:func:`result_header` as xarray attributes (strings, so a Dataset writes to netCDF)."""
    import json

    from bayescollab._version import __version__

    out = {k: v if isinstance(v, str) else json.dumps(v) for k, v in result_header(result).items()}
    return {**out, "bayescollab_version": __version__}
