"""Shared fixtures: the packaged model (session scope), a per-test RNG, the seed texts."""

from __future__ import annotations

import os
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
    pytest-xdist, tests are grouped and ordered for the workers (see ``_schedule_for_xdist``)."""
    if hasattr(config, "workerinput"):
        _schedule_for_xdist(items)
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (bash scripts/test.sh --runslow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


#: seconds a test (or a whole module, for a module that shares a fixture) took in a serial run
#: of the suite on the 2-core CI machine; only the order of work handed to the workers uses
#: them (longest first), so they need only be roughly right
SLOW_SECONDS: dict[str, float] = {}

#: fixture scopes whose value the tests of one module share: such a module runs on one worker
_SHARED_SCOPES = {"module", "class", "package"}


def _schedule_for_xdist(items: list[pytest.Item]) -> None:
    """Group tests for ``--dist loadgroup`` and put the longest groups first.

    A module whose tests share a module-, class- or package-scoped fixture (a rendered report,
    a fitted posterior) is one group, so the fixture is built once, on one worker; every other
    test is its own unit, so the two workers balance. xdist hands units out in the order of the
    items (with ``--no-loadscope-reorder``), so the longest go first and the many short tests
    fill in at the end.
    """
    shared = {item.nodeid.split("::", 1)[0] for item in items if _uses_shared_fixture(item)}
    group: dict[str, str] = {}
    weight: dict[str, float] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        group[item.nodeid] = path if path in shared else item.nodeid
        if path in shared:
            item.add_marker(pytest.mark.xdist_group(path))
        key = group[item.nodeid]
        weight[key] = weight.get(key, 0.0) + SLOW_SECONDS.get(item.nodeid, 0.5)
    items.sort(key=lambda it: -weight[group[it.nodeid]])


def _uses_shared_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(defs and defs[-1].scope in _SHARED_SCOPES for defs in info.name2fixturedefs.values())


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


@pytest.fixture(scope="session", autouse=True)
def pgmpy_contraction_path():
    """pgmpy's variable elimination, the reference, contracts along a better path.

    pgmpy's default (``elimination_order="greedy"``) multiplies the pruned network's factors with
    ``opt_einsum.contract(..., optimize="greedy")``. On this dense 77-node web, plain greedy picks
    paths of up to 4e9 flops for a query with few observed contexts (minutes per query, 14 GB
    of intermediates). Here the same call gets opt_einsum's seeded random-greedy path (32 greedy
    trials, deterministic): the same factors, evidence, pruning, virtual evidence and
    normalisation - pgmpy's, not ours - summed in another order, 10-25x fewer flops. Only the
    order of the sums changes, so the reference's value is the same to rounding (~1e-15).
    """
    from pgmpy.inference import ExactInference

    plain = ExactInference.contract

    def contract(*operands, optimize="greedy", **kwargs):
        if optimize == "greedy":
            optimize = "random-greedy"
        return plain(*operands, optimize=optimize, **kwargs)

    ExactInference.contract = contract
    yield
    ExactInference.contract = plain
