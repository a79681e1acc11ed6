"""The parameter vector θ that determines every CPT, with its prior from evidence strength.

θ holds one signed weight per edge, one weight per interaction (moderation) term and one
noise scale per non-root node. Its prior mean and sd come from the evidence grade of the
records behind each parameter (:mod:`bayescollab.elicit.grades`). ``learn`` updates θ;
:func:`bayescollab.elicit.cpt.derive_cpts` turns any θ into CPTs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from bayescollab._random import RandomSeed, get_random_generator
from bayescollab.elicit.grades import EvidenceSummary, summarise_edge, summarise_records
from bayescollab.elicit.settings import ElicitationSettings
from bayescollab.theory.load import Theory

ParameterKind = Literal["weight", "interaction", "noise"]


@dataclass(frozen=True)
class Parameter:
    """One component of θ with its prior (normal on weights, log-normal-like on noise)."""

    name: str
    kind: ParameterKind
    child: str
    mean: float
    sd: float
    parent: str | None = None
    modifier: str | None = None
    evidence: EvidenceSummary | None = None

    @property
    def grade(self) -> str | None:
        return self.evidence.grade if self.evidence else None


@dataclass(frozen=True)
class ThetaSpec:
    """The ordered list of θ's components; θ itself is a plain float array in this order."""

    parameters: tuple[Parameter, ...]
    baseline_weight: float = 1.0
    latent_scale: float = 2.5
    threshold_correlation: float = 0.0
    #: largest log-factor the moderations of one term reach together (None: no saturation)
    moderation_reach: float | None = None
    #: node -> its own weight of left-out causes (``baseline_weight`` for every other node)
    baseline_overrides: tuple[tuple[str, float], ...] = ()

    def baseline(self, node: str) -> float:
        """w0 of ``node``: the weight of the causes the theory leaves out."""
        return dict(self.baseline_overrides).get(node, self.baseline_weight)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {p.name: i for i, p in enumerate(self.parameters)}

    def index(self, name: str) -> int:
        """Position of component ``name`` in θ (CPT derivation looks this up per link)."""
        try:
            return self._positions[name]
        except KeyError:
            raise KeyError(f"no θ component {name!r}; components look like {self.names[:3]}") from None

    def prior_mean(self) -> np.ndarray:
        return np.array([p.mean for p in self.parameters], dtype=float)

    def prior_sd(self) -> np.ndarray:
        return np.array([p.sd for p in self.parameters], dtype=float)

    def __len__(self) -> int:
        return len(self.parameters)

    @cached_property
    def noise_mask(self) -> np.ndarray:
        """True where θ's component is a node noise scale (positive; log-normal prior)."""
        return np.array([p.kind == "noise" for p in self.parameters])

    def lognormal_noise(self) -> tuple[np.ndarray, np.ndarray]:
        """(mu, s) of the log-normal priors on noise, matching each one's elicited mean and sd."""
        mean, sd = self.prior_mean()[self.noise_mask], self.prior_sd()[self.noise_mask]
        s2 = np.log1p((sd / mean) ** 2)
        return np.log(mean) - s2 / 2, np.sqrt(s2)

    def sample_prior(self, n: int, seed: RandomSeed = None) -> np.ndarray:
        """``n`` draws of θ from its prior, shape (n, P).

        Weights and interactions are normal with the elicited mean and sd. Noise scales must
        stay positive, so they are log-normal with the same mean and sd (the PyMC model of
        ``learn`` uses the same distributions).
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"number of draws must be a positive integer; got {n}")
        rng = get_random_generator(seed)
        draws = rng.normal(self.prior_mean(), self.prior_sd(), size=(n, len(self)))
        mu, s = self.lognormal_noise()
        draws[:, self.noise_mask] = rng.lognormal(mu, s, size=(n, int(self.noise_mask.sum())))
        return draws


def weight_name(parent: str, child: str) -> str:
    return f"w[{parent}->{child}]"


def interaction_name(modifier: str, parent: str, child: str) -> str:
    return f"v[{modifier}*{parent}->{child}]"


def noise_name(node: str) -> str:
    return f"sigma[{node}]"


def singled_out_links(theory: Theory, settings: ElicitationSettings) -> dict[tuple[str, str], str]:
    """(parent, child) -> seed location of each link the seeds single out; every one must be an edge."""
    if settings.singled_out is None:
        return {}
    edges = {(e.parent, e.child) for e in theory.edges}
    out = {}
    for link in settings.singled_out.links:
        if (link.parent, link.child) not in edges:
            raise ValueError(
                f"singled_out names {link.parent}->{link.child}, which is not an edge of the theory; "
                "expected one of the edges in models/"
            )
        out[(link.parent, link.child)] = link.location
    return out


def asserted_direction(theory: Theory, edge, evidence: EvidenceSummary) -> bool:
    """Whether the seeds assert the link's direction: signed, not only hypothesised, and either
    uncontested or contested only in a shape the parent's per-child scores already encode."""
    if edge.sign == 0 or evidence.hypothesis_only:
        return False
    return not evidence.conflicting or edge.child in theory.nodes[edge.parent].child_scores


