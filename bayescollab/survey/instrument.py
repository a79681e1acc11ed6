"""The survey instrument; it loads with the other theory files in :mod:`bayescollab.theory.instrument`.

This module keeps the import path the survey code and users already use.
"""

from bayescollab.theory.instrument import (
    COLUMNS,
    INSTRUMENT_FILE,
    LIKERT5_LABELS,
    MATURITY3_LEVELS,
    RESERVED_COLUMNS,
    SCALES,
    Instrument,
    Item,
    Option,
    instrument_path,
    load_instrument,
)

__all__ = [
    "COLUMNS",
    "INSTRUMENT_FILE",
    "LIKERT5_LABELS",
    "MATURITY3_LEVELS",
    "RESERVED_COLUMNS",
    "SCALES",
    "Instrument",
    "Item",
    "Option",
    "instrument_path",
    "load_instrument",
]
