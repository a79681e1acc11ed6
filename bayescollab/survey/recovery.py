"""Parameter recovery: simulate surveys from a known θ, learn, and check the truth is covered.

If the model is right and the sampler works, data drawn at a θ that is itself drawn from the
prior give posterior intervals that contain that θ at their nominal rate (a calibration check in
the sense of simulation-based calibration). The issue's bar: the true value inside the 90%
interval for at least 80% of parameters, over several seeds.

Most θ components are not identified by a given set of items (a link far from every measured
node leaves the answers unchanged); their posterior stays the prior, which covers a prior draw at
the nominal rate by construction. The report therefore also gives coverage and shrinkage for the
*informed* parameters alone (posterior sd below ``INFORMED_SHRINK`` × prior sd), where recovery
is a real test.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayescollab._random import get_random_generator
from bayescollab.model import Model
from bayescollab.survey.instrument import RESERVED_COLUMNS, Instrument, load_instrument
from bayescollab.survey.learn import learn
from bayescollab.survey.measurement import load_measurement_priors
from bayescollab.survey.simulate import simulate_survey

#: items whose nodes have small ancestries, so the exact likelihood stays cheap (docs/survey.md)
RECOVERY_ITEMS = (
    "mandated_1",
    "cross_sector_1",
    "vision_clarity_maturity",
    "vision_clarity_1",
    "perceived_legitimacy_maturity",
    "perceived_legitimacy_1",
    "vision_sharedness_maturity",
    "vision_sharedness_1",
)
#: a parameter counts as informed by the data when its posterior sd is below this share of the prior sd
INFORMED_SHRINK = 0.8
#: pooled 90%-interval coverage of the informed parameters a calibrated sampler should give
CALIBRATION_RANGE = (0.80, 0.97)


@dataclass
class RecoveryRun:
    """One seed: the true parameters, their posterior intervals, and whether each is covered."""

    seed: int
    table: pd.DataFrame  # one row per parameter: true, lower, upper, prior_sd, post_sd, covered, informed
    problems: list[str]
    seconds: float

    @property
    def coverage(self) -> float:
        return float(self.table["covered"].mean())

    @property
    def informed_coverage(self) -> float | None:
        informed = self.table[self.table["informed"]]
        return float(informed["covered"].mean()) if len(informed) else None

    @property
    def informed_shrinkage(self) -> float | None:
        """Median of 1 - posterior sd / prior sd over the informed parameters."""
        informed = self.table[self.table["informed"]]
        return float((1 - informed["post_sd"] / informed["prior_sd"]).median()) if len(informed) else None


@dataclass
class RecoveryStudy:
    """Several :class:`RecoveryRun` s and the verdict against the issue's bar."""

    runs: list[RecoveryRun]
    prob: float
    threshold: float

    @property
    def passed(self) -> bool:
        """Every seed covers at least ``threshold`` of its parameters."""
        return all(run.coverage >= self.threshold for run in self.runs)

    @property
    def pooled_informed_coverage(self) -> float | None:
        """Share of informed parameters, pooled over every run, whose truth is in its interval.

        The calibration bar of the learn issue: within ``CALIBRATION_RANGE`` at 90% (a share
        above it says the intervals are too wide, below it too narrow or the chains stuck).
        """
        informed = [r.table.loc[r.table["informed"], "covered"] for r in self.runs]
        total = sum(len(c) for c in informed)
        return sum(int(c.sum()) for c in informed) / total if total else None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "seed": r.seed,
                    "parameters": len(r.table),
                    "coverage": r.coverage,
                    "informed": int(r.table["informed"].sum()),
                    "informed_coverage": r.informed_coverage,
                    "median_shrinkage_informed": r.informed_shrinkage,
                    "sampler_problems": "; ".join(r.problems),
                    "seconds": r.seconds,
                }
                for r in self.runs
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "prob": self.prob,
            "threshold": self.threshold,
            "passed": self.passed,
            "pooled_informed_coverage": self.pooled_informed_coverage,
            "informed_parameters": int(sum(r.table["informed"].sum() for r in self.runs)),
            "runs": self.to_frame().to_dict(orient="records"),
        }


