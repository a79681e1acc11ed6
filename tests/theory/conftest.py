"""Theory fixtures: the packaged theory and instrument, loaded once per session."""

from __future__ import annotations

import pytest

from bayescollab.theory.core import Theory
from bayescollab.theory.instrument import Instrument, load_instrument
from bayescollab.theory.load import load_theory


@pytest.fixture(scope="session")
def survey_theory() -> Theory:
    return load_theory()


@pytest.fixture(scope="session")
def instrument(survey_theory: Theory) -> Instrument:
    return load_instrument(theory=survey_theory)
