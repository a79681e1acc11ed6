"""Global sensitivity to the priors: Sobol indices over θ, and whether scenario rankings survive.

Local analyses (:mod:`bayescollab.sensitivity.parameters`) move one θ component at a time
around one point. Here θ ranges over its whole prior at once. Sobol indices split the variance
of P(target=state | ...) among θ's components or groups of them, interactions included; the
prior-robustness report asks what an analyst comparing scenarios needs to know: if the
elicitation had been stronger, weaker, surer or vaguer, would scenario A still rank above B?
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from bayescollab._random import RandomSeed, get_random_generator
from bayescollab._validate import check_node, check_state
from bayescollab._version import __version__
from bayescollab.model import Evidence, Model, VirtualEvidence
from bayescollab.sensitivity.parameters import relevant_parameters, theta_positions

#: The variants of :meth:`ElicitationSettings.scaled` compared with the baseline. ``scaled``
#: multiplies every evidence grade's prior mean |weight| (``weight``; interaction means follow,
#: being grade means times ``interaction_scale``) or prior sd (``sd``). It leaves the form
#: typology, the node noise, w0 and κ alone, and moderator-only edges stay centred on 0.
SCALED_VARIANTS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "grade_means_x0.5": MappingProxyType({"weight": 0.5}),
        "grade_means_x2": MappingProxyType({"weight": 2.0}),
        "grade_sds_x0.5": MappingProxyType({"sd": 0.5}),
        "grade_sds_x2": MappingProxyType({"sd": 2.0}),
    }
)
#: How :func:`prior_robustness` labels answers taken at each setting's prior-mean θ.
POINT_MEASURE = "prior-mean θ"
#: Two answers closer than this count as tied (neither order is asserted).
TIE_ATOL = 1e-9


# ------------------------------------------------------------------------------- Sobol indices
def _group_labels(
    model: Model, index: list[int], groups: Literal["node", "parameter"] | Mapping[str, str]
) -> list[str] | None:
    params = [model.theta_spec.parameters[i] for i in index]
    if isinstance(groups, Mapping):
        missing = [p.name for p in params if p.name not in groups]
        if missing:
            raise ValueError(
                f"groups gives no group for {missing[:5]}; expected one for every varied component"
            )
        return [str(groups[p.name]) for p in params]
    if groups == "node":
        return [p.child for p in params]
    if groups == "parameter":
        return None
    raise ValueError(f"groups is {groups!r}; expected 'node', 'parameter' or a mapping name -> group")


def _sobol_problem(
    model: Model, names: list[str], index: list[int], groups: Any
) -> tuple[dict[str, Any], list[str] | None]:
    """SALib's problem over the chosen θ components (their prior marginals), and group labels."""
    spec = model.theta_spec
    mu, s = spec.lognormal_noise()
    lognormal = dict(zip(np.flatnonzero(spec.noise_mask).tolist(), zip(mu, s, strict=True), strict=True))
    mean, sd = spec.prior_mean(), spec.prior_sd()
    problem: dict[str, Any] = {
        "num_vars": len(index),
        "names": names,
        "bounds": [list(lognormal[i]) if i in lognormal else [mean[i], sd[i]] for i in index],
        "dists": ["lognorm" if i in lognormal else "norm" for i in index],
    }
    labels = _group_labels(model, index, groups)
    if labels is not None:
        problem["groups"] = labels
    return problem, labels