def _prior_sd(model: Model, items: Sequence[str], instrument: Instrument) -> np.ndarray:
    """Prior sd of θ (its log-normal noise has the elicited sd too) followed by each item's λ."""
    priors = load_measurement_priors()
    lam_sd = [priors.for_scale(instrument[i].scale).sd() for i in items]
    return np.concatenate([model.theta_spec.prior_sd(), lam_sd])


def recovery_run(
    model: Model,
    seed: int,
    *,
    items: Sequence[str] = RECOVERY_ITEMS,
    collaborations: int = 50,
    respondents: int = 12,
    blank_rate: float = 0.1,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    prob: float = 0.9,
    progressbar: bool = False,
    sampler: str = "auto",
    sampler_kwargs: dict[str, Any] | None = None,
) -> RecoveryRun:
    """Draw θ and λ from their priors, simulate a survey of ``items``, learn, compare.

    ``sampler`` goes to :func:`~bayescollab.survey.learn.learn` (``augmented`` for the whole
    instrument, whose exact likelihood is out of reach).
    """
    instrument = load_instrument(theory=model.theory)
    unknown = [i for i in items if i not in instrument]
    if unknown:
        raise ValueError(f"unknown items {unknown}; expected ids from {list(instrument.item_ids)}")
    rng = get_random_generator(seed)
    theta_rng, lam_rng, survey_rng, learn_rng = rng.spawn(4)
    true_theta = model.sample_theta(1, seed=theta_rng)[0]
    priors = load_measurement_priors()
    true_lam = {i: priors.for_scale(instrument[i].scale).draw(lam_rng) for i in items}
    truth_model = model.with_theta(true_theta)
    sim = simulate_survey(
        truth_model,
        collaborations=collaborations,
        respondents=respondents,
        seed=survey_rng,
        blank_rate=blank_rate,
        discrimination=true_lam,
        instrument=instrument,
    )
    keep = [c for c in sim.answers.columns if c in RESERVED_COLUMNS or c in items]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # diagnostics are kept in problems instead
        result = learn(
            model,
            sim.answers[keep],
            draws=draws,
            tune=tune,
            chains=chains,
            seed=learn_rng,
            instrument=instrument,
            progressbar=progressbar,
            predictive_draws=0,
            sampler=sampler,
            sampler_kwargs=sampler_kwargs,
        )
    seconds = time.perf_counter() - start
    post = result.idata.posterior
    theta = post["theta"].stack(sample=("chain", "draw")).transpose("sample", ...).values
    lam = post["discrimination"].sel(item=list(items))
    lam = lam.stack(sample=("chain", "draw")).transpose("sample", ...).values
    samples = np.concatenate([theta, lam], axis=1)
    truth = np.concatenate([true_theta, [true_lam[i] for i in items]])
    tail = (1 - prob) / 2
    lower, upper = np.quantile(samples, [tail, 1 - tail], axis=0)
    prior_sd = _prior_sd(model, items, instrument)
    post_sd = samples.std(axis=0)
    names = [*model.theta_spec.names, *(f"discrimination[{i}]" for i in items)]
    table = pd.DataFrame(
        {
            "true": truth,
            "lower": lower,
            "upper": upper,
            "post_mean": samples.mean(axis=0),
            "prior_sd": prior_sd,
            "post_sd": post_sd,
            "covered": (lower <= truth) & (truth <= upper),
            "informed": post_sd < INFORMED_SHRINK * prior_sd,
        },
        index=pd.Index(names, name="parameter"),
    )
    return RecoveryRun(seed=int(seed), table=table, problems=result.problems, seconds=seconds)


def recovery_study(
    model: Model,
    seeds: Sequence[int],
    *,
    threshold: float = 0.8,
    prob: float = 0.9,
    progress: Callable[[int, int], None] | None = None,
    on_run: Callable[[RecoveryRun], None] | None = None,
    **run_options: Any,
) -> RecoveryStudy:
    """:func:`recovery_run` for each seed; ``passed`` when every seed covers ``threshold``.

    ``on_run`` receives each replication as it finishes, so a long study (20 replications of the
    whole instrument take about an hour) can write its results as it goes and lose nothing when
    it is stopped.
    """
    runs = []
    for k, seed in enumerate(seeds):
        run = recovery_run(model, seed, prob=prob, **run_options)
        runs.append(run)
        if on_run is not None:
            on_run(run)
        if progress is not None:
            progress(k + 1, len(seeds))
    return RecoveryStudy(runs=runs, prob=prob, threshold=threshold)
