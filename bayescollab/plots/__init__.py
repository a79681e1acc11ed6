"""Pictures of finished results. Drawing only: every number comes from the result passed in.

Each function takes a result (a :mod:`bayescollab.sensitivity` analysis, a list of
:class:`~bayescollab.sensitivity.tornado.Swing`, or the model for the causal web with its
probabilities) and an optional matplotlib ``ax``, and returns the figure; none saves a file.
matplotlib is imported only inside them, so importing this package (or anything below it)
does not load matplotlib.
"""

from bayescollab.plots.sensitivity import (
    context_tornado,
    forest_plot,
    lever_gains_plot,
    parameter_tornado,
    report_figure,
    voi_plot,
)
from bayescollab.plots.tornado import tornado_plot
from bayescollab.plots.web import causal_web

__all__ = [
    "causal_web",
    "context_tornado",
    "forest_plot",
    "lever_gains_plot",
    "parameter_tornado",
    "report_figure",
    "tornado_plot",
    "voi_plot",
]
