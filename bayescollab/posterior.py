"""Reading θ back from a saved ``learn`` posterior (an ArviZ InferenceData netCDF file).

It sits below :mod:`bayescollab.model` so that ``load_model(posterior=...)`` can read a
posterior without importing the survey package that wrote it (which itself uses the model).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["posterior_theta"]


def posterior_theta(path: str | Path, *, draws: bool = False) -> np.ndarray:
    """θ from a saved ``learn`` posterior: the posterior mean, or every draw (chains stacked)."""
    import arviz as az

    from bayescollab._output import check_run_complete

    check_run_complete(path)  # a learn folder marked incomplete, or changed since, is refused
    try:
        idata = az.from_netcdf(str(path))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"cannot read {path} as InferenceData ({exc}); expected a posterior.nc written by learn"
        ) from None
    if "posterior" not in idata.groups() or "theta" not in idata.posterior:
        raise ValueError(f"{path} has no posterior θ; expected the InferenceData written by learn")
    stacked = idata.posterior["theta"].stack(sample=("chain", "draw")).transpose("sample", ...).values
    return stacked if draws else stacked.mean(axis=0)
