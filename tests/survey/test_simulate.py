"""Synthetic surveys: reproducible draws, read_survey's format, the measurement model, the CLI."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayescollab as bc
from bayescollab.survey.ingest import read_survey
from bayescollab.survey.instrument import Instrument
from bayescollab.survey.measurement import answer_table, load_measurement_priors
from bayescollab.survey.simulate import (
    SYNTHETIC_PREFIX,
    SimulatedSurvey,
    example_survey_path,
    load_simulation,
    simulate_survey,
    write_simulation,
)

REPO = Path(__file__).resolve().parents[2]
#: |measured - expected| allowed, in binomial standard errors (many cells are checked at once)
Z_TOL = 5.0
PILOT_GIVEN = {
    "resource_capacity": "constrained",
    "collaboration_history": "poor",
    "vision_sharedness": "high",
}


@pytest.fixture(scope="module")
def large(model: bc.Model) -> SimulatedSurvey:
    """12,000 respondents in 300 collaborations: enough for frequencies within a few percent."""
    return simulate_survey(model, collaborations=300, respondents=40, seed=11)


def _codes(sim: SimulatedSurvey, node: str, model: bc.Model) -> np.ndarray:
    """True state index of ``node`` per respondent."""
    states = model.states(node)
    by_collab = dict(zip(sim.truth["collaboration_id"], sim.truth[node], strict=True))
    return np.array([states.index(by_collab[c]) for c in sim.answers["collaboration_id"]])


def test_same_seed_same_survey_other_seed_another(model: bc.Model) -> None:
    a = simulate_survey(model, collaborations=4, respondents=6, seed=5)
    b = simulate_survey(model, collaborations=4, respondents=6, seed=5)
    c = simulate_survey(model, collaborations=4, respondents=6, seed=6)
    pd.testing.assert_frame_equal(a.answers, b.answers)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert a.seed == 5
    assert not a.answers.equals(c.answers)
    assert not a.truth.equals(c.truth)


def test_no_seed_records_the_one_drawn_and_leaves_numpy_global_state_alone(model: bc.Model) -> None:
    before = np.random.get_state()[1].copy()  # noqa: NPY002 (checking it is untouched)
    a = simulate_survey(model, collaborations=2, respondents=3)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    assert isinstance(a.seed, int)
    again = simulate_survey(model, collaborations=2, respondents=3, seed=a.seed)
    pd.testing.assert_frame_equal(a.answers, again.answers)


def test_streams_are_separate_truth_ignores_counts_and_blanks_nest(model: bc.Model) -> None:
    few = simulate_survey(model, collaborations=5, respondents=2, seed=3, blank_rate=0.1)
    many = simulate_survey(model, collaborations=5, respondents=9, seed=3, blank_rate=0.3)
    pd.testing.assert_frame_equal(few.truth, many.truth)
    low = simulate_survey(model, collaborations=5, respondents=9, seed=3, blank_rate=0.1)
    items = low.item_ids
    assert (low.answers[items].isna() <= many.answers[items].isna()).all().all()
    answered = low.answers[items].notna() & many.answers[items].notna()
    assert (low.answers[items][answered] == many.answers[items][answered]).all().all()


def test_shapes_ids_and_dtypes(model: bc.Model, instrument: Instrument) -> None:
    sim = simulate_survey(model, collaborations=3, respondents=[1, 5, 12], seed=2)
    answers, truth = sim.answers, sim.truth
    assert list(answers.columns) == instrument.csv_header()
    assert answers.index.name == "line" and answers.index.tolist() == list(range(2, 20))
    assert all(
        str(answers[c].dtype) == "string" for c in ("respondent_id", "collaboration_id", "organisation")
    )
    assert all(answers[i].dtype == "Int64" for i in instrument.item_ids)
    assert answers["collaboration_id"].value_counts().to_dict() == {
        "synthetic-001": 1,
        "synthetic-002": 5,
        "synthetic-003": 12,
    }
    assert answers["respondent_id"].iloc[:3].tolist() == ["s001-r01", "s002-r01", "s002-r02"]
    assert not answers.duplicated(["collaboration_id", "respondent_id"]).any()
    orgs = answers.groupby("collaboration_id")["organisation"].agg(lambda s: sorted(set(s)))
    assert orgs["synthetic-001"] == ["org-A"]
    for collab in ("synthetic-002", "synthetic-003"):
        assert 2 <= len(orgs[collab]) <= 4 and orgs[collab][0] == "org-A"
    for item in instrument:
        answered = answers[item.item_id].dropna()
        assert answered.between(0, item.n_options - 1).all()
    assert list(truth.columns) == ["collaboration_id", *model.nodes]
    assert truth["collaboration_id"].tolist() == [f"{SYNTHETIC_PREFIX}00{i}" for i in (1, 2, 3)]
    for node in model.nodes:
        assert set(truth[node]) <= set(model.states(node)), node


def test_blank_fraction_is_close_to_the_rate(large: SimulatedSurvey) -> None:
    cells = large.answers[large.item_ids].size
    se = np.sqrt(0.1 * 0.9 / cells)
    assert abs(large.blank_fraction - 0.1) < Z_TOL * se, large.blank_fraction
    # no row or column pattern: every item is blank about as often
    per_item = large.answers[large.item_ids].isna().mean()
    item_se = np.sqrt(0.1 * 0.9 / len(large.answers))
    assert per_item.between(0.1 - Z_TOL * item_se, 0.1 + Z_TOL * item_se).all(), per_item.describe()


def test_blank_rate_zero_answers_everything(model: bc.Model) -> None:
    sim = simulate_survey(model, collaborations=2, respondents=4, seed=1, blank_rate=0)
    assert sim.blank_fraction == 0.0 and not sim.answers[sim.item_ids].isna().any().any()


def test_given_states_hold_in_every_collaboration(model: bc.Model) -> None:
    sim = simulate_survey(
        model, collaborations=40, respondents=1, seed=4, given=PILOT_GIVEN, do={"formalisation": "binding"}
    )
    for node, state in {**PILOT_GIVEN, "formalisation": "binding"}.items():
        assert (sim.truth[node] == state).all(), node


def test_given_is_conditioning_so_ancestors_follow_bayes(model: bc.Model) -> None:
    """Truth frequencies under a given non-root state match the exact posterior of the engine."""
    n = 4000
    given = {"vision_sharedness": "high", "mandated": "mandated"}
    sim = simulate_survey(model, collaborations=n, respondents=1, seed=8, given=given)
    for node in ("leadership_style", "stakeholder_involvement", "trust", "collaborative_behaviour"):
        exact = model.query(node, evidence=given)
        measured = sim.truth[node].value_counts(normalize=True)
        for state, p in exact.items():
            se = np.sqrt(p * (1 - p) / n)
            assert abs(measured.get(state, 0.0) - p) < Z_TOL * se + 1e-9, (
                node,
                state,
                measured.get(state),
                p,
            )


def test_answers_read_back_equal_the_frame(tmp_path: Path, model: bc.Model, instrument: Instrument) -> None:
    sim = simulate_survey(model, collaborations=3, respondents=7, seed=9, given={"trust": "low"})
    paths = write_simulation(sim, tmp_path / "sub" / "syn.csv", command="test")
    assert [p.name for p in paths.values()] == ["syn.csv", "syn.truth.csv", "syn.meta.json"]
    pd.testing.assert_frame_equal(read_survey(paths["answers"], instrument), sim.answers)
    back = load_simulation(paths["answers"], instrument)
    pd.testing.assert_frame_equal(back.truth, sim.truth)
    pd.testing.assert_frame_equal(back.answers, sim.answers)
    meta = json.loads(paths["meta"].read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["seed"] == 9 and meta["command"] == "test"
    assert meta["blank_rate"] == 0.1 and meta["given"] == {"trust": "low"}
    assert meta["bayescollab_version"] == bc.__version__
    assert meta["discrimination"] == sim.discrimination
    assert meta["theta"]["prior_mean"] is True and len(meta["theta"]["values"]) == len(model.theta)
    assert meta["files"] == {"answers": "syn.csv", "truth": "syn.truth.csv"}


def test_default_discrimination_is_the_prior_median_and_can_be_overridden(
    model: bc.Model, instrument: Instrument
) -> None:
    priors = load_measurement_priors()
    sim = simulate_survey(model, collaborations=1, respondents=2, seed=0, discrimination={"trust_1": 7.5})
    for item in instrument:
        expected = 7.5 if item.item_id == "trust_1" else priors.for_scale(item.scale).median
        assert sim.discrimination[item.item_id] == expected


@pytest.mark.parametrize("item_id", ["trust_maturity", "trust_2"])
def test_answer_frequencies_match_the_measurement_model(
    large: SimulatedSurvey, model: bc.Model, instrument: Instrument, item_id: str
) -> None:
    item = instrument[item_id]
    table = np.asarray(answer_table(item, large.discrimination[item_id]))
    states = _codes(large, item.node, model)
    answers = large.answers[item_id].to_numpy(dtype=float, na_value=np.nan)
    for s in range(len(item.node_states)):
        given_state = answers[(states == s) & ~np.isnan(answers)].astype(int)
        assert given_state.size > 1000, (item.node_states[s], given_state.size)
        freq = np.bincount(given_state, minlength=item.n_options) / given_state.size
        se = np.sqrt(table[:, s] * (1 - table[:, s]) / given_state.size)
        np.testing.assert_array_less(np.abs(freq - table[:, s]), Z_TOL * se + 1e-9)


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"collaborations": 0}, "collaborations is 0; expected an integer >= 1"),
        ({"respondents": 0}, "respondents is 0; expected an integer >= 1"),
        ({"respondents": [3, 0]}, "respondents is 0 (collaboration 2)"),
        ({"respondents": [3]}, "respondents has 1 entries; expected one per collaboration (2)"),
        ({"blank_rate": 1.0}, "blank_rate is 1.0; expected 0 <= blank_rate < 1"),
        ({"blank_rate": -0.1}, "blank_rate is -0.1"),
        ({"given": {"trsut": "high"}}, "unknown node 'trsut'; valid choices (closest first): trust"),
        (
            {"given": {"trust": "hgih"}},
            "unknown state of 'trust' 'hgih'; valid choices (closest first): high",
        ),
        ({"given": {"trust": "low"}, "do": {"trust": "low"}}, "nodes given as both given and do: ['trust']"),
        ({"discrimination": {"trust_9": 2.0}}, "unknown item 'trust_9'"),
        (
            {"discrimination": {"trust_1": 0}},
            "discrimination of 'trust_1' is 0; expected a finite number > 0",
        ),
    ],
)
def test_bad_arguments_name_the_value_and_what_was_expected(model: bc.Model, kwargs: dict, bad: str) -> None:
    args = {"collaborations": 2, "respondents": 3, "seed": 0, **kwargs}
    with pytest.raises(ValueError) as err:
        simulate_survey(model, **args)
    assert bad in str(err.value)


def test_unreachable_given_state_says_so(model: bc.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    import bayescollab.survey.simulate as simulate

    monkeypatch.setattr(simulate, "MAX_REJECTION_DRAWS", 100)
    with pytest.raises(ValueError, match="expected 50 to be met within 100 draws"):
        simulate_survey(
            model, collaborations=50, respondents=1, seed=0, given={"trust": "high", "faith": "low"}
        )


# ----------------------------------------------------------------------------- CLI


def test_cli_writes_the_same_survey_as_the_api(run_cli, tmp_path: Path, model: bc.Model) -> None:
    out = tmp_path / "syn.csv"
    done = run_cli(
        "simulate",
        "--collaborations",
        "3",
        "--respondents",
        "4",
        "--seed",
        "21",
        "--blank-rate",
        "0.2",
        "--given",
        "vision_sharedness=high",
        "-o",
        str(out),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (
        report["answers"] == str(out) and Path(report["truth"]).is_file() and Path(report["meta"]).is_file()
    )
    assert (report["collaborations"], report["respondents"], report["seed"]) == (3, 12, 21)
    assert report["blank_cells"] == round(report["blank_fraction"] * report["cells"])
    api = simulate_survey(
        model, collaborations=3, respondents=4, seed=21, blank_rate=0.2, given={"vision_sharedness": "high"}
    )
    pd.testing.assert_frame_equal(read_survey(out), api.answers)
    meta = json.loads(Path(report["meta"]).read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["command"].startswith("bayescollab simulate --collaborations 3")


def test_cli_bad_argument_exits_2_naming_it(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "syn.csv"
    done = run_cli("simulate", "--collaborations", "2", "--respondents", "0", "-o", str(out))
    assert done.returncode == 2 and "respondents is 0; expected an integer >= 1" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
    done = run_cli(
        "simulate", "--collaborations", "2", "--respondents", "3", "--blank-rate", "1.5", "-o", str(out)
    )
    assert done.returncode == 2 and "blank_rate is 1.5" in done.stderr


# ----------------------------------------------------------------------------- shipped example


def _example_script():
    spec = importlib.util.spec_from_file_location(
        "make_example_survey", REPO / "scripts" / "make_example_survey.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_regenerates_identically(tmp_path: Path, model: bc.Model) -> None:
    fresh = _example_script().make_example(tmp_path, model=model)
    shipped = example_survey_path()
    stale = "models/examples/ is stale: run `.venv/bin/python scripts/make_example_survey.py`"
    assert fresh["answers"].read_bytes() == shipped.read_bytes(), stale
    assert fresh["truth"].read_bytes() == shipped.with_name("pilot_synthetic.truth.csv").read_bytes(), stale
    new = json.loads(fresh["meta"].read_text(encoding="utf-8"))
    old = json.loads(shipped.with_name("pilot_synthetic.meta.json").read_text(encoding="utf-8"))
    new.pop("bayescollab_version"), old.pop("bayescollab_version")
    assert new == old, stale


def test_example_is_a_synthetic_pilot_sized_collaboration(instrument: Instrument) -> None:
    example = load_simulation(example_survey_path(), instrument)
    assert example.n_respondents == 21 and example.n_collaborations == 1
    assert example.answers["collaboration_id"].unique().tolist() == ["synthetic-001"]
    for node, state in PILOT_GIVEN.items():
        assert example.truth[node].tolist() == [state]
    meta = json.loads(
        example_survey_path().with_name("pilot_synthetic.meta.json").read_text(encoding="utf-8")
    )
    assert meta["synthetic"] is True and meta["given"] == PILOT_GIVEN
    assert meta["source"]["seed"] == "002_88c03433245ed2d8.txt"
    assert meta["source"]["location"].startswith("Chapter 7")
