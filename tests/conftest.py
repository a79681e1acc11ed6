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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow checks (recovery over seeds, full-size sampling) run only when asked for."""
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (bash scripts/test.sh --runslow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


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
