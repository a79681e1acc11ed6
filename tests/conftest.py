"""Shared fixtures: the packaged model (session scope), a per-test RNG, the seed texts."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bayescollab as bc
from bayescollab._paths import models_dir, priors_dir

REPO = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--runslow", action="store_true", help="also run tests marked slow (minutes each; CI skips them)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow checks (recovery over seeds, full-size sampling) run only when asked for; under
    pytest-xdist, the longest work goes first (see ``_schedule_for_xdist``)."""
    if hasattr(config, "workerinput"):
        _schedule_for_xdist(items)
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (bash scripts/test.sh --runslow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


#: seconds of the longest tests in one fresh-clone run under xdist (2 workers, load ~7, so about 3x a
#: quiet machine; other tests count 0.5 s); only the
#: order in which work goes to the xdist workers (longest first) uses them, so a stale entry
#: costs balance, never correctness
SLOW_SECONDS: dict[str, float] = {
    "tests/test_notebooks.py::test_notebook_runs[02_survey_update.ipynb]": 134,
    "tests/test_notebooks.py::test_notebook_runs[03_sensitivity.ipynb]": 309,
    "tests/test_notebooks.py::test_notebook_runs[01_scenarios.ipynb]": 78,
    "tests/sensitivity/test_report_cli.py::test_sensitivity_text_and_bad_input": 295,
    "tests/sensitivity/test_report_cli.py::test_sensitivity_json_and_plot": 50,
    "tests/survey/test_measurement_assess.py::test_draws_add_seeded_credible_intervals": 230,
    "tests/survey/test_measurement_assess.py::test_bottlenecks_are_ranked_interventions": 169,
    "tests/survey/test_measurement_assess.py::"
    "test_assess_moves_the_measured_mechanisms_and_matches_the_engine": 184,
    "tests/survey/test_measurement_assess.py::test_bottlenecks_equal_one_do_query_per_mechanism": 29,
    "tests/test_report.py::test_example_report_has_every_section_and_its_numbers": 182,
    "tests/test_report.py::test_hostile_values_are_shown_as_text": 296,
    "tests/survey/test_learn.py::test_learn_samples_saves_and_reloads": 40,
    "tests/survey/test_learn.py::test_learn_cli_writes_posterior_summary_and_diagnostics": 32,
    "tests/survey/test_learn_augmented.py::test_augmented_run_gives_everything_exact_gives": 26,
    "tests/survey/test_learn_augmented.py::test_augmented_agrees_with_exact_on_the_reduced_instrument": 40,
    "tests/survey/test_learn_reproducible.py::test_learn_is_the_same_with_a_cold_or_a_warm_store": 35,
    "tests/survey/test_learn_reproducible.py::"
    "test_plans_for_the_whole_instrument_do_not_depend_on_the_store": 40,
    "tests/survey/test_assess_cli.py::test_assess_json_has_a_posterior_for_every_mechanism": 30,
    "tests/engine/test_packaged_vs_pgmpy.py::test_random_packaged_queries_match_pgmpy": 15,
    "tests/engine/test_packaged_vs_pgmpy.py::test_random_virtual_evidence_matches_pgmpy": 39,
}

#: a module defining a fixture of one of these scopes shares its value between its tests
_SHARED_SCOPE = re.compile(r"""scope\s*=\s*["'](?:module|class|package)["']""")


@functools.cache
def _shares_a_fixture(path: str) -> bool:
    """Whether the test module at ``path`` (relative to the repository) defines a module-,
    class- or package-scoped fixture (a rendered report, a fitted posterior)."""
    file = REPO / path
    return file.is_file() and bool(_SHARED_SCOPE.search(file.read_text(encoding="utf-8")))


def _unit_of(nodeid: str) -> str:
    """The unit of work one xdist worker takes: the whole module when its tests share a fixture
    (built once, on one worker), else the test alone (so the two workers balance)."""
    path = nodeid.split("::", 1)[0]
    return path if _shares_a_fixture(path) else nodeid


def _schedule_for_xdist(items: list[pytest.Item]) -> None:
    """Put the longest units first: the workers take units in the order of the items, so the
    long tests start at once and the many short ones fill in at the end."""
    weight: dict[str, float] = {}
    for item in items:
        unit = _unit_of(item.nodeid)
        weight[unit] = weight.get(unit, 0.0) + SLOW_SECONDS.get(item.nodeid, 0.5)
    items.sort(key=lambda it: -weight[_unit_of(it.nodeid)])


if importlib.util.find_spec("xdist") is not None:

    def pytest_xdist_make_scheduler(config: pytest.Config, log):
        """``--dist loadscope`` with the units of ``_unit_of`` instead of xdist's per-module
        scopes. (xdist's ``loadgroup`` marks do not group under pytest 9: xdist 3.8 renames
        ``item._nodeid``, which pytest 9 no longer reads.)"""
        if config.getvalue("dist") != "loadscope":
            return None
        from xdist.scheduler import LoadScopeScheduling

        class SharedFixtureScheduling(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                return _unit_of(nodeid)

        return SharedFixtureScheduling(config, log)


@pytest.fixture(scope="session")
def model() -> bc.Model:
    return bc.load_model()


@pytest.fixture(scope="session")
def theory(model: bc.Model) -> bc.Theory:
    return model.theory


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seed texts (``../shared/seeds`` beside the checkout, as in CI)."""
    for candidate in (
        REPO.parent / "shared" / "seeds",
        Path(os.environ.get("BAYESCOLLAB_SEEDS", "/nonexistent")),
    ):
        if candidate.is_dir():
            return candidate
    pytest.skip("seed texts not found beside the checkout (../shared/seeds)")


@pytest.fixture
def model_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Writable copies of models/ and priors/ for tests that break or edit them."""
    models = tmp_path / "models"
    priors = tmp_path / "priors"
    shutil.copytree(models_dir(), models)
    shutil.copytree(priors_dir(), priors)
    return models, priors


def _cli_command() -> list[str]:
    exe = Path(sys.executable).with_name("bayescollab")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("bayescollab")
    return [found] if found else [sys.executable, "-m", "bayescollab"]


@pytest.fixture(scope="session")
def run_cli():
    """Run the installed ``bayescollab`` console script; returns the CompletedProcess."""
    command = _cli_command()

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MPLBACKEND": "Agg"}
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
        )

    return run


#: factors below which pgmpy's own greedy path is kept (the random networks of tests/engine)
_SMALL_CONTRACTION = 20


@pytest.fixture(scope="session", autouse=True)
def pgmpy_contraction_path():
    """pgmpy's variable elimination, the reference, contracts along a better path.

    pgmpy's default (``elimination_order="greedy"``) multiplies the pruned network's factors with
    ``opt_einsum.contract(..., optimize="greedy")``. On this dense 77-node web, plain greedy picks
    paths of up to 4e9 flops for a query with few observed contexts (minutes per query, 14 GB
    of intermediates). Here the same call gets opt_einsum's seeded random-greedy path (32 greedy
    trials, deterministic): the same factors, evidence, pruning, virtual evidence and
    normalisation - pgmpy's, not ours - summed in another order, 10-25x fewer flops. Only the
    order of the sums changes, so the reference's value is the same to rounding (~1e-15). Small
    contractions (the random test networks) keep plain greedy: there it is already cheap.
    """
    from pgmpy.inference import ExactInference

    plain = ExactInference.contract

    def contract(*operands, optimize="greedy", **kwargs):
        if optimize == "greedy" and len(operands) > 2 * _SMALL_CONTRACTION:
            optimize = "random-greedy"
        return plain(*operands, optimize=optimize, **kwargs)

    ExactInference.contract = contract
    yield
    ExactInference.contract = plain
