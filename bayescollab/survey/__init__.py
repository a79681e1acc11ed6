"""Survey data: the instrument (items measuring nodes of the theory) and reading survey CSVs."""

from bayescollab.survey.ingest import DEFAULT_COLLABORATION, describe_survey, read_survey, write_survey
from bayescollab.survey.instrument import Instrument, Item, Option, load_instrument

__all__ = [
    "DEFAULT_COLLABORATION",
    "Instrument",
    "Item",
    "Option",
    "describe_survey",
    "load_instrument",
    "read_survey",
    "write_survey",
]
