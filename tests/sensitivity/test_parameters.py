"""CPT-entry sensitivity functions and θ sensitivity agree with brute recomputation."""

from __future__ import annotations

import json
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import bayescollab as bc
from bayescollab.engine.exact import Network, query_joint
from bayescollab.errors import UnknownNameError
from bayescollab.plots import parameter_tornado
from bayescollab.sensitivity.cpt_entries import SensitivityFunction, scan_cpt_entries, sensitivity_function
from bayescollab.sensitivity.parameters import relevant_parameters, theta_sensitivity

ATOL = 1e-9
SMALL = {"target": "confidence", "state": "high", "evidence": {"mandated": "mandated"}}


def brute_query(model: bc.Model, query: dict, node: str, column: tuple, x: int, t: float) -> float:
    """P(target=state | evidence) with CPT entry (x, column) of ``node`` set to t, the rest of
    its column scaled proportionally, by a full contraction of a rebuilt network."""
    states = {n: model.states(n) for n in model.nodes}
    table = np.array(model.cpts[node])
    col = table[(slice(None), *column)]
    new = col * (1 - t) / (1 - col[x])
    new[x] = t
    table[(slice(None), *column)] = new
    net = Network(
        tuple(model.nodes),
        {n: tuple(model.parents(n)) for n in model.nodes},
        {**model.cpts, node: table},
    )
    ev = {k: states[k].index(v) for k, v in query.get("evidence", {}).items()}
    probs = query_joint(net, [query["target"]], evidence=ev)
    return float(probs[states[query["target"]].index(query["state"])])


CASES = [
    # (query, node, node_state, parent states)
    (SMALL, "initial_trust", "high", {"mandated": "mandated", "collaboration_history": "poor",
                                      "formalisation": "binding", "partner_reputation": "good",
                                      "power_imbalance": "low"}),
    (SMALL, "mandated", "mandated", {"collaboration_form": "alliance"}),  # drives P(evidence)
    (SMALL, "confidence", "high", None),
    ({"target": "collaborative_behaviour", "state": "high",
      "evidence": {"collaboration_form": "integrated_care_system", "mandated": "mandated",
                   "cross_sector": "yes", "collaboration_history": "poor"}},
     "risk_tolerance", "medium", None),
]  # fmt: skip


def _parents(model: bc.Model, node: str, given: dict | None) -> dict[str, str]:
    if given is not None:
        return {p: given.get(p, model.states(p)[0]) for p in model.parents(node)}
    return {p: model.states(p)[-1] for p in model.parents(node)}


@pytest.mark.parametrize(("query", "node", "node_state", "parents"), CASES)
def test_sensitivity_function_matches_brute_recomputation(
    model: bc.Model, query: dict, node: str, node_state: str, parents: dict | None
) -> None:
    parent_states = _parents(model, node, parents)
    f = sensitivity_function(
        model,
        query["target"],
        query["state"],
        node=node,
        node_state=node_state,
        parent_states=parent_states,
        evidence=query["evidence"],
    )
    column = tuple(model.states(p).index(s) for p, s in parent_states.items())
    x = model.states(node).index(node_state)
    assert f.t0 == pytest.approx(float(model.cpts[node][(x, *column)]), abs=0)
    for t in (0.0, 0.13, f.t0, 0.5, 0.91, 1.0):
        expected = brute_query(model, query, node, column, x, t)
        np.testing.assert_allclose(f(t), expected, atol=ATOL, err_msg=f"t={t}")
    current = model.query(query["target"], evidence=query["evidence"])[query["state"]]
    np.testing.assert_allclose(f.query_at_t0, current, atol=ATOL)
    # the derivative at t0 equals a central finite difference of the brute recomputation
    h = 1e-6
    fd = (
        brute_query(model, query, node, column, x, f.t0 + h)
        - brute_query(model, query, node, column, x, f.t0 - h)
    ) / (2 * h)
    np.testing.assert_allclose(f.derivative, fd, atol=1e-7)


