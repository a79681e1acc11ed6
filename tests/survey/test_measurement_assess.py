"""Measurement model and assess: tables are distributions, and respondents-as-evidence is exact."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import bayescollab as bc
from bayescollab.engine.exact import Network, query_joint
from bayescollab.survey.assess import assess, favourable_state
from bayescollab.survey.instrument import Item, Option, load_instrument
from bayescollab.survey.measurement import answer_table, load_measurement_priors, node_likelihoods

LIKERT = tuple(Option(str(i), str(i)) for i in range(1, 6))
MATURITY = (Option("pathological", "p"), Option("bureaucratic", "b"), Option("generative", "g"))


def make_item(item_id: str, node: str, scale: str, n_states: int = 3, reverse: bool = False) -> Item:
    options = {"likert5": LIKERT, "maturity3": MATURITY}.get(scale)
    if options is None:  # choice: one option per state
        options = tuple(Option(f"s{i}", f"s{i}") for i in range(n_states))
    return Item(
        item_id, node, scale, "w", options, reverse, tuple(f"s{i}" for i in range(n_states)), "seed", "loc"
    )


def latent_reference(item: Item, lam: float) -> np.ndarray:
    """P(answer | state) by integrating the latent perception y = score + e / lambda over each band."""
    n, k = item.n_options, len(item.node_states)
    scores = np.linspace(-1, 1, k) * (-1 if item.reverse else 1)
    edges = np.concatenate([[-np.inf], -1 + 2 * np.arange(1, n) / n, [np.inf]])
    out = np.zeros((n, k))
    for s, a in itertools.product(range(k), range(n)):

        def density(y: float, mu: float = scores[s]) -> float:
            return lam * np.exp(-0.5 * (lam * (y - mu)) ** 2) / np.sqrt(2 * np.pi)

        out[a, s] = integrate.quad(density, edges[a], edges[a + 1])[0]
    return out


@settings(max_examples=30, deadline=None)
@given(
    scale=st.sampled_from(["likert5", "maturity3", "choice"]),
    n_states=st.integers(2, 4),
    reverse=st.booleans(),
    lam=st.floats(0.2, 8.0),
)
def test_answer_tables_are_distributions_and_monotone(
    scale: str, n_states: int, reverse: bool, lam: float
) -> None:
    if scale == "maturity3":
        n_states = 3
    item = make_item("i", "x", scale, n_states, reverse and scale == "likert5")
    table = answer_table(item, lam)
    assert table.shape == (item.n_options, n_states)
    np.testing.assert_allclose(table.sum(axis=0), 1.0, atol=1e-12)
    assert (table >= 0).all()
    if scale != "choice":
        # a higher state makes higher answers more likely (first-order stochastic dominance)
        cdf = np.cumsum(table, axis=0)[:-1]
        step = np.diff(cdf, axis=1)
        assert (step >= -1e-12).all() if item.reverse else (step <= 1e-12).all()
    else:
        assert (np.argmax(table, axis=0) == np.arange(n_states)).all()


@pytest.mark.parametrize(("scale", "reverse"), [("likert5", False), ("likert5", True), ("maturity3", False)])
def test_ordered_tables_equal_the_latent_perception_integral(scale: str, reverse: bool) -> None:
    item = make_item("i", "x", scale, 3, reverse)
    np.testing.assert_allclose(answer_table(item, 2.3), latent_reference(item, 2.3), atol=1e-8)


def test_prior_medians_give_the_documented_recognition_rates() -> None:
    priors = load_measurement_priors()
    table = answer_table(make_item("m", "trust", "maturity3"), priors.for_scale("maturity3").median)
    assert table[2, 2] == pytest.approx(0.95, abs=0.01)  # high trust -> generative
    assert table[1, 1] == pytest.approx(0.59, abs=0.02)  # medium trust -> bureaucratic


def test_unanswered_cells_contribute_nothing() -> None:
    items = {"a": make_item("a", "x", "likert5"), "b": make_item("b", "x", "maturity3")}
    full = node_likelihoods(
        {"a": np.array([4, -1, 2]), "b": np.array([np.nan, 1, 0])}, items, {"a": 2, "b": 2}
    )
    only = node_likelihoods({"a": np.array([4, 2]), "b": np.array([1, 0])}, items, {"a": 2, "b": 2})
    np.testing.assert_allclose(full["x"], only["x"])
    assert node_likelihoods({"a": np.array([-1, -1])}, items, {"a": 2}) == {}


def test_respondents_as_virtual_evidence_equal_brute_force_enumeration() -> None:
    """A small network with every answer as an explicit child node, enumerated in full, gives the
    same posterior as the engine fed with the aggregated likelihood vectors."""
    rng = np.random.default_rng(3)
    order = ("c", "x", "y", "z")
    parents = {"c": (), "x": ("c",), "y": ("c", "x"), "z": ("y",)}
    cards = {"c": 2, "x": 3, "y": 3, "z": 3}
    cpts = {}
    for n in order:
        shape = (cards[n], *[cards[p] for p in parents[n]])
        cpts[n] = rng.dirichlet(np.ones(shape[0]), size=int(np.prod(shape[1:], dtype=int))).T.reshape(shape)
    net = Network(order, parents, cpts)
    items = {
        "x1": make_item("x1", "x", "likert5"),
        "x2": make_item("x2", "x", "maturity3"),
        "y1": make_item("y1", "y", "likert5", reverse=True),
        "c1": make_item("c1", "c", "choice", 2),
    }
    lam = {"x1": 1.7, "x2": 2.5, "y1": 1.2, "c1": 3.0}
    answers = {
        "x1": np.array([4, 3, -1, 0]),
        "x2": np.array([2, -1, 1, 2]),
        "y1": np.array([0, 1, 1, -1]),
        "c1": np.array([1, 1, 0, -1]),
    }
    # brute force: joint over (c, x, y, z) times every answered cell's P(answer | its node)
    joint = np.zeros([cards[n] for n in order])
    for config in itertools.product(*(range(cards[n]) for n in order)):
        state = dict(zip(order, config, strict=True))
        p = 1.0
        for n in order:
            p *= cpts[n][(state[n], *[state[q] for q in parents[n]])]
        for item_id, codes in answers.items():
            table = answer_table(items[item_id], lam[item_id])
            for code in codes[codes >= 0]:
                p *= table[code, state[items[item_id].node]]
        joint[config] = p
    brute_z = joint.sum(axis=(0, 1, 2)) / joint.sum()
    brute_x = joint.sum(axis=(0, 2, 3)) / joint.sum()
    evidence = node_likelihoods(answers, items, lam)
    np.testing.assert_allclose(query_joint(net, ["z"], virtual_evidence=evidence), brute_z, atol=1e-12)
    np.testing.assert_allclose(query_joint(net, ["x"], virtual_evidence=evidence), brute_x, atol=1e-12)


@pytest.fixture(scope="module")
def one_collaboration(model: bc.Model) -> pd.DataFrame:
    """Six respondents who report low trust and faith and answer nothing else."""
    instrument = load_instrument(theory=model.theory)
    rows = []
    for r in range(6):
        row: dict = {"respondent_id": f"r{r}", "collaboration_id": "ics-1", "organisation": "org-A"}
        for item in instrument:
            low = item.scale != "likert5" or not item.reverse
            row[item.item_id] = (0 if low else 4) if item.node in ("trust", "faith") else pd.NA
        rows.append(row)
    frame = pd.DataFrame(rows)
    for item in instrument:
        frame[item.item_id] = frame[item.item_id].astype("Int64")
    return frame


def test_assess_moves_the_measured_mechanisms_and_matches_the_engine(
    model: bc.Model, one_collaboration
) -> None:
    (result,) = assess(model, one_collaboration, given={"mandated": "mandated"})
    assert result.collaboration_id == "ics-1" and result.respondents == 6
    assert result.measured_nodes == ["faith", "trust"]
    assert result.posterior["trust"]["low"] > result.prior["trust"]["low"] + 0.3
    assert result.change["trust"]["low"] == pytest.approx(
        result.posterior["trust"]["low"] - result.prior["trust"]["low"]
    )
    for node in ("collaborative_behaviour", "collaborative_performance", "risk_tolerance"):
        assert abs(sum(result.posterior[node].values()) - 1) < 1e-12
    # the engine directly, with the same likelihood vectors
    instrument = load_instrument(theory=model.theory)
    lam = {i.item_id: load_measurement_priors().for_scale(i.scale).median for i in instrument}
    answers = {
        i.item_id: one_collaboration[i.item_id].to_numpy(dtype=float, na_value=np.nan) for i in instrument
    }
    evidence = node_likelihoods(answers, {i.item_id: i for i in instrument}, lam)
    direct = model.query(
        "collaborative_behaviour", evidence={"mandated": "mandated"}, virtual_evidence=evidence
    )
    np.testing.assert_allclose(
        list(result.posterior["collaborative_behaviour"].values()), list(direct.values()), atol=1e-12
    )


def test_bottlenecks_are_ranked_interventions(model: bc.Model, one_collaboration) -> None:
    (result,) = assess(model, one_collaboration)
    gains = [b.gain for b in result.bottlenecks]
    assert gains == sorted(gains, reverse=True)
    names = [b.node for b in result.bottlenecks]
    assert "trust" in names and "collaborative_behaviour" not in names
    for b in result.bottlenecks:
        assert b.favourable_state == favourable_state(model, b.node)
    assert favourable_state(model, "conflict") == "low"  # adverse: less is better


def test_draws_add_seeded_credible_intervals(model: bc.Model, one_collaboration) -> None:
    a = assess(model, one_collaboration, draws=3, seed=5)[0]
    b = assess(model, one_collaboration, draws=3, seed=5)[0]
    assert a.n_draws == 3 and a.intervals.keys() == b.intervals.keys()
    for node, bounds in a.intervals.items():  # same seed, same draws; the plan may differ (1e-16)
        for state, pair in bounds.items():
            assert pair == pytest.approx(b.intervals[node][state], abs=1e-12)
    lo, hi = a.intervals["collaborative_behaviour"]["high"]
    assert 0 <= lo <= hi <= 1
    assert a.to_dict()["intervals"]["level"] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="draws is -1"):
        assess(model, one_collaboration, draws=-1)


def test_intervals_of_chosen_nodes_equal_one_draw_query_each(model: bc.Model, one_collaboration) -> None:
    """What a report asks for: intervals only for the nodes it shows, from one call for all of
    them, equal to one ``query_draws`` per node over the same θ draws."""
    from bayescollab.survey.assess import INTERVAL, collaboration_evidence, prior_discrimination

    shown = ["trust", "collaborative_behaviour", "collaboration_form"]  # the last: not reported
    (result,) = assess(model, one_collaboration, draws=3, seed=5, interval_nodes=shown)
    assert set(result.intervals) == {"trust", "collaborative_behaviour"}
    instrument = load_instrument(theory=model.theory)
    evidence = collaboration_evidence(
        one_collaboration, instrument, prior_discrimination(instrument, load_measurement_priors())
    )
    theta = model.sample_theta(3, seed=5)
    for node in result.intervals:
        per_draw = model.query_draws(node, theta, virtual_evidence=evidence).values
        lo, hi = np.quantile(per_draw, INTERVAL, axis=0)
        for i, state in enumerate(model.states(node)):
            assert result.intervals[node][state] == pytest.approx((lo[i], hi[i]), abs=1e-12)


def test_bottlenecks_equal_one_do_query_per_mechanism(model: bc.Model, one_collaboration) -> None:
    """The reverse-pass ranking gives what the two queries per mechanism give (module docstring)."""
    from bayescollab.survey.assess import collaboration_evidence, prior_discrimination

    instrument = load_instrument(theory=model.theory)
    evidence = collaboration_evidence(
        one_collaboration, instrument, prior_discrimination(instrument, load_measurement_priors())
    )
    given = {"mandated": "mandated"}
    (result,) = assess(model, one_collaboration, given=given)
    by_node = {b.node: b for b in result.bottlenecks}
    # the measured mechanisms, and one mechanism per set of kept answers, spread over the web
    kept_sets: dict[frozenset, str] = {}
    for node in model.nodes:
        if node in by_node:
            below = set(model.descendants(node))
            kept_sets.setdefault(frozenset(n for n in evidence if n not in below and n != node), node)
    chosen = sorted(set(kept_sets.values()) | (set(evidence) & set(by_node)), key=model.nodes.index)
    assert len(chosen) >= 3
    for node in chosen:
        b = by_node[node]
        below = set(model.descendants(node))
        kept = {n: v for n, v in evidence.items() if n not in below and n != node}
        own = {node: evidence[node]} if node in evidence else {}
        now = model.query("collaborative_behaviour", evidence=given, virtual_evidence={**kept, **own})
        moved = model.query(
            "collaborative_behaviour", evidence=given, virtual_evidence=kept, do={node: b.favourable_state}
        )
        assert b.behaviour_now == pytest.approx(now.expected_score(), abs=1e-9), node
        assert b.behaviour_if_moved == pytest.approx(moved.expected_score(), abs=1e-9), node
        assert b.p_high_now == pytest.approx(list(now.values())[-1], abs=1e-9), node
        assert b.p_high_if_moved == pytest.approx(list(moved.values())[-1], abs=1e-9), node
