"""Schema and loader for ``priors/evidence_grades.yaml`` (the elicitation settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bayescollab._paths import priors_dir
from bayescollab.errors import Problem, TheoryError

PRIORS_FILE = "evidence_grades.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scoring(_Strict):
    """Points for the evidence behind a link (``bayescollab.elicit.grades`` applies them)."""

    citation_scale: float = Field(gt=0)  # points = citation_scale * log2(1 + sources)
    uncited_record_weight: float = Field(ge=0)
    per_extra_stage: float
    conflict_penalty: float
    hypothesis_only_penalty: float


class GradePrior(_Strict):
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)
    label: str = ""


class ScalePrior(_Strict):
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)


class SingledOutLink(_Strict):
    """A link the seeds single out by their wording ("essential", "chief among", 000 Table 2)."""

    parent: str
    child: str
    wording: str
    location: str


class SingledOut(_Strict):
    """Links whose size the seeds word strongly: prior |weight| mean at least ``mean``."""

    mean: float = Field(gt=0)
    links: list[SingledOutLink]


class LeftOut(_Strict):
    """A node whose causes outside the network weigh more than ``baseline_weight`` says."""

    weight: float = Field(gt=0)
    location: str


class ElicitationSettings(_Strict):
    """Evidence scoring, grade thresholds and the prior attached to each grade."""

    scoring: Scoring
    thresholds: dict[str, float]
    grades: dict[str, GradePrior]
    interaction_scale: float = Field(gt=0)
    typology: ScalePrior
    noise: ScalePrior
    baseline_weight: float = Field(gt=0)
    latent_scale: float = Field(gt=0)
    #: where the CPT thresholds sit between independent (0) and fully correlated (1) parents
    threshold_correlation: float = Field(default=0.0, ge=0, le=1)
    #: the moderations of one term combine as exp(r tanh(sum u s / r)): together they scale an
    #: effect by at most e^r (None: plain exp(sum u s))
    moderation_reach: float | None = Field(default=None, gt=0)
    #: a link whose direction the seeds assert keeps it in this share of prior draws:
    #: sd <= |mean| / Phi^-1(q) (None: the grade's sd alone)
    direction_quantile: float | None = Field(default=None, gt=0.5, lt=1)
    singled_out: SingledOut | None = None
    #: node -> its own weight of left-out causes, with the seed location that names them
    left_out: dict[str, LeftOut] = Field(default_factory=dict)
    root_prior: Literal["uniform"] = "uniform"

    @model_validator(mode="after")
    def _grades_match(self) -> ElicitationSettings:
        if set(self.thresholds) != set(self.grades):
            raise ValueError(
                f"thresholds {sorted(self.thresholds)} and grades {sorted(self.grades)} "
                "must name the same grades"
            )
        return self

    def grade_for(self, points: float) -> str:
        """The first grade (highest threshold first) whose threshold ``points`` reaches."""
        for grade, threshold in sorted(self.thresholds.items(), key=lambda kv: -kv[1]):
            if points >= threshold:
                return grade
        return min(self.thresholds, key=self.thresholds.__getitem__)

    def scaled(self, *, weight: float = 1.0, sd: float = 1.0) -> ElicitationSettings:
        """A copy with every grade's mean weight and sd multiplied (prior-robustness checks)."""
        grades = {
            g: GradePrior(mean=p.mean * weight, sd=p.sd * sd, label=p.label) for g, p in self.grades.items()
        }
        return self.model_copy(update={"grades": grades})


def load_settings(root: Path | str | None = None) -> ElicitationSettings:
    """Read and validate the elicitation settings; raise :class:`TheoryError` if malformed."""
    folder = Path(root) if root is not None else priors_dir()
    if not folder.is_dir():
        raise TheoryError([Problem(str(folder), "folder", "priors folder does not exist")])
    path = folder / PRIORS_FILE
    if not path.is_file():
        raise TheoryError([Problem(f"priors/{PRIORS_FILE}", "file", f"missing file {path}")])
    import yaml  # here, not at import: a model loaded from the cache or the shipped inputs reads no YAML

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TheoryError([Problem(f"priors/{PRIORS_FILE}", "file", f"not valid YAML: {exc}")]) from None
    try:
        return ElicitationSettings.model_validate(raw)
    except ValidationError as err:
        problems = [
            Problem(
                f"priors/{PRIORS_FILE}",
                ".".join(str(p) for p in e["loc"]) or "file",
                f"{e['msg']} (got {e.get('input')!r})",
            )
            for e in err.errors()
        ]
        raise TheoryError(problems) from None