def test_root_entry_without_evidence_is_the_right_line(model: bc.Model) -> None:
    """No evidence, root node: P(y)(t) = t P(y | root=x) + (1 - t) P(y | root != x)."""
    f = sensitivity_function(model, "initial_trust", "high", node="collaboration_history", node_state="poor")
    assert f.c3 == pytest.approx(0.0, abs=1e-12)  # P(evidence) = 1 whatever t is
    assert f.c4 == pytest.approx(1.0, abs=1e-12)
    given = {s: model.query("initial_trust", evidence={"collaboration_history": s})["high"]
             for s in model.states("collaboration_history")}  # fmt: skip
    others = [p for s, p in given.items() if s != "poor"]
    np.testing.assert_allclose(f(1.0), given["poor"], atol=ATOL)
    np.testing.assert_allclose(f(0.0), np.mean(others), atol=ATOL)  # the others are equally likely
    np.testing.assert_allclose(f.derivative, given["poor"] - np.mean(others), atol=ATOL)
    np.testing.assert_allclose(f(0.25), 0.75 * f(0.0) + 0.25 * f(1.0), atol=ATOL)


def test_observed_root_entry_leaves_the_query_unchanged(model: bc.Model) -> None:
    """The prior of an observed root cancels between P(y, e) and P(e); at t = 1 the evidence
    becomes impossible and the function takes its limit, the same constant."""
    ev = {"collaboration_history": "poor"}
    f = sensitivity_function(
        model, "initial_trust", "high", node="collaboration_history", node_state="positive", evidence=ev
    )
    now = model.query("initial_trust", evidence=ev)["high"]
    values = f.values([0.0, 0.4, 1.0])
    np.testing.assert_allclose(values, now, atol=ATOL)
    assert values.dims == ("t",) and f.derivative == pytest.approx(0.0, abs=1e-12)


@pytest.fixture(scope="module")
def small_scan(model: bc.Model) -> pd.DataFrame:
    return scan_cpt_entries(model, SMALL["target"], SMALL["state"], evidence=SMALL["evidence"])


