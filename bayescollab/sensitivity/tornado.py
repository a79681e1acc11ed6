"""Swings: how far one probability moves as one factor runs across its range.

Every sensitivity analysis in this package reports swings of one probability as something
moves (a CPT entry, a θ component, a context's state), so they share this one record type.
The tornado chart that draws them is :func:`bayescollab.plots.tornado_plot`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Swing:
    """How far a query moves as one factor goes from one end of its range to the other."""

    label: str
    low: float
    high: float
    low_label: str = ""
    high_label: str = ""

    @property
    def width(self) -> float:
        return abs(self.high - self.low)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "low": self.low,
            "high": self.high,
            "low_label": self.low_label,
            "high_label": self.high_label,
            "width": self.width,
        }


__all__ = ["Swing"]
