"""The results of :mod:`bayescollab.sensitivity.voi`: ranked observations and greedy orders.

Each carries its setting (target, evidence, do, the names of virtually observed nodes) and
writes itself out as text, a dict, a pandas frame or an xarray Dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import xarray as xr

from bayescollab._version import __version__
from bayescollab.sensitivity._query import describe_conditions

__all__ = ["MeasurementSequence", "MeasurementStep", "ObservationValue", "ValueOfInformation"]


@dataclass(frozen=True)
class ObservationValue:
    """What observing one node or item is worth for the target, in bits."""

    name: str
    kind: Literal["node", "item"]
    node: str
    mutual_information: float
    expected_entropy: float
    scale: str | None = None
    discrimination: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "node": self.node,
            "mutual_information_bits": self.mutual_information,
            "expected_entropy_bits": self.expected_entropy,
            "scale": self.scale,
            "discrimination": self.discrimination,
        }


@dataclass(frozen=True)
class ValueOfInformation:
    """Every candidate observation ranked by I(target; observation | scenario), highest first.

    The order is the order in which to measure if only one observation could be made;
    ``entropy`` is the target's current uncertainty, the most any observation could remove.
    """

    target: str
    distribution: dict[str, float]
    entropy: float
    evidence: dict[str, str]
    do: dict[str, str]
    virtual_evidence: list[str]
    ranking: tuple[ObservationValue, ...]
    excluded: list[str] = field(default_factory=list)

    def nodes(self) -> list[ObservationValue]:
        """The perfectly observed nodes, best first."""
        return [r for r in self.ranking if r.kind == "node"]

    def items(self) -> list[ObservationValue]:
        """The survey items, best first."""
        return [r for r in self.ranking if r.kind == "item"]

    def __getitem__(self, name: str) -> ObservationValue:
        for r in self.ranking:
            if r.name == name:
                return r
        raise KeyError(f"{name!r} is not a candidate here; candidates: {[r.name for r in self.ranking]}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "evidence": self.evidence,
            "do": self.do,
            "virtual_evidence": self.virtual_evidence,
            "distribution": self.distribution,
            "entropy_bits": self.entropy,
            "ranking": [r.to_dict() for r in self.ranking],
            "excluded": self.excluded,
        }

    def to_dataset(self) -> xr.Dataset:
        """The ranking as an ``xarray.Dataset`` over dimension ``observation``."""
        names = [r.name for r in self.ranking]
        return xr.Dataset(
            {
                "mutual_information": ("observation", [r.mutual_information for r in self.ranking]),
                "expected_entropy": ("observation", [r.expected_entropy for r in self.ranking]),
                "kind": ("observation", [r.kind for r in self.ranking]),
                "node": ("observation", [r.node for r in self.ranking]),
            },
            coords={"observation": names},
            attrs={
                "target": self.target,
                "units": "bits",
                "entropy": self.entropy,
                "evidence": repr(self.evidence),
                "do": repr(self.do),
                "bayescollab_version": __version__,
            },
        )

    def to_text(self, top: int | None = 10) -> str:
        cond = describe_conditions(self.evidence, self.do, self.virtual_evidence)
        lines = [
            f"Value of information for {self.target} | {cond}",
            f"current uncertainty H({self.target}) = {self.entropy:.3f} bits "
            f"({', '.join(f'{s} {p:.3f}' for s, p in self.distribution.items())})",
        ]
        for title, rows in (("nodes observed perfectly", self.nodes()), ("survey items", self.items())):
            if not rows:
                continue
            lines += ["", f"{title} (mutual information, expected entropy after; bits):"]
            for r in rows[: top or None]:
                extra = f"  [{r.node}, {r.scale}, λ={r.discrimination:.2f}]" if r.kind == "item" else ""
                share = r.mutual_information / self.entropy if self.entropy > 0 else 0.0
                lines.append(
                    f"  {r.name:<32s} {r.mutual_information:.4f} ({share:5.1%})  "
                    f"-> {r.expected_entropy:.3f}{extra}"
                )
        return "\n".join(lines)


@dataclass(frozen=True)
class MeasurementStep:
    """One step of the greedy sequence: the observation chosen and what it adds."""

    step: int
    name: str
    kind: Literal["node", "item"]
    node: str
    gain: float  # I(target; this | the earlier ones), bits
    cumulative: float  # I(target; this and the earlier ones), bits
    expected_entropy: float  # H(target | all of them), bits

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "name": self.name,
            "kind": self.kind,
            "node": self.node,
            "gain_bits": self.gain,
            "cumulative_bits": self.cumulative,
            "expected_entropy_bits": self.expected_entropy,
        }


@dataclass(frozen=True)
class MeasurementSequence:
    """A greedy order of observations: each the best given that the earlier ones will be seen."""

    target: str
    entropy: float
    evidence: dict[str, str]
    do: dict[str, str]
    virtual_evidence: list[str]
    steps: tuple[MeasurementStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "evidence": self.evidence,
            "do": self.do,
            "virtual_evidence": self.virtual_evidence,
            "entropy_bits": self.entropy,
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_text(self) -> str:
        cond = describe_conditions(self.evidence, self.do, self.virtual_evidence)
        lines = [
            f"Greedy measurement order for {self.target} | {cond}",
            f"H({self.target}) = {self.entropy:.3f} bits now",
        ]
        for s in self.steps:
            lines.append(
                f"  {s.step}. {s.name:<32s} adds {s.gain:.4f} bits  "
                f"(together {s.cumulative:.4f}; H after {s.expected_entropy:.3f})"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------- candidates
