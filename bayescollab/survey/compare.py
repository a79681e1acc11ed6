"""Do two posteriors of the same data agree? (exact-marginal NUTS against data augmentation)

Per parameter, from ArviZ summaries (``kind="all"``): the means may differ by at most 0.1
posterior sd plus three Monte Carlo standard errors (both samplers' MCSE combined), and the
ratio of the posterior sds must lie within 0.8-1.25. The MCSE term lets a short run pass when
its noise alone explains the gap; the 0.1 sd term is the practical tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the agreement bounds of issue 12
MEAN_SD_SHARE = 0.1
MCSE_MULTIPLE = 3.0
SD_RATIO_RANGE = (0.8, 1.25)


def compare_posteriors(reference: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """One row per parameter: both means and sds, |Δmean|, its bound, the sd ratio and the checks."""
    common = reference.index.intersection(other.index)
    if len(common) == 0:
        raise ValueError("the two summaries share no parameter; expected the same model's variables")
    ref, oth = reference.loc[common], other.loc[common]
    delta = (oth["mean"] - ref["mean"]).abs()
    mcse = np.sqrt(ref["mcse_mean"] ** 2 + oth["mcse_mean"] ** 2)
    bound = MEAN_SD_SHARE * ref["sd"] + MCSE_MULTIPLE * mcse
    ratio = oth["sd"] / ref["sd"]
    lo, hi = SD_RATIO_RANGE
    return pd.DataFrame(
        {
            "mean_exact": ref["mean"],
            "mean_augmented": oth["mean"],
            "sd_exact": ref["sd"],
            "sd_augmented": oth["sd"],
            "abs_delta_mean": delta,
            "bound": bound,
            "mean_ok": delta <= bound,
            "sd_ratio": ratio,
            "sd_ok": (ratio >= lo) & (ratio <= hi),
        }
    )
