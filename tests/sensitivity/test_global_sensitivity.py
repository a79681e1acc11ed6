"""Sobol indices over θ's prior and the prior-robustness report: structural truths."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bayescollab as bc
from bayescollab.sensitivity.global_sensitivity import (
    SCALED_VARIANTS,
    prior_robustness,
    sobol_indices,
)
from bayescollab.sensitivity.parameters import relevant_parameters

QUERY = {"target": "confidence", "state": "high", "evidence": {"mandated": "mandated"}}
OUTSIDER = "sigma[collaborative_performance]"  # no ancestor of confidence


@pytest.fixture(scope="module")
def grouped(model: bc.Model):
    names = [*relevant_parameters(model, "confidence", evidence=QUERY["evidence"]), OUTSIDER]
    return sobol_indices(model, **QUERY, n=64, parameters=names, seed=7)


def test_sobol_indices_are_labelled_by_group(model: bc.Model, grouped) -> None:
    spec = model.theta_spec
    names = [*relevant_parameters(model, "confidence", evidence=QUERY["evidence"]), OUTSIDER]
    children = {spec.parameters[spec.index(n)].child for n in names}
    assert set(grouped.index) == children and grouped.index.name == "group"
    assert list(grouped.columns) == ["S1", "S1_conf", "ST", "ST_conf", "members"]
    assert grouped["members"].sum() == len(names)
    assert list(grouped["ST"]) == sorted(grouped["ST"], reverse=True)
    assert grouped.attrs["runs"] == 64 * (len(children) + 2)
    assert grouped.attrs["output_variance"] > 0
    # ST >= S1 up to the Monte Carlo error of both estimates
    slack = grouped["S1_conf"] + grouped["ST_conf"] + 0.05
    assert (grouped["ST"] >= grouped["S1"] - slack).all(), grouped
    # the node's own CPT parameters dominate, as every other path runs through it
    assert grouped.index[0] == "confidence"


def test_a_group_that_cannot_move_the_answer_has_zero_indices(grouped) -> None:
    row = grouped.loc["collaborative_performance"]
    np.testing.assert_allclose(row[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy(dtype=float), 0.0, atol=1e-12)


def test_components_cut_by_do_have_zero_indices(model: bc.Model) -> None:
    names = [
        "w[mandated->initial_trust]",
        "sigma[initial_trust]",
        "w[formalisation->confidence]",
        "sigma[confidence]",
    ]
    frame = sobol_indices(
        model,
        "confidence",
        "high",
        do={"initial_trust": "high"},
        parameters=names,
        groups="parameter",
        n=32,
        seed=1,
    )
    assert frame.index.name == "parameter" and set(frame.index) == set(names)
    np.testing.assert_allclose(frame.loc[names[:2], ["S1", "ST"]].to_numpy(), 0.0, atol=1e-12)
    assert frame.loc["w[formalisation->confidence]", "ST"] > 0.05


def test_sobol_is_seeded_and_leaves_the_global_rng_alone(model: bc.Model, monkeypatch) -> None:
    # SALib's analyze falls back to numpy's global RNG when its seed is falsy (0 or None)
    def touched(*args, **kwargs):
        raise AssertionError("the global numpy RNG was used")

    monkeypatch.setattr(np.random, "randint", touched)
    monkeypatch.setattr(np.random, "seed", touched)
    names = ["w[formalisation->confidence]", "sigma[confidence]", "v[mandated*formalisation->confidence]"]
    first = sobol_indices(model, **QUERY, n=16, parameters=names, groups="parameter", seed=3)
    second = sobol_indices(model, **QUERY, n=16, parameters=names, groups="parameter", seed=3)
    np.testing.assert_array_equal(first.to_numpy(), second.to_numpy())
    third = sobol_indices(model, **QUERY, n=16, parameters=names, groups="parameter", seed=0)
    assert not np.array_equal(first.to_numpy(), third.to_numpy())


def test_sobol_refuses_bad_arguments(model: bc.Model) -> None:
    with pytest.raises(ValueError, match="n is 100; expected a power of two"):
        sobol_indices(model, **QUERY, n=100)
    with pytest.raises(ValueError, match=r"groups gives no group for \['sigma\[confidence\]'\]"):
        sobol_indices(model, **QUERY, parameters=["sigma[confidence]"], groups={"other": "x"}, n=8)


# ---------------------------------------------------------------------------- prior robustness
SCENARIOS = [
    "mandated_cross_sector_ics_poor_history",
    "voluntary_merger",
    "joint_venture",
    "voluntary_alliance",
]


def test_scale_one_flips_nothing(model: bc.Model) -> None:
    report = prior_robustness(
        model, "confidence", "high", scenarios=SCENARIOS, variants={"same": {"weight": 1.0, "sd": 1.0}}
    )
    assert report.flipped == {"same": ()}
    assert len(report.kept["same"]) + len(report.tied) == len(SCENARIOS) * (len(SCENARIOS) - 1) // 2
    np.testing.assert_allclose(report.probabilities["same"], report.probabilities["baseline"], atol=1e-12)
    for a, b in report.kept["same"]:
        assert report.probabilities.loc[a, "baseline"] > report.probabilities.loc[b, "baseline"]
    expected = model.query("confidence", evidence=model.scenario("joint_venture"))["high"]
    assert report.probabilities.loc["joint_venture", "baseline"] == pytest.approx(expected, abs=1e-12)
    assert "all" in report.to_text() and "keep their order" in report.to_text()
    assert json.loads(json.dumps(report.to_dict()))["flipped"] == {"same": []}


def test_scaled_variants_follow_settings_scaled(model: bc.Model) -> None:
    report = prior_robustness(model, "confidence", "high", scenarios=SCENARIOS[:3])
    assert list(report.probabilities.columns) == ["baseline", *SCALED_VARIANTS]
    probs = report.probabilities
    # scaling the grade means moves the answers; scaling only the sds keeps the prior mean
    assert not np.allclose(probs["grade_means_x2"], probs["baseline"])
    np.testing.assert_allclose(probs["grade_sds_x2"], probs["baseline"], atol=1e-12)
    doubled = bc.Model(model.theory, model.settings.scaled(weight=2.0))
    expected = doubled.query("confidence", evidence=model.scenario(SCENARIOS[1]))["high"]
    assert probs.loc[SCENARIOS[1], "grade_means_x2"] == pytest.approx(expected, abs=1e-12)
    for name in SCALED_VARIANTS:  # every ordered pair is either kept or flipped
        assert len(report.kept[name]) + len(report.flipped[name]) + len(report.tied) == 3


def test_prior_predictive_measure_sees_the_sds(model: bc.Model) -> None:
    report = prior_robustness(
        model,
        "confidence",
        "high",
        scenarios=SCENARIOS[:2],
        variants={"grade_sds_x2": {"sd": 2.0}, "same": {"weight": 1.0}},
        draws=16,
        seed=0,
    )
    probs = report.probabilities
    assert "16 θ draws" in report.measure
    assert not np.allclose(probs["grade_sds_x2"], probs["baseline"])
    np.testing.assert_allclose(probs["same"], probs["baseline"], atol=1e-12)  # shared random numbers
    # the scenarios' shared lookup equals one query_draws per scenario on the same draws
    draw_seed = int(np.random.default_rng(0).integers(0, 2**31 - 1))  # how the report derives it
    theta = model.sample_theta(16, seed=draw_seed)
    for name in SCENARIOS[:2]:
        direct = model.query_draws("confidence", theta, evidence=model.scenario(name)).sel(confidence="high")
        assert probs.loc[name, "baseline"] == pytest.approx(float(direct.mean()), abs=1e-12)


def test_robustness_refuses_bad_variants(model: bc.Model) -> None:
    with pytest.raises(ValueError, match=r"expected keys of ElicitationSettings\.scaled"):
        prior_robustness(model, "confidence", "high", variants={"odd": {"mean": 2.0}})
    with pytest.raises(ValueError, match="scales sd by -1"):
        prior_robustness(model, "confidence", "high", variants={"neg": {"sd": -1}})
    with pytest.raises(bc.UnknownNameError, match="'nowhere'"):
        prior_robustness(model, "confidence", "high", scenarios=["nowhere", "joint_venture"])
