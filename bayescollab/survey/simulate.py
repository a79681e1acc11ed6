"""Synthetic surveys drawn from the model, for tests, parameter-recovery checks and notebooks.

Each synthetic collaboration gets one joint draw of every node of the network (its *truth*);
each of its respondents then answers every item of the instrument through the measurement
model (:func:`bayescollab.survey.measurement.answer_table`) given the true state of the item's
node, and each answer is left blank with probability ``blank_rate``.

``given`` states are *conditioned on*, as ``assess --given`` reads them: a given root context is
clamped (which is the same thing), and a given node with parents is obtained by rejection
(joint draws that miss it are discarded), so its ancestors shift as Bayes' rule says. ``do``
states are clamped instead (an intervention: the ancestors are left alone).

The answers are a frame in exactly :func:`~bayescollab.survey.ingest.read_survey`'s format, so
``assess`` and ``learn`` take them as they take a real file. Synthetic data is labelled by its
collaboration ids (``synthetic-001`` ...) and by the ``<stem>.meta.json`` file written beside
the CSV (:func:`write_simulation`); the CSV itself keeps the survey format of DESIGN.md.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayescollab._paths import models_dir
from bayescollab._random import RandomSeed, get_random_generator
from bayescollab._validate import check_disjoint, to_indices
from bayescollab.errors import UnknownNameError
from bayescollab.model import Model
from bayescollab.survey.ingest import read_survey, write_survey
from bayescollab.survey.instrument import Instrument, load_instrument
from bayescollab.survey.measurement import answer_table, load_measurement_priors

__all__ = [
    "EXAMPLE_SURVEY",
    "SYNTHETIC_PREFIX",
    "SimulatedSurvey",
    "check_simulation_arguments",
    "example_survey_path",
    "load_simulation",
    "simulate_survey",
    "simulation_paths",
    "write_simulation",
]

#: collaboration ids of synthetic data start with this (``synthetic-001``)
SYNTHETIC_PREFIX = "synthetic-"
#: the shipped example (``models/examples/``), made by ``scripts/make_example_survey.py``
EXAMPLE_SURVEY = "examples/pilot_synthetic.csv"
#: forward draws allowed when rejecting draws that miss a ``given`` state of a non-root node
MAX_REJECTION_DRAWS = 2_000_000
_MIN_BATCH, _MAX_BATCH = 64, 200_000
_ORGANISATIONS = (2, 4)  # respondents of a collaboration are spread over 2-4 organisations


@dataclass(frozen=True)
class SimulatedSurvey:
    """A synthetic survey and the latent truth it was drawn from.

    Attributes
    ----------
    answers
        One row per respondent, exactly as :func:`read_survey` returns a file: indexed by
        ``line``; ``respondent_id``, ``collaboration_id``, ``organisation`` (``string``), then
        one nullable ``Int64`` column of 0-based answer codes per instrument item, ``<NA>`` where
        blank.
    truth
        One row per collaboration: ``collaboration_id``, then the true state (name) of every
        node of the model, in the model's node order.
    seed
        The integer seed that reproduces the draw (drawn from fresh entropy when none was
        given); ``None`` when a numpy ``Generator`` was passed in.
    blank_rate, given, do, discrimination
        The settings used; ``discrimination`` has every item's λ.
    theta
        The model parameter vector θ the CPTs were derived from, by parameter name.
    theta_is_prior_mean
        Whether θ is the elicited prior mean (a model from :func:`bayescollab.load_model`).
    """

    answers: pd.DataFrame
    truth: pd.DataFrame
    seed: int | None
    blank_rate: float
    given: dict[str, str]
    do: dict[str, str]
    discrimination: dict[str, float]
    theta: dict[str, float]
    theta_is_prior_mean: bool
    instrument: Instrument = field(repr=False)

    @property
    def n_collaborations(self) -> int:
        return len(self.truth)

    @property
    def n_respondents(self) -> int:
        return len(self.answers)

    @property
    def item_ids(self) -> list[str]:
        return list(self.instrument.item_ids)

    @property
    def blank_fraction(self) -> float:
        """Share of answer cells left blank (measured, not the rate asked for)."""
        cells = self.answers[self.item_ids]
        return float(cells.isna().to_numpy().mean()) if cells.size else 0.0

    def meta(self, *, command: str | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``.meta.json`` record: what was drawn, how, and from which θ."""
        from bayescollab._version import __version__

        cells = self.answers[self.item_ids]
        per_collaboration = self.answers.groupby("collaboration_id", sort=False).size()
        return {
            "synthetic": True,
            "description": "Synthetic survey drawn from the bayescollab model; not answers of real "
            "respondents. The true latent states are in the truth file.",
            "bayescollab_version": __version__,
            "command": command,
            "seed": self.seed,
            "collaborations": self.n_collaborations,
            "respondents": self.n_respondents,
            "respondents_per_collaboration": {str(k): int(v) for k, v in per_collaboration.items()},
            "items": len(self.item_ids),
            "cells": int(cells.size),
            "blank_cells": int(cells.isna().to_numpy().sum()),
            "blank_rate": self.blank_rate,
            "blank_fraction": self.blank_fraction,
            "given": dict(self.given),
            "do": dict(self.do),
            "given_semantics": "given states are conditioned on (root contexts clamped, other nodes by "
            "rejection of joint draws); do states are clamped as interventions",
            "instrument": {"file": self.instrument.path.name, "items": len(self.instrument)},
            "discrimination": dict(self.discrimination),
            "theta": {"prior_mean": self.theta_is_prior_mean, "values": dict(self.theta)},
            **dict(extra or {}),
        }