def sobol_indices(
    model: Model,
    target: str,
    state: str,
    *,
    evidence: Evidence | None = None,
    do: Evidence | None = None,
    virtual_evidence: VirtualEvidence | None = None,
    n: int = 256,
    groups: Literal["node", "parameter"] | Mapping[str, str] = "node",
    parameters: Sequence[str] | None = None,
    seed: RandomSeed = None,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """First-order and total Sobol indices of P(target=state | ...) over θ's prior.

    ``parameters`` (default: :func:`relevant_parameters`, the components that can move this
    answer) vary over their priors; the others stay at the model's θ. θ has over two hundred
    components, so by default they are grouped by the node whose CPT they shape (``groups=
    "node"``); ``"parameter"`` gives one index per component, and a mapping name -> label any
    other grouping. The design is SALib's Saltelli/Sobol' sequence without second-order terms:
    ``n`` x (groups + 2) model runs (``n`` a power of two), all as one batch of θ vectors
    through :meth:`CompiledQuery.draws`. The marginals use SALib's own ``dists``: ``"norm"``
    (elicited mean, sd) for weights and interactions, ``"lognorm"`` (the ln-space mu, s of
    :meth:`ThetaSpec.lognormal_noise`) for noise scales, the prior ``sample_theta`` draws from.

    Returns a DataFrame indexed by group (or component) with ``S1``, ``S1_conf``, ``ST``,
    ``ST_conf`` (bootstrap half-widths at ``conf_level``) and ``members``, sorted by ``ST``;
    ``attrs`` holds the query, the run count and the output's mean and variance. A group that
    cannot move the answer gets 0 for both indices (up to rounding); with a small ``n`` the
    estimates of the others are rough and S1 can dip below 0, so read them with their ``_conf``.
    """
    setting = model.setting(target, state, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
    y = model.states(target).index(state)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 4 or n & (n - 1):
        raise ValueError(f"n is {n!r}; expected a power of two of at least 4 (e.g. 64, 256, 1024)")
    names = (
        relevant_parameters(model, target, evidence=evidence, do=do, virtual_evidence=virtual_evidence)
        if parameters is None
        else list(parameters)
    )
    if not names:
        raise ValueError("no θ component to vary: this query does not depend on θ")
    index = theta_positions(model, names)
    problem, labels = _sobol_problem(model, names, index, groups)
    rng = get_random_generator(seed)
    sample_seed, analyse_seed = (int(v) for v in rng.integers(1, 2**31 - 1, size=2))  # SALib: 0 = unseeded
    design = sobol_sample.sample(problem, int(n), calc_second_order=False, seed=sample_seed)
    theta = np.repeat(np.asarray(model.theta, dtype=float)[None, :], len(design), axis=0)
    theta[:, index] = design
    out = model.compile_query(setting).draws(theta, progress=progress)[:, y]
    unique = list(dict.fromkeys(labels if labels is not None else names))
    members = pd.Series(labels if labels is not None else names).value_counts()
    if np.ptp(out) <= np.finfo(float).eps:  # SALib would divide by a zero variance
        indices = {k: np.zeros(len(unique)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    else:
        result = sobol_analyze.analyze(
            problem,
            out,
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=analyse_seed,
        )
        indices = {k: np.asarray(result[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    frame = pd.DataFrame(indices, index=pd.Index(unique, name="group" if labels else "parameter"))
    frame["members"] = [int(members[g]) for g in unique]
    frame = frame.sort_values("ST", ascending=False, kind="mergesort")
    frame.attrs = {
        "target": target,
        "state": state,
        "evidence": dict(evidence or {}),
        "do": dict(do or {}),
        "n": int(n),
        "runs": len(design),
        "output_mean": float(out.mean()),
        "output_variance": float(out.var()),
        "conf_level": conf_level,
        "method": "SALib sobol (Saltelli 2010 estimators), norm / lognorm marginals",
        "bayescollab_version": __version__,
    }
    return frame


# --------------------------------------------------------------------------- prior robustness
Pair = tuple[str, str]


@dataclass(frozen=True, eq=False)
class PriorRobustness:
    """Scenario answers under the baseline and each scaled elicitation, and which orders flip.

    ``probabilities`` has one row per scenario and one column per setting (``baseline`` first).
    Pairs are written (higher, lower) as the baseline ranks them. Under a variant a pair is
    ``kept`` if the same scenario stays strictly higher, otherwise ``flipped`` (reversed or now
    tied); pairs the baseline itself ties are listed in ``tied`` and judged by no variant.
    """

    target: str
    state: str
    measure: str
    variants: Mapping[str, Mapping[str, float]]
    probabilities: pd.DataFrame
    flipped: Mapping[str, tuple[Pair, ...]]
    kept: Mapping[str, tuple[Pair, ...]]
    tied: tuple[Pair, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "state": self.state,
            "measure": self.measure,
            "variants": {k: dict(v) for k, v in self.variants.items()},
            "probabilities": {s: dict(row) for s, row in self.probabilities.iterrows()},
            "flipped": {k: [list(p) for p in v] for k, v in self.flipped.items()},
            "kept": {k: [list(p) for p in v] for k, v in self.kept.items()},
            "tied": [list(p) for p in self.tied],
        }

    def to_text(self) -> str:
        n = len(self.probabilities)
        n_ordered = n * (n - 1) // 2 - len(self.tied)
        lines = [
            f"P({self.target}={self.state}) per scenario, {self.measure}:",
            self.probabilities.to_string(float_format=lambda v: f"{v:.4f}"),
            "",
        ]
        base = self.probabilities["baseline"]
        for name, scale in self.variants.items():
            how = ", ".join(f"grade {'means' if k == 'weight' else 'sds'} x{v:g}" for k, v in scale.items())
            flips = self.flipped[name]
            same = np.allclose(self.probabilities[name], base, rtol=0, atol=TIE_ATOL)
            head = f"{name} ({how}): "
            if not flips:
                head += f"all {n_ordered} ordered pairs keep their order"
            else:
                head += f"{len(flips)} of {n_ordered} ordered pairs flip"
            if same:
                head += " (every answer equals the baseline's"
                if set(scale) == {"sd"} and self.measure == POINT_MEASURE:
                    head += ": sds do not move the prior mean; draws= compares prior-predictive means"
                head += ")"
            lines.append(head)
            lines.extend(f"    {a} > {b} in the baseline, not under {name}" for a, b in flips)
        if self.tied:
            lines.append("tied in the baseline: " + "; ".join(f"{a} = {b}" for a, b in self.tied))
        return "\n".join(lines)


def _check_variants(variants: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, spec in variants.items():
        unknown = set(spec) - {"weight", "sd"}
        if unknown or not spec:
            raise ValueError(
                f"variant {name!r} is {dict(spec)}; expected keys of ElicitationSettings.scaled: "
                "'weight' and/or 'sd'"
            )
        for key, value in spec.items():
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"variant {name!r} scales {key} by {value!r}; expected a positive number")
        if name == "baseline":
            raise ValueError("'baseline' names the unscaled settings; give the variant another name")
        out[name] = {k: float(v) for k, v in spec.items()}
    return out


def _mean_over_draws(
    model: Model, target: str, y: int, cases: list[dict[str, str]], theta: np.ndarray
) -> np.ndarray:
    """Mean over θ draws of P(target=y | case) for every case, shape (cases,).

    The cases (scenarios) observe a few context nodes, so each chunk of draws contracts the
    small joint of those nodes and the target once and looks every case up in it, instead of
    one contraction per scenario; the model's compiled query does the chunking
    (:meth:`bayescollab.compiled.CompiledQuery.draws`).
    """
    nodes = sorted({n for case in cases for n in case})
    observed = {
        n: np.array([model.states(n).index(case[n]) if n in case else -1 for case in cases]) for n in nodes
    }
    query = model.compile_query(model.setting(), targets=[target], vary=nodes)
    return query.draws(theta, observed=observed)[..., y].mean(axis=0)


def prior_robustness(
    model: Model,
    target: str,
    state: str,
    *,
    scenarios: Sequence[str] | None = None,
    variants: Mapping[str, Mapping[str, float]] | None = None,
    draws: int | None = None,
    seed: RandomSeed = None,
) -> PriorRobustness:
    """Do the named scenarios keep their ranking on P(target=state) when the priors are scaled?

    Each variant (default :data:`SCALED_VARIANTS`) rebuilds the model as
    ``Model(model.theory, model.settings.scaled(**variant))``; the baseline is
    ``Model(model.theory, model.settings)``. ``scenarios`` defaults to all of
    ``model.scenarios``.

    ``draws=None`` compares the answers at each setting's prior-mean θ, the answer
    ``query`` gives (the model's own θ, e.g. a posterior mean, plays no part). Scaling only the
    sds leaves the prior mean, so those variants then give the baseline's answers exactly; pass
    ``draws`` to compare prior-predictive means E_θ[P(target=state | scenario)] over that many
    prior draws instead (the same seed for every setting, so they share random numbers; the
    scenarios share one contraction per chunk of draws).
    """
    check_node(target, model.nodes)
    y = check_state(target, state, model.states(target))
    names = list(model.scenarios) if scenarios is None else list(dict.fromkeys(scenarios))
    evidence = {name: model.scenario(name) for name in names}
    if len(names) < 2:
        raise ValueError(f"scenarios are {names}; expected at least two to rank")
    settings = {"baseline": {}, **_check_variants(SCALED_VARIANTS if variants is None else variants)}
    bad_draws = isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1
    if draws is not None and bad_draws:
        raise ValueError(f"draws is {draws!r}; expected None (prior-mean θ) or a positive integer")
    draw_seed = int(get_random_generator(seed).integers(0, 2**31 - 1))
    cases = [evidence[s] for s in names]
    table: dict[str, np.ndarray] = {}
    for label, scale in settings.items():
        variant = Model(model.theory, model.settings.scaled(**scale))
        if draws is None:
            table[label] = variant.query_batch(target, cases).values[:, y]
        else:
            theta = variant.sample_theta(int(draws), seed=draw_seed)
            table[label] = _mean_over_draws(variant, target, y, cases, theta)
    probabilities = pd.DataFrame(table, index=pd.Index(names, name="scenario"))
    base = probabilities["baseline"]
    ordered: list[Pair] = []
    tied: list[Pair] = []
    for a, b in combinations(names, 2):
        diff = base[a] - base[b]
        if abs(diff) <= TIE_ATOL:
            tied.append((a, b))
        else:
            ordered.append((a, b) if diff > 0 else (b, a))
    flipped: dict[str, tuple[Pair, ...]] = {}
    kept: dict[str, tuple[Pair, ...]] = {}
    for label in list(settings)[1:]:
        col = probabilities[label]
        holds = [col[hi] - col[lo] > TIE_ATOL for hi, lo in ordered]
        kept[label] = tuple(p for p, ok in zip(ordered, holds, strict=True) if ok)
        flipped[label] = tuple(p for p, ok in zip(ordered, holds, strict=True) if not ok)
    measure = POINT_MEASURE if draws is None else f"prior-predictive mean over {int(draws)} θ draws"
    return PriorRobustness(
        target=target,
        state=state,
        measure=measure,
        variants=MappingProxyType({k: MappingProxyType(v) for k, v in list(settings.items())[1:]}),
        probabilities=probabilities,
        flipped=MappingProxyType(flipped),
        kept=MappingProxyType(kept),
        tied=tuple(tied),
    )
