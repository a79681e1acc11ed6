"""Prior and posterior predictive checks for ``learn``: would the model have produced these answers?

A replicated survey keeps what the evaluator fixed (which collaborations, and how many of their
respondents answered each item) and redraws what the model explains: each collaboration's
latent states from the network at a draw of θ, then the answer counts of each item from the
measurement model at that draw's discriminations. Comparing the observed share of each answer
option with the spread of the replicated shares shows where the theory misfits the data (an
item answered far more favourably than the model can produce, say).

Replicates are answer *counts* per (collaboration, item, option), the same sufficient statistic
the likelihood uses, so observed and replicated data line up one to one in the InferenceData
(``observed_data`` / ``prior_predictive`` / ``posterior_predictive``, variables ``answers_<item>``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayescollab._random import RandomSeed, get_random_generator
from bayescollab.model import Model
from bayescollab.survey.instrument import Instrument
from bayescollab.survey.measurement import answer_table

__all__ = ["counts_dataset", "plot_ppc", "ppc_table", "replicate_counts"]


def replicate_counts(
    model: Model,
    answered: dict[str, np.ndarray],
    instrument: Instrument,
    theta: np.ndarray,
    discrimination: np.ndarray,
    *,
    seed: RandomSeed = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Replicated answer counts, one survey per draw: ``{item: (draws, collaborations, options)}``.

    ``answered[item]`` holds how many respondents of each collaboration answered the item (its
    observed count table summed over options); ``theta`` is (draws, P) and ``discrimination``
    (draws, items) in the order of ``answered``. Each draw gets fresh latent states for every
    collaboration, so the replicate carries both parameter and collaboration-level uncertainty.
    """
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    lam = np.atleast_2d(np.asarray(discrimination, dtype=float))
    items = list(answered)
    if lam.shape != (len(theta), len(items)):
        raise ValueError(
            f"discrimination has shape {lam.shape}; expected ({len(theta)}, {len(items)}) "
            "(draws, answered items)"
        )
    rng = get_random_generator(seed)
    n_collab = len(next(iter(answered.values()))) if answered else 0
    out = {i: np.zeros((len(theta), n_collab, instrument[i].n_options), dtype=np.int64) for i in items}
    for d in range(len(theta)):
        states = model.sample_states(n_collab, seed=rng, theta=theta[d])
        for j, item_id in enumerate(items):
            item = instrument[item_id]
            table = np.asarray(answer_table(item, lam[d, j]), dtype=float)  # (options, node states)
            probs = table[:, states[item.node]].T  # (collaborations, options)
            probs = probs / probs.sum(axis=1, keepdims=True)
            out[item_id][d] = rng.multinomial(answered[item_id].astype(np.int64), probs)
        if progress is not None:
            progress(d + 1, len(theta))
    return out


def counts_dataset(
    counts: dict[str, np.ndarray],
    collaborations: Sequence[str],
    instrument: Instrument,
    *,
    sample_dims: tuple[str, ...] = (),
) -> xr.Dataset:
    """Counts as a labelled Dataset: ``answers_<item>`` over (*sample_dims, collaboration, option).

    ``sample_dims`` names the leading axes of replicated counts (``("chain", "draw")``); observed
    counts have none.
    Options are labelled with their answer words, so a plot reads "agree" rather than "3".
    """
    data = {}
    coords: dict[str, Any] = {"collaboration": list(collaborations)}
    for item_id, table in counts.items():
        dim = f"option_{item_id}"
        coords[dim] = [option.answer for option in instrument[item_id].options]
        data[f"answers_{item_id}"] = ((*sample_dims, "collaboration", dim), table)
    return xr.Dataset(data, coords=coords)


def ppc_table(idata: Any, group: str = "posterior_predictive", prob: float = 0.9) -> pd.DataFrame:
    """Observed share of each answer option beside the replicated shares' interval.

    One row per (item, option): ``observed`` share over all collaborations, the replicated
    ``mean``, ``lower`` / ``upper`` (equal-tailed ``prob`` interval) and ``inside``; plus, per
    item, the Bayesian p-value of the mean answer code (share of replicates at or above the
    observed one; near 0 or 1 is a misfit).
    """
    if group not in idata.groups() or "observed_data" not in idata.groups():
        raise ValueError(
            f"InferenceData has groups {list(idata.groups())}; expected observed_data and {group}"
        )
    tail = (1 - prob) / 2
    rows = []
    for name in idata.observed_data.data_vars:
        obs = idata.observed_data[name].values.astype(float)  # (collab, options)
        rep = idata[group][name].stack(sample=("chain", "draw")).transpose("sample", ...).values.astype(float)
        n_obs = obs.sum()
        if n_obs == 0:
            continue
        obs_share = obs.sum(axis=0) / n_obs
        rep_share = rep.sum(axis=1) / rep.sum(axis=(1, 2))[:, None]
        codes = np.arange(obs.shape[1])
        obs_mean = float(obs_share @ codes)
        rep_mean = rep_share @ codes
        p_value = float(np.mean(rep_mean >= obs_mean))
        labels = idata.observed_data[name].coords[idata.observed_data[name].dims[1]].values
        for k, label in enumerate(labels):
            lo, hi = np.quantile(rep_share[:, k], [tail, 1 - tail])
            rows.append(
                {
                    "item": name.removeprefix("answers_"),
                    "option": str(label),
                    "observed": float(obs_share[k]),
                    "mean": float(rep_share[:, k].mean()),
                    "lower": float(lo),
                    "upper": float(hi),
                    "inside": bool(lo - 1e-12 <= obs_share[k] <= hi + 1e-12),
                    "p_value_mean_code": p_value,
                }
            )
    return pd.DataFrame(rows)


def plot_ppc(table: pd.DataFrame, *, title: str = "posterior predictive check", ncols: int = 4):
    """One small panel per item: replicated interval per option (bar) and the observed share (dot)."""
    import matplotlib.pyplot as plt

    items = list(dict.fromkeys(table["item"]))
    if not items:
        raise ValueError("the predictive-check table is empty; expected rows from ppc_table")
    nrows = -(-len(items) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), squeeze=False)
    for ax, item in zip(axes.flat, items, strict=False):
        rows = table[table["item"] == item]
        x = np.arange(len(rows))
        ax.vlines(x, rows["lower"], rows["upper"], color="#4c72b0", linewidth=6, alpha=0.5)
        colours = np.where(rows["inside"], "black", "#c44e52")
        ax.scatter(x, rows["observed"], color=colours, zorder=3, s=18)
        ax.set_xticks(x, [str(o)[:10] for o in rows["option"]], rotation=45, ha="right", fontsize=6)
        ax.set_title(item, fontsize=8)
        ax.set_ylim(0, 1)
    for ax in list(axes.flat)[len(items):]:
        ax.set_visible(False)
    fig.suptitle(f"{title}: bars = 90% replicated share, dots = observed (red: outside)", fontsize=9)
    fig.tight_layout()
    return fig