def _assert_rows_match_single_entries(model: bc.Model, frame: pd.DataFrame, query: dict) -> None:
    picks = [0, 1, 2, len(frame) // 3, len(frame) - 1]
    for i in picks:
        row = frame.iloc[i]
        parents = (
            dict(kv.split("=") for kv in row["parent_states"].split(", ")) if row["parent_states"] else {}
        )
        f = sensitivity_function(
            model, **query, node=row["node"], node_state=row["node_state"], parent_states=parents
        )
        np.testing.assert_allclose(
            [row.c1, row.c2, row.c3, row.c4], [f.c1, f.c2, f.c3, f.c4], atol=1e-12, err_msg=f.label
        )
        np.testing.assert_allclose(row["derivative"], f.derivative, atol=1e-9, err_msg=f.label)
        np.testing.assert_allclose([row["at_0"], row["at_1"]], [f(0.0), f(1.0)], atol=1e-9)


def test_scan_agrees_with_single_entry_functions(model: bc.Model, small_scan: pd.DataFrame) -> None:
    """The scan's one reverse pass and the two-contraction function are independent routes."""
    frame = small_scan
    assert frame.attrs["query"] == pytest.approx(
        model.query(SMALL["target"], evidence=SMALL["evidence"])[SMALL["state"]], abs=ATOL
    )
    assert list(frame["derivative"].abs()) == sorted(frame["derivative"].abs(), reverse=True)
    spec = model.theta_spec
    needed = {spec.parameters[spec.index(n)].child for n in relevant_parameters(model, "confidence")}
    assert set(frame["node"]) >= needed  # every node whose θ matters has its entries scanned
    _assert_rows_match_single_entries(model, frame, SMALL)


def test_scan_with_do_and_virtual_evidence(model: bc.Model) -> None:
    query = {
        "target": "confidence",
        "state": "low",
        "do": {"initial_trust": "high"},
        "virtual_evidence": {"power_imbalance": [0.2, 0.9], "formalisation": [0.5, 0.3, 0.1]},
    }
    frame = scan_cpt_entries(model, **query)
    assert "initial_trust" not in set(frame["node"])  # its CPT is replaced by the intervention
    expected = model.query("confidence", do=query["do"], virtual_evidence=query["virtual_evidence"])["low"]
    assert frame.attrs["query"] == pytest.approx(expected, abs=ATOL)
    _assert_rows_match_single_entries(model, frame, query)


def test_scan_entries_outside_the_query_are_flat(model: bc.Model) -> None:
    before = {n: np.array(t) for n, t in model.cpts.items()}
    frame = scan_cpt_entries(
        model, "confidence", "high", evidence={"mandated": "mandated"},
        nodes=["collaborative_performance", "trust", "initial_trust"], rank_by="range",
    )  # fmt: skip
    flat = frame[frame["node"].isin(["collaborative_performance", "trust"])]
    assert len(flat) == model.cpts["collaborative_performance"].size + model.cpts["trust"].size
    assert np.abs(flat["derivative"]).max() == 0 and np.abs(flat["range"]).max() < 1e-15
    assert frame.iloc[0]["node"] == "initial_trust" and frame.iloc[0]["range"] > 0
    assert list(frame["range"]) == sorted(frame["range"], reverse=True)
    for n, t in model.cpts.items():  # the scan read the model and changed nothing
        np.testing.assert_array_equal(t, before[n])


@settings(max_examples=60, deadline=None)
@given(row=st.integers(0, 10_000), t=st.floats(0.0, 1.0))
def test_sensitivity_function_stays_a_probability(small_scan: pd.DataFrame, row: int, t: float) -> None:
    r = small_scan.iloc[row % len(small_scan)]
    f = SensitivityFunction(
        "confidence", "high", r["node"], r["node_state"], (), r.c1, r.c2, r.c3, r.c4, r.t0
    )
    assert -1e-12 <= f(t) <= 1 + 1e-12


def test_entry_errors_name_the_bad_value(model: bc.Model) -> None:
    with pytest.raises(ValueError, match=r"expected exactly the parents of 'confidence'"):
        sensitivity_function(
            model, "confidence", "high", node="confidence", node_state="high", parent_states={"mandated": "x"}
        )
    with pytest.raises(UnknownNameError, match="'highest'"):
        sensitivity_function(model, "confidence", "highest", node="mandated", node_state="mandated",
                             parent_states={"collaboration_form": "merger"})  # fmt: skip
    f = sensitivity_function(
        model, "confidence", "high", node="mandated", node_state="mandated",
        parent_states={"collaboration_form": "merger"},
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"t is 1.5; expected a probability in \[0, 1\]"):
        f(1.5)
    with pytest.raises(ValueError, match="target 'mandated' is itself observed"):
        scan_cpt_entries(model, "mandated", "mandated", evidence={"mandated": "mandated"})
    with pytest.raises(ValueError, match="rank_by is 'size'"):
        scan_cpt_entries(model, "confidence", "high", rank_by="size")  # type: ignore[arg-type]
    assert f.to_dict()["entry"] == "P(mandated=mandated | collaboration_form=merger)"
    assert f.swing().width == pytest.approx(abs(f(1.0) - f(0.0)))


# ------------------------------------------------------------------------------- θ sensitivity
def test_theta_derivative_matches_rebuilt_models(model: bc.Model) -> None:
    names = ["w[formalisation->confidence]", "v[mandated*formalisation->confidence]", "sigma[confidence]",
             "w[collaboration_form->mandated]"]  # fmt: skip
    result = theta_sensitivity(model, **SMALL, parameters=names)
    by_name = {c.name: c for c in result.components}
    base = model.query("confidence", evidence=SMALL["evidence"])["high"]
    assert result.baseline == pytest.approx(base, abs=ATOL)
    h = 1e-5
    for name in names:
        i = model.theta_spec.index(name)
        up, down = np.array(model.theta), np.array(model.theta)
        up[i] += h
        down[i] -= h
        fd = (
            model.with_theta(up).query("confidence", evidence=SMALL["evidence"])["high"]
            - model.with_theta(down).query("confidence", evidence=SMALL["evidence"])["high"]
        ) / (2 * h)
        np.testing.assert_allclose(by_name[name].derivative, fd, atol=1e-6, err_msg=name)
        c = by_name[name]
        # the grid's responses are the query under models rebuilt at those θ values
        theta = np.array(model.theta)
        theta[i] = c.grid[0]
        low = model.with_theta(theta).query("confidence", evidence=SMALL["evidence"])["high"]
        np.testing.assert_allclose(c.responses[0], low, atol=ATOL, err_msg=name)
    assert [c.range for c in result.components] == sorted((c.range for c in result.components), reverse=True)


def test_theta_interval_is_the_prior_90_percent_interval(model: bc.Model) -> None:
    spec = model.theta_spec
    result = theta_sensitivity(
        model, **SMALL, parameters=["w[formalisation->confidence]", "sigma[confidence]"], points=3
    )
    z = norm.ppf(0.95)
    by_name = {c.name: c for c in result.components}
    w = spec.parameters[spec.index("w[formalisation->confidence]")]
    np.testing.assert_allclose(by_name[w.name].interval, (w.mean - z * w.sd, w.mean + z * w.sd))
    mu, s = spec.lognormal_noise()
    k = int(np.flatnonzero(spec.noise_mask).tolist().index(spec.index("sigma[confidence]")))
    np.testing.assert_allclose(
        by_name["sigma[confidence]"].interval, np.exp([mu[k] - z * s[k], mu[k] + z * s[k]])
    )
    for c in result.components:
        assert len(c.grid) == 3 and c.grid[0] == pytest.approx(c.interval[0])
        assert c.swing.low == min(c.responses) and c.swing.high == max(c.responses)
    assert (
        json.loads(json.dumps(result.to_dict()))["components"][0]["swing"]["label"]
        == result.components[0].name
    )
    frame = result.to_frame()
    assert list(frame.columns)[:3] == ["kind", "child", "value"] and frame.attrs["target"] == "confidence"


def test_theta_components_outside_the_query_are_zero(model: bc.Model) -> None:
    # sigma[collaborative_performance] is no ancestor of confidence; do(initial_trust) cuts
    # initial_trust's own weights off
    names = ["sigma[collaborative_performance]", "w[mandated->initial_trust]", "w[formalisation->confidence]"]
    result = theta_sensitivity(model, "confidence", "high", do={"initial_trust": "high"}, parameters=names)
    by_name = {c.name: c for c in result.components}
    for name in names[:2]:
        assert by_name[name].derivative == 0.0 and by_name[name].range == 0.0
    assert abs(by_name["w[formalisation->confidence]"].derivative) > 1e-3
    default = relevant_parameters(model, "confidence", do={"initial_trust": "high"})
    assert names[2] in default and not set(names[:2]) & set(default)


def test_parameter_tornado_draws_the_widest(model: bc.Model) -> None:
    result = theta_sensitivity(model, "initial_trust", "high", evidence={"mandated": "voluntary"})
    fig = parameter_tornado(result, top=4)
    try:
        (ax,) = fig.axes
        assert len(ax.patches) == 4
        assert "P(initial_trust=high | mandated=voluntary)" in ax.get_title()
    finally:
        plt.close(fig)


def test_theta_sensitivity_refuses_bad_arguments(model: bc.Model) -> None:
    with pytest.raises(UnknownNameError, match="θ component 'w\\[nope\\]'"):
        theta_sensitivity(model, **SMALL, parameters=["w[nope]"])
    with pytest.raises(ValueError, match="points is 1; expected at least 2"):
        theta_sensitivity(model, **SMALL, points=1)


def test_sensitivity_function_is_immutable_and_serialisable(model: bc.Model) -> None:
    f = sensitivity_function(model, "initial_trust", "high", node="collaboration_history", node_state="poor")
    with pytest.raises(AttributeError):
        f.c1 = 0.0  # type: ignore[misc]
    assert replace(f, c1=f.c1)(0.3) == f(0.3)
    assert json.loads(json.dumps(f.to_dict()))["coefficients"]["c3"] == pytest.approx(0.0, abs=1e-12)