def _edge_prior(
    theory: Theory, settings: ElicitationSettings, edge, evidence: EvidenceSummary, singled: dict
) -> tuple[float, float]:
    """(mean, sd) of one edge weight: size from the grade (or the seeds' wording), sd from the
    grade, narrowed so that an asserted direction holds in ``direction_quantile`` of draws."""
    if not theory.nodes[edge.parent].ordered:
        # nominal parent (the form typology): its scores already carry the direction
        return settings.typology.mean, settings.typology.sd
    grade = settings.grades[evidence.grade]
    size = grade.mean
    if (edge.parent, edge.child) in singled and settings.singled_out is not None:
        size = max(size, settings.singled_out.mean)
    sd = grade.sd
    if settings.direction_quantile is not None and asserted_direction(theory, edge, evidence):
        from scipy.special import ndtri  # here, not at the top: a cached query never derives priors

        sd = min(sd, size / float(ndtri(settings.direction_quantile)))
    # sign 0: a moderator-only parent; its main effect is not stated, so centred on 0
    return edge.sign * size, sd


def build_theta_spec(theory: Theory, settings: ElicitationSettings) -> ThetaSpec:
    """Attach a prior to every edge, interaction and noise scale of the theory."""
    params: list[Parameter] = []
    singled = singled_out_links(theory, settings)
    for edge in theory.edges:
        evidence = summarise_edge(theory, edge, settings)
        prior_mean, prior_sd = _edge_prior(theory, settings, edge, evidence, singled)
        params.append(
            Parameter(
                name=weight_name(edge.parent, edge.child),
                kind="weight",
                child=edge.child,
                parent=edge.parent,
                mean=prior_mean,
                sd=prior_sd,
                evidence=evidence,
            )
        )
    for spec in theory.interactions:
        evidence = summarise_records(theory, spec.cmocs, (), settings)
        grade = settings.grades[evidence.grade]
        params.append(
            Parameter(
                name=interaction_name(spec.modifier, spec.parent, spec.child),
                kind="interaction",
                child=spec.child,
                parent=spec.parent,
                modifier=spec.modifier,
                mean=spec.sign * grade.mean * settings.interaction_scale,
                sd=grade.sd,
                evidence=evidence,
            )
        )
    children = {e.child for e in theory.edges}
    for node in theory.nodes:
        if node in children:
            params.append(
                Parameter(
                    name=noise_name(node),
                    kind="noise",
                    child=node,
                    mean=settings.noise.mean,
                    sd=settings.noise.sd,
                )
            )
    return ThetaSpec(
        tuple(params),
        baseline_weight=settings.baseline_weight,
        latent_scale=settings.latent_scale,
        threshold_correlation=settings.threshold_correlation,
        moderation_reach=settings.moderation_reach,
        baseline_overrides=tuple((n, b.weight) for n, b in sorted(settings.left_out.items())),
    )
