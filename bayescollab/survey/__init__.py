"""Survey data: the instrument (items measuring nodes), reading survey CSVs, synthetic surveys."""

from bayescollab.survey.ingest import DEFAULT_COLLABORATION, describe_survey, read_survey, write_survey
from bayescollab.survey.instrument import Instrument, Item, Option, load_instrument
from bayescollab.survey.simulate import (
    SimulatedSurvey,
    example_survey_path,
    load_simulation,
    simulate_survey,
    write_simulation,
)

__all__ = [
    "DEFAULT_COLLABORATION",
    "Instrument",
    "Item",
    "Option",
    "SimulatedSurvey",
    "describe_survey",
    "example_survey_path",
    "load_instrument",
    "load_simulation",
    "read_survey",
    "simulate_survey",
    "write_simulation",
    "write_survey",
]
