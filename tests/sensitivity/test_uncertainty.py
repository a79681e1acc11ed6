"""Credible intervals over θ draws and paired scenario comparisons (small draw counts)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import bayescollab as bc
from bayescollab.plots import forest_plot
from bayescollab.sensitivity.uncertainty import (
    compare_scenarios,
    credible_interval,
    select_draws,
)

TARGET = "collaborative_behaviour"
HEADLINE = "mandated_cross_sector_ics_poor_history"
BUDDYING = "voluntary_buddying_positive_history"
N = 32


@pytest.fixture(scope="module")
def ics(model: bc.Model) -> dict[str, str]:
    return model.scenario(HEADLINE)


@pytest.fixture(scope="module")
def interval(model: bc.Model, ics):
    return credible_interval(model, TARGET, "high", evidence=ics, n_draws=N, seed=7)


def test_interval_contains_the_mean(interval) -> None:
    for s in interval.states:
        assert interval.lower[s] <= interval.mean[s] <= interval.upper[s]
        assert 0.0 <= interval.lower[s] < interval.upper[s] <= 1.0
    assert sum(interval.point.values()) == pytest.approx(1.0)
    assert sum(interval.mean.values()) == pytest.approx(1.0)
    assert interval.n_draws == N and interval.source == "prior"
    assert interval.draws.dims == ("draw", TARGET)


def test_point_is_the_query_at_the_models_theta(model: bc.Model, ics, interval) -> None:
    assert interval.point == pytest.approx(dict(model.query(TARGET, evidence=ics)), abs=1e-12)


def test_text_and_dict(interval) -> None:
    line = str(interval)
    pattern = (
        r"^P\(collaborative_behaviour=high \| collaboration_form=integrated_care_system, .*\) = "
        rf"0\.\d{{3}} \[0\.\d\d, 0\.\d\d\] \(90% prior interval, {N} draws\)$"
    )
    assert re.match(pattern, line), line
    data = json.loads(json.dumps(interval.to_dict()))
    assert data["state"] == "high" and data["source"] == "prior" and data["n_draws"] == N
    assert set(data["states"]) == {"low", "medium", "high"}
    assert data["states"]["high"]["lower"] == interval.lower["high"]
    ds = interval.to_dataset()
    assert list(ds["state"].values) == ["low", "medium", "high"]
    assert ds.attrs["n_draws"] == N


def test_all_states_are_printed_without_a_state(model: bc.Model, ics) -> None:
    ci = credible_interval(model, TARGET, evidence=ics, n_draws=4, seed=1, label="headline")
    lines = str(ci).splitlines()
    assert [line.split(" |")[0] for line in lines] == [f"P({TARGET}={s}" for s in ("low", "medium", "high")]
    assert all("| headline)" in line for line in lines)


def test_same_seed_same_interval(model: bc.Model, ics, interval) -> None:
    again = credible_interval(model, TARGET, "high", evidence=ics, n_draws=N, seed=7)
    assert again.to_dict() == interval.to_dict()


def test_identical_draws_collapse_to_the_point(model: bc.Model, ics) -> None:
    theta = np.tile(model.theta, (6, 1))
    ci = credible_interval(model, TARGET, "high", evidence=ics, theta=theta, hdi=True)
    assert ci.source == "posterior" and ci.n_draws == 6
    for s in ci.states:
        assert ci.lower[s] == pytest.approx(ci.point[s], abs=1e-12)
        assert ci.upper[s] == pytest.approx(ci.point[s], abs=1e-12)
        assert ci.mean[s] == pytest.approx(ci.point[s], abs=1e-12)
        assert ci.hdi is not None
        assert ci.hdi[s] == pytest.approx((ci.point[s], ci.point[s]), abs=1e-12)


def test_hdi_lies_within_the_draws(model: bc.Model, ics) -> None:
    ci = credible_interval(model, TARGET, "high", evidence=ics, n_draws=N, seed=3, hdi=True, prob=0.8)
    values = ci.draws.sel({TARGET: "high"}).values
    lo, hi = ci.hdi["high"]
    assert values.min() <= lo < hi <= values.max()
    assert "80% prior interval, HDI [" in str(ci)


def test_posterior_draws_on_the_model_are_used_and_thinned(model: bc.Model) -> None:
    fitted = model.with_theta(model.theta)  # a new model: the session one is never changed
    fitted.theta_draws = model.sample_theta(20, seed=5)
    draws, source = select_draws(fitted, None, 8, seed=1)
    assert source == "posterior" and draws.shape == (8, len(model.theta_spec))
    assert all(any(np.array_equal(row, d) for d in fitted.theta_draws) for row in draws)
    ci = credible_interval(fitted, "trust", n_draws=8, seed=1)
    assert ci.source == "posterior" and ci.n_draws == 8
    assert "posterior interval" in str(ci)
    assert model.theta_draws is None


def test_query_does_not_change_the_model(model: bc.Model, ics) -> None:
    theta = model.theta.copy()
    before = dict(model.query(TARGET, evidence=ics))
    credible_interval(model, TARGET, evidence=ics, n_draws=4, seed=2, do={"formalisation": "binding"})
    np.testing.assert_array_equal(model.theta, theta)
    assert dict(model.query(TARGET, evidence=ics)) == before


@pytest.mark.parametrize("prob", [0, 1, -0.1, 1.5, float("nan"), True])
def test_bad_prob_is_refused(model: bc.Model, prob) -> None:
    with pytest.raises(
        ValueError, match=rf"prob is {re.escape(repr(prob))}; expected a number strictly between 0 and 1"
    ):
        credible_interval(model, TARGET, n_draws=4, prob=prob)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        compare_scenarios(model, TARGET, "high", [HEADLINE], n_draws=4, prob=prob)


def test_bad_draws_and_names_are_refused(model: bc.Model) -> None:
    with pytest.raises(ValueError, match="n_draws is 0; expected a positive whole number"):
        credible_interval(model, TARGET, n_draws=0)
    with pytest.raises(ValueError, match=r"theta draws have shape \(3,\)"):
        credible_interval(model, TARGET, theta=np.zeros(3))
    with pytest.raises(bc.UnknownNameError, match="'hgih'"):
        credible_interval(model, TARGET, "hgih", n_draws=4)
    with pytest.raises(bc.UnknownNameError, match="no_such_scenario"):
        compare_scenarios(model, TARGET, "high", ["no_such_scenario"], n_draws=4)


def test_scenario_compared_with_itself_differs_by_exactly_zero(model: bc.Model, ics) -> None:
    comparison = compare_scenarios(model, TARGET, "high", {"a": ics, "b": dict(ics)}, n_draws=N, seed=11)
    diff = comparison.difference("a", "b")
    assert (diff.point, diff.mean, diff.lower, diff.upper, diff.p_a_greater) == (0.0, 0.0, 0.0, 0.0, 0.0)


def test_comparison_is_paired_over_the_same_draws(model: bc.Model, ics) -> None:
    comparison = compare_scenarios(model, TARGET, "high", [HEADLINE, BUDDYING], n_draws=N, seed=11)
    assert comparison.source == "prior" and comparison.n_draws == N
    alone = credible_interval(model, TARGET, "high", evidence=ics, n_draws=N, seed=11)
    np.testing.assert_array_equal(comparison.intervals[HEADLINE].draws.values, alone.draws.values)
    head = comparison.intervals[HEADLINE].draws.sel({TARGET: "high"}).values
    budd = comparison.intervals[BUDDYING].draws.sel({TARGET: "high"}).values
    diff = comparison.difference(HEADLINE, BUDDYING)
    assert diff.mean == pytest.approx(float(np.mean(head - budd)), abs=1e-12)
    assert diff.p_a_greater == pytest.approx(float(np.mean(head > budd)))
    assert diff.lower <= diff.mean <= diff.upper
    reverse = comparison.difference(BUDDYING, HEADLINE)
    assert reverse.mean == pytest.approx(-diff.mean, abs=1e-12)
    assert reverse.p_a_greater == pytest.approx(1.0 - diff.p_a_greater)  # no ties between distinct scenarios
    # the theory's headline contrast, in (nearly) every draw
    assert diff.point < 0 and diff.p_a_greater < 0.2
    text = str(comparison)
    assert HEADLINE in text and "P(a > b)" in text
    json.dumps(comparison.to_dict())
    with pytest.raises(KeyError, match="no scenario 'nope'"):
        comparison.difference(HEADLINE, "nope")


def test_forest_plot_has_one_row_per_scenario(model: bc.Model) -> None:
    import matplotlib.pyplot as plt

    comparison = compare_scenarios(model, TARGET, "high", [HEADLINE, BUDDYING], n_draws=4, seed=1)
    for results in (comparison, comparison.intervals, list(comparison.intervals.values())):
        fig = forest_plot(results)
        try:
            labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
            assert labels == [BUDDYING, HEADLINE]  # first scenario at the top
        finally:
            plt.close(fig)
    with pytest.raises(ValueError, match="at least one interval"):
        forest_plot([])