# ---------------------------------------------------------------------------------------- checks


def check_simulation_arguments(
    collaborations: Any, respondents: Any, blank_rate: Any
) -> tuple[int, np.ndarray, float]:
    """Validate the counts and the blank rate; returns (collaborations, respondents per one, rate).

    Raises ``ValueError`` (``TypeError`` for a wrong type) naming the bad value and the expected one.
    """
    if isinstance(collaborations, bool) or not isinstance(collaborations, int | np.integer):
        raise TypeError(
            f"collaborations is {collaborations!r} ({type(collaborations).__name__}); "
            "expected an integer >= 1"
        )
    if collaborations < 1:
        raise ValueError(f"collaborations is {collaborations}; expected an integer >= 1")
    if isinstance(respondents, int | np.integer) and not isinstance(respondents, bool):
        counts = [respondents] * int(collaborations)
    elif isinstance(respondents, Sequence | np.ndarray) and not isinstance(respondents, str):
        counts = list(respondents)
        if len(counts) != collaborations:
            raise ValueError(
                f"respondents has {len(counts)} entries; expected one per collaboration ({collaborations})"
            )
    else:
        raise TypeError(
            f"respondents is {respondents!r}; expected an integer >= 1 or one integer per collaboration"
        )
    for i, n in enumerate(counts):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            where = "" if isinstance(respondents, int | np.integer) else f" (collaboration {i + 1})"
            raise ValueError(f"respondents is {n!r}{where}; expected an integer >= 1")
    try:
        rate = float(blank_rate)
    except (TypeError, ValueError):
        raise TypeError(f"blank_rate is {blank_rate!r}; expected a number with 0 <= blank_rate < 1") from None
    if not 0.0 <= rate < 1.0:  # also refuses NaN
        raise ValueError(f"blank_rate is {blank_rate!r}; expected 0 <= blank_rate < 1")
    return int(collaborations), np.asarray(counts, dtype=np.int64), rate


def _discrimination(instrument: Instrument, given: Mapping[str, float] | None) -> dict[str, float]:
    priors = load_measurement_priors()
    out = {item.item_id: priors.for_scale(item.scale).median for item in instrument}
    for item_id, value in (given or {}).items():
        if item_id not in instrument:
            raise UnknownNameError("item", item_id, list(instrument.item_ids))
        try:
            lam = float(value)
        except (TypeError, ValueError):
            lam = math.nan
        if not (math.isfinite(lam) and lam > 0):
            raise ValueError(f"discrimination of {item_id!r} is {value!r}; expected a finite number > 0")
        out[item_id] = lam
    return out


