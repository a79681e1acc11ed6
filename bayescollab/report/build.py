"""Build a whole report: assess the survey, gather each collaboration, label and stamp it.

The report says where its numbers came from (provenance) and whether its input is the
shipped synthetic example or another simulated survey: a survey is labelled synthetic when
its ``FILE.meta.json`` (written by ``simulate``) says ``"synthetic": true`` or when its
collaboration ids carry the ``synthetic-`` prefix. Nothing read from the CSV is trusted as
markup: the templates escape every value (:mod:`bayescollab.report.render`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayescollab._paths import models_dir, priors_dir
from bayescollab._random import RandomSeed
from bayescollab._version import __version__
from bayescollab.model import Model
from bayescollab.report.gather import CollaborationReport, gather_collaboration, maturity_elements
from bayescollab.survey.assess import INTERVAL, OUTCOMES, assess, prior_discrimination
from bayescollab.survey.ingest import read_survey
from bayescollab.survey.instrument import Instrument, load_instrument
from bayescollab.survey.measurement import load_measurement_priors
from bayescollab.survey.simulate import SYNTHETIC_PREFIX, example_survey_path, simulation_paths
from bayescollab.theory.levers import load_levers

__all__ = ["INTERVAL_DTYPE", "Provenance", "Report", "SyntheticLabel", "build_report", "model_hash"]

#: the report's interval draws run in single precision: about twice as fast, and ~1e-7 relative
#: error is far below the width of any interval (the provenance section says so)
INTERVAL_DTYPE = np.float32


@dataclass(frozen=True)
class SyntheticLabel:
    """Why the input counts as synthetic, and what its meta file says about it."""

    shipped_example: bool
    reason: str
    description: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Provenance:
    """What produced the report: version, model fingerprint, inputs and the command line."""

    version: str
    model_hash: str
    models: str
    priors: str
    survey: str
    survey_sha256: str
    command: str
    created: str
    draws: int
    seed: int | None
    python: str
    #: the floating-point precision of the interval draws (single precision: ~1e-7, plenty for intervals)
    interval_precision: str = "float32"


@dataclass
class Report:
    """The whole report: one section per collaboration, plus what applies to all of them."""

    survey_name: str
    collaborations: list[CollaborationReport]
    synthetic: SyntheticLabel | None
    measurement: list[dict[str, Any]]  # per scale: scale, items, median discrimination
    provenance: Provenance
    interval_level: float
    extra: dict[str, Any] = field(default_factory=dict)


def model_hash(model: Model, folders: Sequence[Path]) -> str:
    """sha256 (16 hex digits) over the theory and prior files and the CPTs of the model in hand.

    The CPTs are the numbers every query uses, so two reports with the same hash were computed
    from the same network (a model re-loaded from a learn posterior differs from the prior one).
    """
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and "examples" not in path.relative_to(folder).parts:
                digest.update(path.relative_to(folder).as_posix().encode())
                digest.update(path.read_bytes())
    for node in model.nodes:
        digest.update(node.encode())
        digest.update(np.round(np.asarray(model.cpts[node], dtype=float), 12).tobytes())
    return digest.hexdigest()[:16]


def synthetic_label(path: Path, collaboration_ids: Sequence[str]) -> SyntheticLabel | None:
    """The synthetic label of a survey file, or ``None`` for a survey of real respondents."""
    meta_path = simulation_paths(path)["meta"]
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
    shipped = path.resolve() == example_survey_path().resolve()
    by_ids = [c for c in collaboration_ids if c.startswith(SYNTHETIC_PREFIX)]
    if meta.get("synthetic") is True:
        reason = f"its meta file {meta_path.name} says it is synthetic"
    elif by_ids:
        reason = f"its collaboration ids start with {SYNTHETIC_PREFIX!r}"
    elif shipped:
        reason = "it is the example survey shipped with the package"
    else:
        return None
    source = meta.get("source") if isinstance(meta.get("source"), dict) else None
    return SyntheticLabel(
        shipped_example=shipped,
        reason=reason,
        description=meta.get("description") if isinstance(meta.get("description"), str) else None,
        source=(f"{source.get('seed')}, {source.get('location')}: {source.get('what')}" if source else None),
    )


def _measurement(instrument: Instrument, discrimination: Mapping[str, float]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in instrument:
        row = out.setdefault(item.scale, {"scale": item.scale, "items": 0, "discrimination": []})
        row["items"] += 1
        row["discrimination"].append(discrimination[item.item_id])
    for row in out.values():
        values = row.pop("discrimination")
        row["median_discrimination"] = float(np.median(values))
    return list(out.values())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def build_report(
    model: Model,
    survey: Path | str,
    *,
    given: Mapping[str, str] | None = None,
    draws: int = 0,
    seed: RandomSeed = None,
    collaboration: str | None = None,
    command: str = "",
    models: Path | None = None,
    priors: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Assess ``survey`` and gather every collaboration (or only ``collaboration``) into a report.

    ``draws`` > 0 adds credible intervals (``survey.assess.INTERVAL``) from that many prior θ
    draws; ``command`` is the command line recorded under provenance.
    """
    path = Path(survey)
    instrument = load_instrument(theory=model.theory)
    frame = read_survey(path, instrument)
    ids = sorted(str(c) for c in frame["collaboration_id"].unique())
    if collaboration is not None:
        if collaboration not in ids:
            raise ValueError(
                f"--collaboration {collaboration!r} is not in {path.name}; expected one of {ids}"
            )
        frame = frame[frame["collaboration_id"] == collaboration]
        frame.attrs = dict(frame.attrs)
    discrimination = prior_discrimination(instrument, load_measurement_priors())
    results = assess(
        model,
        frame,
        given=given,
        instrument=instrument,
        discrimination=discrimination,
        draws=draws,
        seed=seed,
        # intervals only for what the report shows: the Table 11 elements and the two outcomes
        interval_nodes=[node for node, _, _ in maturity_elements(instrument)] + list(OUTCOMES),
        interval_dtype=INTERVAL_DTYPE,
        progress=progress,
    )
    levers = load_levers(theory=model.theory)
    sections = []
    for result in results:
        if progress is not None:
            progress(f"report: levers, value of information and web for {result.collaboration_id!r}")
        rows = frame[frame["collaboration_id"] == result.collaboration_id]
        sections.append(gather_collaboration(model, result, rows, instrument, levers, discrimination))
    folders = [models or models_dir(), priors or priors_dir()]
    provenance = Provenance(
        version=__version__,
        model_hash=model_hash(model, folders),
        models=str(models) if models else "packaged models/",
        priors=str(priors) if priors else "packaged priors/",
        survey=path.name,
        survey_sha256=_sha256(path),
        command=command,
        created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        draws=draws,
        seed=seed if isinstance(seed, int) else None,
        python=platform.python_version(),
        interval_precision=np.dtype(INTERVAL_DTYPE).name,
    )
    return Report(
        survey_name=path.name,
        collaborations=sections,
        synthetic=synthetic_label(path, ids),
        measurement=_measurement(instrument, discrimination),
        provenance=provenance,
        interval_level=INTERVAL[1] - INTERVAL[0],
    )