def _check_instrument(instrument: Instrument, model: Model) -> None:
    for item in instrument:
        if item.node not in model.nodes:
            raise ValueError(
                f"instrument item {item.item_id!r} measures {item.node!r}, which is not a node of the model"
            )
        if list(item.node_states) != model.states(item.node):
            raise ValueError(
                f"instrument item {item.item_id!r} expects states {list(item.node_states)} of "
                f"{item.node!r}; the model has {model.states(item.node)}"
            )


def _resolve_seed(seed: RandomSeed) -> tuple[np.random.Generator, int | None]:
    """The generator and the integer that reproduces it (fresh entropy for ``None``)."""
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    rng = get_random_generator(seed)
    return rng, (None if isinstance(seed, np.random.Generator) else int(seed))


# -------------------------------------------------------------------------------- latent truth


def _sample_truth(
    model: Model, n: int, given: Mapping[str, int], do: Mapping[str, int], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """``n`` joint draws from P(nodes | given) in the model with ``do`` clamped."""
    clamp = {**do, **{k: v for k, v in given.items() if not model.parents(k)}}
    reject = {k: v for k, v in given.items() if k not in clamp}
    named = {k: model.states(k)[v] for k, v in clamp.items()}
    if not reject:
        return model.sample_states(n, seed=rng, do=named)
    kept: list[dict[str, np.ndarray]] = []
    n_kept = drawn = 0
    while n_kept < n:
        rate = n_kept / drawn if n_kept else 1.0 / (drawn + 1)
        batch = min(max(_MIN_BATCH, math.ceil(1.25 * (n - n_kept) / rate)), _MAX_BATCH)
        batch = min(batch, MAX_REJECTION_DRAWS - drawn)
        if batch <= 0:
            shown = {k: model.states(k)[v] for k, v in reject.items()}
            raise ValueError(
                f"the given states {shown} were met by {n_kept} of {drawn} joint draws from the model; "
                f"expected {n} to be met within {MAX_REJECTION_DRAWS} draws. Give likelier states, "
                "or clamp them with do= (an intervention) instead"
            )
        draw = model.sample_states(batch, seed=rng, do=named)
        ok = np.logical_and.reduce([draw[k] == v for k, v in reject.items()])
        kept.append({k: v[ok] for k, v in draw.items()})
        n_kept += int(ok.sum())
        drawn += batch
    return {node: np.concatenate([d[node] for d in kept])[:n] for node in kept[0]}


# ------------------------------------------------------------------------------------ the survey


def _organisations(counts: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Per respondent, an organisation label: each collaboration spread over 2-4 of them."""
    labels: list[str] = []
    low, high = _ORGANISATIONS
    for n in counts:
        k = int(min(n, rng.integers(low, high + 1)))
        sizes = 1 + rng.multinomial(int(n) - k, np.full(k, 1.0 / k))
        for letter, size in zip(string.ascii_uppercase[:k], sizes, strict=True):
            labels.extend([f"org-{letter}"] * int(size))
    return labels


def _answer_codes(
    instrument: Instrument,
    discrimination: Mapping[str, float],
    states: Mapping[str, np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """(respondents, items) answer codes, each drawn from answer_table(item, λ)[:, true state]."""
    n = len(next(iter(states.values()))) if states else 0
    codes = np.empty((n, len(instrument)), dtype=np.int64)
    u = rng.random((n, len(instrument)))
    for j, item in enumerate(instrument):
        table = np.asarray(answer_table(item, discrimination[item.item_id]), dtype=float)
        cum = np.cumsum(table, axis=0)[:, states[item.node]]  # (n_options, n)
        codes[:, j] = np.minimum((cum < u[:, j] * cum[-1]).sum(axis=0), item.n_options - 1)
    return codes


def _answers_frame(
    respondent_ids: Sequence[str],
    collaboration_ids: Sequence[str],
    organisations: Sequence[str],
    codes: np.ndarray,
    blank: np.ndarray,
    instrument: Instrument,
) -> pd.DataFrame:
    """The answers in :func:`read_survey`'s format: indexed by file line, nullable Int64 codes."""
    answers = pd.DataFrame(
        {
            "respondent_id": pd.array(list(respondent_ids), dtype="string"),
            "collaboration_id": pd.array(list(collaboration_ids), dtype="string"),
            "organisation": pd.array(list(organisations), dtype="string"),
            **{
                item.item_id: pd.arrays.IntegerArray(codes[:, j].copy(), blank[:, j].copy())
                for j, item in enumerate(instrument)
            },
        },
        index=pd.Index(np.arange(2, len(respondent_ids) + 2, dtype=np.int64), name="line"),
    )
    answers.attrs = {"source": None, "items_in_file": list(instrument.item_ids), "synthetic": True}
    return answers


def _truth_frame(
    collab_ids: Sequence[str], truth_codes: Mapping[str, np.ndarray], states_of: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """One row per collaboration: its id, then every node's true state name, in node order."""
    return pd.DataFrame(
        {
            "collaboration_id": pd.array(list(collab_ids), dtype="string"),
            **{
                node: pd.array(np.asarray(states, dtype=object)[truth_codes[node]], dtype="string")
                for node, states in states_of.items()
            },
        }
    )


def simulate_survey(
    model: Model,
    *,
    collaborations: int,
    respondents: int | Sequence[int],
    seed: RandomSeed = None,
    blank_rate: float = 0.1,
    given: Mapping[str, str] | None = None,
    do: Mapping[str, str] | None = None,
    discrimination: Mapping[str, float] | None = None,
    instrument: Instrument | None = None,
) -> SimulatedSurvey:
    """Draw a synthetic survey of ``collaborations`` collaborations from ``model``.

    Parameters
    ----------
    model
        The network to draw from (its CPTs at its current θ).
    collaborations
        Number of collaborations (>= 1), with ids ``synthetic-001``, ``synthetic-002``, ...
    respondents
        Respondents per collaboration: one integer for all, or one per collaboration (each >= 1).
        Respondent ids are ``s001-r01``, ... (unique within and across collaborations);
        each collaboration's respondents are spread over 2-4 organisations ``org-A``, ...
        (organisation does not change how anyone answers).
    seed
        None, an int or a numpy ``Generator`` (:func:`bayescollab._random.get_random_generator`).
        The integer actually used is recorded in the result, so a ``None`` draw can be repeated.
    blank_rate
        Probability, independently for each answer cell, that it is left unanswered (0 <= rate < 1).
    given
        ``{node: state}`` conditioned on for every collaboration (root contexts clamped; other
        nodes by rejecting joint draws that miss them).
    do
        ``{node: state}`` clamped as interventions (ancestors unaffected).
    discrimination
        λ per item id; items not listed take the prior median of their scale
        (``priors/measurement.yaml``).
    instrument
        Default: the instrument beside the model's theory.

    Returns
    -------
    SimulatedSurvey
        ``answers`` in :func:`read_survey`'s format and ``truth``, one row per collaboration.

    The draws come from four independent streams spawned from the seed (truth, organisations,
    answers, blanks), so with the same seed the truth does not depend on the respondent counts,
    and a higher blank rate blanks a superset of the cells a lower one blanks.
    """
    n_collab, counts, rate = check_simulation_arguments(collaborations, respondents, blank_rate)
    states_of = {n: model.states(n) for n in model.nodes}
    given_idx = to_indices(given, states_of)
    do_idx = to_indices(do, states_of)
    check_disjoint(given=given_idx, do=do_idx)
    instrument = instrument if instrument is not None else load_instrument(theory=model.theory)
    _check_instrument(instrument, model)
    lambdas = _discrimination(instrument, discrimination)
    rng, used_seed = _resolve_seed(seed)
    truth_rng, org_rng, answer_rng, blank_rng = rng.spawn(4)

    truth_codes = _sample_truth(model, n_collab, given_idx, do_idx, truth_rng)
    width = max(3, len(str(n_collab)))
    r_width = max(2, len(str(int(counts.max()))))
    collab_ids = [f"{SYNTHETIC_PREFIX}{i + 1:0{width}d}" for i in range(n_collab)]
    respondent_ids = [
        f"s{i + 1:0{width}d}-r{j + 1:0{r_width}d}" for i, n in enumerate(counts) for j in range(n)
    ]
    of_collab = np.repeat(np.arange(n_collab), counts)
    organisations = _organisations(counts, org_rng)

    measured = {node: truth_codes[node][of_collab] for node in instrument.nodes}
    codes = _answer_codes(instrument, lambdas, measured, answer_rng)
    blank = blank_rng.random(codes.shape) < rate
    respondents_of = [collab_ids[i] for i in of_collab]
    answers = _answers_frame(respondent_ids, respondents_of, organisations, codes, blank, instrument)
    truth = _truth_frame(collab_ids, truth_codes, states_of)
    prior_mean = model.theta_spec.prior_mean()
    return SimulatedSurvey(
        answers=answers,
        truth=truth,
        seed=used_seed,
        blank_rate=rate,
        given={k: str(v) for k, v in (given or {}).items()},
        do={k: str(v) for k, v in (do or {}).items()},
        discrimination=lambdas,
        theta=dict(zip(model.theta_spec.names, (float(t) for t in model.theta), strict=True)),
        theta_is_prior_mean=bool(np.array_equal(model.theta, prior_mean)),
        instrument=instrument,
    )


# ------------------------------------------------------------------------------------ files


def simulation_paths(path: Path | str) -> dict[str, Path]:
    """The three files of a simulation written to ``FILE.csv``: answers, truth and meta."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise ValueError(f"the survey file must end in .csv; got {path.name!r}")
    stem = path.with_suffix("")
    return {
        "answers": path,
        "truth": stem.with_name(f"{stem.name}.truth.csv"),
        "meta": stem.with_name(f"{stem.name}.meta.json"),
    }


def write_simulation(
    sim: SimulatedSurvey,
    path: Path | str,
    *,
    command: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``FILE.csv`` (the answers, via :func:`write_survey`), ``FILE.truth.csv`` and ``FILE.meta.json``.

    The answers file is an ordinary survey CSV (DESIGN format): :func:`read_survey` gives back
    ``sim.answers``. It is labelled synthetic by its ``synthetic-`` collaboration ids and by the
    meta file (``"synthetic": true``, the seed, blank rate, λ per item, θ, the version and
    ``command``; ``extra`` adds keys such as a source). Missing folders are created.
    """
    paths = simulation_paths(path)
    paths["answers"].parent.mkdir(parents=True, exist_ok=True)
    write_survey(sim.answers, paths["answers"], sim.instrument)
    sim.truth.to_csv(paths["truth"], index=False, lineterminator="\n")
    meta = sim.meta(command=command, extra=extra)
    meta["files"] = {"answers": paths["answers"].name, "truth": paths["truth"].name}
    paths["meta"].write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return paths


def load_simulation(path: Path | str, instrument: Instrument | None = None) -> SimulatedSurvey:
    """Read back what :func:`write_simulation` wrote (answers, truth and meta)."""
    paths = simulation_paths(path)
    instrument = instrument if instrument is not None else load_instrument()
    meta = json.loads(paths["meta"].read_text(encoding="utf-8"))
    if meta.get("synthetic") is not True:
        raise ValueError(
            f'{paths["meta"]} does not say "synthetic": true; expected a simulation\'s meta file'
        )
    answers = read_survey(paths["answers"], instrument)
    truth = pd.read_csv(paths["truth"], dtype="string", keep_default_na=False, na_filter=False)
    return SimulatedSurvey(
        answers=answers,
        truth=truth,
        seed=meta["seed"],
        blank_rate=float(meta["blank_rate"]),
        given=dict(meta["given"]),
        do=dict(meta["do"]),
        discrimination={k: float(v) for k, v in meta["discrimination"].items()},
        theta={k: float(v) for k, v in meta["theta"]["values"].items()},
        theta_is_prior_mean=bool(meta["theta"]["prior_mean"]),
        instrument=instrument,
    )


def example_survey_path() -> Path:
    """The shipped synthetic example: one collaboration of 21 respondents shaped like the pilot
    of 002 chapter 7 (resource capacity constrained, a poor collaboration history, a highly shared
    vision). Its truth and meta files sit beside it; :func:`load_simulation` reads all three."""
    return models_dir() / EXAMPLE_SURVEY
